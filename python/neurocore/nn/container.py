"""Containers: Sequential (runs its children in order) and ModuleList (holds them)."""
from __future__ import annotations

import collections
import operator
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, SupportsIndex, TypeVar, cast, overload

from .module import Module

_C = TypeVar("_C", bound="_IndexedModules")

__all__ = ["Sequential", "ModuleList"]


class _IndexedModules(Module):
    """Shared by Sequential and ModuleList: children addressed by position."""

    if TYPE_CHECKING:
        def __getitem__(self, idx: int) -> Module: ...

    def _index(self, idx: SupportsIndex) -> int:
        i = operator.index(idx)
        n = len(self._modules)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of range for {type(self).__name__} of length {n}")
        return i % n if n else i

    def _reset(self, modules: Iterable[Module | None]) -> None:
        """Replace all children by ``modules``, keyed "0", "1", ..."""
        for key in list(self._modules):
            delattr(self, key)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        # Children are Modules; a None child exists only if someone registered one by hand.
        return iter(cast("Iterable[Module]", self._modules.values()))

    def __setitem__(self, idx: SupportsIndex, module: Module) -> None:
        key = list(self._modules)[self._index(idx)]
        setattr(self, key, module)

    def __delitem__(self, idx: SupportsIndex | slice) -> None:
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[self._index(idx)]
        self._reset(mods)  # renumbered from 0, like PyTorch

    def append(self: _C, module: Module) -> _C:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self: _C, modules: Iterable[Module]) -> _C:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._reset(mods)

    def pop(self, idx: int = -1) -> Module:
        m = self[idx]
        del self[idx]
        return m

    def __dir__(self) -> list[str]:
        return [k for k in super().__dir__() if not k.isdigit()]


class Sequential(_IndexedModules):
    """Runs its modules in order, each on the previous one's output.

    Built from modules (named "0", "1", ...) or from an OrderedDict name -> module.

    >>> import neurocore as nc
    >>> net = nc.nn.Sequential(nc.nn.Linear(2, 3), nc.nn.ReLU(), nc.nn.Linear(3, 1))
    >>> net(nc.zeros(4, 2)).shape
    (4, 1)
    >>> net[0]
    Linear(in_features=2, out_features=3, bias=True)
    >>> len(net), [k for k, _ in net.named_parameters()]
    (3, ['0.weight', '0.bias', '2.weight', '2.bias'])
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], collections.OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    @overload
    def __getitem__(self, idx: slice) -> Sequential: ...

    @overload
    def __getitem__(self, idx: SupportsIndex) -> Module: ...

    def __getitem__(self, idx: SupportsIndex | slice) -> Module | Sequential:
        if isinstance(idx, slice):
            return type(self)(collections.OrderedDict(list(self._modules.items())[idx]))
        return cast(Module, list(self._modules.values())[self._index(idx)])

    def __add__(self, other: object) -> Sequential:
        if not isinstance(other, Sequential):
            return NotImplemented
        return Sequential(*self, *other)

    def forward(self, input: Any) -> Any:  # noqa: A002 - PyTorch's argument name
        for module in cast("Iterable[Module]", self._modules.values()):
            input = module(input)  # noqa: A001
        return input


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered (a plain list would hide them).

    >>> import neurocore as nc
    >>> layers = nc.nn.ModuleList([nc.nn.Linear(2, 2) for _ in range(3)])
    >>> len(layers), len(list(layers.parameters()))
    (3, 6)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    @overload
    def __getitem__(self, idx: slice) -> ModuleList: ...

    @overload
    def __getitem__(self, idx: SupportsIndex) -> Module: ...

    def __getitem__(self, idx: SupportsIndex | slice) -> Module | ModuleList:
        if isinstance(idx, slice):
            return type(self)(cast("list[Module]", list(self._modules.values())[idx]))
        return cast(Module, self._modules[str(self._index(idx))])

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])
