"""RMSprop, one fused core call per parameter group."""
from __future__ import annotations

from .. import _core
from ._fused import Slots, _check_lr_eps_wd, _check_real, _FusedOptimizer
from .optimizer import ParamGroup, ParamsT

__all__ = ["RMSprop"]

_rmsprop_step = _core.rmsprop_step


class RMSprop(_FusedOptimizer):
    r"""RMSprop with torch.optim.RMSprop's rule, per parameter p with gradient g:

        g <- -g if maximize;  g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g^2
        centered:  g_avg <- alpha * g_avg + (1 - alpha) * g;  v~ = v - g_avg^2     else v~ = v
        momentum > 0:  b <- momentum * b + g / (sqrt(v~) + eps);  p <- p - lr * b
        else:          p <- p - lr * g / (sqrt(v~) + eps)

    Ref: Hinton, Lecture 6e of "Neural Networks for Machine Learning"; centered: Graves 2013.
    State: ``state[p]`` has "step", "square_avg", and "momentum_buffer" / "grad_avg" when used.

    >>> import neurocore as nc
    >>> w = nc.nn.Parameter(nc.tensor([1.0], dtype=nc.float64))
    >>> opt = nc.optim.RMSprop([w], lr=0.01, alpha=0.99)
    >>> w.grad = nc.tensor([2.0], dtype=nc.float64)
    >>> opt.step()
    >>> round(w.item(), 6)  # 1 - 0.01 * 2 / sqrt(0.01 * 4)
    0.9
    """

    _state_names = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: ParamGroup) -> None:
        _check_lr_eps_wd("RMSprop", group)
        if not 0.0 <= _check_real("RMSprop", group, "momentum"):
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if not 0.0 <= _check_real("RMSprop", group, "alpha") <= 1.0:
            raise ValueError(f"Invalid alpha value: {group['alpha']}")

    def _group_step(self, group: ParamGroup, s: Slots) -> None:
        _rmsprop_step(group["params"], s["square_avg"], s["momentum_buffer"], s["grad_avg"], s["step"], group["lr"],
                      group["alpha"], group["eps"], group["weight_decay"], group["momentum"], group["centered"],
                      group["maximize"])
