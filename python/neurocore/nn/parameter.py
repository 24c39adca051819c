"""nn.Parameter: a tensor that a Module registers as one of its learnable parameters."""
from __future__ import annotations

from typing import Any

from .. import _core
from .._core import Tensor
from .._tensor import float32

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf tensor that, assigned as a Module attribute, is registered in ``module.parameters()``.

    ``Parameter(data)`` shares ``data``'s storage (no copy) and requires grad by default.
    ``Parameter()`` holds an empty float32 tensor.

    >>> import neurocore as nc
    >>> p = nc.nn.Parameter(nc.zeros(2))
    >>> p.requires_grad, p.is_leaf
    (True, True)
    >>> p
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = _core._empty([0], float32)
        elif not isinstance(data, Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__} "
                            "(wrap it first, e.g. nc.tensor(data))")
        Tensor.__init__(self, data)  # shares data's storage; a new autograd leaf
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        if id(self) in memo:
            done: Parameter = memo[id(self)]
            return done
        result = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result
