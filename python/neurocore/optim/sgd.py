"""Stochastic gradient descent (with momentum, Nesterov, weight decay), one fused core call per group."""
from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from .. import _core
from .._core import Tensor
from ..autograd import enable_grad
from .optimizer import Optimizer, ParamGroup, ParamsT

__all__ = ["SGD"]

_sgd_step = _core.sgd_step


class SGD(Optimizer):
    r"""SGD with PyTorch's update rule (torch.optim.SGD), per parameter p with gradient g:

        g <- -g if maximize
        g <- g + weight_decay * p                       (if weight_decay != 0)
        b <- g on the first step, else momentum * b + (1 - dampening) * g   (if momentum != 0)
        g <- g + momentum * b if nesterov else b        (if momentum != 0)
        p <- p - lr * g

    Parameters whose ``grad`` is None are skipped. ``step()`` makes one ``_core.sgd_step`` call per
    parameter group (no Python loop over parameters); momentum buffers are kept in a list per
    group and appear as ``state[p]["momentum_buffer"]``.

    >>> import neurocore as nc
    >>> w = nc.nn.Parameter(nc.tensor([1.0, 2.0]))
    >>> opt = nc.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.tolist()
    [0.800000011920929, 1.600000023841858]
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False) -> None:
        self._bufs: list[list[Tensor | None]] = []  # per group: momentum buffers, None until first used
        self._state_dirty = False
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        self._validate_group(defaults)
        super().__init__(params, defaults)

    def _validate_group(self, group: ParamGroup) -> None:
        for key in ("lr", "momentum", "dampening", "weight_decay"):
            v = group[key]
            if not isinstance(v, numbers.Real) or isinstance(v, bool):
                raise TypeError(f"SGD: {key} must be a real number, got {type(v).__name__}")
        if group["lr"] < 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']}")
        if group["momentum"] < 0.0:
            raise ValueError(f"Invalid momentum value: {group['momentum']}")
        if group["weight_decay"] < 0.0:
            raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={group['momentum']}, dampening={group['dampening']})")

    def _group_added(self, group: ParamGroup) -> None:
        self._bufs.append([None] * len(group["params"]))

    def _export_state(self) -> None:
        # Someone is looking at (and may change) `state`: hand out the live buffers, and read
        # `state` back before the next step. While `state` is already handed out it is the truth.
        if self._state_dirty:
            return
        for group, bufs in zip(self.param_groups, self._bufs):
            for p, b in zip(group["params"], bufs):
                if b is not None:
                    self._state[p]["momentum_buffer"] = b
                elif p in self._state:
                    self._state[p].pop("momentum_buffer", None)
        self._state_dirty = True

    def _import_state(self) -> None:
        st = self._state
        self._bufs = [[(st[p].get("momentum_buffer") if p in st else None) for p in group["params"]]
                      for group in self.param_groups]
        self._state_dirty = False

    def _resync(self) -> None:
        """Re-pair buffers with parameters after ``state`` or the groups were edited by hand
        (buffers of parameters appended to a group start empty)."""
        if not self._state_dirty:
            self._export_state()
        self._import_state()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        groups = self.param_groups
        if self._state_dirty or len(self._bufs) != len(groups):
            self._resync()
        all_bufs = self._bufs
        for i, group in enumerate(groups):
            params, bufs = group["params"], all_bufs[i]
            if len(bufs) != len(params):  # the group's list was edited by hand
                self._resync()
                all_bufs = self._bufs
                bufs = all_bufs[i]
            _sgd_step(params, bufs, group["lr"], group["momentum"], group["dampening"], group["weight_decay"],
                      group["nesterov"], group["maximize"])
        return loss
