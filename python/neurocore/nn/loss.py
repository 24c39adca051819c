"""Loss layers: each stores its options and calls the matching core loss.

``reduction`` is "mean" (default), "sum" or "none"; anything else raises ValueError when the
module is built.
"""
from __future__ import annotations

from typing import ClassVar

from .. import _core
from . import functional as F
from .functional import _reduction
from .module import Module
from .._core import Tensor

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"]
__all__ += ["HuberLoss", "SmoothL1Loss", "HingeLoss", "PerceptronLoss", "MultiMarginLoss", "KLDivLoss",
            "PoissonNLLLoss", "FocalLoss", "TripletMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss"]

_pointwise_loss = _core.pointwise_loss
_MSE = _core.LossOp.mse
_L1 = _core.LossOp.l1


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(type(self).__name__, reduction, self._reductions)
        self.reduction = reduction

    _reductions: ClassVar[tuple[str, ...]] = ("mean", "sum", "none")

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """mean((input - target)^2) (or sum / per element). Shapes must match.

    >>> import neurocore as nc
    >>> nc.nn.MSELoss()(nc.tensor([0.0, 2.0]), nc.tensor([1.0, 2.0])).item()
    0.5
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return _pointwise_loss(_MSE, input, target, 0.0, self.reduction, "mse_loss")


class L1Loss(_Loss):
    """mean(|input - target|)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return _pointwise_loss(_L1, input, target, 0.0, self.reduction, "l1_loss")


class BCELoss(_WeightedLoss):
    """Binary cross entropy on probabilities: -w [y log p + (1 - y) log(1 - p)] (logs clamped at -100)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return _core.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """BCELoss(sigmoid(input), target), computed stably from logits; ``pos_weight`` weights positives."""

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean", pos_weight: Tensor | None = None) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return _core.binary_cross_entropy_with_logits(input, target, self.weight, self.pos_weight, self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """log_softmax over the class dim followed by NLLLoss; targets are int64 class indices
    (shape (N,)) or class probabilities shaped like the input.

    >>> import neurocore as nc
    >>> loss = nc.nn.CrossEntropyLoss()(nc.zeros(2, 4), nc.tensor([0, 3]))
    >>> round(loss.item(), 6)  # log(4)
    1.386294
    """

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return _core.cross_entropy(input, target, self.weight, self.ignore_index, self.label_smoothing,
                                   self.reduction)


class NLLLoss(_WeightedLoss):
    """-input[n, target[n]] for log-probabilities ``input``; the weighted mean divides by the
    sum of the weights of the targets used (``ignore_index`` targets are skipped)."""

    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return _core.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


# ---------------------------------------------------------------- more losses (formulas in nn.functional)
# size_average / reduce are PyTorch's legacy flags, mapped onto reduction.

class HuberLoss(_Loss):
    """0.5 d^2 where |d| <= delta, else delta (|d| - 0.5 delta), d = input - target."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (HuberLoss / beta).

    >>> import neurocore as nc
    >>> nc.nn.SmoothL1Loss()(nc.tensor([0.5, 3.0]), nc.tensor([0.0, 0.0])).item()
    1.3125
    """

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(_reduction(size_average, reduce, reduction))
        if beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {beta}")
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HingeLoss(_Loss):
    """max(0, 1 - y f(x)) for scores f(x) and labels y in {-1, 1} (the linear SVM's loss).

    >>> import neurocore as nc
    >>> nc.nn.HingeLoss()(nc.tensor([0.5, -2.0]), nc.tensor([1.0, 1.0])).item()
    1.75
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.hinge_loss(input, target, self.reduction)


class PerceptronLoss(_Loss):
    """max(0, -y f(x)) for scores f(x) and labels y in {-1, 1}."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.perceptron_loss(input, target, self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss: sum over i != y of w[y] max(0, margin - x[y] + x[i])^p / C."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(weight, _reduction(size_average, reduce, reduction))
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p}")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


class KLDivLoss(_Loss):
    """target * (log(target) - input) for log-probabilities ``input``; reduction="batchmean" gives
    the KL divergence per sample (sum / batch size).

    >>> import neurocore as nc
    >>> p = nc.tensor([[0.5, 0.5]])
    >>> nc.nn.KLDivLoss(reduction="batchmean")(p.log(), p).item()
    0.0
    """
    _reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(_reduction(size_average, reduce, reduction))
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(_Loss):
    """exp(input) - target * input for log-rates (log_input=True), else input - target log(input + eps)."""

    def __init__(self, log_input: bool = True, full: bool = False, size_average: bool | None = None, eps: float = 1e-8,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(_reduction(size_average, reduce, reduction))
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps,
                                  reduction=self.reduction)


class FocalLoss(_Loss):
    """Binary focal loss from logits: alpha_t (1 - p_t)^gamma BCE (Lin et al. 2017)."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if gamma < 0:
            raise ValueError(f"FocalLoss: gamma must be non-negative, got {gamma}")
        self.alpha = alpha
        self.gamma = gamma

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.focal_loss(input, target, self.alpha, self.gamma, self.reduction)


class TripletMarginLoss(_Loss):
    """max(d(a, p) - d(a, n) + margin, 0) with the p-norm distance d over the last dim."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(_reduction(size_average, reduce, reduction))
        if not p > 0:
            raise ValueError(f"TripletMarginLoss: p must be positive, got {p}")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                                     reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1."""

    def __init__(self, margin: float = 0.0, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(_reduction(size_average, reduce, reduction))
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """max(0, -y (x1 - x2) + margin)."""

    def __init__(self, margin: float = 0.0, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(_reduction(size_average, reduce, reduction))
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)
