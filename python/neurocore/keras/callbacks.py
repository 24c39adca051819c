"""Keras callbacks with Keras 3's semantics: Callback, History, EarlyStopping, ModelCheckpoint,
LearningRateScheduler, ReduceLROnPlateau, CSVLogger, LambdaCallback, TerminateOnNaN."""
import collections
import csv
import math
import operator
import os
import warnings

import numpy as np

__all__ = ["Callback", "CallbackList", "History", "MonitorCallback", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "ReduceLROnPlateau", "CSVLogger", "LambdaCallback", "TerminateOnNaN"]


class Callback:
    """Base class: override any of the ``on_*`` hooks. ``self.model`` is the model being trained,
    ``self.params`` holds ``verbose``, ``epochs`` and ``steps``."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class CallbackList:
    """Calls the same hook on every callback in order."""

    def __init__(self, callbacks, model=None, params=None):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be keras Callback instances, got {type(cb).__name__}")
            if model is not None:
                cb.set_model(model)
            if params is not None:
                cb.set_params(params)

    def __getattr__(self, name):
        if not name.startswith("on_"):
            raise AttributeError(name)

        def call(*args, **kwargs):
            for cb in self.callbacks:
                getattr(cb, name)(*args, **kwargs)
        return call


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"]`` is the list of per-epoch losses."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


# Directions of the built-in metrics by name, for models whose metric objects are not made yet (they are made on
# the first batch); a metric object's own `_direction` ("up"/"down") wins, as in Keras 3.
_MAXIMIZE = ("accuracy", "acc", "auc", "precision", "recall", "f1_score", "fbeta_score")
_MINIMIZE = ("loss", "mae", "mse", "mape", "msle", "mean_absolute_error", "mean_squared_error", "crossentropy",
             "hinge", "poisson", "kl_divergence", "rmse", "root_mean_squared_error", "logcosh")


def _direction_by_name(name):
    if name.endswith("accuracy") or name in _MAXIMIZE:
        return "up"
    if name in _MINIMIZE or name.endswith("crossentropy") or name.endswith("_error"):
        return "down"
    return None


def _model_metric_objects(model):
    found = []
    for attr in ("metrics", "_metric_fns"):
        value = getattr(model, attr, None)
        if isinstance(value, (list, tuple)):
            found.extend(m for m in value if hasattr(m, "name"))
    return found


class MonitorCallback(Callback):
    """Base of callbacks that watch one logged quantity (Keras 3's MonitorCallback).

    ``mode`` "min"/"max" fixes the direction; "auto" takes "min" for losses and otherwise the ``_direction``
    of the model's metric object of that name (accuracy, AUC, precision and recall go up; errors go down),
    raising ValueError when it cannot tell. An improvement is ``current - min_delta < best`` (min) or
    ``current + min_delta > best`` (max); any value improves on ``best=None``.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
            if name == "loss":
                self.monitor_op = operator.lt
            for m in _model_metric_objects(self.model):
                if m.name == name and getattr(m, "_direction", None) in ("up", "down"):
                    self.monitor_op = operator.gt if m._direction == "up" else operator.lt
            if self.monitor_op is None and name in (getattr(self.model, "metrics_names", None) or ()):
                direction = _direction_by_name(name)
                if direction is not None:
                    self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but Keras isn't able to "
                    "automatically determine whether that metric should be maximized or minimized. Pass "
                    "`mode='max'` in order to monitor based on the highest metric value, or pass `mode='min'` "
                    "in order to use the lowest value.")
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value):
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored quantity has stopped improving (Keras 3 semantics).

    ``wait`` counts epochs since the last improvement that also beat ``baseline``; training stops at the end
    of an epoch > 0 where ``wait >= patience``. Epochs before ``start_from_epoch`` are ignored. With
    ``restore_best_weights`` the best epoch's weights are restored at the end of training, whether or not it
    stopped early (if no epoch beats ``baseline``, the best of those seen is restored).

    >>> es = EarlyStopping(monitor="loss", patience=1)
    >>> es.patience, es.mode
    (1, 'auto')
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Keep the first monitored epoch's weights, so there is something to restore even without a best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Restart the wait only if we beat both the baseline and the previous best.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(logs.keys())}", stacklevel=2)
        return value


class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) during training (Keras 3 semantics).

    ``filepath`` may hold ``str.format`` fields filled from the epoch (1-based), the batch (with an integer
    ``save_freq``) and the logs: ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``. ``save_freq="epoch"`` saves at
    each epoch end, an integer every that many batches. With ``save_best_only`` a file is written only when
    ``monitor`` improves on the best so far (starting from ``initial_value_threshold`` if given). Files are
    written by ``model.save`` / ``model.save_weights``, atomically; missing folders are created.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq <= 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer "
                             "values")
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            add_batches = batch + 1  # a new epoch started; batches count from 0
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath):
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if self.monitor_op is None:  # a batch-level save before the first epoch end
            self._set_monitor_op()
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to {current:.5f}, saving "
                      f"model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(f"Please specify a non-directory filepath for ModelCheckpoint. Filepath used "
                                    f"is an existing directory: {filepath}")
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def _get_file_path(self, epoch, batch, logs):
        logs = logs or {}
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}') from e


# ------------------------------------------------------------------ learning rates

def _get_learning_rate(model):
    """The current learning rate of ``model.optimizer``: a keras optimizer's ``learning_rate`` or the first
    parameter group's "lr" of an nc.optim optimizer."""
    opt = getattr(model, "optimizer", None)
    if opt is not None and hasattr(opt, "learning_rate"):
        return float(opt.learning_rate)
    if opt is not None and hasattr(opt, "param_groups"):
        return float(opt.param_groups[0]["lr"])
    spec = getattr(model, "_optimizer_spec", None)
    if spec is not None and hasattr(spec, "learning_rate"):
        return float(spec.learning_rate)
    raise ValueError('Optimizer must have a "learning_rate" attribute.')


def _set_learning_rate(model, value):
    """Set the learning rate everywhere it lives: the keras optimizer the model was compiled with (which passes
    it on to the nc.optim optimizer it made) and every parameter group of ``model.optimizer``."""
    opt = getattr(model, "optimizer", None)
    spec = getattr(model, "_optimizer_spec", None)
    done = False
    for holder in (spec, opt):
        if holder is not None and hasattr(holder, "learning_rate") and not isinstance(holder, type):
            holder.learning_rate = value
            done = True
    if opt is not None and hasattr(opt, "param_groups"):
        for group in opt.param_groups:
            group["lr"] = value
        done = True
    if not done:
        raise ValueError('Optimizer must have a "learning_rate" attribute.')


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)`` (or ``schedule(epoch)`` for
    one-argument schedules); the epoch's logs get ``"learning_rate"``.

    >>> sched = LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = _get_learning_rate(self.model)
        try:
            lr = self.schedule(epoch, lr)
        except TypeError:  # one-argument schedules, as Keras still accepts
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {lr}")
        _set_learning_rate(self.model, float(lr))
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_learning_rate(self.model)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement of ``monitor``
    (by more than ``min_delta``), never below ``min_lr``; then wait ``cooldown`` epochs before counting again.
    Each epoch's logs get ``"learning_rate"`` (the rate used during that epoch), as in Keras 3.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _get_learning_rate(self.model)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs.keys())}.", stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, epoch):
        old_lr = _get_learning_rate(self.model)
        if old_lr > np.float32(self.min_lr):  # Keras compares with min_lr in float32
            new_lr = max(old_lr * self.factor, self.min_lr)
            _set_learning_rate(self.model, new_lr)
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            return True
        return False


class CSVLogger(Callback):
    """Append one row per epoch (``epoch`` then the logs, columns sorted; when there is no validation, Keras
    adds empty ``val_*`` columns holding "NA") to a CSV file. ``append=True`` continues an existing file
    without repeating its header."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}

        def handle_value(v):
            if isinstance(v, str):
                return v
            if isinstance(v, collections.abc.Iterable) and not (isinstance(v, np.ndarray) and v.ndim == 0):
                return f'"[{", ".join(map(str, v))}]"'
            return v

        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if self.writer is None:
            class Dialect(csv.excel):
                delimiter = self.sep
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((k, handle_value(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    on_epoch_begin/on_epoch_end(epoch, logs), on_train_batch_begin/end and on_batch_begin/end(batch, logs),
    on_train_begin/on_train_end(logs).
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_batch_begin=None, on_batch_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end, **kwargs)
        for name, fn in hooks.items():
            if fn is not None:
                if not (name.startswith("on_") and hasattr(Callback, name)):
                    raise ValueError(f"LambdaCallback: unknown hook {name!r}")
                setattr(self, name, fn)


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch's loss is NaN or infinite."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
