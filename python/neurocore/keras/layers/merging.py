"""Keras merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate and Dot, with the
functional forms add, subtract, multiply, average, maximum, minimum, concatenate and dot. They take a list of
tensors (or KerasTensors) and are built from nc ops, so gradients flow to every input.

The element-wise layers accept shapes that broadcast as in Keras: axes compared from the right, each pair equal
or one of them 1; an input with fewer axes gets size-1 axes inserted after the batch axis.

>>> import neurocore as nc
>>> from neurocore.keras import Input, Model
>>> from neurocore.keras import layers
>>> a, b = Input((3,)), Input((3,))
>>> model = Model([a, b], [layers.add([a, b]), layers.concatenate([a, b])])
>>> [t.shape for t in model.outputs]
[(None, 3), (None, 6)]
>>> s, c = model([nc.tensor([[1.0, 2.0, 3.0]]), nc.tensor([[10.0, 20.0, 30.0]])])
>>> s.tolist(), c.tolist()
([[11.0, 22.0, 33.0]], [[1.0, 2.0, 3.0, 10.0, 20.0, 30.0]])
"""
import numpy as np

from ... import _core
from ..._tensor import tensor
from .base import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


def _full(shape):
    return (None,) + tuple(shape)


def _broadcast(shape1, shape2):
    """Keras' element-wise output shape of two shapes (without batch axis), compared from the right."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    out = list(shape1[:len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i != j and i != 1 and j != 1:
            raise ValueError(f"Inputs have incompatible shapes. Received shapes {shape1} and {shape2}")
        out.append(max(i, j) if 1 in (i, j) else i)
    return tuple(out)


def _list_of_shapes(layer, input_shape, exactly=None):
    if not isinstance(input_shape, list):
        raise ValueError(f'A merge layer ("{layer.name}", {type(layer).__name__}) should be called on a list of '
                         f"inputs. Received: input_shape={_full(input_shape)} (not a list)")
    if exactly is not None and len(input_shape) != exactly:
        raise ValueError(f"A `{type(layer).__name__}` layer should be called on exactly {exactly} inputs. "
                         f"Received: input_shape={[_full(s) for s in input_shape]}")
    if len(input_shape) < 1:
        raise ValueError(f"A `{type(layer).__name__}` layer should be called on a list of at least 1 input.")
    return input_shape


class _Merge(Layer):
    """Base of the element-wise merging layers: ``_merge(list of same-rank tensors)`` does the math. The output
    mask is the OR of the input masks when every input has one (Keras' rule), else there is none."""

    _exactly = None
    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        if mask is None or any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = out.logical_or(m)
        return out

    def _check_input(self, input_shape):
        shapes = _list_of_shapes(self, input_shape, self._exactly)
        out = shapes[0]
        for s in shapes[1:]:
            out = _broadcast(out, s)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f'A merge layer ("{self.name}") should be called on a list of inputs, got '
                             f"{type(inputs).__name__}")
        inputs = list(inputs)
        rank = max(t.ndim for t in inputs)
        for i, t in enumerate(inputs):
            while t.ndim < rank:  # Keras adds size-1 axes right after the batch axis
                t = t.unsqueeze(1)
            inputs[i] = t
        return self._merge(inputs)

    def _merge(self, inputs):
        raise NotImplementedError


class Add(_Merge):
    """Element-wise sum of a list of inputs: ``Add()([a, b, c])``."""

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = out + t
        return out


class Subtract(_Merge):
    """``a - b`` for exactly two inputs: ``Subtract()([a, b])``."""

    _exactly = 2

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Element-wise product of a list of inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = out * t
        return out


class Average(_Merge):
    """Element-wise mean of a list of inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = out + t
        return out / len(inputs)


class Maximum(_Merge):
    """Element-wise maximum of a list of inputs (the gradient goes to the larger input)."""

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = out.maximum(t)
        return out


class Minimum(_Merge):
    """Element-wise minimum of a list of inputs (the gradient goes to the smaller input)."""

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = out.minimum(t)
        return out


class Concatenate(Layer):
    """Concatenation of a list of inputs along ``axis`` (default the last); every other axis must match.
    ``axis`` counts the batch axis (axis=1 is the first feature axis), as in Keras; the batch axis itself
    cannot be concatenated. Masks (when any input has one) are concatenated along the same axis, an input
    without a mask counting as all valid; the output mask keeps a step where any feature is valid (Keras)."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"Concatenate: axis must be an int, got {axis!r}")
        self.axis = axis

    def _check_input(self, input_shape):
        shapes = _list_of_shapes(self, input_shape)
        rank = len(shapes[0]) + 1
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 1 <= axis < rank:
            raise ValueError(f"Concatenate: axis={self.axis} is out of range for inputs of rank {rank} (the batch "
                             f"axis 0 cannot be concatenated). Received: input_shape={[_full(s) for s in shapes]}")
        for s in shapes:
            if len(s) + 1 != rank or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != axis - 1):
                raise ValueError("A `Concatenate` layer requires inputs with matching shapes except for the "
                                 f"concatenation axis. Received: input_shape={[_full(s) for s in shapes]}")
        self._axis = axis

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f'Concatenate layer "{self.name}" should be called on a list of inputs, got '
                             f"{type(inputs).__name__}")
        return _core.cat(list(inputs), self._axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            m = None if m is None else m.numpy().astype(bool)
            if m is None:
                m = np.ones(x.shape, dtype=bool)
            elif m.ndim < x.ndim:  # a per-step mask covers every feature of the step
                m = np.broadcast_to(m[..., None], x.shape)
            full.append(m)
        return tensor(np.ascontiguousarray(np.concatenate(full, axis=self._axis).any(axis=-1)))


class Dot(Layer):
    """Dot product of two inputs along ``axes`` (an int for both, or a pair), per sample: (N, d)·(N, d) ->
    (N, 1); (N, n, d)·(N, m, d) with axes=2 -> (N, n, m). ``normalize=True`` L2-normalizes both inputs along
    the axes first (cosine similarity). Axes count the batch axis, as in Keras. The output has no mask."""

    supports_masking = True

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int) and not isinstance(axes, bool):
            axes = (axes, axes)
        axes = tuple(axes)
        if len(axes) != 2 or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise ValueError(f"Dot: axes must be an int or a pair of ints, got {axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)

    def _check_input(self, input_shape):
        s1, s2 = _list_of_shapes(self, input_shape, exactly=2)
        axes = []
        for a, s in zip(self.axes, (s1, s2)):
            rank = len(s) + 1
            a = a + rank if a < 0 else a
            if not 1 <= a < rank:
                raise ValueError(f"Dot: axis {a} is out of range for an input of shape {_full(s)} (the batch axis "
                                 "0 cannot be contracted)")
            axes.append(a)
        if s1[axes[0] - 1] != s2[axes[1] - 1]:
            raise ValueError(f"Incompatible input shapes: axis values {s1[axes[0] - 1]} (at axis {axes[0]}) != "
                             f"{s2[axes[1] - 1]} (at axis {axes[1]}). Full input shapes: {_full(s1)}, {_full(s2)}")
        self._axes = tuple(axes)

    def call(self, inputs):
        x, y = inputs
        ax, ay = self._axes
        if self.normalize:
            # Keras' l2_normalize: x / sqrt(max(sum(x^2), 1e-12))
            x = x / x.square().sum(ax, keepdim=True).clamp(1e-12, None).sqrt()
            y = y / y.square().sum(ay, keepdim=True).clamp(1e-12, None).sqrt()
        n = x.shape[0]
        x_rest = [d for i, d in enumerate(x.shape) if i not in (0, ax)]
        y_rest = [d for i, d in enumerate(y.shape) if i not in (0, ay)]
        k = x.shape[ax]
        xm = x.permute(*[i for i in range(x.ndim) if i != ax], ax).reshape(n, -1, k)     # (N, P, K)
        ym = y.permute(0, ay, *[i for i in range(1, y.ndim) if i != ay]).reshape(n, k, -1)  # (N, K, Q)
        out = xm.matmul(ym)                                                               # (N, P, Q)
        rest = x_rest + y_rest
        return out.reshape(n, *(rest or [1]))


def _merge_fn(cls):
    def fn(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    fn.__name__ = cls.__name__.lower()
    fn.__doc__ = f"Functional form of {cls.__name__}: ``{fn.__name__}(inputs, **kwargs)`` = " \
                 f"``{cls.__name__}(**kwargs)(inputs)``."
    return fn


add, subtract, multiply, average, maximum, minimum = (_merge_fn(c) for c in (Add, Subtract, Multiply, Average,
                                                                              Maximum, Minimum))


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of Concatenate: ``concatenate([a, b], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """Functional form of Dot: ``dot([a, b], axes)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
