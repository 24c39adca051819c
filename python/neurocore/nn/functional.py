"""Stateless layer functions (``import neurocore.nn.functional as F``), PyTorch's signatures.

Each is a direct call into the C++ core. ``inplace=True`` is accepted for compatibility and gives
the same values out of place (the core never mutates an input of a recorded op).

>>> import neurocore as nc
>>> import neurocore.nn.functional as F
>>> F.relu(nc.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
>>> round(F.mse_loss(nc.tensor([1.0, 2.0]), nc.tensor([1.0, 4.0])).item(), 6)
2.0
"""
from .. import _core

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "mse_loss", "l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss"]

_unary = _core.unary
_LEAKY = _core.UnaryOp.leaky_relu


_MSE = _core.LossOp.mse
_L1 = _core.LossOp.l1
_pointwise_loss = _core.pointwise_loss
# linear(input, weight, bias=None) = input @ weight.T + bias; input (*, in), weight (out, in), bias (out,).
linear = _core.linear


def _reduction(size_average, reduce, reduction):
    """PyTorch's legacy size_average/reduce flags mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def relu(input, inplace=False):  # noqa: A002 - PyTorch's argument name
    """max(x, 0)."""
    return input.relu()


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    """x if x > 0 else negative_slope * x."""
    return _unary(input, _LEAKY, negative_slope, 0.0)


def sigmoid(input):  # noqa: A002
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input):  # noqa: A002
    return input.tanh()


def softmax(input, dim=None, dtype=None):  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim`` (None means the last dim). ``dtype`` converts first."""
    if dtype is not None:
        input = input.to(dtype)
    return _core.softmax(input, -1 if dim is None else dim)


def log_softmax(input, dim=None, dtype=None):  # noqa: A002
    """log(softmax(x)) along ``dim`` (None means the last dim), computed stably."""
    if dtype is not None:
        input = input.to(dtype)
    return _core.log_softmax(input, -1 if dim is None else dim)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """(input - target)^2, reduced by ``reduction`` ("mean", "sum" or "none"); shapes must match."""
    return _pointwise_loss(_MSE, input, target, 0.0, _reduction(size_average, reduce, reduction), "mse_loss")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):  # noqa: A002
    """|input - target|, reduced by ``reduction``."""
    return _pointwise_loss(_L1, input, target, 0.0, _reduction(size_average, reduce, reduction), "l1_loss")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                         reduction="mean"):
    """-w [y log p + (1 - y) log(1 - p)] for probabilities ``input`` in [0, 1] (logs clamped at -100)."""
    return _core.binary_cross_entropy(input, target, weight, _reduction(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,  # noqa: A002
                                     reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(input), target), computed stably from logits.

    ``pos_weight`` (one value per class, broadcast over the last dim) weights the positive term.
    """
    return _core.binary_cross_entropy_with_logits(input, target, weight, pos_weight,
                                                  _reduction(size_average, reduce, reduction))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
                  reduction="mean", label_smoothing=0.0):
    """log_softmax over dim 1 (dim 0 for 1-D input) followed by nll_loss.

    ``target`` holds int64 class indices of shape (N, ...) or class probabilities shaped like ``input``.
    """
    return _core.cross_entropy(input, target, weight, ignore_index, label_smoothing,
                               _reduction(size_average, reduce, reduction))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,  # noqa: A002
             reduction="mean"):
    """-input[n, target[n]] (weighted; the mean divides by the sum of the used weights)."""
    return _core.nll_loss(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction))
