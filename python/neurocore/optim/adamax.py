"""Adamax, one fused core call per parameter group."""
from __future__ import annotations

from .. import _core
from ._fused import Slots, _check_betas, _check_lr_eps_wd, _FusedOptimizer
from .optimizer import ParamGroup, ParamsT

__all__ = ["Adamax"]

_adamax_step = _core.adamax_step


class Adamax(_FusedOptimizer):
    r"""Adamax (Adam with the infinity norm) with torch.optim.Adamax's rule, at step t:

        g <- -g if maximize;  g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g;   u <- max(beta2 * u, |g| + eps)
        p <- p - lr / (1 - beta1^t) * m / u

    Ref: Kingma & Ba 2015, section 7. State: ``state[p]`` has "step", "exp_avg" (m), "exp_inf" (u).

    >>> import neurocore as nc
    >>> w = nc.nn.Parameter(nc.tensor([1.0], dtype=nc.float64))
    >>> opt = nc.optim.Adamax([w], lr=0.002)
    >>> w.grad = nc.tensor([4.0], dtype=nc.float64)
    >>> opt.step()
    >>> round(w.item(), 6)
    0.998
    """

    _state_names = ("exp_avg", "exp_inf")

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: ParamGroup) -> None:
        _check_lr_eps_wd("Adamax", group)
        _check_betas("Adamax", group)

    def _group_step(self, group: ParamGroup, s: Slots) -> None:
        beta1, beta2 = group["betas"]
        _adamax_step(group["params"], s["exp_avg"], s["exp_inf"], s["step"], group["lr"], beta1, beta2,
                     group["eps"], group["weight_decay"], group["maximize"])
