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
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Union

from .. import _core
from .._core import Tensor
from .._tensor import DTypeLike, arange

_IntOrSeq = Union[int, Sequence[int]]  # a size given once for every spatial dim, or per dim
_OutputSize = Union[int, Sequence[Union[int, None]]]  # adaptive pooling: None keeps that input size

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "mse_loss", "l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss"]
__all__ += ["step", "relu6", "prelu", "elu", "selu", "celu", "gelu", "silu", "swish", "mish", "softplus", "softsign",
            "hardtanh", "hardsigmoid", "hardswish", "logsigmoid"]
__all__ += ["huber_loss", "smooth_l1_loss", "hinge_loss", "perceptron_loss", "multi_margin_loss", "kl_div",
            "poisson_nll_loss", "focal_loss", "triplet_margin_loss", "cosine_embedding_loss", "margin_ranking_loss"]

_unary = _core.unary
_U = _core.UnaryOp
_LEAKY = _core.UnaryOp.leaky_relu


_MSE = _core.LossOp.mse
_L1 = _core.LossOp.l1
_pointwise_loss = _core.pointwise_loss
# linear(input, weight, bias=None) = input @ weight.T + bias; input (*, in), weight (out, in), bias (out,).
linear = _core.linear


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's legacy size_average/reduce flags mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """max(x, 0)."""
    return input.relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else negative_slope * x."""
    return _unary(input, _LEAKY, negative_slope, 0.0)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return input.tanh()


# ---------------------------------------------------------------- more activations (the core's unary table)

def step(input: Tensor) -> Tensor:  # noqa: A002
    """Heaviside step: 1 where x > 0, else 0 (also at x = 0). Its gradient is zero everywhere."""
    return _unary(input, _U.step, 0.0, 0.0)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6)."""
    return _unary(input, _U.hardtanh, 0.0, 6.0)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """x if x > 0 else weight * x, with a learnable ``weight`` that gets gradients.

    ``weight`` has one element (shared by every channel) or one per channel, the channel dim being
    dim 1 of ``input`` (a 0-d or 1-D input has a single channel).
    """
    n = weight.numel()
    if n == 1:
        w = weight.reshape([1] * input.dim())
    elif weight.dim() == 1 and input.dim() >= 2 and input.shape[1] == n:
        w = weight.reshape([1, n] + [1] * (input.dim() - 2))
    else:
        raise ValueError(f"prelu: weight of shape {tuple(weight.shape)} must have 1 element or one per channel "
                         f"(dim 1) of the input of shape {tuple(input.shape)}")
    return _core.where(input > 0, input, w * input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _unary(input, _U.elu, alpha, 0.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha) with the self-normalising constants (Klambauer et al. 2017)."""
    return _unary(input, _U.selu, 0.0, 0.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); ``alpha`` must not be 0."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return _unary(input, _U.celu, alpha, 0.0)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """x * Phi(x) (Phi the standard normal CDF); approximate="tanh" uses Hendrycks & Gimpel's tanh formula."""
    if approximate == "none":
        return _unary(input, _U.gelu, 0.0, 0.0)
    if approximate == "tanh":
        return _unary(input, _U.gelu_tanh, 0.0, 0.0)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * sigmoid(x) (also called swish)."""
    return _unary(input, _U.silu, 0.0, 0.0)


swish = silu


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * tanh(softplus(x)) (Misra 2019)."""
    return _unary(input, _U.mish, 0.0, 0.0)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    if beta == 0:
        raise ValueError("softplus: beta must not be 0")
    return _unary(input, _U.softplus, beta, threshold)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """x / (1 + |x|)."""
    return _unary(input, _U.softsign, 0.0, 0.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _unary(input, _U.hardtanh, min_val, max_val)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between."""
    return _unary(input, _U.hardsigmoid, 0.0, 0.0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * hardsigmoid(x) (Howard et al. 2019, MobileNetV3)."""
    return _unary(input, _U.hardswish, 0.0, 0.0)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """log(sigmoid(x)) = -softplus(-x), computed without overflow."""
    return _unary(input, _U.logsigmoid, 0.0, 0.0)


def softmax(input: Tensor, dim: int | None = None, dtype: DTypeLike | None = None) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim`` (None means the last dim). ``dtype`` converts first."""
    if dtype is not None:
        input = input.to(dtype)
    return _core.softmax(input, -1 if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None, dtype: DTypeLike | None = None) -> Tensor:  # noqa: A002
    """log(softmax(x)) along ``dim`` (None means the last dim), computed stably."""
    if dtype is not None:
        input = input.to(dtype)
    return _core.log_softmax(input, -1 if dim is None else dim)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """(input - target)^2, reduced by ``reduction`` ("mean", "sum" or "none"); shapes must match."""
    return _pointwise_loss(_MSE, input, target, 0.0, _reduction(size_average, reduce, reduction), "mse_loss")


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,  # noqa: A002
            reduction: str = "mean") -> Tensor:
    """|input - target|, reduced by ``reduction``."""
    return _pointwise_loss(_L1, input, target, 0.0, _reduction(size_average, reduce, reduction), "l1_loss")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w [y log p + (1 - y) log(1 - p)] for probabilities ``input`` in [0, 1] (logs clamped at -100)."""
    return _core.binary_cross_entropy(input, target, weight, _reduction(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), computed stably from logits.

    ``pos_weight`` (one value per class, broadcast over the last dim) weights the positive term.
    """
    return _core.binary_cross_entropy_with_logits(input, target, weight, pos_weight,
                                                  _reduction(size_average, reduce, reduction))


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
                  size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax over dim 1 (dim 0 for 1-D input) followed by nll_loss.

    ``target`` holds int64 class indices of shape (N, ...) or class probabilities shaped like ``input``.
    """
    return _core.cross_entropy(input, target, weight, ignore_index, label_smoothing,
                               _reduction(size_average, reduce, reduction))


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,  # noqa: A002
             size_average: bool | None = None, ignore_index: int = -100, reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] (weighted; the mean divides by the sum of the used weights)."""
    return _core.nll_loss(input, target, weight, ignore_index, _reduction(size_average, reduce, reduction))


# ---------------------------------------------------------------- more losses
# huber / smooth_l1 are core kernels; the rest are composed from differentiable tensor ops, so their
# gradients come from autograd. Hinge-type terms use clamp(min=0), whose gradient at the kink is 1
# (PyTorch's clamp_min convention).

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name: str, reduction: str, allowed: tuple[str, ...] = _REDUCTIONS) -> None:
    if reduction not in allowed:
        opts = ", ".join(repr(r) for r in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"{name}: reduction must be {opts}, got {reduction!r}")


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_float(name: str, t: Tensor, what: str = "input") -> None:
    if not t.dtype.is_floating_point:
        raise TypeError(f"{name}: {what} must be float32 or float64, got {t.dtype}")


def _check_same_shape(name: str, a: Tensor, b: Tensor, what: tuple[str, str] = ("input", "target")) -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{name}: {what[0]} shape {tuple(a.shape)} and {what[1]} shape {tuple(b.shape)} "
                         "must be the same")


def _check_pm1(name: str, target: Tensor) -> None:
    """Labels must be -1 or +1 (a 0/1 target would silently give a wrong loss)."""
    if target.numel() and target.ne(1).logical_and(target.ne(-1)).any().item():
        raise ValueError(f"{name}: target must hold labels -1 or 1")


def _pointwise_composed(name: str, input: Tensor, target: Tensor, reduction: str,  # noqa: A002
                        allowed: tuple[str, ...] = _REDUCTIONS) -> Tensor:
    """Validation shared by the composed pointwise losses; returns the target in the input's dtype."""
    _check_reduction(name, reduction, allowed)
    _check_float(name, input)
    _check_same_shape(name, input, target)
    return target.to(input.dtype)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:  # noqa: A002
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta), d = input - target (Huber 1964)."""
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _pointwise_loss(_core.LossOp.huber, input, target, delta, reduction, "huber_loss")


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,  # noqa: A002
                   reduce: bool | None = None, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0 gives the L1 loss)."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    return _pointwise_loss(_core.LossOp.smooth_l1, input, target, beta, _reduction(size_average, reduce, reduction),
                           "smooth_l1_loss")


def hinge_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """max(0, 1 - y f(x)) for raw scores ``input`` = f(x) and labels ``target`` = y in {-1, 1}."""
    y = _pointwise_composed("hinge_loss", input, target, reduction)
    _check_pm1("hinge_loss", target)
    return _apply_reduction((1.0 - y * input).clamp(min=0.0), reduction)


def perceptron_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """max(0, -y f(x)) for raw scores ``input`` = f(x) and labels ``target`` = y in {-1, 1}
    (a score of exactly 0 counts as a mistake: its gradient is -y)."""
    y = _pointwise_composed("perceptron_loss", input, target, reduction)
    _check_pm1("perceptron_loss", target)
    return _apply_reduction((-(y * input)).clamp(min=0.0), reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,  # noqa: A002
                      weight: Tensor | None = None, size_average: bool | None = None, reduce: bool | None = None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge: sum over i != y of w[y] max(0, margin - x[y] + x[i])^p / C, per sample.

    input (N, C) or (C,); target (N,) or () int64 class indices; ``p`` is 1 or 2.
    """
    name = "multi_margin_loss"
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(name, reduction)
    _check_float(name, input)
    if p not in (1, 2):
        raise ValueError(f"{name}: only p == 1 and p == 2 are supported, got {p}")
    if input.dim() not in (1, 2):
        raise ValueError(f"{name}: input must be 1-D (C,) or 2-D (N, C), got shape {tuple(input.shape)}")
    if target.dtype != _core.DType.int64:
        raise TypeError(f"{name}: target must hold int64 class indices, got {target.dtype}")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    N, C = x.shape
    if input.dim() == 2:
        ok = tuple(target.shape) == (N,)
    else:  # a 1-D input takes a 0-d target (or one of shape (1,))
        ok = target.numel() == 1 and target.dim() <= 1
    if not ok:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} expects a target of shape "
                         f"{(N,) if input.dim() == 2 else ()}, got {tuple(target.shape)}")
    t = target.reshape(-1)
    if N and (t.min().item() < 0 or t.max().item() >= C):
        bad = t.min().item() if t.min().item() < 0 else t.max().item()
        raise IndexError(f"{name}: target {bad} is out of bounds for {C} classes "
                         f"(expected a class index in [0, {C - 1}])")
    x_y = x.reshape(-1).index_select(0, arange(N) * C + t).reshape(N, 1)
    z = (margin - x_y + x).relu()  # the kernel's rule: no gradient where the margin is met exactly
    if p == 2:
        z = z * z
    z = _core.where(arange(C).reshape(1, C) != t.reshape(N, 1), z, 0.0)
    if weight is not None:
        if tuple(weight.shape) != (C,):
            raise ValueError(f"{name}: weight must have shape ({C},), got {tuple(weight.shape)}")
        z = z * weight.to(x.dtype).index_select(0, t).reshape(N, 1)
    loss = z.sum(1) / C
    if input.dim() == 1:
        loss = loss.reshape(target.shape)
    return _apply_reduction(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,  # noqa: A002
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Pointwise KL divergence target * (log(target) - input) for log-probabilities ``input``
    (0 where target is 0); with log_target=True, ``target`` holds log-probabilities too.

    reduction="batchmean" (the true KL divergence per sample) divides the sum by input.shape[0];
    "mean" divides by the number of elements, as PyTorch does.
    """
    reduction = _reduction(size_average, reduce, reduction)
    t = _pointwise_composed("kl_div", input, target, reduction, ("mean", "batchmean", "sum", "none"))
    if log_target:
        loss = t.exp() * (t - input)
    else:
        zero = t == 0
        xlogx = _core.where(zero, 0.0, t * _core.where(zero, 1.0, t).log())  # xlogy(t, t): 0 log 0 = 0
        loss = xlogx - t * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return _apply_reduction(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average: bool | None = None, eps: float = 1e-8, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: exp(input) - target * input for log-rates (log_input=True),
    else input - target * log(input + eps); full=True adds Stirling's approximation of log(target!)
    where target > 1."""
    reduction = _reduction(size_average, reduce, reduction)
    t = _pointwise_composed("poisson_nll_loss", input, target, reduction)
    loss = input.exp() - t * input if log_input else input - t * (input + eps).log()
    if full:
        big = t > 1
        ts = _core.where(big, t, 2.0)
        stirling = ts * ts.log() - ts + 0.5 * (2 * math.pi * ts).log()
        loss = loss + _core.where(big, stirling, 0.0)
    return _apply_reduction(loss, reduction)


def focal_loss(input: Tensor, target: Tensor, alpha: float = 0.25, gamma: float = 2.0,  # noqa: A002
               reduction: str = "mean") -> Tensor:
    """Binary focal loss from logits (Lin et al. 2017; torchvision's sigmoid_focal_loss, whose default
    reduction is "none"): alpha_t (1 - p_t)^gamma BCE(sigmoid(input), target), where p_t is the
    probability of the true class and alpha_t = alpha y + (1 - alpha)(1 - y); alpha < 0 disables it.
    Stable for any logit: the BCE term is computed from logits and 1 - p_t without cancellation."""
    t = _pointwise_composed("focal_loss", input, target, reduction)
    if gamma < 0:
        raise ValueError(f"focal_loss: gamma must be non-negative, got {gamma}")
    loss = binary_cross_entropy_with_logits(input, t, reduction="none")
    if gamma != 0:
        one_minus_pt = input.sigmoid() * (1.0 - t) + (-input).sigmoid() * t
        loss = loss * one_minus_pt ** gamma
    if alpha >= 0:
        loss = loss * (alpha * t + (1.0 - alpha) * (1.0 - t))
    return _apply_reduction(loss, reduction)


def _pairwise_distance(a: Tensor, b: Tensor, p: float, eps: float) -> Tensor:
    """||a - b + eps||_p over the last dim (PyTorch's pairwise_distance)."""
    d = a - b + eps
    if p == 2:
        return (d * d).sum(-1).sqrt()
    if p == 1:
        return d.abs().sum(-1)
    return (d.abs() ** p).sum(-1) ** (1.0 / p)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0), d the p-norm distance over the last dim of (N, D) or (D,)
    inputs; swap=True uses min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016)."""
    name = "triplet_margin_loss"
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(name, reduction)
    _check_float(name, anchor, "anchor")
    _check_same_shape(name, anchor, positive, ("anchor", "positive"))
    _check_same_shape(name, anchor, negative, ("anchor", "negative"))
    if anchor.dim() not in (1, 2):
        raise ValueError(f"{name}: inputs must be 1-D (D,) or 2-D (N, D), got shape {tuple(anchor.shape)}")
    if not p > 0:
        raise ValueError(f"{name}: p must be positive, got {p}")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(_pairwise_distance(positive, negative, p, eps))
    return _apply_reduction((margin + d_pos - d_neg).clamp(min=0.0), reduction)


def _check_pair_target(name: str, input1: Tensor, input2: Tensor, target: Tensor, vector: bool) -> None:  # noqa: A002
    _check_float(name, input1, "input1")
    _check_same_shape(name, input1, input2, ("input1", "input2"))
    expect = tuple(input1.shape[:-1]) if vector else tuple(input1.shape)
    if tuple(target.shape) != expect:
        raise ValueError(f"{name}: inputs of shape {tuple(input1.shape)} expect a target of shape {expect}, "
                         f"got {tuple(target.shape)}")


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1; max(0, cos(x1, x2) - margin) where target is -1.

    Inputs (N, D) or (D,), target (N,) or (); cos = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)).
    """
    name = "cosine_embedding_loss"
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(name, reduction)
    if input1.dim() not in (1, 2):
        raise ValueError(f"{name}: inputs must be 1-D (D,) or 2-D (N, D), got shape {tuple(input1.shape)}")
    _check_pair_target(name, input1, input2, target, vector=True)
    eps = 1e-12
    cos = (input1 * input2).sum(-1) / (((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps)).sqrt()
    loss = (_core.where(target == 1, 1.0 - cos, 0.0)
            + _core.where(target == -1, (cos - margin).clamp(min=0.0), 0.0))
    return _apply_reduction(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): y = 1 asks for x1 ranked above x2, y = -1 for below."""
    name = "margin_ranking_loss"
    reduction = _reduction(size_average, reduce, reduction)
    _check_reduction(name, reduction)
    _check_pair_target(name, input1, input2, target, vector=False)
    y = target.to(input1.dtype)
    return _apply_reduction((margin - y * (input1 - input2)).clamp(min=0.0), reduction)

from .conv import conv1d, conv2d  # noqa: E402  (conv.py holds the padding rules)

__all__ += ["conv1d", "conv2d"]


# ---------------------------------------------------------------- pooling (C++ kernels: cpp/ops/pool.cpp)
# Layout (N, C, L) / (N, C, H, W), or unbatched (C, L) / (C, H, W); float32 or float64. Sizes are an int or a
# tuple; stride=None means stride = kernel_size. Output size per spatial dim (PyTorch's rule):
# floor((in + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1, with ceil instead of floor under
# ceil_mode (a last window that would start in the right padding is dropped). padding <= kernel_size // 2.

__all__ += ["max_pool1d", "max_pool2d", "min_pool2d", "avg_pool1d", "avg_pool2d", "lp_pool1d", "lp_pool2d",
            "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"]


def max_pool1d(input: Tensor, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None,  # noqa: A002
               padding: _IntOrSeq = 0, dilation: _IntOrSeq = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each window of (N, C, L); padding never wins. With return_indices, also the int64 position
    of each maximum within L (what ``max_unpool`` would take)."""
    return _core.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None,  # noqa: A002
               padding: _IntOrSeq = 0, dilation: _IntOrSeq = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each window of (N, C, H, W); the gradient goes to the maximum (the first one on ties).

    >>> import neurocore as nc
    >>> import neurocore.nn.functional as F
    >>> x = nc.arange(16.0).reshape(1, 1, 4, 4)
    >>> F.max_pool2d(x, 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    >>> F.max_pool2d(x, 2, return_indices=True)[1].tolist()  # flat positions h * W + w
    [[[[5, 7], [13, 15]]]]
    """
    return _core.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def min_pool2d(input: Tensor, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None,  # noqa: A002
               padding: _IntOrSeq = 0, dilation: _IntOrSeq = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Min over each window (not in PyTorch; equals -max_pool2d(-x)); the gradient goes to the minimum.

    >>> import neurocore as nc
    >>> import neurocore.nn.functional as F
    >>> F.min_pool2d(nc.arange(16.0).reshape(1, 4, 4), 2).tolist()
    [[[0.0, 2.0], [8.0, 10.0]]]
    """
    return _core.min_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool1d(input: Tensor, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None,  # noqa: A002
               padding: _IntOrSeq = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over each window of (N, C, L). The divisor counts padded zeros when count_include_pad."""
    return _core.avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(input: Tensor, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None,  # noqa: A002
               padding: _IntOrSeq = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over each window of (N, C, H, W); divisor_override replaces the window size as divisor.

    >>> import neurocore as nc
    >>> import neurocore.nn.functional as F
    >>> F.avg_pool2d(nc.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _core.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling (sum over the window of x^p)^(1/p), PyTorch's definition (no padding; p = inf
    is max |x|). Windows whose sum is 0 give 0 with a zero gradient."""
    return _core.lp_pool1d(input, float(norm_type), kernel_size, stride, ceil_mode)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, H, W): (sum over the window of x^p)^(1/p); p = 2 is L2 pooling.

    >>> import neurocore as nc
    >>> import neurocore.nn.functional as F
    >>> F.lp_pool2d(nc.tensor([[[3.0, 4.0], [0.0, 0.0]]]), 2, 2).tolist()
    [[[5.0]]]
    """
    return _core.lp_pool2d(input, float(norm_type), kernel_size, stride, ceil_mode)


def adaptive_avg_pool1d(input: Tensor, output_size: _OutputSize) -> Tensor:  # noqa: A002
    """Mean over windows [floor(i*L/out), ceil((i+1)*L/out)) so the output length is output_size."""
    return _core.adaptive_avg_pool1d(input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size: _OutputSize) -> Tensor:  # noqa: A002
    """Mean over adaptive windows to an (out_h, out_w) output; None keeps that input size, 1 is global pooling.

    >>> import neurocore as nc
    >>> import neurocore.nn.functional as F
    >>> F.adaptive_avg_pool2d(nc.ones(2, 3, 7, 5), 1).shape
    (2, 3, 1, 1)
    >>> F.adaptive_avg_pool2d(nc.arange(5.0).reshape(1, 1, 5), (None, 2)).tolist()
    [[[1.0, 3.0]]]
    """
    return _core.adaptive_avg_pool2d(input, output_size)


def adaptive_max_pool1d(input: Tensor, output_size: _OutputSize,  # noqa: A002
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over windows [floor(i*L/out), ceil((i+1)*L/out)); indices as in max_pool1d."""
    return _core.adaptive_max_pool1d(input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size: _OutputSize,  # noqa: A002
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max over adaptive windows to an (out_h, out_w) output; indices as in max_pool2d."""
    return _core.adaptive_max_pool2d(input, output_size, return_indices)


# ---------------------------------------------------------------- normalization (C++ kernels: cpp/ops/norm.cpp)
# Fused forward and backward kernels, float32 and float64. Statistics use the biased variance; eps is added
# to it under the square root: y = (x - mean) / sqrt(var + eps) * weight + bias.

__all__ += ["batch_norm", "layer_norm", "group_norm", "instance_norm"]


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalization over dim 1 of (N, C, *) (Ioffe & Szegedy 2015).

    ``training=True``: each channel is normalized with its batch mean and biased variance over N and the
    trailing dims, and ``running_mean``/``running_var`` (if given) become ``(1 - momentum) * running +
    momentum * batch`` (the running variance takes the unbiased batch variance). ``training=False``: uses
    ``running_mean`` and ``running_var``. Needs more than one value per channel when training.

    >>> import neurocore as nc
    >>> import neurocore.nn.functional as F
    >>> x = nc.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> rm, rv = nc.zeros(2), nc.ones(2)
    >>> F.batch_norm(x, rm, rv, training=True, eps=0.0).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> rm.tolist(), rv.tolist()
    ([0.20000000298023224, 2.0], [1.100000023841858, 20.899999618530273])
    """
    return _core.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input: Tensor, normalized_shape: _IntOrSeq, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing dims given by ``normalized_shape`` (Ba et al. 2016); ``weight`` and ``bias``
    have shape ``normalized_shape``.

    >>> import neurocore as nc
    >>> import neurocore.nn.functional as F
    >>> F.layer_norm(nc.tensor([[1.0, 3.0], [5.0, 9.0]]), (2,), eps=0.0).tolist()
    [[-1.0, 1.0], [-1.0, 1.0]]
    """
    return _core.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,  # noqa: A002
               eps: float = 1e-5) -> Tensor:
    """Normalize (N, C, *) over groups of C / num_groups channels (with their trailing dims), per sample
    (Wu & He 2018); ``weight`` and ``bias`` (C,) apply per channel."""
    return _core.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,  # noqa: A002
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each (n, c) plane of (N, C, *) by its own mean and variance (Ulyanov et al. 2016).

    With ``use_input_stats`` and running statistics given, they move towards the batch average of the
    per-plane mean and unbiased variance; without ``use_input_stats`` the running statistics are used."""
    return _core.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


# ---------------------------------------------------------------- dropout (C++ kernels: cpp/ops/dropout.cpp)
# The keep mask comes from the global generator (reproducible under nc.manual_seed). Not training, or p == 0,
# returns the input itself. ``inplace`` is accepted for compatibility; the result is computed out of place.

__all__ += ["dropout", "dropout1d", "dropout2d", "alpha_dropout", "feature_alpha_dropout"]


def _check_dropout_p(name: str, p: float) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
        raise ValueError(f"{name}: dropout probability p must be a number in [0, 1), got p={p!r}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Inverted dropout: each element is zeroed with probability p and the kept ones are scaled by 1 / (1 - p),
    so the expected output equals the input (Srivastava et al. 2014).

    >>> import neurocore as nc
    >>> import neurocore.nn.functional as F
    >>> y = F.dropout(nc.ones(1000), p=0.5)
    >>> sorted(set(y.tolist()))
    [0.0, 2.0]
    >>> F.dropout(nc.ones(3), p=0.25, training=False).tolist()
    [1.0, 1.0, 1.0]
    """
    return _core._dropout(input, p, training, False, -1, "dropout")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Channel dropout on (N, C, L) or unbatched (C, L): zeroes whole channels with probability p, scales
    the kept ones by 1 / (1 - p)."""
    d = input.dim()
    if d not in (2, 3):
        raise ValueError(f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got a {d}-D input of shape "
                         f"{tuple(input.shape)}")
    return _core._dropout(input, p, training, False, d - 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Channel dropout on (N, C, H, W): zeroes whole (n, c) planes with probability p, scales the kept ones
    by 1 / (1 - p) (Tompson et al. 2015). A 3-D input is taken as (N, C, L) with a warning, as PyTorch does."""
    d = input.dim()
    if d not in (3, 4):
        raise ValueError(f"dropout2d: expected a 3-D or 4-D (N, C, H, W) input, got a {d}-D input of shape "
                         f"{tuple(input.shape)}")
    if d == 3:
        import warnings
        warnings.warn("dropout2d: received a 3-D input; as in PyTorch it is taken as (N, C, L) and each (n, c) "
                      "channel is dropped as a whole (use dropout1d for that)", UserWarning, stacklevel=2)
    return _core._dropout(input, p, training, False, 2, "dropout2d")


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:  # noqa: A002
    """Alpha dropout for SELU networks (Klambauer et al. 2017): dropped elements take SELU's negative saturation
    value, then an affine map a * x + b restores zero mean and unit variance. Note PyTorch's default
    ``training=False``."""
    return _core._dropout(input, p, training, True, -1, "alpha_dropout")


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole (n, c) channels of (N, C, *)."""
    if input.dim() < 2:
        raise ValueError(f"feature_alpha_dropout: expected an (N, C, *) input, got shape {tuple(input.shape)}")
    return _core._dropout(input, p, training, True, 2, "feature_alpha_dropout")


from ..data.text import one_hot  # noqa: E402  (sequence tools live in nc.data; PyTorch also has it here)
from .embedding import embedding  # noqa: E402

__all__ += ["one_hot", "embedding"]
