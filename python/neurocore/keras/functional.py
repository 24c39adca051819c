"""Functional models: ``Model(inputs, outputs)`` over the graph of layer calls recorded on KerasTensors.

The graph is found by walking back from the outputs to the inputs (``_keras_history``); nodes run in order of
decreasing depth (distance from the outputs), as Keras orders them, so every layer runs after its inputs exist.
A layer called several times (shared) runs once per call with the same weights; a model is a layer, so a
Sequential or functional model can be called inside another.

>>> import neurocore as nc
>>> from neurocore.keras import Input, Model
>>> from neurocore.keras.layers import Dense, concatenate
>>> a, b = Input((2,), name="a"), Input((3,), name="b")
>>> shared = Dense(4, name="shared")
>>> merged = concatenate([shared(Dense(3, name="d3")(a)), shared(b)])
>>> model = Model({"a": a, "b": b}, Dense(1, name="out")(merged))
>>> [layer.name for layer in model.layers][:4], model.output_shape
(['a', 'd3', 'b', 'shared'], (None, 1))
>>> model({"a": nc.zeros((5, 2)), "b": nc.zeros((5, 3))}).shape
(5, 1)
"""
from .. import nn
from .keras_tensor import KerasTensor, map_structure, node_of
from .layers.base import Layer
from .layers.input_layer import InputLayer
from .training import Model, _flat_outputs

__all__ = ["Functional"]


def _structure(value, what):
    """(flat list of KerasTensors, kind "single" | "list" | "dict", dict keys or None)."""
    if isinstance(value, KerasTensor):
        flat, kind, keys = [value], "single", None
    elif isinstance(value, (list, tuple)) and len(value) > 0:
        flat, kind, keys = list(value), "list", None
    elif isinstance(value, dict) and len(value) > 0:  # Keras flattens a dict in sorted key order
        keys = sorted(value)
        flat, kind, keys = [value[k] for k in keys], "dict", [str(k) for k in keys]
    else:
        raise ValueError(f"`{what}` must be a KerasTensor, a non-empty list or a non-empty dict of KerasTensors. "
                         f"Received: {what}={value!r}")
    for t in flat:
        if not isinstance(t, KerasTensor):
            raise ValueError(f"All `{what}` values must be KerasTensors. Received: {what}={value!r} including "
                             f"invalid value {t!r} of type {type(t).__name__}")
    return flat, kind, keys


def _unique(names):
    seen, out = {}, []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}_{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


def _build_graph(inputs, outputs):
    """Nodes in execution order, layers in Keras' order, ids of all nodes, and whether the graph is a chain."""
    input_ids = {id(t) for t in inputs}
    order, seen = [], set()  # order: every node after the nodes it reads from
    for out in outputs:
        stack = [(node_of(out), False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            if not node.input_tensors and id(node.outputs[0]) not in input_ids:
                t = node.outputs[0]
                raise ValueError(f'Graph disconnected: the outputs depend on input "{t.name}" (shape {t.shape}), '
                                 f"which is not among the model's inputs {[i.name for i in inputs]}. Add it to "
                                 "`inputs`, or build the outputs from the given inputs only.")
            for t in reversed(node.input_tensors):
                if id(node_of(t)) not in seen:
                    stack.append((node_of(t), False))
    unused = [node_of(t) for t in inputs if id(node_of(t)) not in seen]
    order = order + unused
    depth = {}
    for node in reversed(order):  # consumers before producers
        d = depth.setdefault(id(node), 0)
        for parent in node.parent_nodes():
            depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
    top = max(depth.values())
    for node in unused:
        depth[id(node)] = top
    position = {id(n): i for i, n in enumerate(order)}
    nodes = sorted(order, key=lambda n: (-depth[id(n)], position[id(n)]))
    layer_depth, layer_first = {}, {}
    for node in order:
        key = id(node.layer)
        layer_depth[key] = max(layer_depth.get(key, 0), depth[id(node)])
        layer_first.setdefault(key, (position[id(node)], node.layer))
    layers = [layer for _, (_, layer) in sorted(layer_first.items(), key=lambda kv: (-layer_depth[kv[0]], kv[1][0]))]
    by_depth = {}
    for node in nodes:
        by_depth.setdefault(depth[id(node)], []).append(node)
    chain = len(inputs) == 1 and len(layers) == len(nodes) and all(len(v) == 1 for v in by_depth.values()) and \
        all(len(n.input_tensors) <= 1 for n in nodes)
    return [n for n in nodes if n.input_tensors], layers, {id(n) for n in order}, chain


class Functional(Model):
    """A model defined by its input and output KerasTensors: ``Model(inputs, outputs, name=None)``; inputs and
    outputs may each be one tensor, a list or a dict (keys name the inputs / outputs, taken in sorted order as
    Keras does)."""

    def __init__(self, inputs, outputs, name=None, trainable=True):
        super().__init__(name=name)
        flat_in, self._input_kind, in_keys = _structure(inputs, "inputs")
        flat_out, self._output_kind, out_keys = _structure(outputs, "outputs")
        for i, t in enumerate(flat_in):
            layer, node_index, _ = t._keras_history
            if not isinstance(layer, InputLayer):
                raise ValueError(f"Model inputs must come from `keras.Input(...)`: input {i} ({t.name!r}) was made "
                                 f'by layer "{layer.name}" ({type(layer).__name__}). Start the model at the Input '
                                 "tensors, or make a new Input for this part of the graph.")
        if len({id(t) for t in flat_in}) != len(flat_in):
            raise ValueError(f"The same input appears more than once in `inputs`: {[t.name for t in flat_in]}")
        steps, layers, node_ids, chain = _build_graph(flat_in, flat_out)
        self.inputs, self.outputs = flat_in, flat_out
        self._graph_layers = nn.ModuleList(layers)  # registers the layers' parameters with the model
        self._node_ids, self._chain = node_ids, chain
        self._input_ids = [id(t) for t in flat_in]
        self._steps = [(n.layer, n, id(n.args[0]) if len(n.args) == 1 and not n.kwargs and
                        isinstance(n.args[0], KerasTensor) else None) for n in steps]
        self.input_names = in_keys or [t.name for t in flat_in]
        self.output_names = [t._keras_history[0].name for t in flat_out]
        self._out_keys = out_keys or _unique(self.output_names)
        self.built = True
        if not trainable:
            self.trainable = False

    # ------------------------------------------------------------------ structure

    @property
    def layers(self):
        """Every layer of the graph (Input layers first), each once, in Keras' order."""
        return list(self._graph_layers)

    @property
    def input(self):
        return self.inputs[0] if self._input_kind == "single" else \
            dict(zip(self.input_names, self.inputs)) if self._input_kind == "dict" else list(self.inputs)

    @property
    def output(self):
        return self._pack(self.outputs)

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _input_specs(self):
        return [(name, tuple(t.shape[1:]), t._keras_history[0].dtype) for name, t in zip(self.input_names, self.inputs)]

    def _output_keys(self):
        return list(self._out_keys)

    def _summary_layers(self):
        return self.layers, self._node_ids, self._chain

    def _pack(self, flat):
        if self._output_kind == "dict":
            return dict(zip(self._out_keys, flat))
        return flat[0] if len(flat) == 1 else list(flat)

    _pack_outputs = _pack

    # ------------------------------------------------------------------ running

    def build(self, input_shape=None):
        """A functional model is built when it is made; returns its output shape(s) without batch axis."""
        shapes = [tuple(t.shape[1:]) for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _build_symbolic(self, input_shape):
        expected = [tuple(t.shape[1:]) for t in self.inputs]
        got = [input_shape] if isinstance(input_shape, tuple) else list(input_shape)
        if len(got) != len(expected):
            raise ValueError(f'Layer "{self.name}" expects {len(expected)} input(s), but it received {len(got)} '
                             "input tensors.")
        for i, (e, g) in enumerate(zip(expected, got)):
            if e != tuple(g):
                raise ValueError(f'Input {i} of layer "{self.name}" is incompatible with the layer: expected shape='
                                 f"{(None,) + e}, found shape={(None,) + tuple(g)}")
        return self.build()

    def _flatten_inputs(self, inputs):
        n = len(self.inputs)
        if isinstance(inputs, dict):
            missing = [k for k in self.input_names if k not in inputs]
            if missing:
                raise ValueError(f'Model "{self.name}" is missing input {missing[0]!r}: got keys {list(inputs)}, '
                                 f"expected {self.input_names}")
            flat = [inputs[k] for k in self.input_names]
        elif isinstance(inputs, (list, tuple)):
            flat = list(inputs)
        else:
            flat = [inputs]
        if len(flat) != n:
            raise ValueError(f'Layer "{self.name}" expects {n} input(s), but it received {len(flat)} input tensors.')
        for i, (x, t) in enumerate(zip(flat, self.inputs)):
            if tuple(x.shape[1:]) != tuple(t.shape[1:]):
                raise ValueError(f'Input {i} of layer "{self.name}" is incompatible with the layer: expected shape='
                                 f"{(None,) + tuple(t.shape[1:])}, found shape={(None,) + tuple(x.shape[1:])}")
        return flat

    def _run_graph(self, flat_inputs):
        values = dict(zip(self._input_ids, flat_inputs))
        for layer, node, key in self._steps:
            if key is not None:  # the common case: one tensor in
                out = layer(values[key])
            else:
                def resolve(v):
                    return values[id(v)] if isinstance(v, KerasTensor) else v
                out = layer(*map_structure(resolve, node.args), **map_structure(resolve, node.kwargs))
            if node.multi_output:
                outs = _flat_outputs(out)
                if len(outs) != len(node.outputs):
                    raise ValueError(f'Layer "{layer.name}" returned {len(outs)} outputs, but was recorded with '
                                     f"{len(node.outputs)}")
                for t, o in zip(node.outputs, outs):
                    values[id(t)] = o
            else:
                values[id(node.outputs[0])] = out
        return [values[id(t)] for t in self.outputs]

    def forward(self, inputs, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f'Model "{self.name}" takes its inputs only (a tensor, a list or a dict); got extra '
                            f"arguments {list(kwargs) or len(args)}")
        return self._pack(self._run_graph(self._flatten_inputs(inputs)))

    def _call_flat(self, xs):
        return self._run_graph(xs)

    # ------------------------------------------------------------------ config

    def get_config(self):
        """Keras' functional config: each layer's class and config with the calls that feed it (its inbound
        nodes, each input as [layer name, node index, tensor index]), and the input and output references."""
        node_index = {}
        for layer in self.layers:
            kept = [n for n in layer._inbound_nodes if id(n) in self._node_ids]
            for i, n in enumerate(kept):
                node_index[id(n)] = i

        def ref(t):
            layer, ni, ti = t._keras_history
            return [layer.name, node_index[id(layer._inbound_nodes[ni])], ti]

        def arg(v):
            if isinstance(v, KerasTensor):
                return {"class_name": "__keras_tensor__",
                        "config": {"shape": list(v.shape), "dtype": v.dtype, "keras_history": ref(v)}}
            return v

        layers = []
        for layer in self.layers:
            nodes = [{"args": map_structure(arg, list(n.args)), "kwargs": map_structure(arg, n.kwargs)}
                     for n in layer._inbound_nodes if id(n) in self._node_ids and n.input_tensors]
            layers.append({"class_name": type(layer).__name__, "config": layer.get_config(), "name": layer.name,
                           "inbound_nodes": nodes})

        def refs(kind, flat, keys):
            r = [ref(t) for t in flat]
            return r[0] if kind == "single" else dict(zip(keys, r)) if kind == "dict" else r
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": refs(self._input_kind, self.inputs, self.input_names),
                "output_layers": refs(self._output_kind, self.outputs, self._out_keys)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the model of ``get_config()``: new layers (from their class names and configs; nested
        configs may be layer objects or {"class_name", "config"} dicts), called in the recorded order."""
        from .saving import deserialize_keras_object
        created, pending = {}, []
        for entry in config["layers"]:
            spec = {"class_name": entry["class_name"], "config": entry["config"]}
            if "module" in entry:
                spec["module"] = entry["module"]
            layer = deserialize_keras_object(spec, custom_objects)
            if not isinstance(layer, Layer):
                raise ValueError(f"Functional config: entry {entry.get('name')!r} ({entry['class_name']}) is not "
                                 f"a keras layer")
            created[entry["name"]] = layer
            pending.append((layer, list(entry.get("inbound_nodes", []))))

        class NotReady(Exception):
            pass

        def tensor(history):
            name, ni, ti = history
            if name not in created:
                raise ValueError(f"Functional config refers to unknown layer {name!r}")
            nodes = created[name]._inbound_nodes
            if ni >= len(nodes):
                raise NotReady
            return nodes[ni].outputs[ti]

        def resolve(v):
            if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
                return tensor(v["config"]["keras_history"])
            if isinstance(v, (list, tuple)):
                return type(v)(resolve(x) for x in v)
            if isinstance(v, dict):
                return {k: resolve(x) for k, x in v.items()}
            return v

        while any(nodes for _, nodes in pending):
            progressed = False
            for layer, nodes in pending:  # a shared layer's later calls may wait for other layers' calls
                while nodes:
                    try:
                        args, kwargs = resolve(nodes[0].get("args", [])), resolve(nodes[0].get("kwargs", {}))
                    except NotReady:
                        break
                    layer(*args, **kwargs)
                    nodes.pop(0)
                    progressed = True
            if not progressed:
                waiting = [layer.name for layer, nodes in pending if nodes]
                raise ValueError(f"Invalid functional model configuration: the calls of layers {waiting} refer to "
                                 "outputs that are never made (loops or missing layers)")

        def refs(value):
            if isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str):
                return tensor(value)
            if isinstance(value, dict):
                return {k: refs(v) for k, v in value.items()}
            return [refs(v) for v in value]
        return cls(refs(config["input_layers"]), refs(config["output_layers"]), name=config.get("name"),
                   trainable=config.get("trainable", True))
