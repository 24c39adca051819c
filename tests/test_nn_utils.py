"""nn.utils: clip_grad_norm_ / clip_grad_value_ against numpy (every norm type, NaN and inf
gradients), l1_penalty / l2_penalty values and gradients."""
import math

import numpy as np
import pytest

import neurocore as nc
from neurocore import nn
from neurocore.nn import utils

SHAPES = [(3, 4), (5,), (2, 2, 2)]


def params_with_grads(seed=0, dtype=nc.float64, scale=1.0):
    rng = np.random.default_rng(seed)
    ps = [nn.Parameter(nc.zeros(*s, dtype=dtype)) for s in SHAPES]
    grads = [scale * rng.standard_normal(s) for s in SHAPES]
    for p, g in zip(ps, grads):
        p.grad = nc.tensor(g, dtype=dtype)
    return ps, grads


def np_norm(grads, norm_type):
    flat = np.concatenate([g.ravel() for g in grads])
    if norm_type == math.inf:
        return np.abs(flat).max()
    return (np.abs(flat) ** norm_type).sum() ** (1.0 / norm_type)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_numpy(norm_type, max_norm):
    ps, grads = params_with_grads()
    no_grad = nn.Parameter(nc.ones(3))  # ignored
    nt = float(norm_type)
    total = utils.clip_grad_norm_(ps + [no_grad], max_norm, norm_type=norm_type)
    ref = np_norm(grads, nt)
    assert isinstance(total, nc.Tensor) and total.shape == () and total.dtype == nc.float64
    assert total.item() == pytest.approx(ref, rel=1e-12)
    coef = min(1.0, max_norm / (ref + 1e-6))
    for p, g in zip(ps, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-12)
    assert no_grad.grad is None
    if max_norm < ref:  # after clipping the norm is max_norm (up to the 1e-6 guard)
        assert np_norm([p.grad.numpy() for p in ps], nt) == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_single_tensor_float32_and_no_grads():
    p = nn.Parameter(nc.zeros(2))
    p.grad = nc.tensor([3.0, 4.0])
    total = utils.clip_grad_norm_(p, 1.0)
    assert total.dtype == nc.float32 and total.item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    q = nn.Parameter(nc.zeros(2))
    assert utils.clip_grad_norm_([q], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    ps, grads = params_with_grads()
    bad = grads[1].copy()
    bad[2] = np.nan
    ps[1].grad = nc.tensor(bad, dtype=nc.float64)
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(ps[0].grad.numpy(), grads[0])  # untouched
    total = utils.clip_grad_norm_(ps, 1.0)  # the default: clip anyway, like PyTorch
    assert math.isnan(total.item())
    assert all(np.isnan(p.grad.numpy()).all() for p in ps)

    ps, grads = params_with_grads()
    bad = grads[0].copy()
    bad[0, 0] = -np.inf
    ps[0].grad = nc.tensor(bad, dtype=nc.float64)
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(ps, 1.0, norm_type=math.inf, error_if_nonfinite=True)
    total = utils.clip_grad_norm_(ps, 1.0)
    assert total.item() == math.inf
    g0 = ps[0].grad.numpy()
    assert np.isnan(g0[0, 0]) and (g0.ravel()[1:] == 0).all()  # coefficient 0: 0 * inf = nan, the rest 0
    assert (ps[1].grad.numpy() == 0).all()


def test_clip_grad_value():
    ps, grads = params_with_grads(scale=2.0)
    assert utils.clip_grad_value_(ps, 1.5) is None
    for p, g in zip(ps, grads):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -1.5, 1.5))
    p = nn.Parameter(nc.zeros(2))
    p.grad = nc.tensor([-3.0, 0.25])
    utils.clip_grad_value_(p, 1)
    assert p.grad.tolist() == [-1.0, 0.25]


def test_penalties_values_and_gradients():
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(s) for s in SHAPES]
    ps = [nn.Parameter(nc.tensor(w, dtype=nc.float64)) for w in ws]
    l1 = utils.l1_penalty(ps)
    l2 = utils.l2_penalty(ps)
    assert l1.shape == () and l2.shape == ()
    assert l1.item() == pytest.approx(sum(np.abs(w).sum() for w in ws), rel=1e-12)
    assert l2.item() == pytest.approx(sum((w * w).sum() for w in ws), rel=1e-12)
    (0.3 * l1 + 0.5 * l2).backward()
    for p, w in zip(ps, ws):
        np.testing.assert_allclose(p.grad.numpy(), 0.3 * np.sign(w) + w, rtol=1e-12)
    with pytest.raises(ValueError, match="got no parameters"):
        utils.l2_penalty([])


def test_l2_penalty_equals_sgd_weight_decay():
    # SGD's weight_decay=wd adds wd * w to the gradient: the same as adding (wd / 2) * sum w^2 to the loss.
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((4, 3))
    x = nc.tensor(rng.standard_normal((8, 3)), dtype=nc.float64)
    a = nn.Parameter(nc.tensor(w0, dtype=nc.float64))
    b = nn.Parameter(nc.tensor(w0, dtype=nc.float64))
    opt_a = nc.optim.SGD([a], lr=0.1, weight_decay=0.05)
    opt_b = nc.optim.SGD([b], lr=0.1)
    for _ in range(5):
        for w, opt, extra in ((a, opt_a, None), (b, opt_b, 0.025)):
            opt.zero_grad()
            loss = (x.matmul(w.t()) ** 2).mean()
            if extra:
                loss = loss + extra * utils.l2_penalty([w])
            loss.backward()
            opt.step()
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
