"""Loss layers: each stores its options and calls the matching core loss.

``reduction`` is "mean" (default), "sum" or "none"; anything else raises ValueError when the
module is built.
"""
from .. import _core
from .module import Module

__all__ = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"]

_pointwise_loss = _core.pointwise_loss
_MSE = _core.LossOp.mse
_L1 = _core.LossOp.l1


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """mean((input - target)^2) (or sum / per element). Shapes must match.

    >>> import neurocore as nc
    >>> nc.nn.MSELoss()(nc.tensor([0.0, 2.0]), nc.tensor([1.0, 2.0])).item()
    0.5
    """

    def forward(self, input, target):  # noqa: A002 - PyTorch's argument name
        return _pointwise_loss(_MSE, input, target, 0.0, self.reduction, "mse_loss")


class L1Loss(_Loss):
    """mean(|input - target|)."""

    def forward(self, input, target):  # noqa: A002
        return _pointwise_loss(_L1, input, target, 0.0, self.reduction, "l1_loss")


class BCELoss(_WeightedLoss):
    """Binary cross entropy on probabilities: -w [y log p + (1 - y) log(1 - p)] (logs clamped at -100)."""

    def forward(self, input, target):  # noqa: A002
        return _core.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """BCELoss(sigmoid(input), target), computed stably from logits; ``pos_weight`` weights positives."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):  # noqa: A002
        return _core.binary_cross_entropy_with_logits(input, target, self.weight, self.pos_weight, self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """log_softmax over the class dim followed by NLLLoss; targets are int64 class indices
    (shape (N,)) or class probabilities shaped like the input.

    >>> import neurocore as nc
    >>> loss = nc.nn.CrossEntropyLoss()(nc.zeros(2, 4), nc.tensor([0, 3]))
    >>> round(loss.item(), 6)  # log(4)
    1.386294
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002
        return _core.cross_entropy(input, target, self.weight, self.ignore_index, self.label_smoothing,
                                   self.reduction)


class NLLLoss(_WeightedLoss):
    """-input[n, target[n]] for log-probabilities ``input``; the weighted mean divides by the
    sum of the weights of the targets used (``ignore_index`` targets are skipped)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):  # noqa: A002
        return _core.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)
