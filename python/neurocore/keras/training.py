"""keras.Model: structure, weights, summary and files of a model, with the training API of trainer.Trainer,
shared by Sequential and functional models. ``Model(inputs, outputs)`` makes a functional model (see
functional.py); subclassing Model and defining ``call`` makes a custom one.
"""
import numpy as np

from .. import _core
from .._tensor import tensor as _tensor, zeros as _zeros
from ..autograd import no_grad as _NoGrad
from . import data_adapter
from .layers.base import Layer
from .trainer import Trainer

__all__ = ["Model"]


def _flat_outputs(out):
    if isinstance(out, dict):
        return list(out.values())
    if isinstance(out, (list, tuple)):
        return list(out)
    return [out]


class Model(Trainer, Layer):
    """A Keras model. ``Model(inputs, outputs)`` with KerasTensors from ``keras.Input`` builds a functional
    model (one or several inputs and outputs, given as a tensor, a list or a dict); a subclass that defines
    ``call`` is a custom model. Both train with compile / fit / evaluate / predict, like Sequential.

    >>> import numpy as np
    >>> from neurocore.keras import Input, Model
    >>> from neurocore.keras.layers import Dense
    >>> x = Input((3,), name="x")
    >>> h = Dense(8, activation="relu")(x)
    >>> model = Model(x, [Dense(1, name="value")(h), Dense(4, activation="softmax", name="kind")(h)])
    >>> model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[1.0, 0.5])
    >>> h = model.fit(np.zeros((8, 3)), [np.zeros((8, 1)), np.zeros(8, int)], epochs=1, verbose=0)
    >>> sorted(h.history)
    ['kind_loss', 'loss', 'value_loss']
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional
            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.stop_training = False
        self.history = None
        self._clear_compile()

    # ------------------------------------------------------------------ structure (overridden by subclasses)

    @property
    def layers(self):
        """The Keras layers directly inside this model, in the order they were set."""
        found, seen = [], set()

        def visit(module):
            for child in module.children():
                if isinstance(child, Layer):
                    if id(child) not in seen:
                        seen.add(id(child))
                        found.append(child)
                else:
                    visit(child)
        visit(self)
        return found

    def _input_specs(self):
        """[(name, shape without batch axis or None, dtype)] per input; None when the model does not know."""
        return None

    def _output_keys(self):
        """Output names in output order (used for loss/metric names and y dicts); None before the first call."""
        return None

    def _call_flat(self, xs):
        """Outputs (a list of tensors) for a list of input tensors."""
        return _flat_outputs(self(xs[0] if len(xs) == 1 else xs))

    def _summary_layers(self):
        """(layers to list, ids of the nodes that belong to this model or None, whether it is a plain chain)."""
        return self.layers, None, True

    def build(self, input_shape):
        """Build a custom model by running ``call`` once on zeros of ``input_shape`` (batch axis optional)."""
        shape = [tuple(s) for s in input_shape] if input_shape and isinstance(input_shape[0], (list, tuple)) \
            else tuple(input_shape)
        strip = (lambda s: tuple(int(d) for d in (s[1:] if s and s[0] is None else s)))
        shape = [strip(s) for s in shape] if isinstance(shape, list) else strip(shape)
        was = self.training
        self.eval()
        try:
            with _NoGrad():
                self.built = True
                out = self.call([_zeros((1,) + s) for s in shape] if isinstance(shape, list) else _zeros((1,) + shape))
        except Exception:
            self.built = False
            raise
        finally:
            self.train(was)
        self._build_shape = shape
        outs = _flat_outputs(out)
        return [tuple(o.shape[1:]) for o in outs] if len(outs) > 1 else tuple(outs[0].shape[1:])

    def __call__(self, *args, **kwargs):
        if args and not isinstance(args[0], _core.Tensor):
            args = (self._convert_call_input(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)

    _autocast = False  # each layer inside casts its own inputs

    def _run(self, inputs, args, kwargs):
        # The layers inside handle dtypes and masks.
        return self.forward(inputs, *args, **kwargs)

    def _convert_call_input(self, x):
        """numpy arrays (alone, in a list or in a dict by input name) as tensors of the inputs' dtypes."""
        specs = self._input_specs() or []
        dtypes = {i: s[2] for i, s in enumerate(specs)}
        dtypes.update({s[0]: s[2] for s in specs})

        def convert(a, key):
            if isinstance(a, np.ndarray):
                return _tensor(data_adapter.as_input(a, dtypes.get(key, "float32")))
            return a
        if isinstance(x, dict):
            return {k: convert(v, k) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [convert(v, i) for i, v in enumerate(x)]
        return convert(x, 0)

    # ------------------------------------------------------------------ weights

    def _weight_pairs(self):
        pairs, seen = [], set()
        for layer in self.layers:
            for pair in (layer._weight_pairs() if layer.built else ()):
                if id(pair[0]) not in seen:
                    seen.add(id(pair[0]))
                    pairs.append(pair)
        for p in self.parameters():  # weights set on the model itself, outside its layers
            if id(p) not in seen:
                seen.add(id(p))
                pairs.append((p, lambda a: a, lambda a: a))
        return pairs

    @property
    def weights(self):
        return [w for w, _, _ in self._weight_pairs()]

    @property
    def losses(self):
        """Regularization penalties of every layer inside the model (nested models included)."""
        return [reg(w) for m in self.modules() for reg, w in m.__dict__.get("_regularized", ())]

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in self.layers]}.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Print the layers (name and type, output shape, parameters) and the parameter totals, like Keras."""
        from .summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    def save(self, filepath, overwrite=True):
        """Write architecture, weights and compile settings to one file; ``keras.load_model`` reads it back."""
        from . import saving
        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        from . import saving
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        from . import saving
        saving.load_weights(self, filepath)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A functional model from its config (``Model.from_config(model.get_config())``); a custom subclass
        from its constructor arguments."""
        if isinstance(config, dict) and "input_layers" in config and "output_layers" in config:
            from .functional import Functional
            return Functional.from_config(config, custom_objects)
        if cls is Model:
            raise ValueError("Model.from_config expects a functional model's config (with 'layers', 'input_layers' "
                             f"and 'output_layers'); got keys {sorted(config) if isinstance(config, dict) else config}")
        return cls(**config)
