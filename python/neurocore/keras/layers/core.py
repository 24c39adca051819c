"""Keras layers Dense, Activation, Flatten and Dropout, over nc.nn modules (channels-last data)."""
from ... import nn
from .. import activations, initializers, regularizers
from .base import Layer


__all__ = ["Dense", "Activation", "Flatten", "Dropout"]


class Dense(Layer):
    """y = activation(x @ kernel + bias) on the last axis; wraps nn.Linear (kernel stored transposed)."""

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or int(units) != units or int(units) <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. "
                             f"Received: units={units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self._activation_name = activations.serialize(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def _check_input(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected min_ndim=2, '
                             f"found ndim={len(input_shape) + 1}. Full shape received: {(None,) + input_shape}")

    supports_masking = True

    def _build(self, input_shape):
        self._fix_input_axes({-1: input_shape[-1]}, min_ndim=2)
        self.module = nn.Linear(input_shape[-1], self.units, bias=self.use_bias)
        # Drawn in Keras layout (in, units), stored transposed as nn's (units, in).
        initializers.initialize_(self.module.weight, self.kernel_initializer, (input_shape[-1], self.units),
                                 lambda a: a.T)
        self._regularized = []
        if self.kernel_regularizer is not None:
            self._regularized.append((regularizers.in_keras_layout(self.kernel_regularizer, lambda w: w.t()),
                                      self.module.weight))
        if self.use_bias:
            initializers.initialize_(self.module.bias, self.bias_initializer)
            if self.bias_regularizer is not None:
                self._regularized.append((self.bias_regularizer, self.module.bias))

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
        self.activation = activations.get(activation)
        self._activation_name = activations.serialize(activation)

    supports_masking = True

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

    supports_masking = True

    def _build(self, input_shape):
        self.module = nn.Dropout(self.rate)

    def call(self, x):
        return self.module(x)


