"""Keras layers MaxPooling2D and AveragePooling2D, over nc.nn modules (channels-last data)."""
from ... import nn
from .base import Layer, _check_image_input, _check_padding, _pad_hw, _same_pads, _tuple2


__all__ = ["MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D"]


class _Pooling2D(Layer):
    _max = True

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        self.pool_size = _tuple2(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _tuple2(strides, "strides")
        self.padding = _check_padding(padding)

    _check_input = _check_image_input

    def _build(self, input_shape):
        h, w, _ = input_shape
        self._pads = None
        if self.padding == "same":
            pads = (_same_pads(h, self.pool_size[0], self.strides[0]), _same_pads(w, self.pool_size[1],
                                                                                   self.strides[1]))
            if any(any(p) for p in pads):
                self._pads = pads
        if self._max:
            self.module = nn.MaxPool2d(self.pool_size, stride=self.strides)
        else:
            self.module = nn.AvgPool2d(self.pool_size, stride=self.strides)
            if self._pads is not None:
                # Keras averages over the cells inside the image only: divide by the pooled in-image mask.
                from ..._tensor import ones
                mask = _pad_hw(ones((1, 1, h, w)), self._pads, 0.0)
                self._count = self.module(mask)

    def call(self, x):
        x = x.permute(0, 3, 1, 2)
        if self._pads is None:
            y = self.module(x)
        elif self._max:
            y = self.module(_pad_hw(x, self._pads, float("-inf")))
        else:
            y = self.module(_pad_hw(x, self._pads, 0.0)) / self._count
        return y.permute(0, 2, 3, 1)


class MaxPooling2D(_Pooling2D):
    """Max over pool_size windows of (N, H, W, C) data; wraps nn.MaxPool2d."""
    _max = True


class AveragePooling2D(_Pooling2D):
    """Mean over pool_size windows of (N, H, W, C) data; wraps nn.AvgPool2d."""
    _max = False


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
