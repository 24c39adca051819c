"""Keras-style Sequential model: compile / fit / evaluate / predict / summary over nc.nn modules."""
import math
import sys
import time

import numpy as np

from .. import _core
from .._core import randperm as _randperm
from .. import nn
from .. import optim as _optim
from .._tensor import tensor as _tensor
from . import callbacks as callbacks_module
from . import losses as losses_module
from . import metrics as metrics_module
from . import optimizers as optimizers_module
from ..autograd import no_grad as _NoGrad
from .layers import InputLayer, Layer
from .layers.base import _unique_name

__all__ = ["Sequential", "Model"]


def _to_numpy(a, name):
    if isinstance(a, _core.Tensor):
        a = a.detach().numpy()
    try:
        a = np.asarray(a)
    except Exception as e:  # noqa: BLE001
        raise ValueError(f"{name} must be a numpy array or a tensor, got {type(a).__name__}") from e
    if a.dtype == object:
        raise ValueError(f"{name} must be a numeric array, got dtype object")
    return a


def _as_input(a):
    return np.ascontiguousarray(a, dtype=np.float32) if a.dtype != np.float32 or not a.flags.c_contiguous else a


def _as_target(a):
    if np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_:
        return np.ascontiguousarray(a, dtype=np.int64)
    return np.ascontiguousarray(a, dtype=np.float32)


def _fmt(v):
    return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.4e}"


class Sequential(nn.Module):
    """A linear stack of Keras layers. ``Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(1)])``
    or ``model.add(layer)``. Only the first layer needs an ``input_shape`` (or an ``Input``); without one the
    model builds on the first batch it sees."""

    def __init__(self, layers=None, name=None):
        super().__init__()
        self.name = name or _unique_name("sequential")
        self._layers = nn.ModuleList()
        self._input_shape = None
        self.stop_training = False
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.history = None
        self._metric_specs = []
        self._metric_fns = None
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------------ structure

    @property
    def layers(self):
        return [l for l in self._layers if not isinstance(l, InputLayer)]

    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Only instances of keras Layer can be added to a Sequential model. "
                            f"Received: {layer!r} (of type {type(layer).__name__})")
        if any(l.name == layer.name for l in self._layers):
            raise ValueError(f'All layers added to a Sequential model should have unique names. Name "{layer.name}"'
                             " is already the name of a layer in this model.")
        if len(self._layers) == 0 and layer._input_shape_arg is not None:
            self._input_shape = layer._input_shape_arg
        elif len(self._layers) > 0 and layer._input_shape_arg is not None and isinstance(layer, InputLayer):
            raise ValueError("An Input can only be the first layer of a Sequential model")
        self._layers.append(layer)
        if self._input_shape is not None:
            shape = self._input_shape
            for l in self._layers:
                shape = l.build(shape)

    def pop(self):
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        del self._layers[len(self._layers) - 1]

    def build(self, input_shape=None):
        """Build all layers for ``input_shape`` (with or without a leading None batch axis)."""
        if input_shape is not None:
            input_shape = tuple(input_shape)
            if self._input_shape is not None and len(input_shape) == len(self._input_shape) + 1:
                input_shape = input_shape[1:]
            elif input_shape and input_shape[0] is None:
                input_shape = input_shape[1:]
            if self._input_shape is not None and tuple(input_shape) != self._input_shape:
                self._raise_shape(input_shape)
            self._input_shape = tuple(int(d) for d in input_shape)
        if self._input_shape is None:
            raise ValueError(f'Model "{self.name}" has no input shape yet: give the first layer input_shape=..., '
                             "start with Input(shape), or call build(input_shape)")
        shape = self._input_shape
        for l in self._layers:
            shape = l.build(shape)
        return shape

    @property
    def built(self):
        return self._input_shape is not None and all(l.built for l in self._layers)

    @property
    def input_shape(self):
        return None if self._input_shape is None else (None,) + self._input_shape

    @property
    def output_shape(self):
        if not self.built:
            raise AttributeError(f'Model "{self.name}" has not been built yet')
        return (None,) + (self._layers[-1].output_shape if len(self._layers) else self._input_shape)

    def _raise_shape(self, found):
        raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected shape='
                         f"{(None,) + tuple(self._input_shape)}, found shape={(None,) + tuple(found)}")

    def _ensure_built(self, x_shape):
        if self._input_shape is None:
            self.build(tuple(x_shape[1:]))
        elif tuple(x_shape[1:]) != self._input_shape:
            self._raise_shape(tuple(x_shape[1:]))
        elif not self.built:
            self.build()

    def forward(self, x):
        for l in self._layers:
            x = l(x)
        return x

    def call(self, x):
        return self.forward(x)

    def count_params(self):
        return sum(p.numel() for p in self.parameters())

    def get_weights(self):
        return [w for l in self._layers for w in l.get_weights()]

    def set_weights(self, weights):
        weights = list(weights)
        i = 0
        for l in self._layers:
            n = len(l._weight_pairs())
            l.set_weights(weights[i:i + n])
            i += n
        if i != len(weights):
            raise ValueError(f"set_weights: the model has {i} weights, got {len(weights)}")

    @property
    def weights(self):
        return list(self.parameters())

    def save(self, filepath, overwrite=True):
        """Write architecture (JSON) and weights to one file; ``keras.load_model`` reads it back."""
        from . import saving
        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        from . import saving
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath):
        from . import saving
        saving.load_weights(self, filepath)

    def get_layer(self, name=None, index=None):
        if index is not None:
            return self.layers[index]
        for l in self.layers:
            if l.name == name:
                return l
        raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in self.layers]}.")

    # ------------------------------------------------------------------ summary

    def summary(self, line_length=None, print_fn=None):
        """Print each layer's name (type), output shape and parameter count, then the totals, like Keras."""
        if not self.built:
            raise ValueError(f'Model "{self.name}" has not been built yet: give the first layer input_shape=... '
                             "or call build(input_shape)")
        print_fn = print_fn or print
        cells = [f"{l.name} ({type(l).__name__})" for l in self.layers]
        widths = [max([29] + [len(c) + 2 for c in cells]), 26, 10]
        total_w = line_length or max(65, sum(widths))
        lines = [f'Model: "{self.name}"', "_" * total_w,
                 " " + "Layer (type)".ljust(widths[0]) + "Output Shape".ljust(widths[1]) + "Param #", "=" * total_w]
        trainable = non_trainable = 0
        for i, l in enumerate(self.layers):
            shape = str((None,) + l.output_shape)
            n = l.count_params()
            cell = cells[i]
            lines.append(" " + cell.ljust(widths[0] - 1) + " " + shape.ljust(widths[1] - 1) + " " + f"{n}")
            if i < len(self.layers) - 1:
                lines.append("")
        for p in self.parameters():
            if p.requires_grad:
                trainable += p.numel()
            else:
                non_trainable += p.numel()
        lines += ["=" * total_w, f"Total params: {trainable + non_trainable:,}",
                  f"Trainable params: {trainable:,}", f"Non-trainable params: {non_trainable:,}", "_" * total_w]
        for line in lines:
            print_fn(line)

    # ------------------------------------------------------------------ compile

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """Set the optimizer (name, keras optimizer or nc.optim optimizer), loss (name or callable
        (y_true, y_pred)) and metrics (names such as "accuracy", "mae", "mse")."""
        unknown = set(kwargs) - {"loss_weights", "weighted_metrics", "run_eagerly", "steps_per_execution",
                                 "jit_compile", "auto_scale_loss"}
        if unknown:
            raise TypeError(f"compile() got unexpected keyword arguments {sorted(unknown)}")
        self._optimizer_spec = optimizers_module.get(optimizer)
        self.optimizer = None
        self.loss = losses_module.get(loss) if loss is not None else None
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str,)) or callable(metrics):
            metrics = [metrics]
        for m in metrics:
            if not (callable(m) or isinstance(m, metrics_module.Metric) or m in ("accuracy", "acc")
                    or m in metrics_module._BY_NAME):
                raise ValueError(f"Could not interpret metric identifier: {m!r}")
        self._metric_specs = list(metrics)
        self._metric_fns = None
        self.compiled = True

    @property
    def metrics_names(self):
        names = ["loss"]
        for m in self._metric_specs:
            names.append(m if isinstance(m, str) else getattr(m, "name", None) or getattr(m, "__name__", "metric"))
        return names

    def _check_compiled(self, what):
        if not self.compiled or self.loss is None:
            raise RuntimeError(f"You must call `compile()` before using the model ({what}).")

    def _make_optimizer(self):
        if self.optimizer is None:
            spec = self._optimizer_spec
            if isinstance(spec, _optim.Optimizer):
                self.optimizer = spec
            else:
                params = [p for p in self.parameters() if p.requires_grad]
                self.optimizer = spec._create(params)
        return self.optimizer

    def _metrics_for(self, y_shape, y_pred_shape):
        """The compiled metrics as Metric objects (made on first use, when the output shape is known)."""
        if self._metric_fns is None:
            self._metric_fns = [metrics_module.get(m, self.loss, y_shape, y_pred_shape) for m in self._metric_specs]
        return self._metric_fns

    # ------------------------------------------------------------------ data

    def _prepare(self, x, y=None):
        x = _to_numpy(x, "x")
        if x.ndim < 1 or x.shape[0] == 0:
            raise ValueError(f"x must have a batch axis with at least one sample, got shape {x.shape}")
        x = _as_input(x)
        if y is not None:
            y = _as_target(_to_numpy(y, "y"))
            if y.shape[0] != x.shape[0]:
                raise ValueError(f"Data cardinality is ambiguous: x sizes: {x.shape[0]}, y sizes: {y.shape[0]}. "
                                 "Make sure all arrays contain the same number of samples.")
        self._ensure_built(x.shape)
        return x, y

    # ------------------------------------------------------------------ loops

    def _run_eval(self, x, y, batch_size):
        """Sample-weighted mean loss and metrics over (x, y) in inference mode."""
        self.eval()
        n = x.shape[0]
        names = self.metrics_names
        loss_sum = 0.0
        metrics = None
        with _NoGrad():
            for i in range(0, n, batch_size):
                xb, yb = _tensor(x[i:i + batch_size]), _tensor(y[i:i + batch_size])
                out = self(xb)
                loss_sum += self.loss(yb, out).item() * xb.shape[0]
                if metrics is None:
                    metrics = self._metrics_for(y.shape, out.shape)
                    for m in metrics:
                        m.reset_state()
                for m in metrics:
                    m.update_state(yb, out)
        self.train()
        return dict(zip(names, [loss_sum / n] + [m.result() for m in metrics or []]))

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs of mini-batches; returns a History. ``validation_split`` holds out the
        last fraction of the samples (taken before shuffling); ``validation_data`` is (x_val, y_val)."""
        self._check_compiled("fit")
        if class_weight is not None or sample_weight is not None or steps_per_epoch is not None:
            raise NotImplementedError("class_weight, sample_weight and steps_per_epoch are not supported yet")
        if y is None:
            raise ValueError("fit() needs targets y")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        x, y = self._prepare(x, y)
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be a tuple (x_val, y_val)")
            x_val, y_val = self._prepare(*validation_data)
        elif validation_split > 0:
            split_at = int(math.ceil(x.shape[0] * (1.0 - validation_split)))
            if split_at == 0 or split_at == x.shape[0]:
                raise ValueError(f"validation_split={validation_split} leaves no training or validation samples "
                                 f"out of {x.shape[0]}")
            x, x_val = x[:split_at], x[split_at:]
            y, y_val = y[:split_at], y[split_at:]
        else:
            x_val = y_val = None
        n = x.shape[0]
        steps = int(math.ceil(n / batch_size))
        verbose = _verbose(verbose)
        opt = self._make_optimizer()
        history = callbacks_module.History()
        cbs = callbacks_module.CallbackList(list(callbacks or []) + [history], model=self,
                                            params={"verbose": verbose, "epochs": epochs, "steps": steps})
        names = self.metrics_names
        self.stop_training = False
        self.train()
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            start = time.perf_counter()
            order = _randperm(n).numpy() if shuffle else None
            loss_sum = 0.0
            seen = 0
            logs = {}
            for step in range(steps):
                idx = slice(step * batch_size, (step + 1) * batch_size)
                if order is not None:
                    xb_np, yb_np = x[order[idx]], y[order[idx]]
                else:
                    xb_np, yb_np = x[idx], y[idx]
                cbs.on_train_batch_begin(step)
                xb, yb = _tensor(xb_np), _tensor(yb_np)
                out = self(xb)
                loss = self.loss(yb, out)
                opt.zero_grad()
                loss.backward()
                opt.step()
                k = xb_np.shape[0]
                seen += k
                loss_sum += loss.item() * k
                metrics = self._metrics_for(y.shape, out.shape)
                if step == 0:
                    for m in metrics:
                        m.reset_state()
                with _NoGrad():
                    out_d = out.detach()
                    for m in metrics:
                        m.update_state(yb, out_d)
                logs = dict(zip(names, [loss_sum / seen] + [m.result() for m in metrics]))
                cbs.on_train_batch_end(step, logs)
                if verbose == 1 and _interactive():
                    _progress(step + 1, steps, logs, start)
                if self.stop_training:
                    break
            if x_val is not None and (epoch + 1) % validation_freq == 0:
                val = self._run_eval(x_val, y_val, validation_batch_size or batch_size)
                logs.update({"val_" + k: v for k, v in val.items()})
            cbs.on_epoch_end(epoch, logs)
            if verbose:
                elapsed = time.perf_counter() - start
                if verbose == 1 and _interactive():
                    sys.stdout.write("\r")
                print(f"Epoch {epoch + 1}/{epochs} - {steps}/{steps} - {elapsed:.0f}s - "
                      f"{1000 * elapsed / max(steps, 1):.0f}ms/step - "
                      + " - ".join(f"{k}: {_fmt(v)}" for k, v in logs.items()), flush=True)
            if self.stop_training:
                break
        cbs.on_train_end(logs if epochs > initial_epoch else None)
        self.history = history
        return history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False, callbacks=None, **kwargs):
        """Mean loss over (x, y) in inference mode; with metrics, the list [loss, *metrics]."""
        self._check_compiled("evaluate")
        if y is None:
            raise ValueError("evaluate() needs targets y")
        x, y = self._prepare(x, y)
        batch_size = 32 if batch_size is None else int(batch_size)
        logs = self._run_eval(x, y, batch_size)
        if _verbose(verbose):
            steps = int(math.ceil(x.shape[0] / batch_size))
            print(f"{steps}/{steps} - " + " - ".join(f"{k}: {_fmt(v)}" for k, v in logs.items()), flush=True)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", **kwargs):
        """Outputs for x in inference mode, computed in batches, as one numpy array."""
        x, _ = self._prepare(x)
        batch_size = 32 if batch_size is None else int(batch_size)
        self.eval()
        outs = []
        with _NoGrad():
            for i in range(0, x.shape[0], batch_size):
                outs.append(self(_tensor(x[i:i + batch_size])).numpy())
        self.train()
        return np.concatenate(outs, axis=0)

    def __call__(self, x, *args, **kwargs):
        if not isinstance(x, _core.Tensor):
            x = _tensor(_as_input(_to_numpy(x, "x")))
        if not self.built:
            self._ensure_built(x.shape)
        return self.forward(x)


Model = Sequential


def _verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose in (0, 1, 2, False, True):
        return int(verbose)
    raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")


def _interactive():
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _progress(step, steps, logs, start):
    width = 20
    done = int(width * step / steps)
    bar = "━" * done + " " * (width - done)
    elapsed = time.perf_counter() - start
    sys.stdout.write(f"\r{step}/{steps} {bar} {elapsed:.0f}s " + " - ".join(f"{k}: {_fmt(v)}"
                                                                            for k, v in logs.items()))
    sys.stdout.flush()
