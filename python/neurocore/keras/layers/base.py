"""Layer base class of nc.keras and the helpers its layers share (names, tuples, 'same' padding).

A layer builds lazily: ``build(input_shape)`` (shape without the batch axis; a list of shapes for a layer with
several inputs) creates its nn modules once the input shape is known; the output shape is found by running the
built layer once on zeros. ``get_config()`` returns the constructor arguments the layer was made with (recorded
automatically, see ``__init_subclass__``), so ``type(layer).from_config(layer.get_config())`` makes an equal,
unbuilt layer.

Calling a layer on real tensors computes; calling it on KerasTensors (``keras.Input``) builds it for their shapes
and records the call, which is how functional models are made:

>>> from neurocore.keras import Input, Model
>>> from neurocore.keras.layers import Dense
>>> inputs = Input((4,))
>>> hidden = Dense(8, activation="relu")
>>> outputs = Dense(2)(hidden(inputs))
>>> Model(inputs, outputs).count_params()
58
>>> hidden.output.shape
(None, 8)
"""
import functools
import inspect
import re

import numpy as np

from ... import _core
from ... import nn
from ..._core import Tensor
from ...autograd import no_grad
from ..._tensor import full, zeros
from ..keras_tensor import KerasTensor, Node, flatten, has_keras_tensor, standardize_dtype

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


# ---------------------------------------------------------------------------------------------- shapes

def _as_shape(shape):
    """A shape without batch axis as a tuple of ints, or a list of such tuples (several inputs)."""
    if isinstance(shape, (list, tuple)) and len(shape) > 0 and all(isinstance(s, (list, tuple)) for s in shape):
        return [tuple(int(d) for d in s) for s in shape]
    return tuple(int(d) for d in shape)


def _shape_of(value):
    """Shape(s) without the batch axis of a tensor or a list of tensors."""
    if isinstance(value, (list, tuple)):
        return [tuple(t.shape[1:]) for t in value]
    return tuple(value.shape[1:])


def _zeros_for(shape):
    if isinstance(shape, list):
        return [zeros((1,) + s) for s in shape]
    return zeros((1,) + shape)


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def _fmt_shape(shape):
    if isinstance(shape, list):
        return "[" + ", ".join(str((None,) + s) for s in shape) + "]"
    return str((None,) + shape)


class Layer(nn.Module):
    """Base of Keras-style layers: an nn.Module that builds its parameters when it first sees its input shape.

    Subclasses implement ``_build(input_shape)`` (shape without batch axis) and ``call(inputs)``. Calling the
    layer on tensors runs it; calling it on KerasTensors records the call for a functional Model. ``trainable``
    (settable at any time, for the layer and every layer inside it) switches its weights' gradients on or off.
    """

    # Set by build(): shapes without the batch axis (a list of shapes for several inputs or outputs).
    input_shape = None
    output_shape = None

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

    def __init__(self, name=None, input_shape=None, trainable=True, dtype=None, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments {sorted(kwargs)}")
        if dtype is not None:
            try:
                ok = _core._parse_dtype(dtype) == _core._parse_dtype("float32")
            except (TypeError, ValueError, KeyError):
                ok = False
            if not ok:
                raise ValueError(f"{type(self).__name__}: dtype must be 'float32' (the dtype this layer computes "
                                 f"in), got {dtype!r}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, got {type(name).__name__}")
        self.name = name or _unique_name(_snake(type(self).__name__))
        self._input_shape_arg = None if input_shape is None else tuple(int(d) for d in input_shape)
        self.built = False
        self._inbound_nodes = []
        self.trainable = trainable

    # ------------------------------------------------------------------ trainable

    @property
    def trainable(self):
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value):
        # As in Keras, the flag applies to every layer inside this one; gradients follow it.
        value = bool(value)
        for m in self.modules():
            if isinstance(m, Layer):
                m.__dict__["_trainable"] = value
        for p in self.parameters():
            p.requires_grad_(value)

    # ------------------------------------------------------------------ build

    def _build(self, input_shape):
        pass

    def build(self, input_shape):
        input_shape = _as_shape(input_shape)
        if self.built:
            if input_shape != self.input_shape:
                raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected shape='
                                 f"{_fmt_shape(self.input_shape)}, found shape={_fmt_shape(input_shape)}")
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
                y = self.call(_zeros_for(input_shape))
        except (RuntimeError, ValueError, IndexError) as e:
            self.built = False
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) cannot take input shape '
                             f"{_fmt_shape(input_shape)}: {e}") from e
        finally:
            self.train(was)
        self.output_shape = _shape_of(y)
        self._output_dtype = _dtype_name(y[0] if isinstance(y, (list, tuple)) else y)
        return self.output_shape

    def _check_input(self, input_shape):
        pass

    # ------------------------------------------------------------------ calling

    def __call__(self, *args, **kwargs):
        if args and type(args[0]) is Tensor and not kwargs:  # the hot path: one tensor in
            return self.forward(*args)
        if has_keras_tensor(args) or has_keras_tensor(kwargs):
            return self._call_symbolic(args, kwargs)
        training = kwargs.pop("training", None)
        if training is None or bool(training) == self.training:
            return self.forward(*args, **kwargs)
        was = self.training  # training=True/False forces the mode for this call, as in Keras
        self.train(bool(training))
        try:
            return self.forward(*args, **kwargs)
        finally:
            self.train(was)

    def forward(self, inputs, *args, **kwargs):
        if not self.built:
            self.build(_shape_of(inputs))
        return self.call(inputs, *args, **kwargs)

    def call(self, inputs):
        raise NotImplementedError

    def _build_symbolic(self, input_shape):
        """Build for a call on KerasTensors; returns the output shape(s) without batch axis."""
        return self.build(input_shape)

    def _call_symbolic(self, args, kwargs):
        """Build for the KerasTensors' shapes, record the call as a Node and return output KerasTensors."""
        if not args:
            raise TypeError(f'Layer "{self.name}": pass the input KerasTensor(s) as the first positional argument')
        inputs = args[0]
        leaves = flatten(inputs)
        if not leaves or not all(isinstance(t, KerasTensor) for t in leaves):
            kinds = sorted({type(t).__name__ for t in leaves})
            raise TypeError(f'Layer "{self.name}" was called with a mix of KerasTensors and other values '
                            f"({kinds}): the inputs must all be KerasTensors (from keras.Input or other layers)")
        if isinstance(inputs, KerasTensor):
            in_shape = tuple(inputs.shape[1:])
        else:
            in_shape = [tuple(t.shape[1:]) for t in leaves]
        out_shape = self._build_symbolic(in_shape)
        multi = isinstance(out_shape, list)
        shapes = out_shape if multi else [out_shape]
        batch = leaves[0].shape[0]
        index = len(self._inbound_nodes)
        dtype = self.__dict__.get("_output_dtype") or "float32"
        names = [self.name] if not multi else [f"{self.name}_{i}" for i in range(len(shapes))]
        if index:
            names = [f"{n}_call{index}" for n in names]
        outputs = [KerasTensor((batch,) + tuple(s), dtype, name, (self, index, i)) for i, (s, name)
                   in enumerate(zip(shapes, names))]
        self._inbound_nodes.append(Node(self, args, kwargs, outputs, multi))
        return outputs if multi else outputs[0]

    def _node_attr(self, what):
        if not self._inbound_nodes:
            raise AttributeError(f'Layer "{self.name}" has never been called on KerasTensors and thus has no '
                                 f"defined {what}.")
        node = self._inbound_nodes[0]
        if what == "output":
            return node.outputs if node.multi_output else node.outputs[0]
        return node.args[0] if node.args else None

    @property
    def output(self):
        """The KerasTensor(s) of this layer's first call on KerasTensors."""
        return self._node_attr("output")

    @property
    def input(self):
        """The KerasTensor(s) this layer was first called on."""
        return self._node_attr("input")

    # ------------------------------------------------------------------ weights

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
        weights = list(weights)
        if len(weights) != len(pairs):
            raise ValueError(f'Layer "{self.name}" expects {len(pairs)} weights, got {len(weights)}')
        from ..._tensor import tensor
        converted = []
        for (p, _, from_k), w in zip(pairs, weights):
            a = np.ascontiguousarray(from_k(np.asarray(w)),
                                     dtype=np.float64 if _dtype_name(p) == "float64" else np.float32)
            if tuple(a.shape) != tuple(p.shape):
                raise ValueError(f'Layer "{self.name}": weight shape {np.asarray(w).shape} does not match')
            converted.append(a)
        with no_grad():  # all shapes checked first: all or nothing
            for (p, _, _), a in zip(pairs, converted):
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
    """Declares an input: its shape (without batch axis) and dtype; passes data through. ``keras.Input``
    makes one and returns its output KerasTensor."""

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

    def call(self, x):
        return x

    def count_params(self):
        return 0


def Input(shape=None, batch_size=None, name=None, dtype=None, batch_shape=None):  # noqa: N802 - Keras' name
    """A symbolic input: a KerasTensor of shape ``(batch_size, *shape)`` for functional models, or the first
    entry of a Sequential (``Sequential([Input((32, 32, 1)), ...])``)."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype, batch_shape=batch_shape).output
