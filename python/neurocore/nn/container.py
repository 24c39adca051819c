"""Containers: Sequential (runs its children in order) and ModuleList (holds them)."""
import collections
import operator

from .module import Module

__all__ = ["Sequential", "ModuleList"]


class _IndexedModules(Module):
    """Shared by Sequential and ModuleList: children addressed by position."""

    def _index(self, idx):
        idx = operator.index(idx)
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for {type(self).__name__} of length {n}")
        return idx % n if n else idx

    def _reset(self, modules):
        """Replace all children by ``modules``, keyed "0", "1", ..."""
        for key in list(self._modules):
            delattr(self, key)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __setitem__(self, idx, module):
        key = list(self._modules)[self._index(idx)]
        setattr(self, key, module)

    def __delitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[self._index(idx)]
        self._reset(mods)  # renumbered from 0, like PyTorch

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._reset(mods)

    def pop(self, idx=-1):
        m = self[idx]
        del self[idx]
        return m

    def __dir__(self):
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

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], collections.OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(collections.OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[self._index(idx)]

    def __add__(self, other):
        if not isinstance(other, Sequential):
            return NotImplemented
        return Sequential(*self, *other)

    def forward(self, input):  # noqa: A002 - PyTorch's argument name
        for module in self._modules.values():
            input = module(input)  # noqa: A001
        return input


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered (a plain list would hide them).

    >>> import neurocore as nc
    >>> layers = nc.nn.ModuleList([nc.nn.Linear(2, 2) for _ in range(3)])
    >>> len(layers), len(list(layers.parameters()))
    (3, 6)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(self._index(idx))]

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList([*self, *other])
