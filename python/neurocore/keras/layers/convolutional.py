"""Keras convolution layers Conv1D and Conv2D over nc.nn's convolution modules (channels-last data).

Both run the core's 2-D convolution kernel: Conv1D's (N, T, C) input is a (N, C, 1, T) image. Padding is handed
to the kernel as (top, left, bottom, right), so TensorFlow/Keras "same" (extra cell at the end, also with
strides) and Conv1D's "causal" (all padding before the sequence) need no padded copy of the input.
"""
import numbers

from ... import _core
from ... import nn
from .. import activations, initializers, regularizers
from .base import Layer, _check_channels_last, _check_ndim, _same_pads

__all__ = ["Conv1D", "Conv2D", "Convolution1D", "Convolution2D"]


def _int_tuple(v, n, name):
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return (int(v),) * n
    try:
        t = tuple(int(i) for i in v)
    except TypeError:
        t = ()
    if len(t) != n:
        raise ValueError(f"The `{name}` argument must be an int or a tuple of {n} ints. Received: {name}={v!r}")
    return t


def _positive(t, name):
    if any(i <= 0 for i in t):
        raise ValueError(f"The `{name}` argument must be strictly positive. Received: {name}={t}")
    return t


def _pads(size, kernel, stride, dilation, padding):
    """(before, after) padding of one spatial axis for Keras' valid / same / causal."""
    effective = dilation * (kernel - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return effective - 1, 0
    return _same_pads(size, effective, stride)


class _Conv(Layer):
    """Shared by Conv1D and Conv2D: ``rank`` spatial axes, kernel (*kernel_size, in/groups, filters) in Keras
    layout, (filters, in/groups, *kernel_size) in nn's."""
    rank = 2
    _paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        _check_channels_last(self, data_format)
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters <= 0:
            raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                             f"Received filters={filters}.")
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups <= 0:
            raise ValueError(f"Invalid value for argument `groups`. Expected a strictly positive int. "
                             f"Received groups={groups}.")
        if filters % groups:
            raise ValueError(f"The number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={groups}, filters={filters}.")
        self.filters, self.groups = int(filters), int(groups)
        self.kernel_size = _positive(_int_tuple(kernel_size, self.rank, "kernel_size"), "kernel_size")
        self.strides = _positive(_int_tuple(strides, self.rank, "strides"), "strides")
        self.dilation_rate = _positive(_int_tuple(dilation_rate, self.rank, "dilation_rate"), "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.padding = str(padding).lower()
        if self.padding not in self._paddings:
            raise ValueError(f"{name}: padding must be one of {self._paddings}, got {padding!r}")
        self.activation = activations.get(activation)
        self._activation_name = activations.serialize(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _check_input(self, input_shape):
        _check_ndim(self, input_shape, self.rank + 2)
        channels = input_shape[-1]
        if channels % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {channels} channels (full input "
                             f"shape is {(None,) + tuple(input_shape)}).")
        for size, k, s, d in zip(input_shape[:-1], self.kernel_size, self.strides, self.dilation_rate):
            before, after = _pads(size, k, s, d, self.padding)
            if size + before + after < d * (k - 1) + 1:
                raise ValueError(f'Layer "{self.name}": computed output size would be negative. Received input '
                                 f"shape {(None,) + tuple(input_shape)}, kernel_size={self.kernel_size}, "
                                 f"dilation_rate={self.dilation_rate}, padding={self.padding!r}")

    def _build(self, input_shape):
        *spatial, channels = input_shape
        self._fix_input_axes({-1: channels}, ndim=self.rank + 2)
        pads = [_pads(n, k, s, d, self.padding)
                for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]
        if self.rank == 1:  # run as a (1, T) image
            pads = [(0, 0)] + pads
        (top, bottom), (left, right) = pads
        self._kernel_pads = (top, left, bottom, right)
        module_type = nn.Conv1d if self.rank == 1 else nn.Conv2d
        self.module = module_type(channels, self.filters, self.kernel_size, stride=self.strides,
                                  dilation=self.dilation_rate, groups=self.groups, bias=self.use_bias)
        kernel_shape = self.kernel_size + (channels // self.groups, self.filters)
        initializers.initialize_(self.module.weight, self.kernel_initializer, kernel_shape, self._kernel_from_keras)
        self._regularized = []
        if self.kernel_regularizer is not None:
            self._regularized.append((regularizers.in_keras_layout(self.kernel_regularizer, self._kernel_view),
                                      self.module.weight))
        if self.use_bias:
            initializers.initialize_(self.module.bias, self.bias_initializer)
            if self.bias_regularizer is not None:
                self._regularized.append((self.bias_regularizer, self.module.bias))

    def call(self, x):
        if self.rank == 1:  # (N, T, C) -> (N, C, 1, T)
            x = x.permute(0, 2, 1).unsqueeze(2)
            weight = self.module.weight.unsqueeze(2)
            stride, dilation = (1,) + self.strides, (1,) + self.dilation_rate
        else:  # (N, H, W, C) -> (N, C, H, W)
            x = x.permute(0, 3, 1, 2)
            weight, stride, dilation = self.module.weight, self.strides, self.dilation_rate
        y = _core.conv2d(x, weight, self.module.bias, stride, self._kernel_pads, dilation, self.groups)
        y = y.squeeze(2).permute(0, 2, 1) if self.rank == 1 else y.permute(0, 2, 3, 1)
        return self.activation(y) if self.activation is not None else y

    # nn (filters, in, *k) <-> Keras (*k, in, filters): reverse the axes, then swap the kernel axes back.
    def _kernel_to_keras(self, a):
        return a.transpose(2, 1, 0) if self.rank == 1 else a.transpose(2, 3, 1, 0)

    def _kernel_from_keras(self, a):
        return a.transpose(2, 1, 0) if self.rank == 1 else a.transpose(3, 2, 0, 1)

    def _kernel_view(self, w):
        return w.permute(2, 1, 0) if self.rank == 1 else w.permute(2, 3, 1, 0)

    def _weight_pairs(self):
        pairs = [(self.module.weight, self._kernel_to_keras, self._kernel_from_keras)]
        if self.use_bias:
            pairs.append((self.module.bias, lambda a: a, lambda a: a))
        return pairs


class Conv1D(_Conv):
    """1-D convolution on (N, T, C) sequences -> (N, T_out, filters); wraps nn.Conv1d.

    padding: "valid" (none), "same" (output length ceil(T / strides), the odd cell after the sequence) or
    "causal" (dilation * (kernel_size - 1) cells before it, so output t never sees input after t). Kernel in Keras
    layout is (kernel_size, in / groups, filters).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import Conv1D
    >>> conv = Conv1D(4, 3, padding="causal", dilation_rate=2)
    >>> conv(nc.zeros(2, 10, 6)).shape, conv.get_weights()[0].shape
    ((2, 10, 4), (3, 6, 4))
    """
    rank = 1
    _paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2-D convolution on (N, H, W, C) images -> (N, H_out, W_out, filters); wraps nn.Conv2d.

    Kernel in Keras layout is (kh, kw, in / groups, filters); nn's weight is (filters, in / groups, kh, kw).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import Conv2D
    >>> conv = Conv2D(8, 3, strides=2, padding="same", groups=2)
    >>> conv(nc.zeros(1, 7, 7, 4)).shape, conv.get_weights()[0].shape
    ((1, 4, 4, 8), (3, 3, 2, 8))
    """
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer, **kwargs)


Convolution1D = Conv1D
Convolution2D = Conv2D
