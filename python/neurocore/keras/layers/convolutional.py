"""Keras layers Conv2D, over nc.nn modules (channels-last data)."""
from ... import nn
from ...autograd import no_grad
from .. import activations, initializers
from .base import Layer, _check_image_input, _check_padding, _pad_hw, _same_pads, _tuple2


__all__ = ["Conv2D"]


class Conv2D(Layer):
    """2-D convolution on (N, H, W, C) data; wraps nn.Conv2d (permuting to NCHW around it).

    Kernel in Keras layout is (kh, kw, in, filters); nn's weight is (filters, in, kh, kw).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Conv2D: only data_format='channels_last' is supported, got {data_format!r}")
        if int(filters) <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters}.")
        self.filters = int(filters)
        self.kernel_size = _tuple2(kernel_size, "kernel_size")
        self.strides = _tuple2(strides, "strides")
        self.dilation_rate = _tuple2(dilation_rate, "dilation_rate")
        self.padding = _check_padding(padding)
        self.activation = activations.get(activation)
        self._activation_name = activations.serialize(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    _check_input = _check_image_input

    def _build(self, input_shape):
        h, w, c = input_shape
        self._explicit_pad = None
        pad = self.padding
        if self.padding == "same" and self.strides != (1, 1):
            ek = [d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
            self._explicit_pad = (_same_pads(h, ek[0], self.strides[0]), _same_pads(w, ek[1], self.strides[1]))
            pad = 0
        self.module = nn.Conv2d(c, self.filters, self.kernel_size, stride=self.strides, padding=pad,
                                dilation=self.dilation_rate, bias=self.use_bias)
        with no_grad():
            self.kernel_initializer(self.module.weight)
            if self.use_bias:
                self.bias_initializer(self.module.bias)

    def call(self, x):
        x = x.permute(0, 3, 1, 2)
        if self._explicit_pad is not None:
            x = _pad_hw(x, self._explicit_pad, 0.0)
        y = self.module(x).permute(0, 2, 3, 1)
        return self.activation(y) if self.activation is not None else y

    def _weight_pairs(self):
        pairs = [(self.module.weight, lambda a: a.transpose(2, 3, 1, 0), lambda a: a.transpose(3, 2, 0, 1))]
        if self.use_bias:
            pairs.append((self.module.bias, lambda a: a, lambda a: a))
        return pairs


