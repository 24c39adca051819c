"""The training API of keras models (compile / fit / evaluate / predict and the *_on_batch forms), as a mixin of
keras.Model. A model provides ``_input_specs``, ``_output_keys``, ``_call_flat`` and ``_pack_outputs`` (see
training.py); this class turns x / y into arrays, runs the batches, and keeps the logs as Keras 3 names them.
"""
import math
import warnings

import numpy as np

from .. import _core
from .. import optim as _optim
from .._core import randperm as _randperm
from .._tensor import tensor as _tensor
from ..autograd import no_grad as _NoGrad
from . import callbacks as callbacks_module
from . import data_adapter
from . import optimizers as optimizers_module
from . import progress as progress_module
from .compile_utils import CompilePlan, LogTracker, _check_metric
from .keras_tensor import flatten
from .layers.base import Layer

__all__ = ["Trainer"]

_COMPILE_EXTRAS = ("weighted_metrics", "run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss")


def _batch_size(batch_size):
    batch_size = 32 if batch_size is None else batch_size
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _to_tensors(arrays):
    return [None if a is None else _tensor(a) for a in arrays]


class Trainer:
    """compile / fit / evaluate / predict for keras.Model (which mixes it in)."""

    def _clear_compile(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._optimizer_spec = None
        self._compile_args = None
        self._metric_specs = []
        self._plan = None
        self._tracker = None
        self._trainable_at_compile = None
        self._optimizer_params = None

    # ------------------------------------------------------------------ compile

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, **kwargs):
        """Set the optimizer (name, keras optimizer or nc.optim optimizer), the loss (name, Loss or callable
        (y_true, y_pred); a list or dict for several outputs), ``loss_weights`` and ``metrics`` (a list; per
        output a list of lists or a dict). Compiling again resets the optimizer state and the metrics."""
        unknown = set(kwargs) - set(_COMPILE_EXTRAS)
        if unknown:
            raise TypeError(f"compile() got unexpected keyword arguments {sorted(unknown)}")
        if kwargs.get("weighted_metrics"):
            raise NotImplementedError("weighted_metrics is not supported yet (there are no sample weights)")
        spec = optimizers_module.get(optimizer)
        self._clear_compile()
        self._optimizer_spec = spec
        self._compile_args = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                              "metrics": metrics}
        self._metric_specs = list(metrics) if isinstance(metrics, (list, tuple)) else metrics or []
        self.loss = self._resolved_loss(loss)  # unknown loss names fail here
        keys = self._output_keys()
        if loss is not None and keys is not None:
            self._set_plan(keys)
        else:  # a custom model: the plan is made on the first batch, once its outputs are known
            for m in flatten(list(metrics.values()) if isinstance(metrics, dict) else metrics or []):
                if m is not None:
                    _check_metric(m)
        self.compiled = True
        self._trainable_at_compile = self._trainable_state()

    def _set_plan(self, keys):
        args = self._compile_args
        self._plan = CompilePlan(keys, args["loss"], args["loss_weights"], args["metrics"])
        self._tracker = LogTracker(self._plan)

    def _resolved_loss(self, loss):
        from . import losses as losses_module
        if loss is None:
            return None
        if isinstance(loss, dict):
            return {k: None if v is None else losses_module.get(v) for k, v in loss.items()}
        if isinstance(loss, (list, tuple)):
            return [None if v is None else losses_module.get(v) for v in loss]
        return losses_module.get(loss)

    def get_compile_config(self):
        """The arguments of the last compile() (None if not compiled, or compiled with an nc.optim optimizer,
        which is bound to this model's parameters)."""
        if not self.compiled or isinstance(self._optimizer_spec, _optim.Optimizer):
            return None
        config = dict(self._compile_args)
        config["optimizer"] = self._optimizer_spec
        return config

    def compile_from_config(self, config):
        self.compile(**config)

    @property
    def metrics(self):
        """The compiled metric objects (made on the first batch of fit/evaluate)."""
        if self._plan is None or self._plan.metric_objects is None:
            return []
        return [m for row in self._plan.metric_objects for m in row]

    @property
    def metrics_names(self):
        if self._plan is None:
            return ["loss"]
        return self._plan.names()

    def _trainable_state(self):
        return {id(m): m.trainable for m in self.modules() if isinstance(m, Layer)}

    def _assert_compiled(self, what):
        if not self.compiled or self.loss is None:
            raise RuntimeError(f"You must call `compile()` before using the model ({what}).")
        state = self._trainable_state()
        before = self._trainable_at_compile
        changed = [m.name for m in self.modules() if isinstance(m, Layer) and id(m) in before and
                   before[id(m)] != m.trainable]
        if changed:
            warnings.warn("A layer's `trainable` state has changed since the model was compiled. The change takes "
                          "effect now, but the optimizer and metrics were set up for the old state: recompile the "
                          f"model (model.compile(...)) after changing `trainable`. Changed layers: {changed}",
                          UserWarning, stacklevel=3)
        self._trainable_at_compile = state  # warn once per change

    def _make_optimizer(self):
        """The nc.optim optimizer over every weight of the model (a frozen weight gets no gradient, so the
        optimizer leaves it alone: no update, no weight decay); remade if the model's weights changed."""
        spec = self._optimizer_spec
        if isinstance(spec, _optim.Optimizer):
            self.optimizer = spec
            return spec
        params = [p for p in self.parameters() if p.dtype.is_floating_point]
        ids = [id(p) for p in params]
        if self.optimizer is None or ids != self._optimizer_params:
            self.optimizer = spec._create(params) if params else None
            self._optimizer_params = ids
        return self.optimizer

    def _ensure_plan(self, outs):
        if self._plan is None:
            keys = self._output_keys() or (["output"] if len(outs) == 1 else
                                           [f"output_{i + 1}" for i in range(len(outs))])
            self._set_plan(keys)
        if len(outs) != len(self._plan.keys):
            raise ValueError(f"The model returned {len(outs)} outputs, but compile() set up "
                             f"{len(self._plan.keys)} ({self._plan.keys})")
        return self._plan

    # ------------------------------------------------------------------ data

    def _prepare_x(self, x):
        specs = self._input_specs()
        if x is None:
            raise ValueError("x is required")
        if specs is None:  # custom model: one array, or a list of arrays
            raw = list(x) if isinstance(x, (list, tuple)) and x and all(
                isinstance(a, (np.ndarray, _core.Tensor)) for a in x) else [x]
            xs = [data_adapter.as_input(data_adapter.to_numpy(a, f"x[{i}]")) for i, a in enumerate(raw)]
            self._build_for_data([tuple(a.shape[1:]) for a in xs])
            return xs
        names = [s[0] for s in specs]
        raw = data_adapter.split_by_keys(x, names, "input")
        xs = []
        for i, ((name, shape, dtype), a) in enumerate(zip(specs, raw)):
            a = data_adapter.to_numpy(a, "x" if len(specs) == 1 else f"x[{name!r}]")
            a = data_adapter.adjust_rank(a, shape, i, self.name) if shape is not None else a
            xs.append(data_adapter.as_input(a, dtype))
        self._build_for_data([tuple(a.shape[1:]) for a in xs])
        return xs

    def _build_for_data(self, shapes):
        """Build a model that has no input shape yet from the data's shapes (so its weights exist before the
        optimizer is made)."""
        if not self.built:
            self.build(shapes[0] if len(shapes) == 1 else shapes)

    def _prepare_y(self, y):
        keys = self._output_keys()
        if keys is None:  # custom model: a list of arrays is one array per output
            if isinstance(y, (list, tuple)) and y and all(isinstance(a, (np.ndarray, _core.Tensor)) for a in y):
                raw = list(y)
            else:
                raw = [y]
        else:
            plan = self._plan
            optional = [k for i, k in enumerate(keys) if plan is not None and plan.loss_fns[i] is None]
            raw = data_adapter.split_by_keys(y, keys, "output", optional)
        return [None if a is None else data_adapter.as_target(data_adapter.to_numpy(a, "y")) for a in raw]

    def _prepare(self, x, y):
        xs = self._prepare_x(x)
        ys = self._prepare_y(y)
        return xs, ys, data_adapter.check_cardinality(xs, ys)

    # ------------------------------------------------------------------ steps

    def _train_step(self, xb, yb, opt):
        outs = self._call_flat(_to_tensors(xb))
        plan = self._ensure_plan(outs)
        yt = _to_tensors(yb)
        total, terms = plan.compute_loss(self, yt, outs)
        if opt is not None:
            opt.zero_grad()
            total.backward()
            opt.step()
        self._tracker.update(xb[0].shape[0], total, terms, yt, outs)

    def _test_step(self, xb, yb):
        with _NoGrad():
            outs = self._call_flat(_to_tensors(xb))
            plan = self._ensure_plan(outs)
            yt = _to_tensors(yb)
            total, terms = plan.compute_loss(self, yt, outs)
            self._tracker.update(xb[0].shape[0], total, terms, yt, outs)

    def _check_trainable_weights(self):
        opt = self._make_optimizer()
        if opt is None or not self.trainable_weights:
            warnings.warn("The model does not have any trainable weights.", UserWarning, stacklevel=3)
            return None
        return opt

    def _run_evaluation(self, xs, ys, batch_size, cbs=None, verbose=0):
        """Mean loss and metrics over the data in inference mode; returns the logs."""
        n = xs[0].shape[0]
        steps = int(math.ceil(n / batch_size))
        bar = progress_module.Progress(steps, verbose)
        was = self.training
        self.eval()
        if self._tracker is not None:
            self._tracker.reset()
        try:
            for step in range(steps):
                sl = slice(step * batch_size, (step + 1) * batch_size)
                if cbs is not None:
                    cbs.on_test_batch_begin(step)
                self._test_step([a[sl] for a in xs], [None if a is None else a[sl] for a in ys])
                logs = self._tracker.logs()
                if cbs is not None:
                    cbs.on_test_batch_end(step, logs)
                if bar.live:
                    bar.update(step + 1, logs)
        finally:
            self.train(was)
        logs = self._tracker.logs()
        bar.finish(logs)
        return logs

    # ------------------------------------------------------------------ fit

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs of mini-batches; returns a History. ``validation_split`` holds out the
        last fraction of the samples (taken before shuffling); ``validation_data`` is (x_val, y_val)."""
        if class_weight is not None or sample_weight is not None or steps_per_epoch is not None:
            raise NotImplementedError("class_weight, sample_weight and steps_per_epoch are not supported yet")
        if not self.compiled or self.loss is None:
            raise RuntimeError("You must call `compile()` before using the model (fit).")
        if y is None:
            raise ValueError("fit() needs targets y")
        batch_size = _batch_size(batch_size)
        verbose = progress_module.resolve_verbose(verbose)
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        xs, ys, n = self._prepare(x, y)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a tuple (x_val, y_val)")
            xv, yv, _ = self._prepare(*validation_data)
            val = (xv, yv)
        elif validation_split > 0:
            (xs, xv), (ys, yv) = data_adapter.split_validation(xs, validation_split, n), \
                data_adapter.split_validation(ys, validation_split, n)
            n = xs[0].shape[0]
            val = (xv, yv)
        self._assert_compiled("fit")
        opt = self._check_trainable_weights()
        steps = int(math.ceil(n / batch_size))
        history = callbacks_module.History()
        cbs = callbacks_module.CallbackList(list(callbacks or []) + [history], model=self,
                                            params={"verbose": verbose, "epochs": epochs, "steps": steps})
        self.stop_training = False
        was = self.training
        self.train()
        cbs.on_train_begin()
        logs = None
        try:
            for epoch in range(initial_epoch, epochs):
                if self._tracker is not None:
                    self._tracker.reset()
                cbs.on_epoch_begin(epoch)
                progress_module.epoch_header(epoch, epochs, verbose)
                bar = progress_module.Progress(steps, verbose)
                order = _randperm(n).numpy() if shuffle else None
                done = 0
                for step in range(steps):
                    lo, hi = step * batch_size, (step + 1) * batch_size
                    idx = order[lo:hi] if order is not None else slice(lo, hi)
                    cbs.on_train_batch_begin(step)
                    self._train_step([a[idx] for a in xs], [None if a is None else a[idx] for a in ys], opt)
                    logs = self._tracker.logs()
                    cbs.on_train_batch_end(step, logs)
                    done = step + 1
                    if bar.live:
                        bar.update(done, logs)
                    if self.stop_training:
                        break
                if val is not None and (epoch + 1) % validation_freq == 0:
                    cbs.on_test_begin()
                    val_logs = self._run_evaluation(val[0], val[1], _batch_size(validation_batch_size or batch_size),
                                                    cbs)
                    cbs.on_test_end(val_logs)
                    logs = {**logs, **{"val_" + k: v for k, v in val_logs.items()}}  # Keras: val_ keys last
                cbs.on_epoch_end(epoch, logs)
                bar.finish(logs, done)
                if self.stop_training:
                    break
        finally:
            self.train(was)
        cbs.on_train_end(logs)
        self.history = history
        return history

    # ------------------------------------------------------------------ evaluate / predict

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss (and metrics) over (x, y) in inference mode: a float, the list [loss, ...] in Keras' order, or
        with ``return_dict`` a dict."""
        if sample_weight is not None or steps is not None:
            raise NotImplementedError("sample_weight and steps are not supported yet")
        if not self.compiled or self.loss is None:
            raise RuntimeError("You must call `compile()` before using the model (evaluate).")
        if y is None:
            raise ValueError("evaluate() needs targets y")
        verbose = progress_module.resolve_verbose(verbose)
        batch_size = _batch_size(batch_size)
        xs, ys, _ = self._prepare(x, y)
        self._assert_compiled("evaluate")
        cbs = callbacks_module.CallbackList(list(callbacks or []), model=self,
                                            params={"verbose": verbose, "epochs": 1,
                                                    "steps": int(math.ceil(xs[0].shape[0] / batch_size))})
        cbs.on_test_begin()
        logs = self._run_evaluation(xs, ys, batch_size, cbs, verbose)
        cbs.on_test_end(logs)
        return logs if return_dict else self._tracker.flat(logs)

    def _pack_outputs(self, flat):
        """Per-output arrays as the model returns them: one array, a list, or a dict (Functional overrides)."""
        return flat[0] if len(flat) == 1 else flat

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for x in inference mode, computed in batches: one array per output."""
        if steps is not None:
            raise NotImplementedError("steps is not supported yet")
        verbose = progress_module.resolve_verbose(verbose)
        batch_size = _batch_size(batch_size)
        xs = self._prepare_x(x)
        n = data_adapter.check_cardinality(xs, None)
        total = int(math.ceil(n / batch_size))
        cbs = callbacks_module.CallbackList(list(callbacks or []), model=self,
                                            params={"verbose": verbose, "epochs": 1, "steps": total})
        bar = progress_module.Progress(total, verbose)
        was = self.training
        self.eval()
        chunks = None
        cbs.on_predict_begin()
        try:
            with _NoGrad():
                for step in range(total):
                    cbs.on_predict_batch_begin(step)
                    sl = slice(step * batch_size, (step + 1) * batch_size)
                    outs = [o.numpy() for o in self._call_flat(_to_tensors([a[sl] for a in xs]))]
                    chunks = [[] for _ in outs] if chunks is None else chunks
                    for c, o in zip(chunks, outs):
                        c.append(o)
                    cbs.on_predict_batch_end(step, {"outputs": outs})
                    if bar.live:
                        bar.update(step + 1)
        finally:
            self.train(was)
        cbs.on_predict_end()
        bar.finish()
        return self._pack_outputs([np.concatenate(c, axis=0) for c in chunks])

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on one batch; returns the loss and metrics of that batch (computed before the
        step), as evaluate() does."""
        if sample_weight is not None or class_weight is not None:
            raise NotImplementedError("sample_weight and class_weight are not supported yet")
        if not self.compiled or self.loss is None:
            raise RuntimeError("You must call `compile()` before using the model (train_on_batch).")
        xs, ys, _ = self._prepare(x, y)
        self._assert_compiled("train_on_batch")
        opt = self._check_trainable_weights()
        if self._tracker is not None:
            self._tracker.reset()
        was = self.training
        self.train()
        try:
            self._train_step(xs, ys, opt)
        finally:
            self.train(was)
        logs = self._tracker.logs()
        return logs if return_dict else self._tracker.flat(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics of one batch in inference mode."""
        if sample_weight is not None:
            raise NotImplementedError("sample_weight is not supported yet")
        if not self.compiled or self.loss is None:
            raise RuntimeError("You must call `compile()` before using the model (test_on_batch).")
        xs, ys, _ = self._prepare(x, y)
        if self._tracker is not None:
            self._tracker.reset()
        was = self.training
        self.eval()
        try:
            self._test_step(xs, ys)
        finally:
            self.train(was)
        logs = self._tracker.logs()
        return logs if return_dict else self._tracker.flat(logs)

    def predict_on_batch(self, x):
        """Outputs for one batch in inference mode."""
        xs = self._prepare_x(x)
        was = self.training
        self.eval()
        try:
            with _NoGrad():
                outs = [o.numpy() for o in self._call_flat(_to_tensors(xs))]
        finally:
            self.train(was)
        return self._pack_outputs(outs)

    def reset_metrics(self):
        if self._tracker is not None:
            self._tracker.reset()

