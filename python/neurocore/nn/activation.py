"""Activation layers: thin modules over the core's elementwise and softmax ops."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from .. import _core
from .._tensor import full
from . import functional as F
from .functional import leaky_relu
from .module import Module
from .parameter import Parameter
from .._core import Tensor
from .._tensor import DTypeLike

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]
__all__ += ["Step", "ReLU6", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Swish", "Mish", "Softplus", "Softsign",
            "Hardtanh", "Hardsigmoid", "Hardswish", "LogSigmoid"]


class ReLU(Module):
    """max(x, 0). ``inplace`` is accepted for compatibility; the result is computed out of place."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return input.relu()

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.sigmoid()


class Tanh(Module):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.tanh()


class Softmax(Module):
    """softmax along ``dim`` (default -1, the last dim; None also means -1)."""

    def __init__(self, dim: int | None = -1) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _core.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim`` (default -1), computed stably."""

    def __init__(self, dim: int | None = -1) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _core.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


# ---------------------------------------------------------------- more activations (see nn.functional)

class _Inplace(Module):
    """An activation without options; ``inplace`` is accepted for compatibility (computed out of place)."""
    if TYPE_CHECKING:
        _fn: ClassVar[Callable[..., Tensor]]  # each subclass sets it (a staticmethod of nn.functional)
    else:
        _fn = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return type(self)._fn(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Step(Module):
    """Heaviside step: 1 where x > 0, else 0; zero gradient.

    >>> import neurocore as nc
    >>> nc.nn.Step()(nc.tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 1.0]
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.step(input)


class ReLU6(_Inplace):
    """min(max(x, 0), 6)."""
    _fn = staticmethod(F.relu6)


class PReLU(Module):
    """x if x > 0 else a * x with a learnable slope ``a``: one shared (num_parameters=1) or one per
    channel (num_parameters = the input's dim-1 size), initialised to ``init``.

    >>> import neurocore as nc
    >>> m = nc.nn.PReLU()
    >>> m(nc.tensor([-2.0, 3.0])).tolist()
    [-0.5, 3.0]
    >>> m
    PReLU(num_parameters=1)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(_Inplace):
    """scale * elu(x, alpha), the self-normalising constants."""
    _fn = staticmethod(F.selu)


class CELU(ELU):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        if alpha == 0:
            raise ValueError("CELU: alpha must not be 0")
        super().__init__(alpha, inplace)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.celu(input, self.alpha)


class GELU(Module):
    """x * Phi(x); approximate="tanh" for the tanh formula."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Inplace):
    """x * sigmoid(x) (swish)."""
    _fn = staticmethod(F.silu)


Swish = SiLU


class Mish(_Inplace):
    """x * tanh(softplus(x))."""
    _fn = staticmethod(F.mish)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        if beta == 0:
            raise ValueError("Softplus: beta must not be 0")
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softsign(input)


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class Hardsigmoid(_Inplace):
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between."""
    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_Inplace):
    """x * hardsigmoid(x)."""
    _fn = staticmethod(F.hardswish)


class LogSigmoid(Module):
    """log(sigmoid(x)), stable."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.logsigmoid(input)
