"""NAdam, one fused core call per parameter group."""
from __future__ import annotations

from .. import _core
from ._fused import Slots, _check_betas, _check_lr_eps_wd, _check_real, _FusedOptimizer
from .optimizer import ParamGroup, ParamsT

__all__ = ["NAdam"]

_nadam_step = _core.nadam_step


class NAdam(_FusedOptimizer):
    r"""Adam with Nesterov momentum, torch.optim.NAdam's rule, per parameter p at step t:

        g <- -g if maximize;  g <- g + weight_decay * p   (decoupled_weight_decay: p <- p (1 - lr wd) instead)
        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)),  mu_{t+1} likewise;  P_t = mu_1 ... mu_t
        m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
        d = sqrt(v / (1 - beta2^t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - P_t) * g / d - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d

    Ref: Dozat 2016, "Incorporating Nesterov Momentum into Adam". State: ``state[p]`` has "step",
    "mu_product" (P_t), "exp_avg" (m) and "exp_avg_sq" (v).

    >>> import neurocore as nc
    >>> w = nc.nn.Parameter(nc.tensor([1.0], dtype=nc.float64))
    >>> opt = nc.optim.NAdam([w], lr=0.002)
    >>> w.grad = nc.tensor([1.0], dtype=nc.float64)
    >>> opt.step()
    >>> round(w.item(), 6)  # 1 - 0.002 * (1 + mu_2 / (1 - mu_1 mu_2) * 0.1), mu_1 ~ mu_2 ~ 0.45
    0.997887
    """

    _state_names = ("exp_avg", "exp_avg_sq")
    _scalars = {"mu_product": 1.0}

    def __init__(self, params: ParamsT, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3, *, decoupled_weight_decay: bool = False,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: ParamGroup) -> None:
        _check_lr_eps_wd("NAdam", group)
        _check_betas("NAdam", group)
        if not 0.0 <= _check_real("NAdam", group, "momentum_decay"):
            raise ValueError(f"Invalid momentum_decay value: {group['momentum_decay']}")

    def _group_step(self, group: ParamGroup, s: Slots) -> None:
        beta1, beta2 = group["betas"]
        _nadam_step(group["params"], s["exp_avg"], s["exp_avg_sq"], s["step"], s["mu_product"], group["lr"], beta1,
                    beta2, group["eps"], group["weight_decay"], group["momentum_decay"],
                    group["decoupled_weight_decay"], group["maximize"])
