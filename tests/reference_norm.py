"""Plain numpy references for the normalization layers, in float64, written from the papers' formulas.

All inputs are numpy arrays; each function returns float64 arrays. Channel layouts are (N, C, *); layer norm
normalizes the trailing dims. Backward formulas:
  batch norm (Ioffe & Szegedy 2015), per channel over its M = N * prod(*) values:
      dx = (1/M) * gamma * invstd * (M*dy - sum(dy) - xhat * sum(dy*xhat)),  dgamma = sum(dy*xhat), dbeta = sum(dy)
  layer / group / instance norm, per normalized group of K values, with g = dy * gamma:
      dx = invstd * (g - mean(g) - xhat * mean(g*xhat))
"""
import numpy as np


def _channel_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _per_channel(v, x):
    """(C,) -> broadcastable against (N, C, *)."""
    return np.asarray(v, np.float64).reshape((1, -1) + (1,) * (x.ndim - 2))


def batch_norm(x, weight=None, bias=None, running_mean=None, running_var=None, training=True, momentum=0.1,
               eps=1e-5):
    """Returns (y, new_running_mean, new_running_var); the running statistics are None when not given."""
    x = np.asarray(x, np.float64)
    axes = _channel_axes(x)
    m = x.size // x.shape[1]
    if training:
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)  # biased, for normalizing
        new_rm = new_rv = None
        if running_mean is not None:
            new_rm = (1 - momentum) * np.asarray(running_mean, np.float64) + momentum * mean
            new_rv = (1 - momentum) * np.asarray(running_var, np.float64) + momentum * var * m / (m - 1)
    else:
        mean, var = np.asarray(running_mean, np.float64), np.asarray(running_var, np.float64)
        new_rm, new_rv = mean, var
    xhat = (x - _per_channel(mean, x)) / np.sqrt(_per_channel(var, x) + eps)
    y = xhat * (1.0 if weight is None else _per_channel(weight, x)) + (0.0 if bias is None else _per_channel(bias, x))
    return y, new_rm, new_rv


def batch_norm_backward(x, dy, weight=None, running_mean=None, running_var=None, training=True, eps=1e-5):
    """(dx, dweight, dbias) of y = batch_norm(x) for the upstream gradient dy."""
    x, dy = np.asarray(x, np.float64), np.asarray(dy, np.float64)
    axes = _channel_axes(x)
    m = x.size // x.shape[1]
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    else:
        mean, var = np.asarray(running_mean, np.float64), np.asarray(running_var, np.float64)
    invstd = _per_channel(1.0 / np.sqrt(var + eps), x)
    xhat = (x - _per_channel(mean, x)) * invstd
    gamma = 1.0 if weight is None else _per_channel(weight, x)
    sum_dy = dy.sum(axis=axes, keepdims=True)
    sum_dy_xhat = (dy * xhat).sum(axis=axes, keepdims=True)
    if training:
        dx = (1.0 / m) * gamma * invstd * (m * dy - sum_dy - xhat * sum_dy_xhat)
    else:
        dx = gamma * invstd * dy
    return dx, sum_dy_xhat.reshape(-1), sum_dy.reshape(-1)


def _group_stats(xg, eps):
    """xg (B, K): mean, biased var and xhat per row."""
    mean = xg.mean(axis=1, keepdims=True)
    var = xg.var(axis=1, keepdims=True)
    return mean, var, (xg - mean) / np.sqrt(var + eps)


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    x = np.asarray(x, np.float64)
    n = x.shape[0]
    _, _, xhat = _group_stats(x.reshape(n * num_groups, -1), eps)
    xhat = xhat.reshape(x.shape)
    scaled = xhat * (1.0 if weight is None else _per_channel(weight, x))
    return scaled + (0.0 if bias is None else _per_channel(bias, x))


def group_norm_backward(x, dy, num_groups, weight=None, eps=1e-5):
    x, dy = np.asarray(x, np.float64), np.asarray(dy, np.float64)
    n = x.shape[0]
    _, var, xhat = _group_stats(x.reshape(n * num_groups, -1), eps)
    invstd = 1.0 / np.sqrt(var + eps)
    gamma = np.ones(x.shape[1]) if weight is None else np.asarray(weight, np.float64)
    g = (dy * _per_channel(gamma, x)).reshape(n * num_groups, -1)
    dx = invstd * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    xhat = xhat.reshape(x.shape)
    axes = _channel_axes(x)
    return dx.reshape(x.shape), (dy * xhat).sum(axis=axes), dy.sum(axis=axes)


def instance_norm(x, weight=None, bias=None, eps=1e-5):
    return group_norm(x, x.shape[1], weight, bias, eps)


def instance_norm_backward(x, dy, weight=None, eps=1e-5):
    return group_norm_backward(x, dy, x.shape[1], weight, eps)


def instance_norm_running(x, running_mean, running_var, momentum=0.1):
    """PyTorch's running-statistic update for instance norm: the batch average of the per-plane mean and
    unbiased variance, blended with momentum."""
    x = np.asarray(x, np.float64)
    n, c = x.shape[:2]
    planes = x.reshape(n, c, -1)
    s = planes.shape[2]
    mean = planes.mean(axis=2).mean(axis=0)
    var = (planes.var(axis=2) * s / (s - 1)).mean(axis=0)
    return ((1 - momentum) * np.asarray(running_mean, np.float64) + momentum * mean,
            (1 - momentum) * np.asarray(running_var, np.float64) + momentum * var)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    x = np.asarray(x, np.float64)
    d = int(np.prod(normalized_shape))
    _, _, xhat = _group_stats(x.reshape(-1, d), eps)
    xhat = xhat.reshape(x.shape)
    return xhat * (1.0 if weight is None else np.asarray(weight, np.float64)) + (0.0 if bias is None else bias)


def layer_norm_backward(x, dy, normalized_shape, weight=None, eps=1e-5):
    x, dy = np.asarray(x, np.float64), np.asarray(dy, np.float64)
    d = int(np.prod(normalized_shape))
    _, var, xhat = _group_stats(x.reshape(-1, d), eps)
    invstd = 1.0 / np.sqrt(var + eps)
    gamma = np.ones(d) if weight is None else np.asarray(weight, np.float64).reshape(-1)
    dy2 = dy.reshape(-1, d)
    g = dy2 * gamma
    dx = invstd * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    shape = tuple(normalized_shape)
    return dx.reshape(x.shape), (dy2 * xhat).sum(axis=0).reshape(shape), dy2.sum(axis=0).reshape(shape)
