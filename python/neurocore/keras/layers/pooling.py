"""Keras pooling layers over nc.nn's pooling kernels (channels-last data): Max/AveragePooling1D/2D and the
global poolings.

1-D pooling of (N, T, C) runs the 2-D kernel on a (N, C, 1, T) image. "same" padding is Keras'/TensorFlow's:
output size ceil(size / strides), the odd padding cell after the data; max pooling never picks padding and
average pooling divides by the number of cells inside the data. (Keras 3's torch backend pads an uneven "same"
by replicating the edge instead, which changes averages when the window holds more than one padded cell; we
keep the TensorFlow/JAX result.)
"""
import numpy as np

from ... import nn
from ..._tensor import tensor
from .base import Layer, _check_channels_last, _check_ndim, _pad_hw, _same_pads
from .convolutional import _int_tuple, _positive

__all__ = ["MaxPooling1D", "AveragePooling1D", "MaxPooling2D", "AveragePooling2D", "MaxPool1D", "AvgPool1D",
           "MaxPool2D", "AvgPool2D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D",
           "GlobalMaxPooling2D", "GlobalAvgPool1D", "GlobalMaxPool1D", "GlobalAvgPool2D", "GlobalMaxPool2D"]


def _in_data_counts(size, pool, stride, pads):
    """How many cells of each window along one axis lie inside the data (not padding)."""
    before, after = pads
    starts = np.arange(0, size + before + after - pool + 1, stride) - before
    return np.minimum(starts + pool, size) - np.maximum(starts, 0)


class _Pooling(Layer):
    rank = 2
    _max = True

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        _check_channels_last(self, data_format)
        self.pool_size = _positive(_int_tuple(pool_size, self.rank, "pool_size"), "pool_size")
        self.strides = self.pool_size if strides is None else _positive(_int_tuple(strides, self.rank, "strides"),
                                                                         "strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")

    def _check_input(self, input_shape):
        _check_ndim(self, input_shape, self.rank + 2)
        if self.padding == "valid" and any(n < k for n, k in zip(input_shape[:-1], self.pool_size)):
            raise ValueError(f'Layer "{self.name}": input shape {(None,) + tuple(input_shape)} is smaller than '
                             f"pool_size={self.pool_size} with padding='valid'")

    def _build(self, input_shape):
        self._fix_input_axes({}, ndim=self.rank + 2)
        # Everything runs as 2-D: 1-D data gets a leading spatial axis of size 1.
        spatial = tuple(input_shape[:-1]) if self.rank == 2 else (1,) + tuple(input_shape[:-1])
        pool = self.pool_size if self.rank == 2 else (1,) + self.pool_size
        strides = self.strides if self.rank == 2 else (1,) + self.strides
        pads = [(0, 0)] * 2
        if self.padding == "same":
            pads = [_same_pads(n, k, s) for n, k, s in zip(spatial, pool, strides)]
        self._pads = pads if any(any(p) for p in pads) else None
        self._divisor, self._divisor_cache = None, {}
        if self._max:
            self.module = nn.MaxPool2d(pool, stride=strides)
        else:
            self.module = nn.AvgPool2d(pool, stride=strides, divisor_override=1 if self._pads else None)
            if self._pads is not None:  # divide each window's sum by its cells inside the data
                counts = [_in_data_counts(n, k, s, p) for n, k, s, p in zip(spatial, pool, strides, pads)]
                self._divisor = np.outer(counts[0], counts[1])[None, None]

    def _divisor_for(self, dtype):
        if dtype not in self._divisor_cache:
            self._divisor_cache[dtype] = tensor(self._divisor, dtype=dtype)
        return self._divisor_cache[dtype]

    def call(self, x):
        x = x.permute(0, 2, 1).unsqueeze(2) if self.rank == 1 else x.permute(0, 3, 1, 2)
        if self._pads is not None:
            x = _pad_hw(x, self._pads, float("-inf") if self._max else 0.0)
        y = self.module(x)
        if self._divisor is not None:
            y = y / self._divisor_for(y.dtype)
        return y.squeeze(2).permute(0, 2, 1) if self.rank == 1 else y.permute(0, 2, 3, 1)


class MaxPooling1D(_Pooling):
    """Max over ``pool_size`` windows of (N, T, C) sequences (strides default to pool_size).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import MaxPooling1D
    >>> MaxPooling1D(2, padding="same")(nc.tensor([[[1.0], [3.0], [2.0]]])).tolist()
    [[[3.0], [2.0]]]
    """
    rank = 1


class AveragePooling1D(_Pooling):
    """Mean over ``pool_size`` windows of (N, T, C) sequences; with "same" padding only cells inside the data
    count.

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import AveragePooling1D
    >>> AveragePooling1D(2, padding="same")(nc.tensor([[[1.0], [3.0], [2.0]]])).tolist()
    [[[2.0], [2.0]]]
    """
    rank = 1
    _max = False


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of (N, H, W, C) images; wraps nn.MaxPool2d."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows of (N, H, W, C) images; wraps nn.AvgPool2d."""
    _max = False

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    rank = 2
    _max = True

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        _check_channels_last(self, data_format)
        self.keepdims = bool(keepdims)

    def _check_input(self, input_shape):
        _check_ndim(self, input_shape, self.rank + 2)

    def call(self, x):
        axes = tuple(range(1, self.rank + 1))
        mask = getattr(x, "_keras_mask", None)
        if mask is not None and self.supports_masking:  # mean over the valid steps only
            weights = mask.to(x.dtype).unsqueeze(2)
            return (x * weights).sum(1, keepdim=self.keepdims) / weights.sum(1, keepdim=self.keepdims)
        return x.amax(dim=axes, keepdim=self.keepdims) if self._max else x.mean(dim=axes, keepdim=self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the time axis: (N, T, C) -> (N, C), or (N, 1, C) with keepdims=True. With a mask (e.g. from
    Embedding(mask_zero=True)) the mean is over the valid steps only, as in Keras."""
    rank = 1
    _max = False
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the time axis: (N, T, C) -> (N, C), or (N, 1, C) with keepdims=True."""
    rank = 1


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims=True.

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import GlobalAveragePooling2D
    >>> GlobalAveragePooling2D()(nc.ones(2, 3, 3, 5)).shape
    (2, 5)
    """
    _max = False


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims=True."""


MaxPool1D, AvgPool1D, MaxPool2D, AvgPool2D = MaxPooling1D, AveragePooling1D, MaxPooling2D, AveragePooling2D
GlobalAvgPool1D, GlobalMaxPool1D = GlobalAveragePooling1D, GlobalMaxPooling1D
GlobalAvgPool2D, GlobalMaxPool2D = GlobalAveragePooling2D, GlobalMaxPooling2D
