"""Symbolic tensors and call records of the Keras functional API.

``keras.Input(shape)`` returns a :class:`KerasTensor`: a shape (batch axis ``None``), a dtype and a name, with no
data. Calling a layer on KerasTensors builds the layer for their shapes, appends a :class:`Node` (the record of
that call) to ``layer._inbound_nodes`` and returns new KerasTensors whose ``_keras_history`` is
``(layer, node_index, tensor_index)``. ``Model(inputs, outputs)`` follows these records back from the outputs.

>>> from neurocore.keras import Input
>>> from neurocore.keras.layers import Dense
>>> x = Input((4,), name="features")
>>> x.shape, x.dtype, x.name
((None, 4), 'float32', 'features')
>>> y = Dense(3)(x)
>>> y.shape
(None, 3)
"""
__all__ = ["KerasTensor", "Node"]

_DTYPES = ("float32", "float64", "int64", "int32", "bool")


def standardize_dtype(dtype):
    """A dtype name ("float32", "int64", ...) from a name, a numpy dtype or a neurocore dtype; None -> float32."""
    if dtype is None:
        return "float32"
    name = str(getattr(dtype, "name", dtype)).split(".")[-1]
    if name == "bool_":
        name = "bool"
    if name not in _DTYPES:
        raise ValueError(f"Unsupported dtype {dtype!r} for a Keras input: expected one of {list(_DTYPES)}")
    return name


class KerasTensor:
    """A symbolic tensor of the functional API: ``shape`` (with the batch axis, usually None), ``dtype`` (a name)
    and ``name``. It holds no values; pass it to layers and to ``Model(inputs, outputs)``."""

    __slots__ = ("shape", "dtype", "name", "_keras_history")

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self._keras_history = history

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(f"KerasTensor {self.name!r} is symbolic and holds no data: pass it to Keras layers and to "
                        "Model(inputs, outputs), and feed real arrays to the model")

    def __bool__(self):
        raise TypeError(f"KerasTensor {self.name!r} is symbolic: it has no truth value")

    def __len__(self):
        raise TypeError(f"KerasTensor {self.name!r} is symbolic: it has no length (its shape is {self.shape})")

    def __iter__(self):
        raise TypeError(f"KerasTensor {self.name!r} is symbolic and cannot be iterated; a layer with several "
                        "outputs returns a list of KerasTensors")


class Node:
    """One call of ``layer`` on KerasTensors: the call's arguments as given (KerasTensors inside lists, tuples or
    dicts, plus plain values) and the output KerasTensors (a list; ``multi_output`` says whether the call
    returned that list or its single element)."""

    __slots__ = ("layer", "args", "kwargs", "outputs", "multi_output", "input_tensors")

    def __init__(self, layer, args, kwargs, outputs, multi_output):
        self.layer = layer
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.outputs = list(outputs)
        self.multi_output = multi_output
        self.input_tensors = [t for t in flatten((self.args, self.kwargs)) if isinstance(t, KerasTensor)]

    def parent_nodes(self):
        return [node_of(t) for t in self.input_tensors]


def node_of(t):
    """The Node that produced KerasTensor ``t``."""
    layer, node_index, _ = t._keras_history
    return layer._inbound_nodes[node_index]


def flatten(structure):
    """The leaves of nested lists, tuples and dicts (dicts in insertion order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn, structure):
    """``structure`` with every leaf replaced by ``fn(leaf)``."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def has_keras_tensor(structure):
    if isinstance(structure, KerasTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(has_keras_tensor(s) for s in structure)
    if isinstance(structure, dict):
        return any(has_keras_tensor(s) for s in structure.values())
    return False
