"""Layer base class of nc.keras and the helpers its layers share (names, tuples, 'same' padding).

A layer builds lazily: ``build(input_shape)`` (shape without the batch axis) creates its nn modules once the
input shape is known; the output shape is found by running the built layer once on zeros. ``get_config()``
returns the constructor arguments the layer was made with (recorded automatically, see ``__init_subclass__``),
so ``type(layer).from_config(layer.get_config())`` makes an equal, unbuilt layer.
"""
import functools
import inspect
import re

import numpy as np

from ... import _core
from ... import nn
from ...autograd import no_grad
from ..._tensor import full, zeros

__all__ = ["Layer", "InputLayer", "Input"]

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


def _check_image_input(self, input_shape):
    """Channels-last image layers take (batch, height, width, channels)."""
    if len(input_shape) != 3:
        raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected ndim=4, '
                         f"found ndim={len(input_shape) + 1}. Full shape received: {(None,) + input_shape}")


class Layer(nn.Module):
    """Base of Keras-style layers: an nn.Module that builds its parameters when it first sees its input shape.

    Subclasses implement ``_build(input_shape)`` (shape without batch axis) and ``call(x)``.
    """

    def __init_subclass__(cls, **kwargs):
        # Record the arguments of the outermost constructor call, so get_config() needs no per-layer code.
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            if "_init_arguments" not in self.__dict__:
                bound = inspect.signature(init).bind(self, *args, **kw)
                arguments = dict(bound.arguments)
                arguments.pop(next(iter(arguments)))  # self
                for name, p in inspect.signature(init).parameters.items():
                    if p.kind is inspect.Parameter.VAR_KEYWORD:
                        arguments.update(arguments.pop(name, {}))
                    elif p.kind is inspect.Parameter.VAR_POSITIONAL and arguments.get(name):
                        raise TypeError(f"{cls.__name__}: positional *{name} arguments cannot be recorded")
                self.__dict__["_init_arguments"] = arguments
            init(self, *args, **kw)

        cls.__init__ = recording_init

    def get_config(self):
        """The constructor arguments this layer was made with, plus its name and trainable flag."""
        config = dict(self.__dict__.get("_init_arguments", {}))
        config["name"] = self.name
        config["trainable"] = self.trainable
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

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
            with no_grad():
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
        """All weights, trainable or not (BatchNormalization's moving statistics count), as Keras counts."""
        return sum(w.numel() for w in self.weights)

    # Keras order and layout of the weights: (tensor, to_keras, from_keras) per weight, the tensor being an nn
    # parameter or buffer (a buffer is a non-trainable weight). Layers whose layout differs from nn's override.
    def _weight_pairs(self):
        return [(p, lambda a: a, lambda a: a) for p in self.parameters()]

    @property
    def losses(self):
        """Regularization penalties of this layer's weights, as scalar tensors; the training loss adds them.
        Layers append ``(regularizer, tensor)`` to ``self._regularized`` when they build."""
        return [reg(w) for reg, w in self.__dict__.get("_regularized", [])]

    def get_weights(self):
        return [to_k(p.detach().numpy().copy()) for p, to_k, _ in self._weight_pairs()]

    def set_weights(self, weights):
        pairs = self._weight_pairs()
        if len(weights) != len(pairs):
            raise ValueError(f'Layer "{self.name}" expects {len(pairs)} weights, got {len(weights)}')
        from ..._tensor import tensor
        with no_grad():
            for (p, _, from_k), w in zip(pairs, weights):
                a = np.ascontiguousarray(from_k(np.asarray(w)), dtype=np.float32)
                if tuple(a.shape) != tuple(p.shape):
                    raise ValueError(f'Layer "{self.name}": weight shape {np.asarray(w).shape} does not match')
                p.copy_(tensor(a))

    @property
    def weights(self):
        """Weight tensors in Keras order (trainable ones and non-trainable state such as moving means)."""
        return [w for w, _, _ in self._weight_pairs()] if self.built else []

    @property
    def trainable_weights(self):
        return [w for w in self.weights if self.trainable and w.requires_grad]

    @property
    def non_trainable_weights(self):
        return [w for w in self.weights if not (self.trainable and w.requires_grad)]

    def extra_repr(self):
        return f"name={self.name!r}"



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


