"""Normalization layers: BatchNorm1d/2d, LayerNorm, GroupNorm, InstanceNorm1d/2d, with PyTorch's constructors,
parameter and buffer names (``weight``, ``bias``, ``running_mean``, ``running_var``, ``num_batches_tracked``)
and training/evaluation semantics. The work is done by fused C++ kernels (cpp/kernels/cpu/norm.cpp) behind
``nn.functional``.

>>> import neurocore as nc
>>> bn = nc.nn.BatchNorm1d(3)
>>> bn
BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
>>> list(bn.state_dict())
['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
>>> y = bn(nc.randn(16, 3))
>>> int(bn.num_batches_tracked)
1
"""
from __future__ import annotations

import numbers
import warnings
from typing import ClassVar

from .. import _core
from .._tensor import float32, int64, ones, tensor, zeros
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter
from .._core import Tensor
from .._tensor import DTypeLike
from .functional import _IntOrSeq

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d"]


def _factory_dtype(name: str, device: str | None, dtype: DTypeLike | None) -> _core.DType:
    if device is not None and device != "cpu":
        raise RuntimeError(f"{name}(device={device!r}): this build of neurocore has no CUDA support")
    dt = float32 if dtype is None else _core._parse_dtype(dtype)
    if not dt.is_floating_point:
        raise TypeError(f"{name}: dtype must be floating point, got {dt!r}")
    return dt


class _NormBase(Module):
    """Shared by batch and instance norm: affine parameters (C,) and running statistics (C,) as buffers."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: str | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, numbers.Integral) or num_features <= 0:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        dt = _factory_dtype(name, device, dtype)
        self.num_features: int = int(num_features)
        self.eps: float = eps
        self.momentum: float | None = momentum
        self.affine: bool = affine
        self.track_running_stats: bool = track_running_stats
        if affine:
            self.weight: Parameter | None = Parameter(ones(self.num_features, dtype=dt))
            self.bias: Parameter | None = Parameter(zeros(self.num_features, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(self.num_features, dtype=dt))
            self.register_buffer("running_var", ones(self.num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            assert self.weight is not None and self.bias is not None  # (affine layers have both)
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _check_channels(self, input: Tensor, feature_dim: int) -> None:  # noqa: A002
        c = input.shape[feature_dim]
        if c != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected {self.num_features} channels "
                             f"(dim {feature_dim} of the input), got {c} in an input of shape {tuple(input.shape)}")

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    _dims: ClassVar[tuple[int, ...]] = ()
    _layout: ClassVar[str] = ""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
        d = input.dim()
        if d not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected a {self._layout} input, got a {d}-D input of shape "
                             f"{tuple(input.shape)}")
        self._check_channels(input, 1)
        factor = 0.0 if self.momentum is None else self.momentum
        count = self.training and self.track_running_stats and self.num_batches_tracked is not None
        if count and self.momentum is None:  # cumulative moving average over the batches seen
            factor = 1.0 / (int(self.num_batches_tracked) + 1)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        y = F.batch_norm(input, self.running_mean if use_running else None, self.running_var if use_running else None,
                         self.weight, self.bias, bn_training, factor, self.eps)
        if count:  # after the call, so a rejected batch is not counted
            self.num_batches_tracked.add_(1)
        return y


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) over N (and L) per channel.

    Training: normalizes with the batch mean and biased variance, and updates ``running_mean`` /
    ``running_var`` with ``momentum`` (None: a cumulative average over ``num_batches_tracked`` batches; the
    running variance takes the unbiased batch variance). Evaluation: normalizes with the running statistics.
    ``track_running_stats=False`` always uses batch statistics.

    >>> import neurocore as nc
    >>> bn = nc.nn.BatchNorm1d(2, momentum=None)
    >>> _ = bn(nc.tensor([[0.0, 1.0], [2.0, 3.0]]))
    >>> _ = bn(nc.tensor([[4.0, 5.0], [6.0, 7.0]]))
    >>> bn.running_mean.tolist(), int(bn.num_batches_tracked)
    ([3.0, 4.0], 2)
    >>> _ = bn.eval()
    >>> bn(nc.tensor([[3.0, 4.0]])).tolist()
    [[0.0, 0.0]]
    """
    _dims = (2, 3)
    _layout = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) over N, H and W per channel; see ``BatchNorm1d`` for the modes.

    >>> import neurocore as nc
    >>> bn = nc.nn.BatchNorm2d(4)
    >>> y = bn(nc.randn(8, 4, 5, 5) * 3 + 1)
    >>> abs(y.mean().item()) < 1e-5, round(y.var(correction=0).item(), 3)
    (True, 1.0)
    """
    _dims = (4,)
    _layout = "4-D (N, C, H, W)"


class _InstanceNorm(_NormBase):
    _no_batch_dim = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device: str | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        d, nb = input.dim(), self._no_batch_dim
        if d not in (nb, nb + 1):
            raise ValueError(f"{type(self).__name__}: expected a {nb}-D (unbatched) or {nb + 1}-D input, got a "
                             f"{d}-D input of shape {tuple(input.shape)}")
        feature_dim = d - nb
        if input.shape[feature_dim] != self.num_features:
            if self.affine or self.track_running_stats:
                self._check_channels(input, feature_dim)
            warnings.warn(f"{type(self).__name__}({self.num_features}) got an input with {input.shape[feature_dim]} "
                          "channels; without affine parameters or running statistics num_features is unused",
                          UserWarning, stacklevel=2)
        unbatched = d == nb
        x = input.unsqueeze(0) if unbatched else input
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or unbatched (C, L): each (n, c) row by its own statistics.

    >>> import neurocore as nc
    >>> y = nc.nn.InstanceNorm1d(2)(nc.tensor([[[1.0, 3.0], [5.0, 5.0]]]))
    >>> [[round(v, 4) for v in row] for row in y[0].tolist()]
    [[-1.0, 1.0], [0.0, 0.0]]
    """
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or unbatched (C, H, W): each (n, c) plane by its own mean and
    biased variance (Ulyanov et al. 2016). Defaults ``affine=False, track_running_stats=False``; with
    ``track_running_stats=True`` evaluation uses running averages of the per-plane statistics.

    >>> import neurocore as nc
    >>> nc.nn.InstanceNorm2d(3)
    InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)
    """
    _no_batch_dim = 3


class LayerNorm(Module):
    """Normalizes the trailing ``normalized_shape`` dims of each sample by their own mean and biased variance
    (Ba et al. 2016); ``weight`` (ones) and ``bias`` (zeros) have shape ``normalized_shape``.

    >>> import neurocore as nc
    >>> ln = nc.nn.LayerNorm(4)
    >>> ln
    LayerNorm((4,), eps=1e-05, elementwise_affine=True)
    >>> [n for n, _ in ln.named_parameters()]
    ['weight', 'bias']
    >>> [round(v, 4) for v in ln(nc.tensor([[0.0, 0.0, 2.0, 2.0]]))[0].tolist()]
    [-1.0, -1.0, 1.0, 1.0]
    """

    def __init__(self, normalized_shape: _IntOrSeq, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: str | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        dt = _factory_dtype("LayerNorm", device, dtype)
        if isinstance(normalized_shape, (int, numbers.Integral)):  # (int listed for mypy)
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(zeros(*self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Splits the C channels of (N, C, *) into ``num_groups`` groups and normalizes each group of each sample
    by its own statistics (Wu & He 2018); ``weight``/``bias`` (C,) apply per channel. ``num_groups=1`` is
    layer norm over (C, *), ``num_groups=C`` is instance norm with affine parameters.

    >>> import neurocore as nc
    >>> gn = nc.nn.GroupNorm(2, 4)
    >>> gn
    GroupNorm(2, 4, eps=1e-05, affine=True)
    >>> gn(nc.randn(3, 4, 5)).shape
    (3, 4, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: str | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        dt = _factory_dtype("GroupNorm", device, dtype)
        if num_groups <= 0 or num_channels % num_groups != 0:
            raise ValueError(f"GroupNorm: num_channels must be divisible by num_groups, got num_channels="
                             f"{num_channels} and num_groups={num_groups}")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(ones(num_channels, dtype=dt))
            self.bias = Parameter(zeros(num_channels, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.affine:
            assert self.weight is not None and self.bias is not None  # (affine layers have both)
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
