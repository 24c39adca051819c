"""Normalization (nn.functional batch_norm / layer_norm / group_norm / instance_norm and the nn layers) against
the numpy references in tests/reference_norm.py: forward values, all three gradients (x, weight, bias) from
y.backward(dy) with a random dy, running statistics (momentum and cumulative), num_batches_tracked, train/eval
semantics, state_dict buffers, float64 gradcheck and bad input.

Shapes cover both batch-norm kernel paths: rows of S >= 64 values per (n, c) (per-channel path) and shorter rows
((N, C) and small images: the column path), odd sizes and a large mean (two-pass variance).

Tolerances: float64 1e-10 (sums of at most a few thousand terms, each a few ulp); float32 rtol 1e-4 /
atol 1e-5 (relative to values of order 1: the normalized output and gradients lose a few ulp of float32 per
reduction step, and the reference runs in float64).
"""
import doctest
import importlib

import numpy as np
import pytest

import neurocore as nc
import neurocore.nn as nn
import neurocore.nn.functional as F
import reference_norm as R
from neurocore.utils import gradcheck

F32, F64 = nc.float32, nc.float64
NP_OF = {F32: np.float32, F64: np.float64}
TOL = {F32: dict(rtol=1e-4, atol=1e-5), F64: dict(rtol=1e-10, atol=1e-10)}
DTYPES = pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
# (N, C, *) shapes: short rows (column path) and S >= 64 (per-channel path)
# (the last two are big enough to split across threads)
BN_SHAPES = [(8, 3), (5, 7), (64, 33), (4, 5, 7), (3, 4, 9, 9), (2, 3, 70), (8, 6, 10, 10), (1, 2, 65), (512, 130),
             (16, 8, 32, 32)]


def rng(seed=0):
    return np.random.default_rng(seed)


def leaf(a, dtype, requires_grad=True):
    return nc.tensor(np.asarray(a).astype(NP_OF[dtype]), requires_grad=requires_grad)


def close(got, want, dtype, scale=1.0):
    got = got.detach().numpy() if isinstance(got, nc.Tensor) else got
    assert got.shape == np.shape(want), (got.shape, np.shape(want))
    tol = dict(TOL[dtype])
    tol["atol"] *= scale
    np.testing.assert_allclose(got, want, **tol)


# ------------------------------------------------------------------------------------------------ batch norm

@DTYPES
@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_batch_norm_training_forward_backward(shape, dtype, affine):
    g = rng(hash(shape) % 1000)
    c = shape[1]
    x_np = g.standard_normal(shape) * 2 + 0.5
    w_np, b_np = g.standard_normal(c), g.standard_normal(c)
    rm_np, rv_np = g.standard_normal(c), g.uniform(0.5, 2, c)
    dy_np = g.standard_normal(shape)
    x = leaf(x_np, dtype)
    w, b = (leaf(w_np, dtype), leaf(b_np, dtype)) if affine else (None, None)
    rm, rv = leaf(rm_np, dtype, False), leaf(rv_np, dtype, False)
    y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, eps=1e-5)
    assert y.shape == shape and y.dtype == dtype
    y.backward(leaf(dy_np, dtype, False))
    cast = lambda a: a.astype(NP_OF[dtype])  # noqa: E731 - the reference sees the same rounded inputs
    ry, rrm, rrv = R.batch_norm(cast(x_np), cast(w_np) if affine else None, cast(b_np) if affine else None,
                                cast(rm_np), cast(rv_np), training=True, momentum=0.3)
    close(y, ry, dtype)
    close(rm, rrm, dtype)
    close(rv, rrv, dtype)
    dx, dw, db = R.batch_norm_backward(cast(x_np), cast(dy_np), cast(w_np) if affine else None)
    m = x_np.size // c
    close(x.grad, dx, dtype)
    if affine:
        close(w.grad, dw, dtype, scale=np.sqrt(m))  # sums of m terms
        close(b.grad, db, dtype, scale=np.sqrt(m))


@DTYPES
@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 8), (2, 3, 9, 9)], ids=str)
def test_batch_norm_eval_forward_backward(shape, dtype):
    g = rng(1)
    c = shape[1]
    x_np, dy_np = g.standard_normal(shape), g.standard_normal(shape)
    w_np, b_np, rm_np, rv_np = g.standard_normal(c), g.standard_normal(c), g.standard_normal(c), g.uniform(.5, 2, c)
    x, w, b = leaf(x_np, dtype), leaf(w_np, dtype), leaf(b_np, dtype)
    rm, rv = leaf(rm_np, dtype, False), leaf(rv_np, dtype, False)
    y = F.batch_norm(x, rm, rv, w, b, training=False)
    y.backward(leaf(dy_np, dtype, False))
    cast = lambda a: a.astype(NP_OF[dtype])  # noqa: E731
    ry, _, _ = R.batch_norm(cast(x_np), cast(w_np), cast(b_np), cast(rm_np), cast(rv_np), training=False)
    close(y, ry, dtype)
    np.testing.assert_array_equal(rm.numpy(), cast(rm_np))  # untouched in eval
    np.testing.assert_array_equal(rv.numpy(), cast(rv_np))
    dx, dw, db = R.batch_norm_backward(cast(x_np), cast(dy_np), cast(w_np), cast(rm_np), cast(rv_np), training=False)
    close(x.grad, dx, dtype)
    close(w.grad, dw, dtype, scale=10)
    close(b.grad, db, dtype, scale=10)


def test_batch_norm_large_mean_float32():
    # Two-pass statistics: a mean 1e4 times the spread costs no precision in the normalized output.
    g = rng(2)
    x_np = (1000.0 + 0.1 * g.standard_normal((16, 3, 10, 10))).astype(np.float32)
    y = F.batch_norm(nc.tensor(x_np), None, None, training=True)
    ry, _, _ = R.batch_norm(x_np, training=True)
    np.testing.assert_allclose(y.numpy(), ry, rtol=0, atol=2e-3)


def test_batch_norm_non_contiguous_input():
    g = rng(3)
    x_np = g.standard_normal((5, 4, 6))
    x = nc.tensor(x_np.transpose(0, 2, 1).copy()).transpose(1, 2).requires_grad_()  # (5, 4, 6), strided
    assert not x.is_contiguous()
    dy = g.standard_normal((5, 4, 6))
    y = F.batch_norm(x, None, None, training=True)
    y.backward(nc.tensor(dy))
    close(y, R.batch_norm(x_np)[0], F64)
    close(x.grad, R.batch_norm_backward(x_np, dy)[0], F64)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batch_norm_gradcheck(training):
    g = rng(4)
    for shape in [(4, 3), (3, 2, 5), (2, 3, 4, 4), (2, 2, 70)]:
        c = shape[1]
        x = nc.tensor(g.standard_normal(shape), requires_grad=True)
        w = nc.tensor(g.standard_normal(c), requires_grad=True)
        b = nc.tensor(g.standard_normal(c), requires_grad=True)
        rm, rv = nc.tensor(g.standard_normal(c)), nc.tensor(g.uniform(0.5, 2, c))
        assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=training, momentum=0.0),
                         (x, w, b), atol=1e-6)


def test_batch_norm_gradient_of_weight_only():
    # needs_input_grad: x without requires_grad still gives weight and bias gradients.
    g = rng(5)
    x_np, dy = g.standard_normal((6, 3, 4)), g.standard_normal((6, 3, 4))
    w, b = nc.ones(3, dtype=F64, requires_grad=True), nc.zeros(3, dtype=F64, requires_grad=True)
    F.batch_norm(nc.tensor(x_np), None, None, w, b, training=True).backward(nc.tensor(dy))
    _, dw, db = R.batch_norm_backward(x_np, dy, np.ones(3))
    close(w.grad, dw, F64)
    close(b.grad, db, F64)


# ------------------------------------------------------------------------------------- BatchNorm modules

@DTYPES
def test_batchnorm_module_running_statistics_momentum(dtype):
    g = rng(6)
    bn = nn.BatchNorm2d(3, momentum=0.2, dtype=dtype)
    rm, rv = np.zeros(3), np.ones(3)
    for i in range(3):
        x_np = (g.standard_normal((4, 3, 5, 5)) * (i + 1) + i).astype(NP_OF[dtype])
        y = bn(nc.tensor(x_np))
        ry, rm, rv = R.batch_norm(x_np, np.ones(3), np.zeros(3), rm, rv, training=True, momentum=0.2)
        close(y, ry, dtype)
        assert int(bn.num_batches_tracked) == i + 1
        assert bn.num_batches_tracked.dtype == nc.int64
    close(bn.running_mean, rm, dtype)
    close(bn.running_var, rv, dtype)
    # eval: running statistics, no update, no count
    bn.eval()
    x_np = g.standard_normal((2, 3, 5, 5)).astype(NP_OF[dtype])
    y = bn(nc.tensor(x_np))
    close(y, R.batch_norm(x_np, np.ones(3), np.zeros(3), rm, rv, training=False)[0], dtype)
    close(bn.running_mean, rm, dtype)
    assert int(bn.num_batches_tracked) == 3


def test_batchnorm_module_cumulative_average():
    # momentum=None: running statistics are the plain average of the batch statistics seen so far.
    g = rng(7)
    bn = nn.BatchNorm1d(4, momentum=None, dtype=F64)
    means, vars_ = [], []
    for i in range(5):
        x_np = g.standard_normal((10, 4)) * (i + 1) + 2 * i
        bn(nc.tensor(x_np))
        means.append(x_np.mean(0))
        vars_.append(x_np.var(0, ddof=1))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean(means, 0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean(vars_, 0), rtol=1e-12, atol=1e-12)
    assert int(bn.num_batches_tracked) == 5


def test_batchnorm1d_3d_input_and_gradients():
    g = rng(8)
    x_np, dy = g.standard_normal((4, 3, 6)), g.standard_normal((4, 3, 6))
    bn = nn.BatchNorm1d(3, dtype=F64)
    with nc.no_grad():
        bn.weight.copy_(nc.tensor(g.standard_normal(3)))
        bn.bias.copy_(nc.tensor(g.standard_normal(3)))
    x = nc.tensor(x_np, requires_grad=True)
    bn(x).backward(nc.tensor(dy))
    dx, dw, db = R.batch_norm_backward(x_np, dy, bn.weight.detach().numpy())
    close(x.grad, dx, F64)
    close(bn.weight.grad, dw, F64)
    close(bn.bias.grad, db, F64)


def test_batchnorm_no_running_stats_always_uses_batch():
    g = rng(9)
    bn = nn.BatchNorm1d(3, track_running_stats=False, affine=False)
    assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == []
    assert list(bn.parameters()) == []
    x_np = g.standard_normal((8, 3)).astype(np.float32) * 3 + 1
    for mode in (True, False):
        bn.train(mode)
        close(bn(nc.tensor(x_np)), R.batch_norm(x_np)[0], F32)


def test_batchnorm_state_dict_and_load():
    bn = nn.BatchNorm2d(3)
    sd = bn.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    bn(nc.randn(4, 3, 2, 2) * 5 + 3)
    other = nn.BatchNorm2d(3)
    other.load_state_dict(bn.state_dict())
    np.testing.assert_array_equal(other.running_mean.numpy(), bn.running_mean.numpy())
    np.testing.assert_array_equal(other.running_var.numpy(), bn.running_var.numpy())
    assert int(other.num_batches_tracked) == 1
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert "1.running_mean" in net.state_dict() and "1.num_batches_tracked" in net.state_dict()
    # to(float64) converts the float buffers, not the counter
    net.to(nc.float64)
    assert net[1].running_var.dtype == nc.float64 and net[1].num_batches_tracked.dtype == nc.int64


def test_batchnorm_reset_and_repr():
    bn = nn.BatchNorm1d(3, eps=1e-3, momentum=0.05, affine=False)
    assert repr(bn) == "BatchNorm1d(3, eps=0.001, momentum=0.05, affine=False, track_running_stats=True)"
    bn(nc.randn(5, 3) + 4)
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
    assert int(bn.num_batches_tracked) == 0


def test_batchnorm_in_training_loop():
    # A tiny net with BatchNorm learns XOR-like data; eval uses running statistics.
    nc.manual_seed(0)
    g = rng(10)
    x_np = g.standard_normal((256, 2)).astype(np.float32)
    y_np = (x_np[:, 0] * x_np[:, 1] > 0).astype(np.int64)
    net = nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))
    opt = nc.optim.Adam(net.parameters(), lr=0.02)
    x, y = nc.tensor(x_np), nc.tensor(y_np)
    for _ in range(150):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    net.eval()
    acc = (net(x).argmax(1) == y).float().mean().item()
    assert acc >= 0.95, acc


# ------------------------------------------------------------------------------- layer / group / instance norm

@DTYPES
@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((3, 5, 8), (8,)), ((2, 3, 4, 5), (4, 5)), ((2, 700), (700,)),
                                      ((3, 2, 4), (2, 4)), ((64, 600), (600,))], ids=str)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_forward_backward(shape, ns, dtype, affine):
    g = rng(11)
    x_np, dy_np = g.standard_normal(shape) * 3 + 1, g.standard_normal(shape)
    w_np = g.standard_normal(ns) if affine != "none" else None
    b_np = g.standard_normal(ns) if affine == "both" else None
    x = leaf(x_np, dtype)
    w = leaf(w_np, dtype) if w_np is not None else None
    b = leaf(b_np, dtype) if b_np is not None else None
    y = F.layer_norm(x, ns, w, b)
    assert y.shape == shape and y.dtype == dtype
    y.backward(leaf(dy_np, dtype, False))
    cast = lambda a: None if a is None else a.astype(NP_OF[dtype])  # noqa: E731
    close(y, R.layer_norm(cast(x_np), ns, cast(w_np), cast(b_np)), dtype)
    dx, dw, db = R.layer_norm_backward(cast(x_np), cast(dy_np), ns, cast(w_np))
    rows = x_np.size // int(np.prod(ns))
    close(x.grad, dx, dtype)
    if w is not None:
        close(w.grad, dw, dtype, scale=np.sqrt(rows))
    if b is not None:
        close(b.grad, db, dtype, scale=np.sqrt(rows))


@DTYPES
@pytest.mark.parametrize("shape,groups", [((4, 6, 5), 3), ((2, 4, 3, 3), 2), ((3, 6), 2), ((2, 4, 30), 1),
                                          ((2, 4, 3, 3), 4), ((8, 8, 40, 40), 4)], ids=str)
def test_group_norm_forward_backward(shape, groups, dtype):
    g = rng(12)
    c = shape[1]
    x_np, dy_np = g.standard_normal(shape) * 2 - 1, g.standard_normal(shape)
    w_np, b_np = g.standard_normal(c), g.standard_normal(c)
    x, w, b = leaf(x_np, dtype), leaf(w_np, dtype), leaf(b_np, dtype)
    y = F.group_norm(x, groups, w, b)
    assert y.shape == shape and y.dtype == dtype
    y.backward(leaf(dy_np, dtype, False))
    cast = lambda a: a.astype(NP_OF[dtype])  # noqa: E731
    close(y, R.group_norm(cast(x_np), groups, cast(w_np), cast(b_np)), dtype)
    dx, dw, db = R.group_norm_backward(cast(x_np), cast(dy_np), groups, cast(w_np))
    close(x.grad, dx, dtype)
    close(w.grad, dw, dtype, scale=10)
    close(b.grad, db, dtype, scale=10)


@DTYPES
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 2, 7)], ids=str)
def test_instance_norm_forward_backward(shape, dtype):
    g = rng(13)
    c = shape[1]
    x_np, dy_np = g.standard_normal(shape) + 2, g.standard_normal(shape)
    w_np, b_np = g.standard_normal(c), g.standard_normal(c)
    x, w, b = leaf(x_np, dtype), leaf(w_np, dtype), leaf(b_np, dtype)
    y = F.instance_norm(x, weight=w, bias=b)
    y.backward(leaf(dy_np, dtype, False))
    cast = lambda a: a.astype(NP_OF[dtype])  # noqa: E731
    close(y, R.instance_norm(cast(x_np), cast(w_np), cast(b_np)), dtype)
    dx, dw, db = R.instance_norm_backward(cast(x_np), cast(dy_np), cast(w_np))
    close(x.grad, dx, dtype)
    close(w.grad, dw, dtype, scale=10)
    close(b.grad, db, dtype, scale=10)


def test_norm_gradchecks():
    g = rng(14)
    x = nc.tensor(g.standard_normal((3, 4, 5)), requires_grad=True)
    w4 = nc.tensor(g.standard_normal(4), requires_grad=True)
    b4 = nc.tensor(g.standard_normal(4), requires_grad=True)
    w5 = nc.tensor(g.standard_normal(5), requires_grad=True)
    b5 = nc.tensor(g.standard_normal(5), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (5,), w, b), (x, w5, b5), atol=1e-6)
    w45 = nc.tensor(g.standard_normal((4, 5)), requires_grad=True)
    assert gradcheck(lambda x, w: F.layer_norm(x, (4, 5), w), (x, w45), atol=1e-6)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w4, b4), atol=1e-6)
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w4, b4), atol=1e-6)
    assert gradcheck(lambda x: F.instance_norm(x), (x,), atol=1e-6)


def test_instance_norm_module_running_statistics():
    g = rng(15)
    inorm = nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3, dtype=F64)
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(3):
        x_np = g.standard_normal((4, 3, 5, 6)) * 2 + 1
        y = inorm(nc.tensor(x_np))
        close(y, R.instance_norm(x_np, np.ones(3), np.zeros(3)), F64)
        rm, rv = R.instance_norm_running(x_np, rm, rv, momentum=0.3)
    close(inorm.running_mean, rm, F64)
    close(inorm.running_var, rv, F64)
    inorm.eval()  # evaluation normalizes with the running statistics
    x_np = g.standard_normal((2, 3, 5, 6))
    close(inorm(nc.tensor(x_np)), R.batch_norm(x_np, np.ones(3), np.zeros(3), rm, rv, training=False)[0], F64)


def test_instance_norm_module_defaults_and_unbatched():
    g = rng(16)
    inorm = nn.InstanceNorm2d(3)
    assert repr(inorm) == "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)"
    assert list(inorm.state_dict()) == []
    x_np = g.standard_normal((3, 4, 4)).astype(np.float32)
    y = inorm(nc.tensor(x_np))  # unbatched (C, H, W)
    assert y.shape == (3, 4, 4)
    close(y, R.instance_norm(x_np[None])[0], F32)
    inorm.eval()  # no running statistics: evaluation still uses the input's statistics
    close(inorm(nc.tensor(x_np)), R.instance_norm(x_np[None])[0], F32)
    x1 = g.standard_normal((4, 2, 9))
    close(nn.InstanceNorm1d(2)(nc.tensor(x1)), R.instance_norm(x1), F64)


def test_layer_norm_and_group_norm_modules():
    ln = nn.LayerNorm((3, 4))
    assert repr(ln) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True)"
    assert ln.weight.shape == (3, 4) and ln.bias.shape == (3, 4)
    assert nn.LayerNorm(4, bias=False).bias is None
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    x_np = rng(17).standard_normal((2, 3, 4)).astype(np.float32)
    close(ln(nc.tensor(x_np)), R.layer_norm(x_np, (3, 4)), F32)
    gn = nn.GroupNorm(2, 4)
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    assert [n for n, _ in gn.named_parameters()] == ["weight", "bias"]
    x_np = rng(18).standard_normal((3, 4, 5)).astype(np.float32)
    close(gn(nc.tensor(x_np)), R.group_norm(x_np, 2), F32)
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)


# ---------------------------------------------------------------------------------------------- bad input

def test_bad_input_messages():
    bn = nn.BatchNorm2d(4)
    with pytest.raises(ValueError, match=r"expected 4 channels .*got 3"):
        bn(nc.randn(2, 3, 5, 5))
    with pytest.raises(ValueError, match=r"4-D \(N, C, H, W\) input, got a 3-D input"):
        bn(nc.randn(4, 5, 5))
    with pytest.raises(ValueError, match="2-D .* or 3-D .* input, got a 4-D"):
        nn.BatchNorm1d(3)(nc.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(nc.randn(1, 3))
    # the rejected batch is not counted; eval accepts a single sample
    bn1 = nn.BatchNorm1d(3)
    with pytest.raises(ValueError):
        bn1(nc.randn(1, 3))
    assert int(bn1.num_batches_tracked) == 0
    assert bn1.eval()(nc.randn(1, 3)).shape == (1, 3)
    # the functional form names the tensor, the expected and the actual channel counts
    with pytest.raises(ValueError, match=r"weight must have 5 elements.*dim 1 of input shape \(2, 5\) is 5\), got "
                                         r"weight of shape \(3,\)"):
        F.batch_norm(nc.randn(2, 5), None, None, nc.ones(3), training=True)
    with pytest.raises(ValueError, match=r"running_mean must have 5 elements.*shape \(3,\)"):
        F.batch_norm(nc.randn(2, 5), nc.zeros(3), nc.ones(3))
    with pytest.raises(ValueError, match="required when not training"):
        F.batch_norm(nc.randn(2, 5), None, None, training=False)
    with pytest.raises(TypeError, match="running_mean is float32 but the input is float64"):
        F.batch_norm(nc.randn(4, 3, dtype=nc.float64), nc.zeros(3), nc.ones(3), training=True)
    with pytest.raises(TypeError, match="float32 or float64"):
        F.batch_norm(nc.zeros(4, 3, dtype=nc.int64), None, None, training=True)
    with pytest.raises(ValueError, match=r"at least 2 dims"):
        F.batch_norm(nc.randn(5), None, None, training=True)
    with pytest.raises(ValueError, match=r"normalized_shape=\(4,\), expected an input of shape \(\*, 4\), got input "
                                         r"of shape \(2, 3\)"):
        F.layer_norm(nc.randn(2, 3), (4,))
    with pytest.raises(ValueError, match=r"weight must have shape normalized_shape = \(3,\)"):
        F.layer_norm(nc.randn(2, 3), (3,), nc.ones(4))
    with pytest.raises(ValueError, match=r"divisible by num_groups.*\(2, 5, 3\) \(5 channels\) and num_groups=2"):
        F.group_norm(nc.randn(2, 5, 3), 2)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(nc.randn(2, 3, 1))
    with pytest.raises(ValueError, match=r"expected 3 channels .*got 2"):
        nn.InstanceNorm2d(3, affine=True)(nc.randn(1, 2, 4, 4))
    with pytest.warns(UserWarning, match="num_features is unused"):
        nn.InstanceNorm2d(3)(nc.randn(1, 2, 4, 4))


def test_module_doctests():
    for name in ("neurocore.nn.normalization",):
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
        assert result.failed == 0 and result.attempted > 0
