"""Keras-named layers over nc.nn modules. Data is channels-last: (N, H, W, C) for images.

Each layer builds lazily: ``build(input_shape)`` (shape without the batch axis) creates the nn module
once the input shape is known; the output shape is found by running the built layer once on zeros.
"""
import re

import numpy as np

from .. import _core
from ..autograd import no_grad
from .._tensor import zeros
from .. import nn
from ..nn import functional as F
from ..nn import init as _init

__all__ = ["Layer", "InputLayer", "Input", "Dense", "Activation", "Flatten", "Dropout", "Conv2D",
           "MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D", "get_activation"]

# ---------------------------------------------------------------------------- activations

_ACTIVATIONS = {
    "linear": None, None: None,
    "relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh,
    "softmax": lambda x: F.softmax(x, dim=-1),
    "log_softmax": lambda x: F.log_softmax(x, dim=-1),
    "elu": F.elu, "selu": F.selu, "gelu": F.gelu, "silu": F.silu, "swish": F.silu, "mish": F.mish,
    "softplus": F.softplus, "softsign": F.softsign, "relu6": F.relu6,
    "hard_sigmoid": F.hardsigmoid, "hard_silu": F.hardswish, "hard_swish": F.hardswish,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),  # Keras' activations.leaky_relu default slope
}


def get_activation(activation):
    """A callable (or None for identity) from a Keras activation name or a callable."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str) and activation in _ACTIVATIONS:
        return _ACTIVATIONS[activation]
    raise ValueError(f"Unknown activation: {activation!r}. Known activations: "
                     f"{sorted(k for k in _ACTIVATIONS if k)}")


def _activation_name(activation):
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", "custom")


# ---------------------------------------------------------------------------- initializers

def _glorot_normal(t):
    fan_in, fan_out = _init._calculate_fan_in_and_fan_out(t)
    _init.trunc_normal_(t, 0.0, (2.0 / (fan_in + fan_out)) ** 0.5 / 0.87962566103423978, -2, 2)  # Keras: truncated
    return t


def _fan_init(scale, mode, dist):
    def f(t):
        fan_in, fan_out = _init._calculate_fan_in_and_fan_out(t)
        fan = fan_in if mode == "fan_in" else (fan_in + fan_out) / 2
        if dist == "uniform":
            limit = (3.0 * scale / fan) ** 0.5
            return _init.uniform_(t, -limit, limit)
        return _init.trunc_normal_(t, 0.0, (scale / fan) ** 0.5 / 0.87962566103423978, -2, 2)
    return f


_INITIALIZERS = {
    "glorot_uniform": _init.xavier_uniform_, "glorot_normal": _glorot_normal,
    "he_uniform": _fan_init(2.0, "fan_in", "uniform"), "he_normal": _fan_init(2.0, "fan_in", "normal"),
    "lecun_uniform": _fan_init(1.0, "fan_in", "uniform"), "lecun_normal": _fan_init(1.0, "fan_in", "normal"),
    "zeros": _init.zeros_, "ones": _init.ones_,
    "random_normal": lambda t: _init.normal_(t, 0.0, 0.05),
    "random_uniform": lambda t: _init.uniform_(t, -0.05, 0.05),
}


def _get_initializer(name):
    if callable(name):
        return name
    if isinstance(name, str) and name in _INITIALIZERS:
        return _INITIALIZERS[name]
    raise ValueError(f"Unknown initializer: {name!r}. Known initializers: {sorted(_INITIALIZERS)}")


# ---------------------------------------------------------------------------- names

_NAME_COUNTS = {}


def _snake(name):
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _unique_name(base):
    n = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def _tuple2(v, name):
    if isinstance(v, (int, np.integer)):
        return (int(v), int(v))
    v = tuple(int(i) for i in v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a tuple of 2 ints, got {v}")
    return v


def _check_padding(padding):
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return p


def _same_pads(size, k, s):
    """(before, after) padding of TensorFlow/Keras 'same': output ceil(size/s), extra cell at the end."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _pad_hw(x, pads, value):
    """Pad (N, C, H, W) with a constant: pads = ((top, bottom), (left, right))."""
    (t, b), (l, r) = pads
    n, c, h, w = x.shape
    from .._tensor import full
    if t or b:
        seq = ([full((n, c, t, w), value, dtype=x.dtype)] if t else []) + [x] + \
              ([full((n, c, b, w), value, dtype=x.dtype)] if b else [])
        x = _core.cat(seq, 2)
        h = h + t + b
    if l or r:
        seq = ([full((n, c, h, l), value, dtype=x.dtype)] if l else []) + [x] + \
              ([full((n, c, h, r), value, dtype=x.dtype)] if r else [])
        x = _core.cat(seq, 3)
    return x


# ---------------------------------------------------------------------------- base

def _check_image_input(self, input_shape):
    """Channels-last image layers take (batch, height, width, channels)."""
    if len(input_shape) != 3:
        raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim=4, '
                         f"found ndim={len(input_shape) + 1}. Full shape received: {(None,) + input_shape}")


class Layer(nn.Module):
    """Base of Keras-style layers: an nn.Module that builds its parameters when it first sees its input shape.

    Subclasses implement ``_build(input_shape)`` (shape without batch axis) and ``call(x)``.
    """

    def __init__(self, name=None, input_shape=None, trainable=True, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments {sorted(kwargs)}")
        self.name = name or _unique_name(_snake(type(self).__name__))
        self._input_shape_arg = None if input_shape is None else tuple(int(d) for d in input_shape)
        self.built = False
        self.trainable = trainable
        self.input_shape = None
        self.output_shape = None

    def _build(self, input_shape):
        pass

    def build(self, input_shape):
        input_shape = tuple(int(d) for d in input_shape)
        if self.built:
            if input_shape != self.input_shape:
                raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected shape='
                                 f"{(None,) + self.input_shape}, found shape={(None,) + input_shape}")
            return self.output_shape
        self._check_input(input_shape)
        self._build(input_shape)
        if not self.trainable:
            for p in self.parameters():
                p.requires_grad_(False)
        self.input_shape = input_shape
        self.built = True
        was = self.training
        self.eval()
        try:
            with _NoGrad():
                y = self.call(zeros((1,) + input_shape))
        except (RuntimeError, ValueError) as e:
            self.built = False
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) cannot take input shape '
                             f"{(None,) + input_shape}: {e}") from e
        finally:
            self.train(was)
        self.output_shape = tuple(y.shape[1:])
        return self.output_shape

    def _check_input(self, input_shape):
        pass

    def forward(self, x):
        if not self.built:
            self.build(x.shape[1:])
        return self.call(x)

    def call(self, x):
        raise NotImplementedError

    def count_params(self):
        return sum(p.numel() for p in self.parameters())

    # Keras layout of weights (numpy); subclasses with non-matching layouts override.
    def _weight_pairs(self):
        return [(p, lambda a: a, lambda a: a) for p in self.parameters()]

    def get_weights(self):
        return [to_k(p.detach().numpy().copy()) for p, to_k, _ in self._weight_pairs()]

    def set_weights(self, weights):
        pairs = self._weight_pairs()
        if len(weights) != len(pairs):
            raise ValueError(f'Layer "{self.name}" expects {len(pairs)} weights, got {len(weights)}')
        from .._tensor import tensor
        with _NoGrad():
            for (p, _, from_k), w in zip(pairs, weights):
                a = np.ascontiguousarray(from_k(np.asarray(w)), dtype=np.float32)
                if tuple(a.shape) != tuple(p.shape):
                    raise ValueError(f'Layer "{self.name}": weight shape {np.asarray(w).shape} does not match')
                p.copy_(tensor(a))

    @property
    def weights(self):
        return list(self.parameters())

    def extra_repr(self):
        return f"name={self.name!r}"


_NoGrad = no_grad


class InputLayer(Layer):
    """Declares the input shape (without batch axis); passes data through."""

    def __init__(self, shape=None, batch_size=None, name=None, input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("InputLayer needs a shape")
        super().__init__(name=name, input_shape=shape, **kwargs)

    def call(self, x):
        return x

    def count_params(self):
        return 0


def Input(shape, batch_size=None, name=None):  # noqa: N802 - Keras' name
    """An input placeholder for Sequential: ``Sequential([Input((32, 32, 1)), ...])``."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name)


# ---------------------------------------------------------------------------- layers

class Dense(Layer):
    """y = activation(x @ kernel + bias) on the last axis; wraps nn.Linear (kernel stored transposed)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. Received: units={units}")
        self.units = int(units)
        self.activation = get_activation(activation)
        self._activation_name = _activation_name(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _get_initializer(kernel_initializer)
        self.bias_initializer = _get_initializer(bias_initializer)

    def _check_input(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected min_ndim=2, '
                             f"found ndim={len(input_shape) + 1}. Full shape received: {(None,) + input_shape}")

    def _build(self, input_shape):
        self.module = nn.Linear(input_shape[-1], self.units, bias=self.use_bias)
        with _NoGrad():
            # Keras' fans for a (in, units) kernel equal nn's for (units, in): glorot is symmetric.
            self.kernel_initializer(self.module.weight)
            if self.use_bias:
                self.bias_initializer(self.module.bias)

    def call(self, x):
        y = self.module(x)
        return self.activation(y) if self.activation is not None else y

    def _weight_pairs(self):
        pairs = [(self.module.weight, lambda a: a.T, lambda a: a.T)]
        if self.use_bias:
            pairs.append((self.module.bias, lambda a: a, lambda a: a))
        return pairs


class Activation(Layer):
    """Applies an activation by Keras name (``Activation("relu")``) or callable."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = get_activation(activation)
        self._activation_name = _activation_name(activation)

    def call(self, x):
        return self.activation(x) if self.activation is not None else x


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1*d2*...), in channels-last (row-major) order like Keras."""

    def _build(self, input_shape):
        self.module = nn.Flatten()

    def call(self, x):
        return self.module(x)


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of inputs during training (scaled by 1/(1-rate)); identity in inference."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= float(rate) <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                             f"Received: rate={rate}")
        self.rate = float(rate)

    def _build(self, input_shape):
        self.module = nn.Dropout(self.rate)

    def call(self, x):
        return self.module(x)


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
        self.activation = get_activation(activation)
        self._activation_name = _activation_name(activation)
        self.use_bias = use_bias
        self.kernel_initializer = _get_initializer(kernel_initializer)
        self.bias_initializer = _get_initializer(bias_initializer)

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
        with _NoGrad():
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
                from .._tensor import ones
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
