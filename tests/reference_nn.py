"""Plain numpy/math references for the activations and losses of nn.functional.

Textbook formulas, evaluated per element in float64 with the `math` module (written so that no
intermediate overflows, e.g. log(1 + e^v) as max(v, 0) + log1p(e^-|v|)), then cast back to the
input's dtype. Sources are named next to each formula. Tests compare neurocore against these.
"""
import math

import numpy as np

from reference import _like, _reduce_loss, log_softmax, sigmoid  # noqa: F401  (re-exported for tests)

# ---------------------------------------------------------------- helpers


def _map(fn, *arrays):
    """fn(float, float, ...) -> float applied elementwise over same-shape arrays, in float64."""
    arrays = [np.asarray(a) for a in arrays]
    out = np.empty(arrays[0].shape, dtype=np.float64)
    for idx in np.ndindex(out.shape):
        out[idx] = fn(*(float(a[idx]) for a in arrays))
    return _like(out, arrays[0])


def _softplus(v):
    """log(1 + e^v) = max(v, 0) + log1p(e^-|v|)."""
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


def _sig(v):
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def _log_sig(v):
    """log(sigmoid(v)) = -softplus(-v)."""
    return -_softplus(-v)


def reduce(per, reduction):
    """'mean' / 'sum' / 'none' with an exact (fsum) sum."""
    return _reduce_loss(per, reduction)


# ---------------------------------------------------------------- activations

SELU_ALPHA = 1.6732632423543772848170429916717  # Klambauer et al. 2017, eq. (14)
SELU_SCALE = 1.0507009873554804934193349852946


def step(x):
    return _map(lambda v: 1.0 if v > 0 else 0.0, x)


def relu6(x):
    return _map(lambda v: min(max(v, 0.0), 6.0), x)


def prelu(x, w):
    """x if x > 0 else w_c x, c the index along dim 1 (w with one element is shared)."""
    x, w = np.asarray(x), np.asarray(w, dtype=np.float64).reshape(-1)
    out = np.empty(x.shape)
    for idx in np.ndindex(x.shape):
        a = w[0] if w.size == 1 else w[idx[1]]
        v = float(x[idx])
        out[idx] = v if v > 0 else a * v
    return _like(out, x)


def elu(x, alpha=1.0):
    return _map(lambda v: v if v > 0 else alpha * math.expm1(v), x)


def selu(x):
    return _map(lambda v: SELU_SCALE * (v if v > 0 else SELU_ALPHA * math.expm1(v)), x)


def celu(x, alpha=1.0):
    # Barron 2017: max(0, x) + min(0, alpha (exp(x / alpha) - 1))
    return _map(lambda v: max(0.0, v) + min(0.0, alpha * math.expm1(min(v, 0.0) / alpha)), x)


def gelu(x):
    # Hendrycks & Gimpel 2016: x Phi(x)
    return _map(lambda v: 0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))), x)


def gelu_tanh(x):
    return _map(lambda v: 0.5 * v * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (v + 0.044715 * v ** 3))), x)


def silu(x):
    return _map(lambda v: v * _sig(v), x)


def mish(x):
    # Misra 2019: x tanh(softplus(x))
    return _map(lambda v: v * math.tanh(_softplus(v)), x)


def softplus(x, beta=1.0, threshold=20.0):
    # PyTorch's definition: linear above the threshold
    return _map(lambda v: v if beta * v > threshold else _softplus(beta * v) / beta, x)


def softsign(x):
    return _map(lambda v: v / (1.0 + abs(v)), x)


def hardtanh(x, lo=-1.0, hi=1.0):
    return _map(lambda v: min(max(v, lo), hi), x)


def hardsigmoid(x):
    return _map(lambda v: min(max(v / 6.0 + 0.5, 0.0), 1.0), x)


def hardswish(x):
    # Howard et al. 2019: x ReLU6(x + 3) / 6
    return _map(lambda v: v * min(max(v + 3.0, 0.0), 6.0) / 6.0, x)


def logsigmoid(x):
    return _map(_log_sig, x)


def relu(x):
    return _map(lambda v: max(v, 0.0), x)


def leaky_relu(x, slope=0.01):
    return _map(lambda v: v if v > 0 else slope * v, x)


def tanh(x):
    return _map(math.tanh, x)


def softmax(x, dim):
    return np.exp(log_softmax(np.asarray(x, dtype=np.float64), dim)).astype(np.asarray(x).dtype)


# ---------------------------------------------------------------- pointwise losses

def mse_loss(a, b, reduction="mean"):
    return reduce(_map(lambda x, y: (x - y) ** 2, a, b), reduction)


def l1_loss(a, b, reduction="mean"):
    return reduce(_map(lambda x, y: abs(x - y), a, b), reduction)


def huber_loss(a, b, reduction="mean", delta=1.0):
    # Huber 1964
    def f(x, y):
        d = abs(x - y)
        return 0.5 * d * d if d <= delta else delta * (d - 0.5 * delta)
    return reduce(_map(f, a, b), reduction)


def smooth_l1_loss(a, b, reduction="mean", beta=1.0):
    # Girshick 2015 (Fast R-CNN), with PyTorch's beta
    def f(x, y):
        d = abs(x - y)
        return 0.5 * d * d / beta if d < beta else d - 0.5 * beta
    return reduce(_map(f, a, b), reduction)


def binary_cross_entropy(p, y, weight=None, reduction="mean"):
    """-w (y log p + (1 - y) log(1 - p)), each log clamped at -100 (PyTorch's convention)."""
    p = np.asarray(p)
    w = np.ones(p.shape) if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), p.shape)

    def f(pv, yv, wv):
        lp = max(math.log(pv), -100.0) if pv > 0 else -100.0
        lq = max(math.log1p(-pv), -100.0) if pv < 1 else -100.0
        return -wv * (yv * lp + (1 - yv) * lq)
    return reduce(_map(f, p, y, w), reduction)


def binary_cross_entropy_with_logits(z, y, weight=None, pos_weight=None, reduction="mean"):
    """-w (pw y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))), log sigmoid computed stably."""
    z = np.asarray(z)
    w = np.ones(z.shape) if weight is None else np.broadcast_to(np.asarray(weight, dtype=np.float64), z.shape)
    pw = np.ones(z.shape) if pos_weight is None else np.broadcast_to(np.asarray(pos_weight, np.float64), z.shape)
    return reduce(_map(lambda zv, yv, wv, pv: -wv * (pv * yv * _log_sig(zv) + (1 - yv) * _log_sig(-zv)), z, y, w, pw),
                  reduction)


def hinge_loss(f, y, reduction="mean"):
    return reduce(_map(lambda fv, yv: max(0.0, 1.0 - yv * fv), f, y), reduction)


def perceptron_loss(f, y, reduction="mean"):
    return reduce(_map(lambda fv, yv: max(0.0, -yv * fv), f, y), reduction)


def kl_div(logq, p, reduction="mean", log_target=False):
    """PyTorch's pointwise KL term: p (log p - log q), 0 where p = 0; log_target: e^t (t - log q)."""
    logq = np.asarray(logq)

    def f(lq, t):
        if log_target:
            return math.exp(t) * (t - lq)
        return 0.0 if t == 0 else t * (math.log(t) - lq)
    per = _map(f, logq, p)
    if reduction == "batchmean":
        return np.asarray(math.fsum(per.reshape(-1)) / (logq.shape[0] if logq.ndim else 1), dtype=per.dtype)
    return reduce(per, reduction)


def poisson_nll_loss(x, t, log_input=True, full=False, eps=1e-8, reduction="mean"):
    """Negative Poisson log-likelihood without the log(t!) term (or with Stirling's approximation
    t log t - t + log(2 pi t) / 2 of it, for t > 1, when full)."""
    def f(xv, tv):
        v = math.exp(xv) - tv * xv if log_input else xv - tv * math.log(xv + eps)
        if full and tv > 1:
            v += tv * math.log(tv) - tv + 0.5 * math.log(2 * math.pi * tv)
        return v
    return reduce(_map(f, x, t), reduction)


def focal_loss(z, y, alpha=0.25, gamma=2.0, reduction="mean"):
    """Lin et al. 2017, eq. (5) with soft labels as in torchvision: alpha_t (1 - p_t)^gamma CE."""
    def f(zv, yv):
        p = _sig(zv)
        ce = -(yv * _log_sig(zv) + (1 - yv) * _log_sig(-zv))
        p_t = p * yv + (1 - p) * (1 - yv)
        v = ce * (1 - p_t) ** gamma
        if alpha >= 0:
            v *= alpha * yv + (1 - alpha) * (1 - yv)
        return v
    return reduce(_map(f, z, y), reduction)


def margin_ranking_loss(x1, x2, y, margin=0.0, reduction="mean"):
    return reduce(_map(lambda a, b, t: max(0.0, -t * (a - b) + margin), x1, x2, y), reduction)


# ---------------------------------------------------------------- losses over a class / feature dim

def _rows(x):
    """(N, K) float64 rows of a (N, K) or (K,) array."""
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(1, -1) if x.ndim == 1 else x


def _finish(per, like, reduction, out_shape):
    per = _like(np.asarray(per, dtype=np.float64).reshape(out_shape), like)
    return reduce(per, reduction)


def _class_last(x):
    """(N, C, d1, ...) -> (M, C) with the class dim last; (C,) -> (1, C)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        return x.reshape(1, -1)
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def nll_loss(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """PyTorch's NLLLoss: l_n = -w_{y_n} logp_{n, y_n} (0 if y_n is ignored); the mean divides by
    the sum of w_{y_n} over the targets used."""
    lp, t = _class_last(logp), np.asarray(target).reshape(-1)
    C = lp.shape[1]
    w = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    per, wsum = [], []
    for n in range(lp.shape[0]):
        k = int(t[n])
        use = k != ignore_index
        per.append(-w[k] * lp[n, k] if use else 0.0)
        wsum.append(w[k] if use else 0.0)
    per = np.asarray(per)
    if reduction == "none":
        return _like(per.reshape(np.asarray(target).shape), logp)
    if reduction == "sum":
        return _like(math.fsum(per), logp)
    return _like(math.fsum(per) / math.fsum(wsum), logp)


def cross_entropy(logits, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """PyTorch's CrossEntropyLoss, from its documented formulas.

    Class-index targets: (1 - e) nll(logp, y) + e/C * smooth, where smooth_n = -sum_c w_c logp_{n,c}
    (0 for ignored n), reduced like the nll term (the mean divides by the sum of w_{y_n} used).
    Probability targets: l_n = -sum_c w_c q_{n,c} logp_{n,c}, q = (1 - e) y + e/C; the mean divides by N.
    """
    logits = np.asarray(logits)
    cdim = 0 if logits.ndim == 1 else 1
    logp = log_softmax(logits.astype(np.float64), cdim)
    lp = _class_last(logp)
    C = lp.shape[1]
    w = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    e = label_smoothing
    if np.asarray(target).dtype.kind == "f":
        q = (1 - e) * _class_last(target) + e / C
        per = np.array([-math.fsum(w[c] * q[n, c] * lp[n, c] for c in range(C)) for n in range(lp.shape[0])])
        out_shape = () if logits.ndim == 1 else (logits.shape[0],) + logits.shape[2:]
        return _finish(per, logits, reduction, out_shape)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    t = np.asarray(target).reshape(-1)
    smooth = np.array([0.0 if t[n] == ignore_index else -math.fsum(w[c] * lp[n, c] for c in range(C))
                       for n in range(lp.shape[0])])
    if reduction == "none":
        sm = smooth.reshape(np.asarray(target).shape)
    elif reduction == "sum":
        sm = math.fsum(smooth)
    else:
        sm = math.fsum(smooth) / math.fsum(w[int(k)] for k in t if k != ignore_index)
    return _like((1 - e) * np.asarray(nll, dtype=np.float64) + e / C * np.asarray(sm), logits)


def multi_margin_loss(x, y, p=1, margin=1.0, weight=None, reduction="mean"):
    """PyTorch's MultiMarginLoss: sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C per sample."""
    X, t = _rows(x), np.asarray(y).reshape(-1)
    C = X.shape[1]
    w = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    per = [math.fsum(w[int(t[n])] * max(0.0, margin - X[n, int(t[n])] + X[n, i]) ** p
                     for i in range(C) if i != int(t[n])) / C for n in range(X.shape[0])]
    return _finish(per, x, reduction, np.asarray(y).shape if np.asarray(x).ndim == 1 else (X.shape[0],))


def _pdist(a, b, p, eps):
    """||a - b + eps||_p (PyTorch's pairwise_distance)."""
    return math.fsum(abs(u - v + eps) ** p for u, v in zip(a, b)) ** (1.0 / p)


def triplet_margin_loss(a, pos, neg, margin=1.0, p=2, eps=1e-6, swap=False, reduction="mean"):
    """Balntas et al. 2016: max(d(a, p) - d(a, n) + margin, 0); swap uses min(d(a, n), d(p, n))."""
    A, P, N = _rows(a), _rows(pos), _rows(neg)
    per = []
    for k in range(A.shape[0]):
        dn = _pdist(A[k], N[k], p, eps)
        if swap:
            dn = min(dn, _pdist(P[k], N[k], p, eps))
        per.append(max(_pdist(A[k], P[k], p, eps) - dn + margin, 0.0))
    return _finish(per, a, reduction, () if np.asarray(a).ndim == 1 else (A.shape[0],))


def cosine_embedding_loss(x1, x2, y, margin=0.0, reduction="mean"):
    """1 - cos where y = 1, max(0, cos - margin) where y = -1; cos with PyTorch's 1e-12 guard."""
    A, B, t = _rows(x1), _rows(x2), np.asarray(y).reshape(-1)
    per = []
    for k in range(A.shape[0]):
        cos = math.fsum(A[k] * B[k]) / math.sqrt((math.fsum(A[k] ** 2) + 1e-12) * (math.fsum(B[k] ** 2) + 1e-12))
        per.append(1.0 - cos if t[k] == 1 else (max(0.0, cos - margin) if t[k] == -1 else 0.0))
    return _finish(per, x1, reduction, np.asarray(y).shape)
