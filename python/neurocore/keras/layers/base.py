"""Layer base class of nc.keras and the helpers its layers share (names, rank checks, 'same' padding).

A layer builds lazily: ``build(input_shape)`` (shape without the batch axis; a list of shapes for a layer with
several inputs) creates its nn modules once the input shape is known; the output shape is found by running the
built layer once on zeros. ``get_config()`` returns the constructor arguments the layer was made with (recorded
automatically, see ``__init_subclass__``), so ``type(layer).from_config(layer.get_config())`` makes an equal,
unbuilt layer.

Calling a layer on real tensors (or numpy arrays) computes, with Keras' call conventions:

- inference mode unless the call says ``training=True`` (layers start in eval mode; fit's train step switches
  the model to training mode and back);
- floating inputs are cast to the layer's ``dtype`` ("float32" or "float64", also the dtype of its weights);
- the mask an input carries (``_keras_mask``, e.g. from Embedding(mask_zero=True)) is passed on by layers that
  support masking and consumed by recurrent layers; other layers drop it with a warning;
- a built layer checks the input axes it fixes (Keras' InputSpec error, e.g. "expected axis -1 of input shape
  to have value 3").

Calling it on KerasTensors (``keras.Input``) builds it for their shapes and records the call, which is how
functional models are made:

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
import warnings

import numpy as np

from ... import _core
from ... import nn
from ..._core import Tensor
from ...autograd import no_grad
from ..._tensor import float32, full, tensor, zeros
from ..keras_tensor import KerasTensor, Node, flatten, has_keras_tensor

__all__ = ["Layer"]

_NAME_COUNTS = {}


def _snake(name):
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _unique_name(base):
    n = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


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


def _check_ndim(layer, input_shape, ndim):
    """Keras' error for an input (shape without the batch axis) whose rank is not ``ndim`` (batch axis counted)."""
    if len(input_shape) + 1 != ndim:
        raise ValueError(f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected ndim={ndim}, '
                         f"found ndim={len(input_shape) + 1}. Full shape received: {(None,) + tuple(input_shape)}")


def _check_channels_last(layer, data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{type(layer).__name__}: only data_format='channels_last' is supported, got {data_format!r}")


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


def _zeros_for(shape, dtype):
    if isinstance(shape, list):
        return [zeros((1,) + s, dtype=dtype) for s in shape]
    return zeros((1,) + shape, dtype=dtype)


def layer_dtype(dtype, layer_name):
    """The floating dtype a layer computes in and keeps its weights in: float32 (default) or float64."""
    if dtype is None:
        return float32
    try:
        dt = _core._parse_dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, _core.DType) else dtype)
    except (TypeError, ValueError, KeyError):
        dt = None
    if dt is None or not dt.is_floating_point:
        raise ValueError(f"{layer_name}: dtype must be 'float32' or 'float64', got {dtype!r}")
    return dt


def _mask_of(inputs):
    """The Keras mask carried by the input tensor (a list of masks or None for a list of inputs)."""
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(t, "_keras_mask", None) for t in inputs]
        return masks if any(m is not None for m in masks) else None
    return getattr(inputs, "_keras_mask", None)


def _as_tensors(inputs, layer):
    """numpy arrays (alone or in a list) as tensors, keeping their dtype; anything else unchanged."""
    if isinstance(inputs, np.ndarray):
        if inputs.dtype.kind not in "biuf":
            raise TypeError(f'Layer "{layer.name}" ({type(layer).__name__}) expects a numeric array or tensor, got '
                            f"dtype {inputs.dtype}")
        return tensor(np.ascontiguousarray(inputs))
    if isinstance(inputs, (list, tuple)) and any(isinstance(t, np.ndarray) for t in inputs):
        return [_as_tensors(t, layer) for t in inputs]
    return inputs


def _dtype_name(t):
    """"float32", "int64", ... of a tensor or a dtype."""
    return str(getattr(t, "dtype", t)).split(".")[-1]


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
    # Keras' supports_masking: the layer passes the mask of its (first) input on to its output, unchanged
    # unless compute_mask says otherwise. A layer that does not, drops the mask with a warning, as Keras does.
    supports_masking = False
    # Keras' autocast: floating inputs are cast to the layer's dtype. Models and wrappers leave that to the
    # layers inside them.
    _autocast = True
    # What a built layer requires of its input (see _fix_input_axes), checked on each new input shape as Keras'
    # InputSpec: {axis: size} and the rank (exactly _ndim, or at least _min_ndim).
    _fixed_axes = None
    _min_ndim = None
    _ndim = None
    _accepted_shape = None

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
        if "dtype" in config or self.dtype != "float32":  # by name (given as a numpy dtype, set by .double(), ...)
            config["dtype"] = self.dtype
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __init__(self, name=None, input_shape=None, trainable=True, dtype=None, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unrecognized keyword arguments {sorted(kwargs)}")
        self._dtype = layer_dtype(dtype, type(self).__name__)
        self.dtype = _dtype_name(self._dtype)
        # Keras layers run in inference mode unless a call says training=True (fit's train step does).
        self.__dict__["training"] = False
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: name must be a string, got {type(name).__name__}")
        self.name = name or _unique_name(_snake(type(self).__name__))
        self._input_shape_arg = None if input_shape is None else tuple(int(d) for d in input_shape)
        self.built = False
        self._inbound_nodes = []
        self.trainable = trainable

    def __setattr__(self, name, value):
        # A module set on a layer takes the layer's mode (nn modules start in training mode, Keras layers not).
        if isinstance(value, nn.Module) and name not in self.__dict__.get("_modules", {}):
            value.train(self.training)
        super().__setattr__(name, value)

    def to(self, *args, dtype=None, device=None):
        """nn.Module.to: with a dtype (``layer.double()``, ``model.to("float64")``), every layer inside also
        computes in that dtype from then on (its inputs are cast to it)."""
        super().to(*args, dtype=dtype, device=device)
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif not (isinstance(a, str) and (a == "cpu" or a.startswith("cuda"))):
                dtype = a
        if dtype is not None:
            dtype = _core._parse_dtype(dtype)
            for m in self.modules():
                if isinstance(m, Layer):
                    m._set_dtype(dtype)
        return self

    def _set_dtype(self, dtype):
        self._dtype, self.dtype = dtype, _dtype_name(dtype)

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
                self._check_fixed_axes((None,) + input_shape if isinstance(input_shape, tuple) else None)
                raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected shape='
                                 f"{_fmt_shape(self.input_shape)}, found shape={_fmt_shape(input_shape)}")
            return self.output_shape
        self._check_input(input_shape)
        self._build(input_shape)
        if self._dtype != float32:  # weights are made in float32 by the nn modules; keep them in the layer's dtype
            self.to(self._dtype)
        if not self.trainable:
            for p in self.parameters():
                p.requires_grad_(False)
        self.input_shape = input_shape
        self.built = True
        was = self.training
        self.eval()
        try:
            with no_grad():
                y = self.call(_zeros_for(input_shape, self._dtype))
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
            return self._run(args[0], args[1:], kwargs)
        if has_keras_tensor(args) or has_keras_tensor(kwargs):
            return self._call_symbolic(args, kwargs)
        if not args:
            raise TypeError(f'Layer "{self.name}": pass the input(s) as the first positional argument')
        training = kwargs.pop("training", None)
        inputs = _as_tensors(args[0], self)
        if training is None or bool(training) == self.training:
            return self._run(inputs, args[1:], kwargs)
        was = self.training  # training=True/False sets the mode for this call, as in Keras
        self.train(bool(training))
        try:
            return self._run(inputs, args[1:], kwargs)
        finally:
            self.train(was)

    def _run(self, inputs, args, kwargs):
        """forward() with Keras' call conventions around it: autocast of floating inputs to the layer's dtype
        and the mask of the input passed on (or dropped with a warning)."""
        if type(inputs) is Tensor:  # the common case, kept short
            mask = getattr(inputs, "_keras_mask", None)
            if self._autocast:
                dtype = inputs.dtype
                if dtype != self._dtype and dtype.is_floating_point:
                    inputs = self._cast_inputs(inputs, mask)
        else:
            mask = _mask_of(inputs)
            if self._autocast:
                inputs = self._cast_inputs(inputs, mask)
        outputs = self.forward(inputs, *args, **kwargs)
        if mask is not None and type(outputs) is Tensor:
            if self.supports_masking:
                if getattr(outputs, "_keras_mask", None) is None:
                    out_mask = self.compute_mask(inputs, mask)
                    if out_mask is not None:
                        outputs._keras_mask = out_mask
            else:
                warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a "
                              "mask attached to it. However, this layer does not support masking and will therefore "
                              "destroy the mask information. Downstream layers will not see the mask.",
                              UserWarning, stacklevel=3)
        return outputs

    def _cast_inputs(self, inputs, mask):
        dtype = self._dtype
        if type(inputs) is Tensor:
            if inputs.dtype == dtype or not inputs.dtype.is_floating_point:
                return inputs
            cast = inputs.to(dtype)
            if mask is not None:
                cast._keras_mask = mask
            return cast
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(self._cast_inputs(t, None if mask is None else mask[i]) if isinstance(t, Tensor)
                                else t for i, t in enumerate(inputs))
        return inputs

    def compute_mask(self, inputs, mask=None):
        """The mask of the output for an input mask (Keras' rule for layers that support masking: unchanged)."""
        return mask if self.supports_masking else None

    def _fix_input_axes(self, axes, min_ndim=None, ndim=None):
        """Record the input axes a built layer fixes ({axis: size}, axis counted from the end as -1, -2, ... or
        from the front with the batch axis as 0) and the rank it takes (exactly ``ndim`` or at least
        ``min_ndim``, batch axis included); calls check them, as Keras' InputSpec."""
        self._fixed_axes = dict(axes)
        self._min_ndim = min_ndim
        self._ndim = ndim

    def _check_fixed_axes(self, shape):
        """Keras' InputSpec error for an input (full shape, batch axis included) that a built layer cannot take."""
        if shape is None or self._fixed_axes is None:
            return
        ndim = len(shape)
        if self._ndim is not None and ndim != self._ndim:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                             f"ndim={self._ndim}, found ndim={ndim}. Full shape received: {tuple(shape)}")
        if self._min_ndim is not None and ndim < self._min_ndim:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                             f"min_ndim={self._min_ndim}, found ndim={ndim}. Full shape received: {tuple(shape)}")
        for axis, size in self._fixed_axes.items():
            if not -ndim <= axis < ndim or shape[axis] != size:
                raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected axis '
                                 f"{axis} of input shape to have value {size}, but received input with shape "
                                 f"{tuple(shape)}")

    def forward(self, inputs, *args, **kwargs):
        if not self.built:
            self.build(_shape_of(inputs))
        elif self._fixed_axes is not None and type(inputs) is Tensor:
            shape = inputs.shape
            if shape != self._accepted_shape:  # checked once per new shape
                self._check_fixed_axes(shape)
                self._accepted_shape = shape
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
