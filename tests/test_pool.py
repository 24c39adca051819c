"""Pooling (nn.functional max/min/avg/lp/adaptive pooling and the nn layers) against the loop references in
tests/reference_pool.py: forward values, indices and gradients (y.backward(dy) with a random dy) over random
configurations (kernel, stride, padding, dilation, ceil_mode, odd sizes, batch 1, unbatched), the fast
non-overlapping kernels at every vector width, float64 gradcheck, module reprs and bad input.

Tolerances: float64 (1e-12, 1e-12); float32 (1e-5, 1e-6), a few ulp of sums of at most 16 terms. Max/min
values, indices and gradients are exact in both dtypes (they copy values; random data has no ties).
"""
import doctest
import importlib

import numpy as np
import pytest

import neurocore as nc
import neurocore.nn as nn
import neurocore.nn.functional as F
import reference_pool as R
from neurocore.utils import gradcheck

F32, F64 = nc.float32, nc.float64
NP_OF = {F32: np.float32, F64: np.float64}
TOL = {F32: dict(rtol=1e-5, atol=1e-6), F64: dict(rtol=1e-12, atol=1e-12)}
DTYPES = pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])


def run(fn, x_np, dtype, dy_seed=0, unbatched=False):
    """fn(x) on a tensor copy of x_np (N, C, *spatial), backward with a random dy. Returns
    (y, indices or None, dx, dy_fn) as numpy arrays; dy_fn(shape) regenerates the same dy for the reference."""
    def dy_fn(shape):
        return np.random.default_rng(dy_seed).standard_normal(shape).astype(NP_OF[dtype])
    xin = x_np[0] if unbatched else x_np
    x = nc.tensor(xin.astype(NP_OF[dtype]), requires_grad=True)
    out = fn(x)
    y, idx = out if isinstance(out, tuple) else (out, None)
    assert y.dtype == dtype
    dy = dy_fn((1,) + tuple(y.shape) if unbatched else tuple(y.shape))
    y.backward(nc.tensor(dy[0] if unbatched else dy))
    y_np, dx = y.detach().numpy(), x.grad.numpy()
    if unbatched:
        y_np, dx = y_np[None], dx[None]
        idx = None if idx is None else idx[None]
    return y_np, (None if idx is None else idx.numpy()), dx, dy_fn


def check(got, want, dtype, exact):
    y, idx, dx, _ = got
    ry, ridx, rdx = want
    assert y.shape == ry.shape, (y.shape, ry.shape)
    assert dx.shape == rdx.shape
    if exact:
        np.testing.assert_array_equal(y, ry)
        np.testing.assert_array_equal(dx, rdx)
    else:
        np.testing.assert_allclose(y, ry, **TOL[dtype])
        np.testing.assert_allclose(dx, rdx, **TOL[dtype])
    if ridx is not None and idx is not None:
        assert idx.dtype == np.int64
        np.testing.assert_array_equal(idx, ridx)


def random_config(rng, dims, mode):
    """Kernel, stride, padding, dilation and an input shape whose output is non-empty."""
    k = [int(rng.integers(1, 5)) for _ in range(dims)]
    s = [int(rng.integers(1, 4)) for _ in range(dims)]
    d = [int(rng.integers(1, 3)) if mode != "avg" else 1 for _ in range(dims)]
    p = [int(rng.integers(0, kk // 2 + 1)) for kk in k]
    spatial = [int(rng.integers(dd * (kk - 1) + 1, 12)) for kk, dd in zip(k, d)]
    n, c = [(1, 1), (1, 3), (2, 2), (3, 1)][int(rng.integers(4))]
    return k, s, p, d, bool(rng.integers(2)), [n, c] + spatial


def as_2d(dims, k, s, p, d):
    """1-D arguments as the 2-D reference's: kernel 1, stride 1, no padding along a height-1 axis."""
    if dims == 2:
        return tuple(k), tuple(s), tuple(p), tuple(d)
    return (1, k[0]), (1, s[0]), (0, p[0]), (1, d[0])


def to_2d(x, dims):
    return x[:, :, None, :] if dims == 1 else x


def from_2d(r, dims):
    if dims == 2:
        return r
    y, idx, dx = r
    return y[:, :, 0, :], (None if idx is None else idx[:, :, 0, :]), dx[:, :, 0, :]


def from_2d_shape(shape, dims):
    """A reference (N, C, 1, L) output shape as the 1-D op's (N, C, L)."""
    return shape if dims == 2 else shape[:2] + shape[3:]


POOL_FNS = {("max", 1): F.max_pool1d, ("max", 2): F.max_pool2d, ("min", 2): F.min_pool2d,
            ("avg", 1): F.avg_pool1d, ("avg", 2): F.avg_pool2d}


@DTYPES
@pytest.mark.parametrize("mode,dims", list(POOL_FNS), ids=[f"{m}{d}d" for m, d in POOL_FNS])
def test_random_configs_match_reference(mode, dims, dtype):
    rng = np.random.default_rng(100 * dims + len(mode) + (dtype == F64))
    fn = POOL_FNS[(mode, dims)]
    for trial in range(24):
        k, s, p, d, ceil_mode, shape = random_config(rng, dims, mode)
        x = rng.standard_normal(shape)
        unbatched = shape[0] == 1 and trial % 2 == 0
        ks, ss, ps, ds = (k[0], s[0], p[0], d[0]) if dims == 1 and trial % 3 == 0 else (k, s, p, d)  # ints too
        if mode == "avg":
            cip = bool(rng.integers(2))
            div = int(rng.integers(1, 6)) if dims == 2 and trial % 4 == 1 else None
            extra = dict(divisor_override=div) if dims == 2 else {}
            got = run(lambda t: fn(t, ks, ss, ps, ceil_mode, cip, **extra), x, dtype, trial, unbatched)
            want = R.pool2d(to_2d(x.astype(NP_OF[dtype]), dims), lambda sh: to_2d(got[3](from_2d_shape(sh, dims)), dims),
                            "avg", *as_2d(dims, k, s, p, [1] * dims), ceil_mode, cip, div)
        else:
            got = run(lambda t: fn(t, ks, ss, ps, ds, ceil_mode, return_indices=True), x, dtype, trial, unbatched)
            want = R.pool2d(to_2d(x.astype(NP_OF[dtype]), dims), lambda sh: to_2d(got[3](from_2d_shape(sh, dims)), dims),
                            mode, *as_2d(dims, k, s, p, d), ceil_mode)
        check(got, from_2d(want, dims), dtype, exact=mode != "avg")


# Widths covering each vector width of the fast kw == 2 kernels (OW < 4, 4..7, 8..15, >= 16, with a partial
# last chunk) and inputs that leave uncovered cells right of / below the tiled block (their gradient is 0).
FAST_SHAPES = [(2, 3, 2, 2), (1, 2, 5, 7), (2, 2, 4, 9), (1, 1, 3, 17), (2, 3, 6, 20), (1, 2, 2, 35), (1, 1, 5, 66)]


@DTYPES
@pytest.mark.parametrize("mode", ["max", "min", "avg"])
@pytest.mark.parametrize("kernel", [(2, 2), (3, 3), (1, 2), (2, 3), (1, 3), (4, 1)], ids=str)
def test_fast_non_overlapping_path(mode, kernel, dtype):
    rng = np.random.default_rng(sum(map(ord, mode)) * 100 + kernel[0] * 10 + kernel[1])
    fn = {"max": F.max_pool2d, "min": F.min_pool2d, "avg": F.avg_pool2d}[mode]
    for i, shape in enumerate(FAST_SHAPES):
        if shape[2] < kernel[0] or shape[3] < kernel[1]:
            continue
        x = rng.standard_normal(shape)
        kw = {} if mode == "avg" else dict(return_indices=True)
        got = run(lambda t: fn(t, kernel, **kw), x, dtype, i)
        want = R.pool2d(x.astype(NP_OF[dtype]), got[3], mode, kernel, kernel)
        check(got, want, dtype, exact=mode != "avg")


@DTYPES
def test_fast_path_1d_and_large_threaded(dtype):
    rng = np.random.default_rng(5)
    for L in (2, 9, 16, 33, 64):  # max_pool1d(2) uses the kw == 2 kernels
        x = rng.standard_normal((2, 3, L))
        got = run(lambda t: F.max_pool1d(t, 2, return_indices=True), x, dtype, L)
        check(got, from_2d(R.pool2d(to_2d(x.astype(NP_OF[dtype]), 1), lambda sh: to_2d(got[3](sh[:2] + sh[3:]), 1),
                                    "max", (1, 2), (1, 2)), 1), dtype, exact=True)
    # many planes and rows: several threads' worth of tasks; reference by reshaping
    x = rng.standard_normal((4, 16, 32, 30)).astype(NP_OF[dtype])
    t = nc.tensor(x, requires_grad=True)
    y = F.max_pool2d(t, 2)
    blocks = x.reshape(4, 16, 16, 2, 15, 2)
    np.testing.assert_array_equal(y.detach().numpy(), blocks.max(axis=(3, 5)))
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), (blocks == blocks.max(axis=(3, 5), keepdims=True)).reshape(x.shape))
    np.testing.assert_allclose(F.avg_pool2d(nc.tensor(x), 2).numpy(), blocks.mean(axis=(3, 5)), **TOL[dtype])


@DTYPES
@pytest.mark.parametrize("mode", ["max", "min", "avg"])
def test_wide_rows_vectorised_interior(mode, dtype):
    """Stride 1 and 2 with padding / dilation on rows wide enough for every vector width of the general
    path's interior kernels, plus the one-window-at-a-time edges."""
    rng = np.random.default_rng(len(mode))
    fn = {"max": F.max_pool2d, "min": F.min_pool2d, "avg": F.avg_pool2d}[mode]
    configs = [(3, 2, 1, 1), (3, 1, 1, 1), (2, 1, 0, 1), (3, 2, 1, 2), (5, 2, 2, 1), (3, 1, 0, 3)]
    for i, (k, s, p, d) in enumerate(configs):
        if mode == "avg" and d > 1:
            continue
        x = rng.standard_normal((1, 2, 8, [45, 20, 12, 60, 33, 27][i]))
        if mode == "avg":
            got = run(lambda t: fn(t, k, s, p, count_include_pad=i % 2 == 0), x, dtype, i)
            want = R.pool2d(x.astype(NP_OF[dtype]), got[3], mode, (k, k), (s, s), (p, p), (1, 1), False, i % 2 == 0)
        else:
            got = run(lambda t: fn(t, k, s, p, d, return_indices=True), x, dtype, i)
            want = R.pool2d(x.astype(NP_OF[dtype]), got[3], mode, (k, k), (s, s), (p, p), (d, d))
        check(got, want, dtype, exact=mode != "avg")


def scan(vals, mode):
    """The one-by-one scan PyTorch's kernels run: a NaN wins (a later NaN over an earlier one), else a strictly
    better value, so the first of equal maxima; all -inf gives the first position."""
    best, at = (-np.inf if mode == "max" else np.inf), 0
    for k, v in enumerate(vals):
        if np.isnan(v) or (v > best if mode == "max" else v < best):
            best, at = v, k
    return best, at


@DTYPES
def test_long_windows_nan_ties_and_inf(dtype):
    """Windows long enough for the lane-wise scans (global pooling, long 1-D windows): NaN, ties and -inf
    resolve as in the sequential scan."""
    rng = np.random.default_rng(3)
    planes = rng.standard_normal((7, 20, 30))
    planes[0] = 1.0                                   # all equal: the first position
    planes[1].flat[[37, 512]] = np.nan                # the later NaN
    planes[2].flat[[100, 400]] = 9.0                  # tied maximum: the first
    planes[3] = -np.inf                               # all -inf: the first position
    planes[4].flat[599] = np.nan                      # NaN in the scalar tail
    planes[5].flat[5] = np.nan
    planes[6].flat[[3, 590]] = -9.0                   # tied minimum
    x = nc.tensor(planes.astype(NP_OF[dtype])[None])  # (1, 7, 20, 30)
    for mode, (y, idx) in [("max", F.adaptive_max_pool2d(x, 1, return_indices=True)),
                           ("min", F.min_pool2d(x, (20, 30), return_indices=True))]:
        for c in range(7):
            best, at = scan(planes[c].ravel().astype(NP_OF[dtype]), mode)
            assert idx[0, c, 0, 0].item() == at, (mode, c)
            np.testing.assert_array_equal(y.numpy()[0, c, 0, 0], best)
    flat = x.reshape(1, 7, 600)
    y, idx = F.max_pool1d(flat, 590, 3, return_indices=True)  # general path, long windows
    for c in range(7):
        for o in range(y.shape[-1]):
            best, at = scan(planes[c].ravel()[3 * o:3 * o + 590].astype(NP_OF[dtype]), "max")
            assert idx[0, c, o].item() == 3 * o + at, (c, o)
            np.testing.assert_array_equal(y.numpy()[0, c, o], best)


@DTYPES
@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("dims", [1, 2])
def test_adaptive_matches_reference(mode, dims, dtype):
    rng = np.random.default_rng(7 + dims)
    fn = {("avg", 1): F.adaptive_avg_pool1d, ("avg", 2): F.adaptive_avg_pool2d,
          ("max", 1): F.adaptive_max_pool1d, ("max", 2): F.adaptive_max_pool2d}[(mode, dims)]
    # (input spatial, output size): non-divisible, divisible (fast path), larger output (overlapping
    # windows), global (1), None entries
    cases = [((7, 5), (3, 2)), ((8, 6), (4, 3)), ((3, 4), (5, 7)), ((6, 9), 1), ((5, 6), (None, 4)),
             ((10, 10), (3, 3)), ((1, 7), (1, 7)), ((9, 13), (4, 5))]
    for i, (sp, out) in enumerate(cases):
        sp = sp if dims == 2 else sp[1:]
        if dims == 1:
            out = out if isinstance(out, int) else out[1]
        unbatched = i % 3 == 1
        x = rng.standard_normal((1 if unbatched else 2, 3) + sp)
        kw = dict(return_indices=True) if mode == "max" else {}
        got = run(lambda t: fn(t, out, **kw), x, dtype, i, unbatched)
        if dims == 1:
            o2 = (1, out)
        else:
            o2 = (out, out) if isinstance(out, int) else tuple(sp[j] if o is None else o for j, o in enumerate(out))
        want = R.adaptive_pool2d(to_2d(x.astype(NP_OF[dtype]), dims),
                                 lambda sh: to_2d(got[3](from_2d_shape(sh, dims)), dims), mode, o2)
        check(got, from_2d(want, dims), dtype, exact=mode == "max")


@DTYPES
@pytest.mark.parametrize("dims", [1, 2])
def test_lp_pool_matches_reference(dims, dtype):
    rng = np.random.default_rng(11 + dims)
    fn = F.lp_pool1d if dims == 1 else F.lp_pool2d
    for trial, p in enumerate([1.0, 2.0, 3, 1.5, 2.0, 3.0]):
        k = [int(rng.integers(1, 4)) for _ in range(dims)]
        s = None if trial % 2 else [int(rng.integers(1, 4)) for _ in range(dims)]
        ceil_mode = trial >= 3
        sp = [int(rng.integers(kk, 10)) for kk in k]
        x = rng.uniform(0.2, 2.0, (2, 2) + tuple(sp))  # positive: x^p and its gradient are defined
        got = run(lambda t: fn(t, p, k if dims == 2 else k[0], s, ceil_mode), x, dtype, trial)
        st = k if s is None else s
        kk, ss, _, _ = as_2d(dims, k, st, [0] * dims, [1] * dims)
        want = R.lp_pool2d(to_2d(x.astype(NP_OF[dtype]), dims), lambda sh: to_2d(got[3](from_2d_shape(sh, dims)), dims),
                           float(p), kk, ss, ceil_mode)
        tol = TOL[dtype] if dtype == F64 else dict(rtol=1e-4, atol=1e-5)
        y, _, dx, _ = got
        ry, _, rdx = from_2d(want, dims)
        assert y.shape == ry.shape
        np.testing.assert_allclose(y, ry, **tol)
        np.testing.assert_allclose(dx, rdx, **{k_: v * 10 for k_, v in tol.items()})


def test_lp_pool_special_norms_and_zero_windows():
    x = nc.tensor([[[3.0, -4.0, 0.0, 0.0, 1.0, 2.0]]], dtype=F64, requires_grad=True)
    assert F.lp_pool1d(x, float("inf"), 2).tolist() == [[[4.0, 0.0, 2.0]]]  # max |x|
    y = F.lp_pool1d(x, 2, 2)
    np.testing.assert_allclose(y.detach().numpy(), [[[5.0, 0.0, np.sqrt(5.0)]]], rtol=1e-15)
    y.sum().backward()  # the all-zero window gets 0, not nan (PyTorch's documented rule)
    np.testing.assert_allclose(x.grad.numpy(), [[[0.6, -0.8, 0.0, 0.0, 1 / np.sqrt(5), 2 / np.sqrt(5)]]], rtol=1e-14)


# ---------------------------------------------------------------- gradcheck (float64, distinct values: no ties)

def distinct(shape, seed):
    """Random values at least 0.05 apart, so central differences never swap a max/min winner."""
    n = int(np.prod(shape))
    return nc.tensor(np.random.default_rng(seed).permutation(n).reshape(shape) * 0.1 + 0.01, dtype=F64,
                     requires_grad=True)


GRADCHECK = [
    ("max_pool2d", lambda t: F.max_pool2d(t, 3, 2, 1), (2, 2, 5, 6)),
    ("max_pool2d_dil_ceil", lambda t: F.max_pool2d(t, (2, 3), (2, 1), (1, 1), (2, 1), ceil_mode=True), (1, 2, 6, 5)),
    ("max_pool2d_fast", lambda t: F.max_pool2d(t, 2), (1, 2, 5, 7)),
    ("max_pool1d", lambda t: F.max_pool1d(t, 3, 2, 1, ceil_mode=True), (2, 3, 8)),
    ("min_pool2d", lambda t: F.min_pool2d(t, 2, 1), (3, 4, 5)),
    ("avg_pool2d", lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True), (2, 2, 6, 5)),
    ("avg_pool2d_nopad", lambda t: F.avg_pool2d(t, (2, 3), 1, (1, 1), count_include_pad=False), (1, 2, 4, 5)),
    ("avg_pool2d_div", lambda t: F.avg_pool2d(t, 2, divisor_override=3), (1, 1, 4, 4)),
    ("avg_pool1d", lambda t: F.avg_pool1d(t, 3, 2, 1), (2, 7)),
    ("lp_pool2d", lambda t: F.lp_pool2d(t, 2, 2, 1), (1, 2, 4, 4)),
    ("lp_pool1d", lambda t: F.lp_pool1d(t, 3, 3, 2, ceil_mode=True), (2, 2, 8)),
    ("adaptive_avg_pool2d", lambda t: F.adaptive_avg_pool2d(t, (3, 2)), (1, 2, 5, 7)),
    ("adaptive_avg_pool1d", lambda t: F.adaptive_avg_pool1d(t, 4), (2, 7)),
    ("adaptive_max_pool2d", lambda t: F.adaptive_max_pool2d(t, (4, 3)), (1, 2, 6, 5)),
    ("adaptive_max_pool1d", lambda t: F.adaptive_max_pool1d(t, 5), (2, 2, 3)),
]


@pytest.mark.parametrize("fn,shape", [g[1:] for g in GRADCHECK], ids=[g[0] for g in GRADCHECK])
def test_gradcheck(fn, shape):
    assert gradcheck(fn, (distinct(shape, len(shape)),))


# ---------------------------------------------------------------- conventions

def test_shapes_unbatched_and_indices():
    x = nc.randn(3, 7, 6)
    assert F.max_pool2d(x, 2).shape == (3, 3, 3)
    assert F.max_pool2d(nc.randn(2, 3, 7, 6), 3, 2, 1, ceil_mode=True).shape == (2, 3, 4, 4)
    assert F.avg_pool1d(nc.randn(4, 9), 4, 3).shape == (4, 2)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    assert idx.dtype == nc.int64 and idx.shape == y.shape
    np.testing.assert_array_equal(np.take_along_axis(x.numpy().reshape(3, -1), idx.numpy().reshape(3, -1), 1),
                                  y.numpy().reshape(3, -1))
    # ceil_mode: the last window may hang over the edge but must start inside the input
    assert F.max_pool1d(nc.randn(1, 1, 5), 2, 2, ceil_mode=True).shape == (1, 1, 3)
    assert F.max_pool1d(nc.randn(1, 1, 5), 2, 2, padding=1, ceil_mode=True).shape == (1, 1, 3)
    assert F.avg_pool2d(nc.randn(1, 1, 1, 1), 1).shape == (1, 1, 1, 1)
    assert F.max_pool2d(nc.randn(0, 2, 4, 4), 2).shape == (0, 2, 2, 2)


def test_non_contiguous_input_and_float64():
    base = np.random.default_rng(0).standard_normal((2, 6, 5, 3))
    x = nc.tensor(base).permute(0, 3, 2, 1)  # (2, 3, 5, 6), not contiguous
    want = R.pool2d(base.transpose(0, 3, 2, 1), lambda s: None, "max", (2, 2), (2, 2))[0]
    np.testing.assert_array_equal(F.max_pool2d(x, 2).numpy(), want)
    assert F.max_pool2d(x, 2).dtype == F64


def test_nan_and_inf_follow_pytorch():
    nan, inf = float("nan"), float("inf")
    x = nc.tensor([[[1.0, nan, 3.0, 2.0, -inf, -inf]]])
    y, idx = F.max_pool1d(x, 2, return_indices=True)
    assert np.isnan(y[0, 0, 0].item()) and idx.tolist() == [[[1, 2, 4]]]  # nan wins; all -inf: the first cell
    np.testing.assert_array_equal(F.max_pool1d(x, 3, 1, padding=1).numpy(), [[[nan, nan, nan, 3.0, 2.0, -inf]]])
    y, idx = F.max_pool1d(nc.tensor([[[-inf, -inf, 5.0]]]), 3, 1, padding=1, return_indices=True)
    assert y.tolist() == [[[-inf, 5.0, 5.0]]] and idx.tolist() == [[[0, 2, 2]]]  # padding never wins
    assert np.isnan(F.min_pool2d(nc.tensor([[[2.0, nan], [1.0, 0.0]]]), 2).item())


def test_gradient_reaches_first_winner_on_ties():
    x = nc.tensor([[[[1.0, 1.0], [1.0, 1.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]
    x = nc.tensor([[[2.0, 2.0, 2.0]]], dtype=F64, requires_grad=True)
    F.max_pool1d(x, 2, 1).sum().backward()  # overlapping windows accumulate
    assert x.grad.tolist() == [[[1.0, 1.0, 0.0]]]


def test_no_grad_records_no_graph():
    with nc.no_grad():
        y = F.max_pool2d(nc.randn(1, 2, 4, 4, requires_grad=True), 2)
    assert y.grad_fn is None
    assert F.max_pool2d(nc.randn(1, 1, 4, 4, requires_grad=True), 2).grad_fn.name() == "MaxPool2DBackward"


# ---------------------------------------------------------------- modules

def test_module_reprs_match_pytorch():
    # The strings PyTorch 2.x prints for the same constructors.
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool1d(3, 2, 1)) == "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool2d(3, return_indices=True, ceil_mode=True)) == \
        "MaxPool2d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=True)"
    assert repr(nn.MinPool2d((2, 3), 1)) == \
        "MinPool2d(kernel_size=(2, 3), stride=1, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AvgPool2d(3)) == "AvgPool2d(kernel_size=3, stride=3, padding=0)"
    assert repr(nn.AvgPool2d((3, 2), 1, 1, True, False, 2)) == "AvgPool2d(kernel_size=(3, 2), stride=1, padding=1)"
    assert repr(nn.LPPool2d(2, 3)) == "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert repr(nn.LPPool1d(2, 3, stride=2)) == "LPPool1d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)"
    assert repr(nn.AdaptiveAvgPool2d((None, 3))) == "AdaptiveAvgPool2d(output_size=(None, 3))"
    assert repr(nn.AdaptiveMaxPool1d(3, True)) == "AdaptiveMaxPool1d(output_size=3)"


def test_modules_are_the_functionals():
    x = nc.tensor(np.random.default_rng(1).standard_normal((2, 3, 9, 8)))
    x1 = x[:, :, 0]
    pairs = [
        (nn.MaxPool2d(3, 2, 1, 2, ceil_mode=True), F.max_pool2d(x, 3, 2, 1, 2, True)),
        (nn.MinPool2d(2), F.min_pool2d(x, 2)),
        (nn.AvgPool2d(3, 2, 1, True, False), F.avg_pool2d(x, 3, 2, 1, True, False)),
        (nn.AvgPool2d(2, divisor_override=3), F.avg_pool2d(x, 2, divisor_override=3)),
        (nn.LPPool2d(2, 3, 2), F.lp_pool2d(x, 2, 3, 2)),
        (nn.AdaptiveAvgPool2d((4, None)), F.adaptive_avg_pool2d(x, (4, None))),
        (nn.AdaptiveMaxPool2d(3), F.adaptive_max_pool2d(x, 3)),
    ]
    pairs1 = [
        (nn.MaxPool1d(3, 1, 1), F.max_pool1d(x1, 3, 1, 1)),
        (nn.AvgPool1d(3, 2, 1), F.avg_pool1d(x1, 3, 2, 1)),
        (nn.LPPool1d(1, 2), F.lp_pool1d(x1, 1, 2)),
        (nn.AdaptiveAvgPool1d(5), F.adaptive_avg_pool1d(x1, 5)),
        (nn.AdaptiveMaxPool1d(2), F.adaptive_max_pool1d(x1, 2)),
    ]
    for m, want in pairs:
        np.testing.assert_array_equal(m(x).numpy(), want.numpy(), err_msg=repr(m))
    for m, want in pairs1:
        np.testing.assert_array_equal(m(x1).numpy(), want.numpy(), err_msg=repr(m))
    y, idx = nn.MaxPool2d(2, return_indices=True)(x)
    assert idx.shape == y.shape == (2, 3, 4, 4)
    y, idx = nn.AdaptiveMaxPool1d(4, return_indices=True)(x1)
    assert idx.shape == y.shape == (2, 3, 4)
    assert list(nn.MaxPool2d(2).parameters()) == []


def test_small_cnn_trains_through_pooling():
    """Gradients flow through pooling into earlier layers: a linear map then max/avg pooling learns a target."""
    rng = np.random.default_rng(0)
    x = nc.tensor(rng.standard_normal((32, 1, 8, 8)).astype(np.float32))
    target = F.avg_pool2d(F.max_pool2d(x * 2.0, 2), 2).detach()
    w = nc.tensor([0.5], requires_grad=True)
    for _ in range(50):
        loss = F.mse_loss(F.avg_pool2d(F.max_pool2d(x * w, 2), 2), target)
        w.grad = None
        loss.backward()
        with nc.no_grad():
            w -= 0.5 * w.grad
    assert abs(w.item() - 2.0) < 1e-3


def test_docstring_examples():
    module = importlib.import_module("neurocore.nn.pooling")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0 and result.attempted > 0


# ---------------------------------------------------------------- bad input

BAD = [
    ("rank_2d", lambda: F.max_pool2d(nc.ones(5, 5), 2), ValueError,
     r"max_pool2d: expected a 3-D or 4-D input \(C, H, W\) or \(N, C, H, W\), got a 2-D input of shape \(5, 5\)"),
    ("rank_1d", lambda: F.avg_pool1d(nc.ones(1, 2, 3, 4), 2), ValueError, r"avg_pool1d: expected a 2-D or 3-D input"),
    ("rank_adaptive", lambda: F.adaptive_avg_pool2d(nc.ones(4), 1), ValueError, r"got a 1-D input of shape \(4,\)"),
    ("empty_output", lambda: F.max_pool2d(nc.ones(1, 1, 2, 2), 3), ValueError,
     r"input of shape \(1, 1, 2, 2\) gives an empty output \(spatial size \(0, 0\)\): output size = floor\("
     r"\(in \+ 2\*padding - dilation\*\(kernel_size-1\) - 1\) / stride\) \+ 1 with in=\(2, 2\), kernel_size=\(3, 3\)"),
    ("empty_dilated", lambda: F.max_pool1d(nc.ones(1, 1, 4), 3, dilation=2), ValueError,
     r"empty output.*dilation=\(2,\)"),
    ("padding_half", lambda: F.max_pool2d(nc.ones(1, 1, 5, 5), 3, 1, 2), ValueError,
     r"padding \(2, 2\) must be at most half of kernel_size \(3, 3\) \(PyTorch's rule: padding <= kernel_size // 2\)"),
    ("padding_half_avg", lambda: F.avg_pool1d(nc.ones(1, 1, 5), 2, padding=2), ValueError, r"at most half"),
    ("kernel_zero", lambda: F.max_pool2d(nc.ones(1, 1, 4, 4), 0), ValueError, r"kernel_size must be positive, got \(0, 0\)"),
    ("kernel_negative", lambda: F.avg_pool2d(nc.ones(1, 1, 4, 4), (2, -1)), ValueError, r"kernel_size must be positive"),
    ("stride_zero", lambda: F.max_pool1d(nc.ones(1, 1, 4), 2, 0), ValueError, r"max_pool1d: stride must be positive"),
    ("dilation_zero", lambda: F.max_pool2d(nc.ones(1, 1, 4, 4), 2, dilation=0), ValueError,
     r"dilation must be positive"),
    ("padding_negative", lambda: F.max_pool2d(nc.ones(1, 1, 4, 4), 2, padding=-1), ValueError,
     r"padding must be non-negative"),
    ("kernel_tuple_len", lambda: F.max_pool2d(nc.ones(1, 1, 4, 4), (2, 2, 2)), ValueError,
     r"kernel_size must be an int or 2 ints, got \(2, 2, 2\)"),
    ("kernel_float", lambda: F.max_pool2d(nc.ones(1, 1, 4, 4), 2.5), TypeError,
     r"max_pool2d: kernel_size must be an int or a tuple of ints, got 2.5"),
    ("int_input", lambda: F.max_pool2d(nc.ones(1, 1, 4, 4, dtype=nc.int64), 2), TypeError,
     r"max_pool2d: input must be float32 or float64, got int64"),
    ("empty_spatial", lambda: F.avg_pool2d(nc.ones(1, 1, 0, 4), 1), ValueError, r"empty spatial dimension"),
    ("adaptive_zero", lambda: F.adaptive_max_pool2d(nc.ones(1, 1, 4, 4), (0, 2)), ValueError,
     r"adaptive_max_pool2d: output_size must be positive \(or None\), got \(0, 2\)"),
    ("divisor_zero", lambda: F.avg_pool2d(nc.ones(1, 1, 4, 4), 2, divisor_override=0), ValueError,
     r"divisor_override must be non-zero"),
    ("lp_norm_zero", lambda: F.lp_pool2d(nc.ones(1, 1, 4, 4), 0, 2), ValueError, r"norm_type must be non-zero"),
    ("lp_empty", lambda: F.lp_pool1d(nc.ones(1, 1, 2), 2, 3), ValueError, r"lp_pool1d: input of shape.*empty output"),
]


@pytest.mark.parametrize("fn,exc,match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()
