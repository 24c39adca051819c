"""InputLayer and keras.Input: the declared input of a model (shape without the batch axis, and dtype)."""
import numpy as np

from ..keras_tensor import KerasTensor, Node, standardize_dtype
from .base import Layer, _dtype_name, _unique_name

__all__ = ["InputLayer", "Input"]


class InputLayer(Layer):
    """Declares an input: its shape (without batch axis) and dtype; passes data through. ``keras.Input``
    makes one and returns its output KerasTensor."""

    _autocast = False  # the input keeps the dtype it declares

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None, batch_shape=None,
                 **kwargs):
        if batch_shape is not None:
            batch_shape = tuple(batch_shape)
            if len(batch_shape) < 1:
                raise ValueError(f"InputLayer: batch_shape must include the batch axis, got {batch_shape}")
            batch_size, shape = batch_shape[0], batch_shape[1:]
        shape = shape if shape is not None else input_shape
        if shape is None:
            raise ValueError("InputLayer needs a shape, e.g. Input(shape=(32, 32, 1))")
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        shape = tuple(shape)
        if any(d is None for d in shape):
            raise ValueError(f"Input shape {shape}: every axis but the batch axis needs a size here (variable "
                             "sizes are not supported)")
        if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
            raise ValueError(f"Input shape must be a tuple of non-negative ints, got {shape}")
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size <= 0):
            raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
        super().__init__(name=name or _unique_name("input_layer"), input_shape=shape, **kwargs)
        self.dtype = standardize_dtype(dtype)
        self.batch_size = None if batch_size is None else int(batch_size)
        self.input_shape = self.output_shape = self._input_shape_arg
        self.built = True
        tensor = KerasTensor((self.batch_size,) + self.input_shape, self.dtype, self.name, (self, 0, 0))
        self._inbound_nodes.append(Node(self, (), {}, [tensor], False))

    def get_config(self):
        return {"batch_shape": (self.batch_size,) + self.input_shape, "dtype": self.dtype, "name": self.name}

    def _set_dtype(self, dtype):
        if self.dtype.startswith("float"):  # a model converted to float64 takes float64 data; ids stay ids
            self.dtype = _dtype_name(dtype)

    def call(self, x):
        return x

    def count_params(self):
        return 0


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):  # noqa: N802 - Keras' name
    """A symbolic input: a KerasTensor of shape ``(batch_size, *shape)`` for functional models, or the first
    entry of a Sequential (``Sequential([Input((32, 32, 1)), ...])``)."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype, batch_shape=batch_shape).output
