"""Convolution layers (cross-correlation, like PyTorch): Conv1d and Conv2d.

Layout is channels-first: (N, C, L) for 1-d, (N, C, H, W) for 2-d; weights are
(out_channels, in_channels // groups, *kernel_size).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Union

from .. import _core
from .._tensor import empty
from . import init
from .module import Module
from .parameter import Parameter
from .._core import Tensor
from .._tensor import DTypeLike
from .functional import _IntOrSeq

__all__ = ["Conv1d", "Conv2d", "conv1d", "conv2d"]

_Padding = Union[int, Sequence[int], str]  # an int or one per dim, or "valid" / "same"


def _pair(v: _IntOrSeq, n: int, name: str) -> tuple[int, ...]:
    if isinstance(v, (int, numbers.Integral)):  # (int listed for mypy; numpy ints are Integral too)
        return (int(v),) * n
    t = tuple(int(i) for i in v)
    if len(t) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {t}")
    return t


def _padding(padding: _Padding, kernel: Sequence[int], dilation: Sequence[int], stride: Sequence[int],
             n: int) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) padding for 'valid', 'same', an int or a tuple."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0) if n == 2 else (0, 0, 0, 0)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"padding='same' is not supported for strided convolutions (stride={stride})")
            # Total d*(k-1); the odd cell goes to the end, like PyTorch.
            lead = [d * (k - 1) // 2 for k, d in zip(kernel, dilation)]
            trail = [d * (k - 1) - lo for k, d, lo in zip(kernel, dilation, lead)]
            if n == 1:
                return (0, lead[0], 0, trail[0])
            return (lead[0], lead[1], trail[0], trail[1])
        raise ValueError(f"padding must be 'valid', 'same', an int or a tuple, got {padding!r}")
    p = _pair(padding, n, "padding")
    if any(v < 0 for v in p):
        raise ValueError(f"padding must be non-negative, got {p}")
    return (0, p[0], 0, p[0]) if n == 1 else (p[0], p[1], p[0], p[1])


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: _IntOrSeq = 1,  # noqa: A002
           padding: _Padding = 0, dilation: _IntOrSeq = 1, groups: int = 1) -> Tensor:
    """2-d cross-correlation. input (N, C, H, W) or (C, H, W); weight (OC, C/groups, kH, kW).

    Output size per spatial dim: floor((n + 2p - d(k-1) - 1)/s) + 1.

    >>> import neurocore as nc
    >>> x = nc.ones(1, 1, 4, 4)
    >>> nc.nn.functional.conv2d(x, nc.ones(1, 1, 3, 3)).shape
    (1, 1, 2, 2)
    """
    st = _pair(stride, 2, "stride")
    dl = _pair(dilation, 2, "dilation")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), "
                         f"got shape {weight.shape}")
    pad = _padding(padding, weight.shape[2:], dl, st, 2)
    return _core.conv2d(input, weight, bias, st, pad, dl, int(groups))


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: _IntOrSeq = 1,  # noqa: A002
           padding: _Padding = 0, dilation: _IntOrSeq = 1, groups: int = 1) -> Tensor:
    """1-d cross-correlation. input (N, C, L) or (C, L); weight (OC, C/groups, k)."""
    if input.ndim not in (2, 3):
        raise ValueError(f"conv1d: expected a 3-D input (N, C, L) or 2-D (C, L), got shape {input.shape}")
    if weight.ndim != 3:
        raise ValueError(f"conv1d: expected a 3-D weight (out_channels, in_channels/groups, k), got shape {weight.shape}")
    (s,) = _pair(stride, 1, "stride")
    (d,) = _pair(dilation, 1, "dilation")
    pad = _padding(padding, weight.shape[2:], (d,), (s,), 1)
    out = _core.conv2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, (1, s), pad, (1, d), int(groups))
    return out.squeeze(-2)


class _ConvNd(Module):
    _n = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: _IntOrSeq, stride: _IntOrSeq = 1,
                 padding: _Padding = 0, dilation: _IntOrSeq = 1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", dtype: DTypeLike | None = None) -> None:
        super().__init__()
        n = self._n
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f"in_channels and out_channels must be positive, got {in_channels} and {out_channels}")
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"groups={groups} must be positive and divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode {padding_mode!r} is not supported (only 'zeros')")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, n, "kernel_size")
        self.stride = _pair(stride, n, "stride")
        self.dilation = _pair(dilation, n, "dilation")
        self.padding: tuple[int, ...] | str
        if isinstance(padding, str):
            _padding(padding, self.kernel_size, self.dilation, self.stride, n)  # validates
            self.padding = padding
        else:
            self.padding = _pair(padding, n, "padding")
        self.groups = groups
        self.padding_mode = padding_mode
        dt = _core.DType.float32 if dtype is None else _core._parse_dtype(dtype)
        self.weight = Parameter(empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dt))
        self.bias = Parameter(empty(out_channels, dtype=dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
        the weight, and the same bound for the bias; fan_in = in_channels/groups * prod(kernel_size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0,) * self._n, "valid"):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-d convolution over (N, C, H, W) input.

    >>> import neurocore as nc
    >>> conv = nc.nn.Conv2d(1, 6, kernel_size=5)
    >>> conv(nc.zeros(2, 1, 32, 32)).shape
    (2, 6, 28, 28)
    """
    _n = 2

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-d convolution over (N, C, L) input.

    >>> import neurocore as nc
    >>> nc.nn.Conv1d(4, 8, kernel_size=3, padding="same")(nc.zeros(2, 4, 10)).shape
    (2, 8, 10)
    """
    _n = 1

    def forward(self, x: Tensor) -> Tensor:
        return conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
