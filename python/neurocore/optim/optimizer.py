"""Optimizer base class with PyTorch's semantics (param groups, state, state_dict)."""
from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from typing import Any, Union

import numpy as np

from .. import _core
from .._core import Tensor

# What an optimizer takes: tensors, (name, tensor) pairs (named_parameters()) or parameter-group dicts.
ParamsT = Union[Iterable[Tensor], Iterable[tuple[str, Tensor]], Iterable[dict[str, Any]]]
ParamGroup = dict[str, Any]  # "params": list of tensors, plus the optimizer's options

__all__ = ["Optimizer"]


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _describe(p: Tensor, names: dict[int, str], gi: int, i: int) -> str:
    name = names.get(id(p))
    where = f"'{name}'" if name else f"at index {i} of parameter group {gi}"
    return f"parameter {where} (shape {tuple(p.shape)}, dtype {p.dtype!r})"


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with "params" plus options) and ``state``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs (``model.named_parameters()``,
    whose names then appear in error messages), or of dicts each defining a parameter group with
    its own options (missing options come from ``defaults``).

    Subclasses implement ``step``. Per-parameter state lives in ``state[p]`` (a dict), which
    ``state_dict()`` saves by parameter position.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self._state: collections.defaultdict[Tensor, dict[str, Any]] = collections.defaultdict(dict)
        self.param_groups: list[ParamGroup] = []
        self._param_names: dict[int, str] = {}
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got a single {type(params).__name__} (wrap it in a list)")
        if isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs; use a list")
        groups: list[Any] = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    # ------------------------------------------------------------------ state

    @property
    def state(self) -> collections.defaultdict[Tensor, dict[str, Any]]:
        """dict parameter -> dict of that parameter's state (e.g. "momentum_buffer")."""
        self._export_state()
        return self._state

    @state.setter
    def state(self, value: dict[Tensor, dict[str, Any]]) -> None:
        self._state = collections.defaultdict(dict, value)
        self._import_state()

    def _export_state(self) -> None:
        """Hook: subclasses keeping state outside ``_state`` (for speed) copy it in here."""

    def _import_state(self) -> None:
        """Hook: the inverse of ``_export_state``, after ``_state`` was changed from outside."""

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group: ParamGroup) -> None:
        """Add a group: a dict with "params" (a tensor or an iterable of tensors) and options."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("param_group must have a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs; use a list")
        else:
            params = list(params)
        gi = len(self.param_groups)
        names: dict[int, str] = {}
        plist: list[Tensor] = []
        for i, p in enumerate(params):
            if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
                names[id(p[1])] = p[0]
                p = p[1]
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {i} of group {gi} is a "
                                f"{type(p).__name__}")
            plist.append(p)
        all_names = {**self._param_names, **names}
        seen: set[int] = set()
        for i, p in enumerate(plist):
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor: {_describe(p, all_names, gi, i)} was computed "
                                 "from other tensors; optimize the leaf it came from, or p.detach().requires_grad_()")
            if not p.dtype.is_floating_point:
                raise ValueError(f"can only optimize floating point tensors: {_describe(p, all_names, gi, i)}")
            if id(p) in seen:
                raise ValueError(f"{_describe(p, all_names, gi, i)} appears more than once in the parameter list; "
                                 "each parameter must be listed once")
            seen.add(id(p))
        for g_idx, g in enumerate(self.param_groups):
            for j, q in enumerate(g["params"]):
                if id(q) in seen:
                    raise ValueError("some parameters appear in more than one parameter group: "
                                     f"{_describe(q, all_names, g_idx, j)} is listed again in group {gi}")
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {key}")
            group.setdefault(key, default)
        group["params"] = plist
        self._validate_group(group)
        self._param_names.update(names)
        self.param_groups.append(group)
        self._group_added(group)

    def _validate_group(self, group: ParamGroup) -> None:
        """Hook: check a group's options (raise ValueError)."""

    def _group_added(self, group: ParamGroup) -> None:
        """Hook: set up per-group structures."""

    # ------------------------------------------------------------------ gradients and steps

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (or zero it in place with ``set_to_none=False``)."""
        for group in self.param_groups:
            if set_to_none:
                for p in group["params"]:
                    p.grad = None
            else:
                for p in group["params"]:
                    g = p.grad
                    if g is not None:
                        g.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    # ------------------------------------------------------------------ state dict

    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: value}}, "param_groups": [{options..., "params": [indices]}]}.

        Parameters are numbered across groups in order. Tensor state values are copies.
        """
        index: dict[int, int] = {}
        groups: list[dict[str, Any]] = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids: list[int] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state: dict[int, dict[str, Any]] = {}
        for p_id, s in ((id(p), s) for p, s in self.state.items()):
            if p_id in index:
                state[index[p_id]] = {k: (v.detach().clone() if isinstance(v, Tensor) else v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load options and state saved by ``state_dict()`` (tensors or numpy arrays as values).

        The groups must match in number and size. Floating state tensors are converted to their
        parameter's dtype and copied.
        """
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict or "state" not in state_dict:
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups' entries")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups but the optimizer has "
                             f"{len(self.param_groups)}")
        id_map: dict[int, Tensor] = {}
        for gi, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(f"loaded state dict contains a parameter group {gi} of {len(sg['params'])} "
                                 f"parameters that doesn't match the size of the optimizer's group "
                                 f"({len(g['params'])} parameters)")
            for saved_id, p in zip(sg["params"], g["params"]):
                id_map[saved_id] = p
        new_state: collections.defaultdict[Tensor, dict[str, Any]] = collections.defaultdict(dict)
        for k, s in state_dict["state"].items():
            key = int(k)
            if key not in id_map:
                raise ValueError(f"loaded state dict has state for parameter {key}, which no group lists")
            p = id_map[key]
            entry: dict[str, Any] = {}
            for name, v in s.items():
                if isinstance(v, np.ndarray):
                    v = _core.from_numpy(np.ascontiguousarray(v))
                if isinstance(v, Tensor):
                    v = v.detach()
                    v = v.to(p.dtype) if v.dtype.is_floating_point and v.dtype != p.dtype else v.clone()
                    if tuple(v.shape) != tuple(p.shape) and name == "momentum_buffer":
                        raise ValueError(f"loaded state '{name}' for parameter {key} has shape {tuple(v.shape)} "
                                         f"but the parameter has shape {tuple(p.shape)}")
                entry[name] = v
            new_state[p] = entry
        for g, sg in zip(self.param_groups, saved_groups):
            for k, v in sg.items():
                if k != "params":
                    g[k] = v
            self._validate_group(g)
        self._state = new_state
        self._import_state()

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
