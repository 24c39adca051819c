"""Adagrad, one fused core call per parameter group."""
from __future__ import annotations

from .. import _core
from ._fused import Slots, _check_lr_eps_wd, _check_real, _FusedOptimizer
from .optimizer import ParamGroup, ParamsT

__all__ = ["Adagrad"]

_adagrad_step = _core.adagrad_step


class Adagrad(_FusedOptimizer):
    r"""Adagrad with torch.optim.Adagrad's rule, per parameter p with gradient g at step t:

        g <- -g if maximize;  g <- g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        sum <- sum + g^2                  (sum starts at initial_accumulator_value)
        p <- p - clr * g / (sqrt(sum) + eps)

    Ref: Duchi, Hazan & Singer 2011. State: ``state[p]`` has "step" and "sum".

    >>> import neurocore as nc
    >>> w = nc.nn.Parameter(nc.tensor([1.0, -2.0], dtype=nc.float64))
    >>> opt = nc.optim.Adagrad([w], lr=0.5)
    >>> w.grad = nc.tensor([3.0, 4.0], dtype=nc.float64)
    >>> opt.step()
    >>> [round(v, 6) for v in w.tolist()]
    [0.5, -2.5]
    """

    _state_names = ("sum",)

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: ParamGroup) -> None:
        _check_lr_eps_wd("Adagrad", group)
        for key in ("lr_decay", "initial_accumulator_value"):
            if not 0.0 <= _check_real("Adagrad", group, key):
                raise ValueError(f"Invalid {key} value: {group[key]}")

    def _group_step(self, group: ParamGroup, s: Slots) -> None:
        _adagrad_step(group["params"], s["sum"], s["step"], group["lr"], group["lr_decay"], group["weight_decay"],
                      group["initial_accumulator_value"], group["eps"], group["maximize"])
