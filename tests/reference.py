"""Plain numpy reference implementations of neurocore's tensor ops, activations and losses.

Slow and obvious on purpose: every function here is the textbook formula (computed in float64 and
cast back to the input's dtype where the op keeps its dtype), written without reference to how
neurocore computes it. Tests compare neurocore against these, never against neurocore itself.
"""
import math

import numpy as np

# ---------------------------------------------------------------- helpers


def _f64(x):
    return np.asarray(x, dtype=np.float64)


def _like(out, x):
    """out cast back to x's float dtype (ops keep a float input's dtype)."""
    x = np.asarray(x)
    dt = x.dtype if x.dtype.kind == "f" else np.float32
    return np.asarray(out, dtype=dt)


def _unary(fn, x):
    """Apply a scalar function elementwise with a loop, in float64."""
    x = np.asarray(x)
    out = np.empty(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        out[idx] = fn(float(x[idx]))
    return _like(out, x)


def _norm_dims(dim, ndim):
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted(d % max(ndim, 1) for d in dims)) if ndim else ()


# ---------------------------------------------------------------- elementwise math

def neg(x):
    return -np.asarray(x)


def abs_(x):
    return np.abs(np.asarray(x))


def sign(x):
    x = np.asarray(x)
    out = np.zeros_like(x)
    out[x > 0] = 1
    out[x < 0] = -1
    return out


def square(x):
    x = np.asarray(x)
    return x * x


def exp(x):
    return _unary(lambda v: math.exp(v) if v < 709 else math.inf, x)


def log(x):
    return _unary(math.log, x)


def sqrt(x):
    return _unary(math.sqrt, x)


def rsqrt(x):
    return _unary(lambda v: 1.0 / math.sqrt(v), x)


def reciprocal(x):
    return _unary(lambda v: 1.0 / v, x)


def sin(x):
    return _unary(math.sin, x)


def cos(x):
    return _unary(math.cos, x)


def log1p(x):
    return _unary(math.log1p, x)


def expm1(x):
    return _unary(math.expm1, x)


def relu(x):
    x = np.asarray(x)
    return np.where(x > 0, x, np.zeros_like(x))


def leaky_relu(x, slope=0.01):
    x = np.asarray(x)
    return _like(np.where(x > 0, _f64(x), slope * _f64(x)), x)


def _sigmoid_scalar(v):
    # Two branches so that exp never overflows: 1/(1+e^-v) for v >= 0, e^v/(1+e^v) for v < 0.
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def sigmoid(x):
    return _unary(_sigmoid_scalar, x)


def tanh(x):
    return _unary(math.tanh, x)


def clamp(x, lo=None, hi=None):
    x = np.asarray(x)
    out = x.copy()
    for idx in np.ndindex(x.shape):
        v = out[idx]
        if lo is not None and v < lo:
            v = lo
        if hi is not None and v > hi:
            v = hi
        out[idx] = v
    return out


# ---------------------------------------------------------------- binary (with broadcasting)

def result_dtype(a, b):
    """neurocore's promotion: bool < int64 < float32 < float64."""
    rank = {np.dtype(np.bool_): 0, np.dtype(np.int64): 1, np.dtype(np.float32): 2, np.dtype(np.float64): 3}
    da, db = np.asarray(a).dtype, np.asarray(b).dtype
    return da if rank[da] >= rank[db] else db


def _binary(fn, a, b, out_dtype=None):
    a, b = np.asarray(a), np.asarray(b)
    shape = np.broadcast_shapes(a.shape, b.shape)
    A, B = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
    dt = out_dtype or result_dtype(a, b)
    out = np.empty(shape, dtype=dt)
    for idx in np.ndindex(shape):
        out[idx] = fn(A[idx].item(), B[idx].item())
    return out


def add(a, b):
    return _binary(lambda x, y: x + y, a, b)


def sub(a, b):
    return _binary(lambda x, y: x - y, a, b)


def mul(a, b):
    return _binary(lambda x, y: x * y, a, b)


def div(a, b):
    dt = result_dtype(a, b)
    return _binary(lambda x, y: x / y, a, b, out_dtype=dt if dt.kind == "f" else np.float32)


def pow_(a, b):
    return _binary(lambda x, y: x ** y, a, b)


def maximum(a, b):
    return _binary(max, a, b)


def minimum(a, b):
    return _binary(min, a, b)


def eq(a, b):
    return _binary(lambda x, y: x == y, a, b, np.bool_)


def ne(a, b):
    return _binary(lambda x, y: x != y, a, b, np.bool_)


def lt(a, b):
    return _binary(lambda x, y: x < y, a, b, np.bool_)


def le(a, b):
    return _binary(lambda x, y: x <= y, a, b, np.bool_)


def gt(a, b):
    return _binary(lambda x, y: x > y, a, b, np.bool_)


def ge(a, b):
    return _binary(lambda x, y: x >= y, a, b, np.bool_)


def where(cond, a, b):
    cond, a, b = np.asarray(cond), np.asarray(a), np.asarray(b)
    shape = np.broadcast_shapes(cond.shape, a.shape, b.shape)
    C, A, B = (np.broadcast_to(v, shape) for v in (cond, a, b))
    out = np.empty(shape, dtype=result_dtype(a, b))
    for idx in np.ndindex(shape):
        out[idx] = A[idx] if C[idx] else B[idx]
    return out


# ---------------------------------------------------------------- reductions

def _reduce(fn, x, dim=None, keepdim=False, out_dtype=None):
    """fn(list of float64/int values) -> value, applied over the reduced dims with loops."""
    x = np.asarray(x)
    nd = x.ndim
    dims = _norm_dims(dim, nd)
    keep_shape = tuple(1 if d in dims else s for d, s in enumerate(x.shape))
    out = np.empty(keep_shape, dtype=out_dtype or x.dtype)
    for oidx in np.ndindex(keep_shape):
        ranges = [range(x.shape[d]) if d in dims else [oidx[d]] for d in range(nd)]
        vals = [x[i].item() for i in _product(ranges)]
        out[oidx] = fn(vals)
    if not keepdim:
        out = out.reshape(tuple(s for d, s in enumerate(x.shape) if d not in dims))
    return out


def _product(ranges):
    if not ranges:
        yield ()
        return
    for i in ranges[0]:
        for rest in _product(ranges[1:]):
            yield (i,) + rest


def _sum_dtype(x):
    x = np.asarray(x)
    return x.dtype if x.dtype.kind == "f" else np.int64


def sum_(x, dim=None, keepdim=False):
    return _reduce(lambda v: math.fsum(v) if v and isinstance(v[0], float) else sum(v), x, dim, keepdim,
                   _sum_dtype(x))


def mean(x, dim=None, keepdim=False):
    x = np.asarray(x)
    dt = x.dtype if x.dtype.kind == "f" else np.float32
    return _reduce(lambda v: math.fsum(v) / len(v), x, dim, keepdim, dt)


def prod(x, dim=None, keepdim=False):
    return _reduce(lambda v: math.prod(v), x, dim, keepdim, _sum_dtype(x))


def var(x, dim=None, correction=1, keepdim=False):
    def f(v):
        m = math.fsum(v) / len(v)
        ss = math.fsum((a - m) ** 2 for a in v)
        denom = max(len(v) - correction, 0)
        return ss / denom if denom else (math.nan if ss == 0 else math.inf)
    return _reduce(f, x, dim, keepdim, np.asarray(x).dtype)


def std(x, dim=None, correction=1, keepdim=False):
    return np.sqrt(var(x, dim, correction, keepdim))


def amax(x, dim=None, keepdim=False):
    return _reduce(max, x, dim, keepdim)


def amin(x, dim=None, keepdim=False):
    return _reduce(min, x, dim, keepdim)


def _first_arg(v, better):
    best = 0
    for i in range(1, len(v)):
        if better(v[i], v[best]):
            best = i
    return best


def argmax(x, dim=None, keepdim=False):
    x = np.asarray(x)
    if dim is None:
        return np.asarray(_first_arg(x.reshape(-1).tolist(), lambda a, b: a > b), dtype=np.int64)
    return _reduce(lambda v: _first_arg(v, lambda a, b: a > b), x, dim, keepdim, np.int64)


def argmin(x, dim=None, keepdim=False):
    x = np.asarray(x)
    if dim is None:
        return np.asarray(_first_arg(x.reshape(-1).tolist(), lambda a, b: a < b), dtype=np.int64)
    return _reduce(lambda v: _first_arg(v, lambda a, b: a < b), x, dim, keepdim, np.int64)


def any_(x, dim=None, keepdim=False):
    return _reduce(lambda v: any(bool(a) for a in v), x, dim, keepdim, np.bool_)


def all_(x, dim=None, keepdim=False):
    return _reduce(lambda v: all(bool(a) for a in v), x, dim, keepdim, np.bool_)


# ---------------------------------------------------------------- matmul

def matmul(a, b):
    """numpy's matmul semantics, written as explicit triple loops over (batched) 2-D products."""
    a, b = np.asarray(a), np.asarray(b)
    dt = result_dtype(a, b)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    m, k = a2.shape[-2:]
    k2, n = b2.shape[-2:]
    assert k == k2
    A = np.broadcast_to(a2, batch + (m, k)).astype(np.float64)
    B = np.broadcast_to(b2, batch + (k, n)).astype(np.float64)
    out = np.zeros(batch + (m, n))
    for bi in np.ndindex(batch):
        for i in range(m):
            for j in range(n):
                out[bi + (i, j)] = math.fsum(A[bi + (i, p)] * B[bi + (p, j)] for p in range(k))
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return np.asarray(out, dtype=dt)


# ---------------------------------------------------------------- softmax family (stable)

def _along(fn, x, dim):
    """Apply fn (1-D float64 array -> 1-D array) to every 1-D slice of x along dim."""
    x = np.asarray(x)
    if x.ndim == 0:
        return _like(fn(_f64(x).reshape(1)).reshape(()), x)
    moved = np.moveaxis(_f64(x), dim, -1)
    out = np.empty_like(moved)
    for idx in np.ndindex(moved.shape[:-1]):
        out[idx] = fn(moved[idx])
    return _like(np.moveaxis(out, -1, dim), x)


def _softmax_1d(v):
    m = max(v)
    e = np.array([math.exp(a - m) for a in v])
    return e / math.fsum(e)


def _log_softmax_1d(v):
    m = max(v)
    lse = m + math.log(math.fsum(math.exp(a - m) for a in v))
    return np.array([a - lse for a in v])


def softmax(x, dim):
    return _along(_softmax_1d, x, dim)


def log_softmax(x, dim):
    return _along(_log_softmax_1d, x, dim)


# ---------------------------------------------------------------- losses

def _reduce_loss(per, reduction):
    per = np.asarray(per)
    if reduction == "none":
        return per
    if reduction == "sum":
        return np.asarray(math.fsum(per.reshape(-1)), dtype=per.dtype)
    return np.asarray(math.fsum(per.reshape(-1)) / per.size, dtype=per.dtype)


def mse_loss(pred, target, reduction="mean"):
    pred = np.asarray(pred)
    per = _like((_f64(pred) - _f64(target)) ** 2, pred)
    return _reduce_loss(per, reduction)


def binary_cross_entropy(p, y, reduction="mean"):
    """-(y log p + (1 - y) log(1 - p)), each log clamped at -100 (PyTorch's convention)."""
    p = np.asarray(p)
    per = np.empty(p.shape)
    for idx in np.ndindex(p.shape):
        pv, yv = float(p[idx]), float(np.asarray(y)[idx])
        lp = max(math.log(pv), -100.0) if pv > 0 else -100.0
        lq = max(math.log1p(-pv), -100.0) if pv < 1 else -100.0
        per[idx] = -(yv * lp + (1 - yv) * lq)
    return _reduce_loss(_like(per, p), reduction)


def binary_cross_entropy_with_logits(z, y, reduction="mean"):
    """-(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))), with log sigmoid computed stably."""
    z = np.asarray(z)

    def log_sigmoid(v):  # log(1 / (1 + e^-v)) = -log1p(e^-v) for v >= 0, v - log1p(e^v) for v < 0
        return -math.log1p(math.exp(-v)) if v >= 0 else v - math.log1p(math.exp(v))
    per = np.empty(z.shape)
    for idx in np.ndindex(z.shape):
        zv, yv = float(z[idx]), float(np.asarray(y)[idx])
        per[idx] = -(yv * log_sigmoid(zv) + (1 - yv) * log_sigmoid(-zv))
    return _reduce_loss(_like(per, z), reduction)


def nll_loss(logp, target, reduction="mean", weight=None, ignore_index=-100):
    """logp (N, C, d1, ...) or (C,), target (N, d1, ...) or () int64. Per element
    l = -w[t] * logp[n, t, ...] (0 where t == ignore_index); "mean" divides by the sum of w[t] over the
    elements not ignored (PyTorch's weighted mean)."""
    logp, target = np.asarray(logp), np.asarray(target)
    out_shape = target.shape
    if logp.ndim == 1:
        logp, target = logp[None], target.reshape(1)
    lp = np.moveaxis(logp, 1, -1).reshape(-1, logp.shape[1])  # (M, C)
    t = target.reshape(-1)
    C = lp.shape[1]
    w = np.ones(C) if weight is None else _f64(weight)
    per, wsum = np.zeros(t.size), []
    for n in range(t.size):
        if int(t[n]) == ignore_index:
            continue
        per[n] = -w[int(t[n])] * float(lp[n, int(t[n])])
        wsum.append(w[int(t[n])])
    per = _like(per, logp)
    if reduction == "none":
        return per.reshape(out_shape)
    if reduction == "sum":
        return np.asarray(math.fsum(per), dtype=per.dtype)
    return np.asarray(math.fsum(per) / math.fsum(wsum) if wsum else math.nan, dtype=per.dtype)


def cross_entropy(logits, target, reduction="mean", weight=None, ignore_index=-100, label_smoothing=0.0):
    """Class-index targets: nll_loss(log_softmax(logits, class dim), target), and with label smoothing eps
    (1 - eps) * nll + eps / C * smooth, smooth = -sum_c w_c logp_c per element, reduced like nll."""
    logits = np.asarray(logits)
    cdim = 0 if logits.ndim == 1 else 1
    logp = log_softmax(logits, cdim)
    nll = nll_loss(logp, target, reduction, weight, ignore_index)
    if label_smoothing == 0:
        return nll
    C = logits.shape[cdim]
    w = np.ones(C) if weight is None else _f64(weight)
    lp = np.moveaxis(_f64(logp if logp.ndim > 1 else logp[None]), 1, -1).reshape(-1, C)
    t = np.asarray(target).reshape(-1)
    smooth = np.array([0.0 if int(t[n]) == ignore_index else -math.fsum(w * lp[n]) for n in range(t.size)])
    if reduction == "none":
        sm = smooth.reshape(np.asarray(target).shape)
    elif reduction == "sum":
        sm = math.fsum(smooth)
    else:
        sm = math.fsum(smooth) / math.fsum(w[int(v)] for v in t if int(v) != ignore_index)
    eps = label_smoothing
    return _like((1 - eps) * _f64(nll) + eps / C * np.asarray(sm), logits)
