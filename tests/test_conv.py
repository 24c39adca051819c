"""Convolution: forward and all gradients against the direct-loop reference, the hand-checked
edge-detector case, gradcheck, module defaults and bad input."""
import math

import numpy as np
import pytest

import neurocore as nc
import neurocore.nn.functional as F
from reference_conv import conv2d_grads_ref, conv2d_ref

# (N, C, H, W, OC, KH, KW, stride, padding, dilation, groups)
CONFIGS = [
    (2, 3, 7, 7, 4, 3, 3, 1, 0, 1, 1),
    (1, 2, 5, 6, 3, 3, 3, 1, 1, 1, 1),             # batch 1, padding 1
    (2, 4, 9, 8, 6, 3, 2, 2, 1, 1, 2),             # stride 2, rectangular kernel, groups 2
    (3, 3, 8, 7, 3, 3, 3, 1, "same", 1, 3),        # depthwise, same
    (2, 2, 10, 9, 4, 3, 3, 1, 2, 2, 1),            # dilation 2
    (2, 3, 6, 6, 5, 1, 1, 1, 0, 1, 1),             # 1x1
    (2, 4, 7, 7, 6, 1, 1, 2, 0, 1, 1),             # 1x1 stride 2 (im2col + GEMM path)
    (1, 4, 7, 5, 2, 2, 4, (2, 1), (1, 2), (1, 2), 2),
    (2, 2, 9, 9, 3, 4, 4, 1, "same", 1, 1),        # even kernel: asymmetric same padding
    (40, 2, 12, 12, 3, 3, 3, 1, 1, 1, 1),          # many small images: batched-chunk GEMM path
    (2, 1, 5, 5, 2, 5, 5, 1, "valid", 1, 1),       # kernel = image
]


def _pad(padding, k, d):
    if padding == "same":
        lead = [dd * (kk - 1) // 2 for kk, dd in zip(k, d)]
        trail = [dd * (kk - 1) - lo for kk, dd, lo in zip(k, d, lead)]
        return (lead[0], lead[1], trail[0], trail[1])
    if padding == "valid":
        return (0, 0, 0, 0)
    p = (padding, padding) if isinstance(padding, int) else padding
    return (p[0], p[1], p[0], p[1])


def _pair(v):
    return (v, v) if isinstance(v, int) else v


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("dtype", [nc.float32, nc.float64])
def test_conv2d_forward_and_grads_match_reference(cfg, dtype):
    N, C, H, W, OC, KH, KW, stride, padding, dilation, groups = cfg
    rng = np.random.default_rng(hash(cfg) % 2**32)
    npdt = np.float32 if dtype == nc.float32 else np.float64
    x = rng.standard_normal((N, C, H, W)).astype(npdt)
    w = rng.standard_normal((OC, C // groups, KH, KW)).astype(npdt)
    b = rng.standard_normal(OC).astype(npdt)
    X = nc.tensor(x, requires_grad=True)
    Wt = nc.tensor(w, requires_grad=True)
    B = nc.tensor(b, requires_grad=True)
    y = F.conv2d(X, Wt, B, stride=stride, padding=padding, dilation=dilation, groups=groups)
    pad = _pad(padding, (KH, KW), _pair(dilation))
    ref = conv2d_ref(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), _pair(stride), pad,
                     _pair(dilation), groups)
    assert y.shape == ref.shape
    assert y.dtype == dtype
    # float32: sums of up to C*KH*KW ~ 50 products of O(1) values -> ~1e-5 relative rounding.
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == nc.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y.detach().numpy(), ref, **tol)
    dy = rng.standard_normal(ref.shape)
    y.backward(nc.tensor(dy.astype(npdt)))
    dx, dw, db = conv2d_grads_ref(x.astype(np.float64), w.astype(np.float64), dy, _pair(stride), pad,
                                  _pair(dilation), groups)
    # Gradients sum over N*OH*OW terms (up to ~5000 here): looser float32 tolerance.
    gtol = dict(rtol=1e-4, atol=5e-4) if dtype == nc.float32 else dict(rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(X.grad.numpy(), dx, **gtol)
    np.testing.assert_allclose(Wt.grad.numpy(), dw, **gtol)
    np.testing.assert_allclose(B.grad.numpy(), db, **gtol)


@pytest.mark.parametrize("cfg", [(2, 4, 11, 3, 1, 0, 1, 1), (1, 4, 9, 4, 1, "same", 2, 2), (2, 3, 12, 3, 1, 2, 3, 1),
                                 (3, 2, 8, 1, 1, 0, 1, 1)])
def test_conv1d_matches_reference(cfg):
    N, C, L, K, stride, padding, dilation, groups = cfg
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, L))
    w = rng.standard_normal((6, C // groups, K))
    b = rng.standard_normal(6)
    X = nc.tensor(x, requires_grad=True)
    Wt = nc.tensor(w, requires_grad=True)
    y = F.conv1d(X, Wt, nc.tensor(b), stride=stride, padding=padding, dilation=dilation, groups=groups)
    if padding == "same":
        lead = dilation * (K - 1) // 2
        pad = (0, lead, 0, dilation * (K - 1) - lead)
    else:
        pad = (0, padding, 0, padding)
    ref = conv2d_ref(x[:, :, None, :], w[:, :, None, :], b, (1, stride), pad, (1, dilation), groups)[:, :, 0, :]
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(ref.shape)
    y.backward(nc.tensor(dy))
    dx, dw, _ = conv2d_grads_ref(x[:, :, None, :], w[:, :, None, :], dy[:, :, None, :], (1, stride), pad,
                                 (1, dilation), groups)
    np.testing.assert_allclose(X.grad.numpy(), dx[:, :, 0, :], rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(Wt.grad.numpy(), dw[:, :, 0, :], rtol=1e-11, atol=1e-11)


def test_edge_detector_hand_checked():
    img = np.zeros((1, 1, 6, 6), np.float32)
    img[..., 3:, :] = 255
    k = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], np.float32).reshape(1, 1, 3, 3)
    y = F.conv2d(nc.tensor(img), nc.tensor(k)).numpy()[0, 0]
    assert y.shape == (4, 4)
    np.testing.assert_array_equal(y[[0, 3]], 0)
    np.testing.assert_array_equal(y[[1, 2]], 765)
    assert F.conv2d(nc.tensor(img), nc.tensor(k), padding=1).shape == (1, 1, 6, 6)


def test_gradcheck_small():
    rng = np.random.default_rng(3)
    x = nc.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    w = nc.tensor(rng.standard_normal((4, 1, 2, 3)), requires_grad=True)
    b = nc.tensor(rng.standard_normal(4), requires_grad=True)
    assert nc.utils.gradcheck(lambda a, c, d: F.conv2d(a, c, d, stride=(1, 2), padding=1, groups=2), [x, w, b])


def test_unbatched_input():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 6, 6))
    w = rng.standard_normal((2, 3, 3, 3))
    y = F.conv2d(nc.tensor(x), nc.tensor(w))
    assert y.shape == (2, 4, 4)
    np.testing.assert_allclose(y.numpy(), conv2d_ref(x[None], w, None, (1, 1), (0, 0, 0, 0), (1, 1), 1)[0],
                               rtol=1e-12)


def test_modules_shapes_and_default_init():
    nc.manual_seed(0)
    conv = nc.nn.Conv2d(16, 32, kernel_size=3, padding=1)
    assert conv.weight.shape == (32, 16, 3, 3) and conv.bias.shape == (32,)
    bound = 1 / math.sqrt(16 * 9)
    assert conv.weight.abs().max().item() <= bound + 1e-7
    assert conv.bias.abs().max().item() <= bound + 1e-7
    assert conv.weight.abs().max().item() > 0.9 * bound  # really uniform over the whole range
    assert conv(nc.zeros(2, 16, 10, 10)).shape == (2, 32, 10, 10)
    assert dict(conv.named_parameters()).keys() == {"weight", "bias"}
    c1 = nc.nn.Conv1d(4, 8, 5, stride=2, bias=False)
    assert c1.bias is None and c1(nc.zeros(3, 4, 21)).shape == (3, 8, 9)
    assert "Conv2d(16, 32, kernel_size=(3, 3)" in repr(conv)


def test_lenet_shapes_train_one_step():
    nc.manual_seed(0)
    net = nc.nn.Sequential(nc.nn.Conv2d(1, 6, 5), nc.nn.Tanh(), nc.nn.Conv2d(6, 16, 5), nc.nn.Tanh(),
                           nc.nn.Flatten(), nc.nn.Linear(16 * 24 * 24, 10))
    x = nc.randn(4, 1, 32, 32)
    y = nc.tensor([0, 1, 2, 3])
    opt = nc.optim.SGD(net.parameters(), lr=0.01)
    l0 = F.cross_entropy(net(x), y)
    l0.backward()
    opt.step()
    assert F.cross_entropy(net(x), y).item() < l0.item()


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.conv2d(nc.zeros(1, 3, 5, 5), nc.zeros(2, 2, 3, 3)), ValueError, "3 channels"),
    (lambda: F.conv2d(nc.zeros(1, 4, 5, 5), nc.zeros(3, 2, 3, 3), groups=2), ValueError, "must divide"),
    (lambda: F.conv2d(nc.zeros(1, 1, 2, 2), nc.zeros(1, 1, 3, 3)), ValueError, r"floor\(\(n \+ 2p - d\(k-1\) - 1\)/s\) \+ 1"),
    (lambda: F.conv2d(nc.zeros(5, 5), nc.zeros(1, 1, 3, 3)), ValueError, r"4-D input .* got shape \(5, 5\)"),
    (lambda: F.conv2d(nc.zeros(1, 1, 5, 5), nc.zeros(1, 1, 3)), ValueError, "4-D weight"),
    (lambda: F.conv2d(nc.zeros(1, 1, 5, 5), nc.zeros(1, 1, 3, 3), stride=2, padding="same"), ValueError, "strided"),
    (lambda: F.conv2d(nc.zeros(1, 1, 5, 5), nc.zeros(1, 1, 3, 3, dtype=nc.float64)), TypeError, "same floating dtype"),
    (lambda: F.conv2d(nc.zeros(1, 1, 5, 5), nc.zeros(1, 1, 3, 3), nc.zeros(2)), ValueError, "bias must have shape"),
    (lambda: F.conv1d(nc.zeros(1, 2, 5, 5), nc.zeros(1, 2, 3)), ValueError, "3-D input"),
    (lambda: nc.nn.Conv2d(4, 6, 3, groups=4), ValueError, "groups=4"),
    (lambda: F.conv2d(nc.zeros(1, 1, 5, 5), nc.zeros(1, 1, 3, 3), padding=-1), ValueError, "non-negative"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --- the stride-1 kernels without im2col (Note [Flat conv] in cpp/kernels/cpu/conv_flat.h) ---
# Their tiles cover MR output channels x NR positions, so the cases below vary the channel counts around the tile
# heights (4, 6, 8, 12; 16-lane channel blocks in the weight gradient), the positions per image around the vector
# width, the layout (padded rows for wide images, per-column copies for small ones), batch 1 (an image split into
# bands), padding wider than the kernel, dilation and groups. The reference below is numpy einsum over the padded
# input, checked against the direct loops first.

def _conv_einsum(x, w, b, stride, pad, dilation, groups, dy=None):
    """y, and with dy also (dx, dw, db), of conv2d by one einsum per kernel offset over the zero-padded input."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    (sh, sw), (dh, dw_), G = stride, dilation, groups
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[2]), (pad[1], pad[3]))).reshape(N, G, Cg, H + pad[0] + pad[2], -1)
    OH = (xp.shape[3] - dh * (KH - 1) - 1) // sh + 1
    OW = (xp.shape[4] - dw_ * (KW - 1) - 1) // sw + 1
    wg = w.reshape(G, OC // G, Cg, KH, KW)

    def window(kh, kw):
        return (slice(None),) * 3 + (slice(kh * dh, kh * dh + sh * (OH - 1) + 1, sh),
                                     slice(kw * dw_, kw * dw_ + sw * (OW - 1) + 1, sw))
    y = sum(np.einsum("ngchw,goc->ngohw", xp[window(kh, kw)], wg[..., kh, kw]) for kh in range(KH) for kw in range(KW))
    y = y.reshape(N, OC, OH, OW) + (0 if b is None else b[:, None, None])
    if dy is None:
        return y
    dyg = dy.reshape(N, G, OC // G, OH, OW)
    dxp, dw = np.zeros_like(xp), np.zeros_like(wg)
    for kh in range(KH):
        for kw in range(KW):
            dxp[window(kh, kw)] += np.einsum("ngohw,goc->ngchw", dyg, wg[..., kh, kw])
            dw[..., kh, kw] = np.einsum("ngohw,ngchw->goc", dyg, xp[window(kh, kw)])
    dx = dxp.reshape(N, C, xp.shape[3], xp.shape[4])[:, :, pad[0]:pad[0] + H, pad[1]:pad[1] + W]
    return y, dx, dw.reshape(w.shape), dy.sum(axis=(0, 2, 3))


def test_einsum_reference_matches_direct_loops():
    rng = np.random.default_rng(11)
    x, w, b = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)
    args = ((2, 1), (1, 0, 2, 1), (1, 2), 2)
    dy = rng.standard_normal(conv2d_ref(x, w, b, *args).shape)
    y, dx, dw, db = _conv_einsum(x, w, b, *args, dy=dy)
    np.testing.assert_allclose(y, conv2d_ref(x, w, b, *args), rtol=1e-12, atol=1e-12)
    for got, want in zip((dx, dw, db), conv2d_grads_ref(x, w, dy, *args)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# (N, C, H, W, OC, KH, KW, padding (top, left, bottom, right), dilation, groups)
FLAT_CONFIGS = [
    (3, 5, 11, 13, 1, 3, 3, (1, 1, 1, 1), (1, 1), 1),      # one output channel
    (2, 3, 9, 7, 3, 3, 3, (0, 0, 0, 0), (1, 1), 1),        # 7x5 = 35 positions: tails everywhere
    (2, 6, 14, 14, 5, 5, 5, (0, 0, 0, 0), (1, 1), 1),      # LeNet-like: per-column copies; 5 channels
    (4, 1, 32, 32, 6, 5, 5, (0, 0, 0, 0), (1, 1), 1),      # LeNet conv1
    (3, 6, 14, 14, 16, 5, 5, (0, 0, 0, 0), (1, 1), 1),     # LeNet conv2
    (1, 7, 23, 19, 7, 3, 3, (1, 1, 1, 1), (1, 1), 1),      # batch 1: the image is split into bands
    (2, 9, 12, 17, 13, 3, 3, (1, 1, 1, 1), (1, 1), 1),     # 13 = one 12-row tile + 1
    (2, 4, 10, 21, 20, 3, 5, (2, 1, 0, 3), (1, 1), 1),     # 20 channels: two lane blocks in the weight grad
    (2, 5, 9, 9, 33, 2, 2, (1, 1, 0, 0), (1, 1), 1),       # 33: three lane blocks; even kernel, one-sided pad
    (1, 3, 8, 8, 70, 3, 3, (1, 1, 1, 1), (1, 1), 1),       # 70: several 64-channel blocks
    (2, 4, 11, 10, 9, 3, 3, (4, 3, 4, 3), (1, 1), 1),      # padding wider than the kernel
    (2, 3, 13, 12, 8, 3, 3, (2, 2, 2, 2), (2, 2), 1),      # dilation 2
    (2, 4, 9, 11, 6, 3, 3, (1, 2, 1, 2), (2, 1), 1),       # unequal dilation and padding per axis
    (2, 8, 9, 8, 12, 3, 3, (1, 1, 1, 1), (1, 1), 4),       # groups
    (2, 4, 7, 8, 4, 3, 3, (1, 1, 1, 1), (1, 1), 2),        # groups of 2 output channels
    (2, 6, 7, 9, 6, 3, 3, (1, 1, 1, 1), (1, 1), 6),        # depthwise
    (3, 6, 8, 9, 9, 3, 2, (0, 0, 0, 0), (1, 1), 3),        # no padding: x read in place (but the last image)
    (2, 2, 12, 11, 5, 3, 3, (0, 0, 0, 0), (2, 3), 1),      # ... with dilation
    (2, 5, 6, 7, 4, 1, 1, (1, 1, 1, 1), (1, 1), 1),        # 1x1 with padding
    (2, 3, 5, 40, 5, 1, 7, (0, 3, 0, 3), (1, 1), 1),       # one-row kernel, wide image (conv1d-like)
]


@pytest.mark.parametrize("cfg", FLAT_CONFIGS)
@pytest.mark.parametrize("dtype", [nc.float32, nc.float64])
def test_stride1_kernels_match_reference(cfg, dtype):
    N, C, H, W, OC, KH, KW, pad, dilation, groups = cfg
    rng = np.random.default_rng(abs(hash(cfg)) % 2**32)
    npdt = np.float32 if dtype == nc.float32 else np.float64
    x = rng.standard_normal((N, C, H, W)).astype(npdt)
    w = rng.standard_normal((OC, C // groups, KH, KW)).astype(npdt)
    b = rng.standard_normal(OC).astype(npdt)
    X, Wt, B = (nc.tensor(a, requires_grad=True) for a in (x, w, b))
    # The core op takes any (top, left, bottom, right) padding; nn.functional only symmetric pairs and "same".
    y = nc._core.conv2d(X, Wt, B, (1, 1), pad, dilation, groups)
    dy = rng.standard_normal(tuple(y.shape))
    ref, dx, dw, db = _conv_einsum(*(a.astype(np.float64) for a in (x, w, b)), (1, 1), pad, dilation, groups, dy=dy)
    assert y.shape == ref.shape and y.dtype == dtype
    # float32: sums of C*KH*KW products (forward) or N*OH*OW (weight gradient) of O(1) values.
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == nc.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y.detach().numpy(), ref, **tol)
    y.backward(nc.tensor(dy.astype(npdt)))
    gtol = dict(rtol=1e-4, atol=5e-4) if dtype == nc.float32 else dict(rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(X.grad.numpy(), dx, **gtol)
    np.testing.assert_allclose(Wt.grad.numpy(), dw, **gtol)
    np.testing.assert_allclose(B.grad.numpy(), db, **gtol)


def test_stride1_multiband_image_matches_reference():
    """An activation too large for one band copy (64 channels of 40x40): bands of rows, each with its own halo."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 64, 40, 40)).astype(np.float32)
    w = (rng.standard_normal((24, 64, 3, 3)) / 24).astype(np.float32)
    X, Wt = nc.tensor(x, requires_grad=True), nc.tensor(w, requires_grad=True)
    y = F.conv2d(X, Wt, padding=1)
    dy = rng.standard_normal(tuple(y.shape))
    ref, dx, dw, _ = _conv_einsum(x.astype(np.float64), w.astype(np.float64), None, (1, 1), (1, 1, 1, 1), (1, 1), 1,
                                  dy=dy)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-4, atol=1e-4)
    y.backward(nc.tensor(dy.astype(np.float32)))
    np.testing.assert_allclose(X.grad.numpy(), dx, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(Wt.grad.numpy(), dw, rtol=1e-4, atol=2e-3)


def test_stride1_nan_stays_in_its_windows():
    """Positions past the image's right edge are computed from the next row's cells and dropped: a NaN must reach
    exactly the outputs (and weight taps) that read it from a real position, as in the reference."""
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 2, 8, 9)).astype(np.float32)
    x[0, 1, 3, 0] = np.nan  # first column: the previous row's dropped positions read it
    x[1, 0, 5, 8] = np.nan  # last column
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    X, Wt = nc.tensor(x, requires_grad=True), nc.tensor(w, requires_grad=True)
    y = F.conv2d(X, Wt, padding=1)
    dy = rng.standard_normal((2, 3, 8, 9))
    dy[1] = 0  # image 1 sends no gradient, but 0 * NaN is still NaN in its taps, as the reference says
    ref, dx, dw, _ = _conv_einsum(x.astype(np.float64), w.astype(np.float64), None, (1, 1), (1, 1, 1, 1), (1, 1), 1,
                                  dy=dy)
    y.backward(nc.tensor(dy.astype(np.float32)))
    for got, want in ((y.detach().numpy(), ref), (X.grad.numpy(), dx), (Wt.grad.numpy(), dw)):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)  # assert_allclose treats NaN == NaN
    assert np.isnan(ref).any() and not np.isnan(ref).all() and not np.isnan(dw).all()


@pytest.mark.parametrize("dtype", [nc.float32, nc.float64])
@pytest.mark.parametrize("shapes", [((9, 6, 14, 14), (16, 6, 5, 5), 1), ((5, 8, 12, 12), (8, 1, 3, 3), 8)])
def test_stride1_gradients_do_not_depend_on_thread_count(dtype, shapes):
    xshape, wshape, groups = shapes
    rng = np.random.default_rng(13)
    npdt = np.float32 if dtype == nc.float32 else np.float64
    x = rng.standard_normal(xshape).astype(npdt)
    w = rng.standard_normal(wshape).astype(npdt)
    results = []
    saved = nc.get_num_threads()
    try:
        for threads in (1, 2, 3):
            nc.set_num_threads(threads)
            X, Wt = nc.tensor(x, requires_grad=True), nc.tensor(w, requires_grad=True)
            F.conv2d(X, Wt, padding=2, groups=groups).square().sum().backward()
            results.append((X.grad.numpy(), Wt.grad.numpy()))
    finally:
        nc.set_num_threads(saved)
    for dx, dw in results[1:]:
        np.testing.assert_array_equal(dx, results[0][0])
        np.testing.assert_array_equal(dw, results[0][1])
