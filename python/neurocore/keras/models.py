"""Keras models: Sequential (a stack of layers), Model (the shared training API, and ``Model(inputs, outputs)``
for functional models) and Functional.

>>> from neurocore.keras import Input, Sequential
>>> from neurocore.keras.layers import Dense
>>> model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(1)], name="regressor")
>>> model.output_shape, model.count_params()
((None, 1), 49)
>>> clone = Sequential.from_config(model.get_config())
>>> [type(l).__name__ for l in clone.layers], clone.input_shape
(['Dense', 'Dense'], (None, 4))
"""
from .. import nn
from .functional import Functional
from .keras_tensor import KerasTensor
from .layers.base import Layer
from .layers.input_layer import InputLayer
from .training import Model

__all__ = ["Sequential", "Model", "Functional"]


class Sequential(Model):
    """A linear stack of Keras layers. ``Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(1)])``,
    ``Sequential([Input((4,)), ...])`` or ``model.add(layer)``. Only the first layer needs an input shape (or an
    ``Input``); without one the model builds on the first batch it sees. A Sequential is a Model: it trains with
    the same compile/fit/evaluate/predict and can be used as a layer of another model."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name, trainable=trainable)
        self._layers = nn.ModuleList()
        self._input_shape = None   # without batch axis, once known
        self._graph = None         # [input KerasTensor, output of each layer], once built
        for layer in layers or []:
            self.add(layer)
        if not trainable:
            self.trainable = False  # applies to the layers just added too

    # ------------------------------------------------------------------ structure

    @property
    def layers(self):
        return [l for l in self._layers if not isinstance(l, InputLayer)]

    def add(self, layer):
        """Append a layer (or an ``Input`` tensor as the first entry); builds it if the input shape is known."""
        if isinstance(layer, KerasTensor):
            source = layer._keras_history[0]
            if not isinstance(source, InputLayer):
                raise TypeError("Only keras.Input tensors can be added to a Sequential model, not the output of "
                                f'layer "{source.name}"')
            layer = source
        if not isinstance(layer, Layer):
            raise TypeError(f"Only instances of keras Layer can be added to a Sequential model. "
                            f"Received: {layer!r} (of type {type(layer).__name__})")
        if any(l.name == layer.name for l in self._layers):
            raise ValueError(f'All layers added to a Sequential model should have unique names. Name "{layer.name}"'
                             " is already the name of a layer in this model.")
        if isinstance(layer, InputLayer):
            if len(self._layers) > 0:
                raise ValueError("An Input can only be the first layer of a Sequential model")
            self._input_shape = tuple(layer.input_shape)
        elif len(self._layers) == 0 and layer._input_shape_arg is not None:
            self._input_shape = layer._input_shape_arg
        self._layers.append(layer)
        try:
            if self._graph is not None:
                self._graph.append(self._call_layer(layer, self._graph[-1]))
            elif self._input_shape is not None:
                self._build_graph()
        except Exception:  # the layer does not fit: leave it out, as Keras does
            del self._layers[len(self._layers) - 1]
            if len(self._layers) == 0:
                self._input_shape = None
            raise

    def _call_layer(self, layer, tensor):
        out = layer(tensor)
        if not isinstance(out, KerasTensor):
            raise ValueError(f'All layers in a Sequential model should have a single output tensor; layer '
                             f'"{layer.name}" ({type(layer).__name__}) has {len(out)}. Use a functional Model.')
        return out

    def _build_graph(self):
        """Call every layer on the outputs of the previous one, from an Input of the model's input shape."""
        first = self._layers[0] if len(self._layers) else None
        source = first if isinstance(first, InputLayer) else \
            InputLayer(shape=self._input_shape, name=f"{self.name}_input")
        graph = [source.output]
        for layer in self._layers:
            if layer is not source:
                graph.append(self._call_layer(layer, graph[-1]))
        self._graph = graph
        self.built = True

    def pop(self):
        """Remove the last layer."""
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        del self._layers[len(self._layers) - 1]
        if self._graph is not None:
            self._graph.pop()
        self.built = self._graph is not None and len(self._graph) > 0

    def build(self, input_shape=None):
        """Build all layers for ``input_shape`` (with or without a leading None batch axis); returns the
        output shape without batch axis."""
        if input_shape is not None:
            input_shape = tuple(input_shape)
            if self._input_shape is not None and len(input_shape) == len(self._input_shape) + 1:
                input_shape = input_shape[1:]
            elif input_shape and input_shape[0] is None:
                input_shape = input_shape[1:]
            input_shape = tuple(int(d) for d in input_shape)
            if self._input_shape is not None and input_shape != self._input_shape:
                self._raise_shape(input_shape)
            self._input_shape = input_shape
        if self._input_shape is None:
            raise ValueError(f'Model "{self.name}" has no input shape yet: give the first layer input_shape=..., '
                             "start with Input(shape), or call build(input_shape)")
        if self._graph is None:
            self._build_graph()
        return tuple(self._graph[-1].shape[1:])

    def _build_symbolic(self, input_shape):
        if isinstance(input_shape, list):
            raise ValueError(f'Sequential model "{self.name}" takes one input, got {len(input_shape)}')
        if self._input_shape is not None and tuple(input_shape) != self._input_shape:
            self._raise_shape(input_shape)
        return self.build(input_shape)

    def _raise_shape(self, found):
        raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected shape='
                         f"{(None,) + tuple(self._input_shape)}, found shape={(None,) + tuple(found)}")

    def _ensure_built(self, x_shape):
        shape = tuple(x_shape[1:])
        if self._input_shape is not None and shape != self._input_shape:
            self._raise_shape(shape)
        if self._graph is None:
            self.build(shape)

    def _build_for_data(self, shapes):
        self._ensure_built((None,) + shapes[0])

    @property
    def input_shape(self):
        return None if self._input_shape is None else (None,) + self._input_shape

    @property
    def output_shape(self):
        if self._graph is None:
            raise AttributeError(f'Model "{self.name}" has not been built yet, so it has no output shape')
        return self._graph[-1].shape

    @property
    def input(self):
        if self._graph is None:
            raise AttributeError(f'Sequential model "{self.name}" has no input yet: it has not been built')
        return self._graph[0]

    @property
    def output(self):
        if self._graph is None:
            raise AttributeError(f'Sequential model "{self.name}" has no output yet: it has not been built')
        return self._graph[-1]

    @property
    def inputs(self):
        return [self.input]

    @property
    def outputs(self):
        return [self.output]

    def _input_specs(self):
        first = self._layers[0] if len(self._layers) else None
        dtype = first.dtype if isinstance(first, Layer) else "float32"  # an Input's, else the first layer's
        return [(first.name if isinstance(first, InputLayer) else "input", self._input_shape, dtype)]

    def _output_keys(self):
        layers = self.layers
        return [layers[-1].name if layers else "output"]

    def _summary_layers(self):
        relevant = None
        if self._graph is not None:
            relevant = {id(t._keras_history[0]._inbound_nodes[t._keras_history[1]]) for t in self._graph}
        return self.layers, relevant, True

    # ------------------------------------------------------------------ running

    def forward(self, x):
        if self._graph is None:
            self._ensure_built(x.shape)
        for layer in self._layers:
            x = layer(x)
        return x

    def call(self, x):
        return self.forward(x)

    def _call_flat(self, xs):
        x = xs[0]
        for layer in self._layers:
            x = layer(x)
        return [x]

    # ------------------------------------------------------------------ config

    def get_config(self):
        """Name, trainable flag, each layer as {"class_name", "config"} in order (an Input as an InputLayer),
        and the input shape the model was built for."""
        return {"name": self.name, "trainable": self.trainable,
                "layers": [{"class_name": type(l).__name__, "config": l.get_config()} for l in self._layers],
                "build_input_shape": self.input_shape}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from ``get_config()``; layer entries may be {"class_name", "config"} dicts or layer objects."""
        from .saving import deserialize_keras_object
        layers = []
        for entry in config.get("layers", []):
            if isinstance(entry, Layer):  # already an object: rebuild from its config so nothing is shared
                entry = {"class_name": type(entry).__name__, "config": entry.get_config()}
            layer = deserialize_keras_object(entry, custom_objects)
            if not isinstance(layer, Layer):
                raise ValueError(f"Sequential config: {entry!r} is not a keras layer")
            layers.append(layer)
        model = cls(layers, name=config.get("name"))
        shape = config.get("build_input_shape")
        if shape is not None and model._graph is None:
            model.build(tuple(shape))
        if not config.get("trainable", True):
            model.trainable = False
        return model
