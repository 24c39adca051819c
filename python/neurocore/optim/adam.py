"""Adam and AdamW, one fused core call per parameter group."""
from __future__ import annotations

from .. import _core
from ._fused import Slots, _check_betas, _check_lr_eps_wd, _FusedOptimizer
from .optimizer import ParamGroup, ParamsT

__all__ = ["Adam", "AdamW"]

_adam_step = _core.adam_step


class Adam(_FusedOptimizer):
    r"""Adam with torch.optim.Adam's rule, per parameter p with gradient g at step t:

        g <- -g if maximize;  g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
        amsgrad: v_max <- max(v_max, v), and v_max replaces v below
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    (eps is added after the square root of the bias-corrected v.) Ref: Kingma & Ba 2015; amsgrad:
    Reddi et al. 2018. State: ``state[p]`` has "step", "exp_avg" (m), "exp_avg_sq" (v) and, with
    amsgrad, "max_exp_avg_sq".

    >>> import neurocore as nc
    >>> w = nc.nn.Parameter(nc.tensor([1.0, -1.0], dtype=nc.float64))
    >>> opt = nc.optim.Adam([w], lr=0.1)
    >>> w.grad = nc.tensor([0.5, -3.0], dtype=nc.float64)
    >>> opt.step()  # the first step moves every value by about lr against its gradient's sign
    >>> [round(v, 6) for v in w.tolist()]
    [0.9, -0.9]
    """

    _state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _decoupled = False

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: ParamGroup) -> None:
        _check_lr_eps_wd(type(self).__name__, group)
        _check_betas(type(self).__name__, group)

    def _group_step(self, group: ParamGroup, s: Slots) -> None:
        beta1, beta2 = group["betas"]
        _adam_step(group["params"], s["exp_avg"], s["exp_avg_sq"], s["max_exp_avg_sq"], s["step"], group["lr"],
                   beta1, beta2, group["eps"], group["weight_decay"], group["amsgrad"], group["maximize"],
                   self._decoupled)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (torch.optim.AdamW): before the Adam update (which then
    has no weight-decay term in g), p <- p * (1 - lr * weight_decay). Default weight_decay 0.01.

    Ref: Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization".

    >>> import neurocore as nc
    >>> w = nc.nn.Parameter(nc.tensor([2.0], dtype=nc.float64))
    >>> opt = nc.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = nc.tensor([1.0], dtype=nc.float64)
    >>> opt.step()
    >>> round(w.item(), 6)  # 2 * (1 - 0.05) - 0.1
    1.8
    """

    _decoupled = True

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize)
