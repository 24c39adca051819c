"""nn.Module: the base class of layers and models, with PyTorch's semantics.

Note [Fast attribute access]
Parameters, buffers and submodules are recorded in the ordered dicts ``_parameters``, ``_buffers``
and ``_modules`` (registration order = ``parameters()`` order = ``state_dict()`` order) AND stored
in the instance ``__dict__``, so ``self.weight`` in ``forward`` is a plain dict hit with no
``__getattr__`` call. ``__setattr__``/``__delattr__`` keep the two in sync: every write to a
registered name goes through them. ``__call__`` is just ``forward``: there is no hook machinery
on the hot path.
"""
from __future__ import annotations

import collections
import collections.abc
import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

import numpy as np

from .. import _core
from .._core import Tensor
from .._tensor import bool_, float32, float64, int64
from .parameter import Parameter

__all__ = ["Module"]

_M = TypeVar("_M", bound="Module")


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


_IncompatibleKeys.__name__ = _IncompatibleKeys.__qualname__ = "IncompatibleKeys"  # what PyTorch prints

_set_grad_enabled = _core.set_grad_enabled
_is_grad_enabled = _core.is_grad_enabled


def _addindent(s: str, num_spaces: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(num_spaces * " " + line for line in lines)


def _check_name(module: Module, name: str, kind: str, allow_existing: Callable[[str], bool]) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if "_parameters" not in module.__dict__:
        raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
    if not allow_existing(name) and hasattr(module, name):
        raise KeyError(f"attribute '{name}' already exists")


class Module:
    """Base class of all layers and models.

    Subclasses call ``super().__init__()`` first, then assign Parameters, Modules and buffers as
    attributes; ``forward`` defines the computation and ``module(x)`` calls it.

    >>> import neurocore as nc
    >>> class Net(nc.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nc.nn.Linear(2, 1)
    ...     def forward(self, x):
    ...         return self.fc(x).sigmoid()
    >>> net = Net()
    >>> [name for name, _ in net.named_parameters()]
    ['fc.weight', 'fc.bias']
    >>> net(nc.zeros(3, 2)).shape
    (3, 1)
    """

    training: bool
    dump_patches = False
    # Set in __init__ through __dict__ (see Note [Fast attribute access]).
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]

    if TYPE_CHECKING:
        # Parameters, buffers and submodules are plain instance attributes set at run time; this
        # tells mypy that `module.weight`, `net[0].fc` and the like exist (what PyTorch's stubs do).
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ registration

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            d["_buffers"].pop(name, None)
            d["_non_persistent_buffers_set"].discard(name)
            d["_modules"].pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            params.pop(name, None)
            d["_buffers"].pop(name, None)
            d["_non_persistent_buffers_set"].discard(name)
            d["_modules"][name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(nn.Parameter or None expected)")
            params[name] = None
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(nn.Module or None expected)")
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(Tensor or None expected)")
            d["_buffers"][name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if "_parameters" in d:
            d["_parameters"].pop(name, None)
            d["_buffers"].pop(name, None)
            d["_non_persistent_buffers_set"].discard(name)
            d["_modules"].pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a tensor that is state but not a parameter (e.g. running statistics).

        Persistent buffers appear in ``state_dict()``; ``to(dtype)`` converts floating ones.
        """
        _check_name(self, name, "buffer", lambda n: n in self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(Tensor or None required)")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for an absent one such as ``bias=False``)."""
        _check_name(self, name, "parameter", lambda n: n in self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"cannot assign non-leaf Tensor to parameter '{name}'; wrap its data: "
                             "nn.Parameter(t.detach())")
        self._buffers.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        self._modules.pop(name, None)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or None) as a child named ``name``."""
        _check_name(self, name, "module", lambda n: n in self._modules)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers_set.discard(name)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at dotted path ``target`` ("" is the module itself)."""
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            child = mod._modules.get(item)
            if child is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule `{item}` (looking up '{target}')")
            mod = child
        return mod

    # ------------------------------------------------------------------ traversal

    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and every descendant, depth first, each module once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, attr: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        mods: collections.abc.Iterable[tuple[str, Module]] = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)])
        seen: set[int] = set()
        for mod_prefix, mod in mods:
            for name, t in getattr(mod, attr).items():
                if t is None:
                    continue
                if remove_duplicate:
                    if id(t) in seen:
                        continue
                    seen.add(id(t))
                yield mod_prefix + ("." if mod_prefix else "") + name, t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs in registration order; a shared parameter appears once."""
        # Only Parameters are ever stored in _parameters (__setattr__/register_parameter check it).
        return cast("Iterator[tuple[str, Parameter]]",
                    self._named_members("_parameters", prefix, recurse, remove_duplicate))

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self._named_members("_parameters", "", recurse, True):
            yield cast(Parameter, p)

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self._named_members("_buffers", "", recurse, True):
            yield b

    # ------------------------------------------------------------------ modes and gradients

    def train(self: _M, mode: bool = True) -> _M:
        """Set training mode on this module and all descendants; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {type(mode).__name__}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self: _M) -> _M:
        """Evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self: _M, requires_grad: bool = True) -> _M:
        """Set ``requires_grad`` on every parameter (False freezes them); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (or zero it in place with ``set_to_none=False``)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g is not None:
                    g.zero_()

    # ------------------------------------------------------------------ state dict

    def state_dict(self, destination: dict[str, Tensor] | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Tensor]:
        """An ordered dict name -> tensor of the parameters and persistent buffers.

        Values are detached tensors sharing the module's storage (``keep_vars=True`` gives the
        Parameters themselves). Names are dotted paths: ``"0.weight"``, ``"fc.bias"``.
        """
        if destination is None:
            destination = collections.OrderedDict()  # noqa: C408 - PyTorch returns an OrderedDict
        # Like PyTorch, a module or parameter shared under several names has an entry per name.
        for mod_prefix, mod in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            base = mod_prefix + "." if mod_prefix else ""
            for name, p in mod._parameters.items():
                if p is not None:
                    destination[base + name] = p if keep_vars else p.detach()
            skip = mod._non_persistent_buffers_set
            for name, b in mod._buffers.items():
                if b is not None and name not in skip:
                    destination[base + name] = b if keep_vars else b.detach()
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` (name -> Tensor or numpy array) into this module, in place.

        Every value is checked before anything is copied: a shape mismatch raises RuntimeError
        naming the key and both shapes (with or without ``strict``); with ``strict=True`` missing
        or unexpected keys raise RuntimeError listing them. Values are converted to the dtype of
        the parameter or buffer they land in. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"expected a mapping (name -> tensor) for state_dict, got {type(state_dict).__name__}")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors: list[str] = []
        plan: list[tuple[Tensor, Tensor | np.ndarray[Any, Any]]] = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            src: Tensor | np.ndarray[Any, Any]
            if isinstance(value, Tensor):
                src = value.detach()
            else:
                try:
                    arr = np.asarray(value)
                except Exception as exc:  # noqa: BLE001 - report which key failed
                    raise TypeError(f"load_state_dict: value for '{key}' is not a tensor or array ({exc})") from None
                if arr.dtype == object or arr.dtype.kind not in "biuf":
                    raise TypeError(f"load_state_dict: value for '{key}' is not numeric array data "
                                    f"(got {type(value).__name__} of dtype {arr.dtype})")
                src = arr
            shape = tuple(src.shape)
            if shape != tuple(target.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {shape} from checkpoint, "
                              f"the shape in current model is {tuple(target.shape)}.")
                continue
            plan.append((target, src))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        prev = _is_grad_enabled()
        _set_grad_enabled(False)
        try:
            for target, value in plan:
                if isinstance(value, Tensor):
                    t = value if value.dtype == target.dtype else value.to(target.dtype)
                else:
                    t = _core.from_numpy(np.ascontiguousarray(value, dtype=_NP_DTYPES[target.dtype]))
                target.copy_(t)
        finally:
            _set_grad_enabled(prev)
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ conversion

    def _apply(self: _M, fn: Callable[[Tensor], Tensor | None]) -> _M:
        """Replace every parameter's and buffer's data by ``fn(data)``, in this module and all
        descendants (each tensor once, however often it is shared). Parameters keep their
        identity (``p.data = new``, which may change the dtype), so optimizers built earlier
        still hold them; a gradient of the old dtype is dropped.
        """
        memo: dict[int, tuple[Tensor, Tensor]] = {}  # id(old tensor) -> (old, new); holding `old` keeps ids unique
        for mod in self.modules():
            for p in mod._parameters.values():
                if p is None or id(p) in memo:
                    continue
                memo[id(p)] = (p, p)
                new = fn(p.detach())
                if new is not None:
                    p.data = new
            for name, b in list(mod._buffers.items()):
                if b is None:
                    continue
                if id(b) not in memo:
                    new = fn(b)
                    memo[id(b)] = (b, b if new is None else new)
                new_b = memo[id(b)][1]
                if new_b is not b:
                    mod._buffers[name] = new_b
                    object.__setattr__(mod, name, new_b)
        return self

    def to(self: _M, *args: Any, dtype: Any = None, device: str | None = None) -> _M:
        """``to(dtype)``, ``to("cpu")`` or ``to(tensor)``: convert floating parameters and buffers.

        Integer and bool tensors keep their dtype. Returns self.
        """
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) and (a == "cpu" or a.startswith("cuda")):
                device = a
            else:
                dtype = a
        if device is not None and device != "cpu":
            raise RuntimeError(f"to('{device}'): this build of neurocore has no CUDA support")
        if dtype is None:
            return self
        target = _core._parse_dtype(dtype)
        if not target.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={target!r}")
        return self._apply(lambda t: t.to(target) if t.dtype.is_floating_point and t.dtype != target else t)

    def float(self: _M) -> _M:
        return self.to(float32)

    def double(self: _M) -> _M:
        return self.to(float64)

    def cpu(self: _M) -> _M:
        return self

    def apply(self: _M, fn: Callable[[Module], None]) -> _M:
        """Call ``fn(m)`` on every submodule (children first) and then on self; returns self.

        >>> import neurocore as nc
        >>> def init(m):
        ...     if isinstance(m, nc.nn.Linear):
        ...         nc.nn.init.zeros_(m.weight)
        >>> net = nc.nn.Sequential(nc.nn.Linear(2, 2), nc.nn.ReLU()).apply(init)
        >>> net[0].weight.abs().sum().item()
        0.0
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ printing

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in its repr (layers override it)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, module in self._modules.items():
            mod_str = _addindent(repr(module), 2)
            lines.append(f"({name}): {mod_str}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self) -> list[str]:
        return sorted(set(itertools.chain(dir(type(self)), self.__dict__)))


_NP_DTYPES: dict[_core.DType, type[np.generic]] = {
    float32: np.float32, float64: np.float64, int64: np.int64, bool_: np.bool_}
