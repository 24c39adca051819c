"""Pooling layers: max, min, average, power-average (Lp) and adaptive pooling, PyTorch's constructors.

Inputs are (N, C, L) for the 1-D layers and (N, C, H, W) for the 2-D ones, or the same without N.
The work is done by the C++ kernels behind ``nn.functional``; see there for the output-size rule.

>>> import neurocore as nc
>>> net = nc.nn.Sequential(nc.nn.MaxPool2d(2), nc.nn.AdaptiveAvgPool2d(1), nc.nn.Flatten())
>>> net(nc.ones(4, 3, 8, 8)).shape
(4, 3)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, cast

from . import functional as F
from .module import Module
from .._core import Tensor
from .functional import _IntOrSeq, _OutputSize

__all__ = ["MaxPool1d", "MaxPool2d", "MinPool2d", "AvgPool1d", "AvgPool2d", "LPPool1d", "LPPool2d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


def _single(v: _IntOrSeq) -> tuple[int, ...]:
    return tuple(v) if isinstance(v, (tuple, list)) else (cast(int, v),)


class _MaxPoolNd(Module):
    if TYPE_CHECKING:
        _fn: ClassVar[Callable[..., Tensor | tuple[Tensor, Tensor]]]  # set by each subclass
    else:
        _fn = None

    def __init__(self, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None, padding: _IntOrSeq = 0,
                 dilation: _IntOrSeq = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:  # noqa: A002 - PyTorch's argument name
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of (N, C, L) -> (N, C, L_out); see ``F.max_pool1d``.

    >>> import neurocore as nc
    >>> nc.nn.MaxPool1d(3, stride=2, padding=1)
    MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)
    >>> nc.nn.MaxPool1d(2)(nc.tensor([[[1.0, 5.0, 2.0, 0.0, 7.0]]])).tolist()
    [[[5.0, 2.0]]]
    """
    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """Max over sliding windows of (N, C, H, W) -> (N, C, H_out, W_out); see ``F.max_pool2d``.

    >>> import neurocore as nc
    >>> pool = nc.nn.MaxPool2d(2, return_indices=True)
    >>> y, idx = pool(nc.arange(16.0).reshape(1, 1, 4, 4))
    >>> y.tolist(), idx.tolist()
    ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[5, 7], [13, 15]]]])
    >>> nc.nn.MaxPool2d((3, 2), stride=1, ceil_mode=True)
    MaxPool2d(kernel_size=(3, 2), stride=1, padding=0, dilation=1, ceil_mode=True)
    """
    _fn = staticmethod(F.max_pool2d)


class MinPool2d(_MaxPoolNd):
    """Min over sliding windows of (N, C, H, W) (not in PyTorch); arguments as ``MaxPool2d``.

    >>> import neurocore as nc
    >>> nc.nn.MinPool2d(2)(nc.arange(16.0).reshape(1, 4, 4)).tolist()
    [[[0.0, 2.0], [8.0, 10.0]]]
    """
    _fn = staticmethod(F.min_pool2d)


class AvgPool1d(Module):
    """Mean over sliding windows of (N, C, L); sizes are kept as 1-tuples, as in PyTorch.

    >>> import neurocore as nc
    >>> nc.nn.AvgPool1d(3)
    AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))
    >>> nc.nn.AvgPool1d(2)(nc.tensor([[1.0, 3.0, 5.0, 9.0]])).tolist()
    [[2.0, 7.0]]
    """

    def __init__(self, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None, padding: _IntOrSeq = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over sliding windows of (N, C, H, W); see ``F.avg_pool2d``.

    >>> import neurocore as nc
    >>> nc.nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    AvgPool2d(kernel_size=3, stride=1, padding=1)
    """

    def __init__(self, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None, padding: _IntOrSeq = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _LPPoolNd(Module):
    if TYPE_CHECKING:
        _fn: ClassVar[Callable[..., Tensor]]  # set by each subclass
    else:
        _fn = None

    def __init__(self, norm_type: float, kernel_size: _IntOrSeq, stride: _IntOrSeq | None = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """(sum over each window of x^p)^(1/p) over (N, C, L); see ``F.lp_pool1d``.

    >>> import neurocore as nc
    >>> nc.nn.LPPool1d(2, 3, stride=2)
    LPPool1d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)
    """
    _fn = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """(sum over each window of x^p)^(1/p) over (N, C, H, W); p = 2 is L2 pooling. See ``F.lp_pool2d``.

    >>> import neurocore as nc
    >>> nc.nn.LPPool2d(2, 2)(nc.tensor([[[3.0, 4.0], [0.0, 0.0]]])).tolist()
    [[[5.0]]]
    """
    _fn = staticmethod(F.lp_pool2d)


class _AdaptivePoolNd(Module):
    def __init__(self, output_size: _OutputSize) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Mean over windows [floor(i*L/out), ceil((i+1)*L/out)): (N, C, L) -> (N, C, output_size).

    >>> import neurocore as nc
    >>> nc.nn.AdaptiveAvgPool1d(2)(nc.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]])).tolist()
    [[[2.0, 4.0]]]
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Mean over adaptive windows: (N, C, H, W) -> (N, C, *output_size); 1 is global average pooling and
    None keeps that input size.

    >>> import neurocore as nc
    >>> nc.nn.AdaptiveAvgPool2d((None, 3))
    AdaptiveAvgPool2d(output_size=(None, 3))
    >>> nc.nn.AdaptiveAvgPool2d(1)(nc.ones(2, 5, 7, 7)).shape
    (2, 5, 1, 1)
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.adaptive_avg_pool2d(input, self.output_size)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size: _OutputSize, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max over windows [floor(i*L/out), ceil((i+1)*L/out)): (N, C, L) -> (N, C, output_size).

    >>> import neurocore as nc
    >>> nc.nn.AdaptiveMaxPool1d(2)(nc.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]])).tolist()
    [[[3.0, 5.0]]]
    """

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:  # noqa: A002
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max over adaptive windows: (N, C, H, W) -> (N, C, *output_size); 1 is global max pooling.

    >>> import neurocore as nc
    >>> nc.nn.AdaptiveMaxPool2d(1)(nc.arange(16.0).reshape(1, 1, 4, 4)).tolist()
    [[[[15.0]]]]
    """

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:  # noqa: A002
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)
