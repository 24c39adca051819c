"""Shared machinery of the adaptive optimizers: per-group lists of state tensors and step counts
that one fused ``_core.<name>_step`` call per group reads and updates in place."""
from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, ClassVar, cast

from .._core import Tensor
from ..autograd import enable_grad
from .optimizer import Optimizer, ParamGroup, ParamsT

__all__: list[str] = []

# Per group: "step" and each state name -> one entry per parameter (int steps, float scalars,
# Tensor-or-None state buffers), the lists the fused core step functions update in place.
Slots = dict[str, list[Any]]


def _check_real(cls: str, group: ParamGroup, key: str) -> float:
    v = group[key]
    if not isinstance(v, numbers.Real) or isinstance(v, bool):
        raise TypeError(f"{cls}: {key} must be a real number, got {type(v).__name__}")
    return cast(float, v)  # any numbers.Real; compared and multiplied like a float


def _check_lr_eps_wd(cls: str, group: ParamGroup) -> None:
    """PyTorch's checks and messages for the options every adaptive optimizer has."""
    for key in ("lr", "eps", "weight_decay"):
        _check_real(cls, group, key)
    if not 0.0 <= group["lr"]:
        raise ValueError(f"Invalid learning rate: {group['lr']}")
    if not 0.0 <= group["eps"]:
        raise ValueError(f"Invalid epsilon value: {group['eps']}")
    if not 0.0 <= group["weight_decay"]:
        raise ValueError(f"Invalid weight_decay value: {group['weight_decay']}")


def _check_betas(cls: str, group: ParamGroup) -> None:
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{cls}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if not isinstance(b, numbers.Real) or isinstance(b, bool):
            raise TypeError(f"{cls}: betas[{i}] must be a real number, got {type(b).__name__}")
        if not 0.0 <= cast(float, b) < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")


def _scalar(v: Any, kind: type[int] | type[float]) -> int | float:
    """A step count or mu_product read back from ``state`` (int, float, 0-d tensor or numpy value)."""
    if isinstance(v, Tensor):
        v = v.item()
    return kind(float(v)) if kind is int else kind(v)


class _FusedOptimizer(Optimizer):
    """Base of the optimizers whose step is one ``_core`` call per parameter group.

    Subclasses name their state tensors in ``_state_names`` (the core function's order; torch.optim's
    state keys) and extra per-parameter scalars in ``_scalars`` (name -> initial value), and implement
    ``_group_step(group, slots)``. ``slots`` maps each name, and "step", to a list with one entry per
    parameter of the group; the core call fills in the tensors on first use and advances the steps.
    ``state[p]`` shows the same objects (live tensors), with "step" as an int.
    """

    _state_names: ClassVar[tuple[str, ...]] = ()
    _scalars: ClassVar[dict[str, float]] = {}

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self._slots: list[Slots] = []
        self._state_dirty = False
        self._validate_group(dict(defaults))
        super().__init__(params, defaults)

    def _new_slots(self, n: int) -> Slots:
        slots: Slots = {"step": [0] * n}
        for k, v in self._scalars.items():
            slots[k] = [v] * n
        for k in self._state_names:
            slots[k] = [None] * n
        return slots

    def _group_added(self, group: ParamGroup) -> None:
        self._slots.append(self._new_slots(len(group["params"])))

    # ------------------------------------------------------------------ state <-> slots

    def _export_state(self) -> None:
        # Someone is looking at (and may change) `state`: hand out the live values and read
        # `state` back before the next step. While dirty, `_state` is the truth (it may hold edits).
        if self._state_dirty:
            return
        own = ("step", *self._scalars, *self._state_names)
        for group, slots in zip(self.param_groups, self._slots):
            for i, p in enumerate(group["params"]):
                started = slots["step"][i] != 0 or any(slots[k][i] is not None for k in self._state_names)
                if not started:
                    if p in self._state:
                        for k in own:
                            self._state[p].pop(k, None)
                        if not self._state[p]:
                            del self._state[p]
                    continue
                st = self._state[p]
                st["step"] = slots["step"][i]
                for k in self._scalars:
                    st[k] = slots[k][i]
                for k in self._state_names:
                    v = slots[k][i]
                    if v is None:
                        st.pop(k, None)
                    else:
                        st[k] = v
        self._state_dirty = True

    def _import_state(self) -> None:
        st = self._state
        self._slots = []
        for group in self.param_groups:
            params = group["params"]
            slots = self._new_slots(len(params))
            for i, p in enumerate(params):
                s = st.get(p) if p in st else None
                if not s:
                    continue
                slots["step"][i] = _scalar(s.get("step", 0), int)
                for k, init in self._scalars.items():
                    slots[k][i] = _scalar(s.get(k, init), float)
                for k in self._state_names:
                    v = s.get(k)
                    slots[k][i] = v if isinstance(v, Tensor) else None
            self._slots.append(slots)
        self._state_dirty = False

    def _resync(self) -> None:
        """Re-pair state with parameters after ``state`` or the groups were edited by hand."""
        self._export_state()  # no-op when `_state` already holds the truth
        self._import_state()

    # ------------------------------------------------------------------ step

    def _group_step(self, group: ParamGroup, slots: Slots) -> None:
        raise NotImplementedError

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if self._state_dirty or len(self._slots) != len(self.param_groups):
            self._resync()
        for i, group in enumerate(self.param_groups):
            slots = self._slots[i]
            if len(slots["step"]) != len(group["params"]):  # the group's list was edited by hand
                self._resync()
                slots = self._slots[i]
            self._group_step(group, slots)
        return loss
