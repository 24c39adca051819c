"""Adadelta, one fused core call per parameter group."""
from __future__ import annotations

from .. import _core
from ._fused import Slots, _check_lr_eps_wd, _check_real, _FusedOptimizer
from .optimizer import ParamGroup, ParamsT

__all__ = ["Adadelta"]

_adadelta_step = _core.adadelta_step


class Adadelta(_FusedOptimizer):
    r"""Adadelta with torch.optim.Adadelta's rule, per parameter p with gradient g:

        g <- -g if maximize;  g <- g + weight_decay * p
        v <- rho * v + (1 - rho) * g^2
        dx = sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * dx^2
        p <- p - lr * dx

    Ref: Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method" (``lr`` scales the delta, as in
    PyTorch). State: ``state[p]`` has "step", "square_avg" (v) and "acc_delta" (u).

    >>> import neurocore as nc
    >>> w = nc.nn.Parameter(nc.tensor([1.0], dtype=nc.float64))
    >>> opt = nc.optim.Adadelta([w], lr=1.0, rho=0.9, eps=1e-6)
    >>> w.grad = nc.tensor([2.0], dtype=nc.float64)
    >>> opt.step()
    >>> round(w.item(), 6)  # 1 - sqrt(1e-6) / sqrt(0.4 + 1e-6) * 2
    0.996838
    """

    _state_names = ("square_avg", "acc_delta")

    def __init__(self, params: ParamsT, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: ParamGroup) -> None:
        _check_lr_eps_wd("Adadelta", group)
        if not 0.0 <= _check_real("Adadelta", group, "rho") <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']}")

    def _group_step(self, group: ParamGroup, s: Slots) -> None:
        _adadelta_step(group["params"], s["square_avg"], s["acc_delta"], s["step"], group["lr"], group["rho"],
                       group["eps"], group["weight_decay"], group["maximize"])
