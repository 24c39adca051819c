"""Plain numpy pooling references for tests/test_pool.py: a loop over every output window and every cell of
it, written for obviousness, not speed (each step works on all N*C planes at once, nothing more clever).

Inputs are (N, C, H, W); 1-D pooling is 2-D pooling of a height-1 image (kernel 1, stride 1, no padding along
H), which is how the callers use these. Each function returns the forward output and the gradient w.r.t. x
for an upstream gradient dy (PyTorch's rules: max/min send dy to the first winner of each window, average
spreads dy / divisor over the window, overlapping windows add up).
"""
import math

import numpy as np


def out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling_output_shape: floor (or ceil) of (n + 2p - d(k-1) - 1) / s, plus 1; under ceil_mode
    a last window starting in the right padding is dropped."""
    num = n + 2 * p - d * (k - 1) - 1
    o = (math.ceil(num / s) if ceil_mode else math.floor(num / s)) + 1
    if ceil_mode and (o - 1) * s >= n + p:
        o -= 1
    return o


def _cells(start, k, d, n):
    """Positions start + j*d, j < k, that fall inside [0, n)."""
    return [start + j * d for j in range(k) if 0 <= start + j * d < n]


def pool2d(x, dy_fn, mode, kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False,
           count_include_pad=True, divisor_override=None):
    """mode: 'max', 'min' or 'avg'. dy_fn(out_shape) -> upstream gradient (or None: no gradient).
    Returns (y, indices (max/min: flat h*W + w of each winner, else None), dx)."""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    OH, OW = out_size(H, kh, sh, ph, dh, ceil_mode), out_size(W, kw, sw, pw, dw, ceil_mode)
    y = np.zeros((N, C, OH, OW), x.dtype)
    idx = np.zeros((N, C, OH, OW), np.int64)
    dy = dy_fn((N, C, OH, OW))
    dx = np.zeros_like(x)
    for oh in range(OH):
        for ow in range(OW):
            h0, w0 = oh * sh - ph, ow * sw - pw
            cells = [(h, w) for h in _cells(h0, kh, dh, H) for w in _cells(w0, kw, dw, W)]
            vals = np.stack([x[:, :, h, w] for h, w in cells], axis=-1)  # (N, C, cells)
            if mode == "avg":
                if divisor_override:
                    div = divisor_override
                elif count_include_pad:  # the window clipped to the padded input [-p, n + p)
                    div = (min(h0 + kh, H + ph) - h0) * (min(w0 + kw, W + pw) - w0)
                else:
                    div = len(cells)
                y[:, :, oh, ow] = vals.sum(-1) / div
                if dy is not None:
                    for h, w in cells:
                        dx[:, :, h, w] += dy[:, :, oh, ow] / div
            else:
                win = vals.argmax(-1) if mode == "max" else vals.argmin(-1)  # first winner on ties
                for n in range(N):
                    for c in range(C):
                        h, w = cells[win[n, c]]
                        y[n, c, oh, ow] = x[n, c, h, w]
                        idx[n, c, oh, ow] = h * W + w
                        if dy is not None:
                            dx[n, c, h, w] += dy[n, c, oh, ow]
    return y, (None if mode == "avg" else idx), dx


def adaptive_pool2d(x, dy_fn, mode, out_hw):
    """Adaptive 'avg' or 'max' pooling: output (i, j) covers rows [floor(i*H/OH), ceil((i+1)*H/OH)) and the
    same rule for columns. Returns (y, indices or None, dx)."""
    N, C, H, W = x.shape
    OH, OW = out_hw
    y = np.zeros((N, C, OH, OW), x.dtype)
    idx = np.zeros((N, C, OH, OW), np.int64)
    dy = dy_fn((N, C, OH, OW))
    dx = np.zeros_like(x)
    for oh in range(OH):
        for ow in range(OW):
            hs, he = (oh * H) // OH, -((-(oh + 1) * H) // OH)
            ws, we = (ow * W) // OW, -((-(ow + 1) * W) // OW)
            cells = [(h, w) for h in range(hs, he) for w in range(ws, we)]
            vals = np.stack([x[:, :, h, w] for h, w in cells], axis=-1)
            if mode == "avg":
                y[:, :, oh, ow] = vals.mean(-1)
                if dy is not None:
                    for h, w in cells:
                        dx[:, :, h, w] += dy[:, :, oh, ow] / len(cells)
            else:
                win = vals.argmax(-1)
                for n in range(N):
                    for c in range(C):
                        h, w = cells[win[n, c]]
                        y[n, c, oh, ow] = x[n, c, h, w]
                        idx[n, c, oh, ow] = h * W + w
                        if dy is not None:
                            dx[n, c, h, w] += dy[n, c, oh, ow]
    return y, (None if mode == "avg" else idx), dx


def lp_pool2d(x, dy_fn, p, kernel, stride, ceil_mode=False):
    """PyTorch's power-average pooling: y = (avg_pool(x^p) * kh*kw)^(1/p), no padding. avg_pool's divisor is
    the window clipped to the input (only smaller than kh*kw for ceil_mode's partial last windows), so a full
    window gives (sum x^p)^(1/p). Gradient: dy * y^(1-p) * (kh*kw / div) * x^(p-1) on each cell."""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    OH, OW = out_size(H, kh, sh, 0, 1, ceil_mode), out_size(W, kw, sw, 0, 1, ceil_mode)
    y = np.zeros((N, C, OH, OW), x.dtype)
    dy = dy_fn((N, C, OH, OW))
    dx = np.zeros_like(x)
    for oh in range(OH):
        for ow in range(OW):
            h0, w0 = oh * sh, ow * sw
            cells = [(h, w) for h in range(h0, min(h0 + kh, H)) for w in range(w0, min(w0 + kw, W))]
            scale = kh * kw / len(cells)
            s = sum(x[:, :, h, w] ** p for h, w in cells) * scale
            y[:, :, oh, ow] = s ** (1.0 / p)
            if dy is not None:
                for h, w in cells:
                    dx[:, :, h, w] += dy[:, :, oh, ow] * y[:, :, oh, ow] ** (1 - p) * scale * x[:, :, h, w] ** (p - 1)
    return y, None, dx
