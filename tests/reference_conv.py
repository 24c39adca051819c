"""Direct-loop numpy reference for 2-d convolution (cross-correlation) and its gradients.

Obvious and slow on purpose: every output element is a sum over its receptive field, with
explicit zero padding (top, left, bottom, right) and dilation.
"""
import numpy as np


def out_size(n, k, s, pad_total, d):
    return (n + pad_total - d * (k - 1) - 1) // s + 1


def conv2d_ref(x, w, b, stride, pad, dilation, groups):
    """x (N, C, H, W), w (OC, C/groups, KH, KW), pad = (top, left, bottom, right)."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    sh, sw = stride
    dh, dw = dilation
    xp = np.zeros((N, C, H + pad[0] + pad[2], W + pad[1] + pad[3]), dtype=np.float64)
    xp[:, :, pad[0]:pad[0] + H, pad[1]:pad[1] + W] = x
    OH = out_size(H, KH, sh, pad[0] + pad[2], dh)
    OW = out_size(W, KW, sw, pad[1] + pad[3], dw)
    OCg = OC // groups
    y = np.zeros((N, OC, OH, OW))
    for n in range(N):
        for oc in range(OC):
            g = oc // OCg
            for oh in range(OH):
                for ow in range(OW):
                    acc = 0.0
                    for c in range(Cg):
                        for kh in range(KH):
                            for kw in range(KW):
                                acc += xp[n, g * Cg + c, oh * sh + kh * dh, ow * sw + kw * dw] * w[oc, c, kh, kw]
                    y[n, oc, oh, ow] = acc + (b[oc] if b is not None else 0.0)
    return y


def conv2d_grads_ref(x, w, dy, stride, pad, dilation, groups):
    """(dx, dw, db) of sum(y * dy), by the same loops as the forward."""
    N, C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    sh, sw = stride
    dh, dw_ = dilation
    xp = np.zeros((N, C, H + pad[0] + pad[2], W + pad[1] + pad[3]))
    xp[:, :, pad[0]:pad[0] + H, pad[1]:pad[1] + W] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    OCg = OC // groups
    _, _, OH, OW = dy.shape
    for n in range(N):
        for oc in range(OC):
            g = oc // OCg
            for oh in range(OH):
                for ow in range(OW):
                    gy = dy[n, oc, oh, ow]
                    for c in range(Cg):
                        for kh in range(KH):
                            for kw in range(KW):
                                ih, iw = oh * sh + kh * dh, ow * sw + kw * dw_
                                dw[oc, c, kh, kw] += gy * xp[n, g * Cg + c, ih, iw]
                                dxp[n, g * Cg + c, ih, iw] += gy * w[oc, c, kh, kw]
    dx = dxp[:, :, pad[0]:pad[0] + H, pad[1]:pad[1] + W]
    db = dy.sum(axis=(0, 2, 3))
    return dx, dw, db
