"""Linear, Identity and Flatten layers."""
from __future__ import annotations

from typing import Any

import math

from .. import _core
from .._tensor import float32
from . import init
from .module import Module
from .parameter import Parameter
from .._core import Tensor
from .._tensor import DTypeLike

__all__ = ["Linear", "Identity", "Flatten"]

_linear = _core.linear


class Identity(Module):
    """Returns its input unchanged (arguments to the constructor are ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return input


class Linear(Module):
    """y = x @ W.T + b, with x of shape (*, in_features) and y of shape (*, out_features).

    ``weight`` is (out_features, in_features) and ``bias`` (out_features,), or None with
    ``bias=False``. Default initialisation is PyTorch's: ``kaiming_uniform_(weight, a=sqrt(5))``,
    which is U(-1/sqrt(in_features), 1/sqrt(in_features)), and the bias is drawn from the same
    U(-1/sqrt(in_features), 1/sqrt(in_features)).

    >>> import neurocore as nc
    >>> fc = nc.nn.Linear(3, 2)
    >>> fc.weight.shape, fc.bias.shape
    ((2, 3), (2,))
    >>> fc(nc.zeros(5, 3)).shape
    (5, 2)
    >>> fc
    Linear(in_features=3, out_features=2, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: str | None = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__()
        if device is not None and device != "cpu":
            raise RuntimeError(f"Linear(device={device!r}): this build of neurocore has no CUDA support")
        if in_features < 0 or out_features < 0:
            raise ValueError(f"Linear: in_features and out_features must be >= 0, got {in_features}, {out_features}")
        dt = float32 if dtype is None else _core._parse_dtype(dtype)
        if not dt.is_floating_point:
            raise TypeError(f"Linear: dtype must be floating point, got {dt!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_core._empty([out_features, in_features], dt))
        if bias:
            self.bias = Parameter(_core._empty([out_features], dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight and bias as described in the class docstring."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Flattens dims ``start_dim`` .. ``end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
