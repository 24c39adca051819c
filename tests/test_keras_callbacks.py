"""nc.keras callbacks against Keras 3's behaviour.

The expected numbers (epochs run, stop epoch, best epoch, restored epoch, learning rates, files saved) come
from running Keras 3.15's own callbacks (KERAS_BACKEND=torch) once on the same scripted log sequences with the
same fake model (its "weights" are the epoch number, so a restore tells which epoch it came from); they are
written here as constants so the tests need no Keras.
"""
import csv
import math
import os

import numpy as np
import pytest

import neurocore as nc
from neurocore.keras import Sequential, callbacks, load_model, optimizers
from neurocore.keras.layers import Dense

NAN = float("nan")


class FakeOptimizer:
    def __init__(self, lr):
        self.learning_rate = lr


class FakeModel:
    """Stands in for a model: its only weight is the number of the epoch that produced it."""

    def __init__(self, lr=0.1, metrics=()):
        self.stop_training = False
        self.metrics = list(metrics)
        self.epoch = -1
        self.restored = None
        self.optimizer = FakeOptimizer(lr)
        self.saved = []

    def get_weights(self):
        return [np.array(self.epoch)]

    def set_weights(self, weights):
        self.restored = int(weights[0])

    def save(self, path, overwrite=True):
        self.saved.append((self.epoch, path))

    def save_weights(self, path, overwrite=True):
        self.saved.append((self.epoch, path))


def run_scripted(cb, values, key, model=None):
    """Drive `cb` like fit() does, the monitored key taking `values`; returns (model, epochs run, logged lrs)."""
    model = model or FakeModel()
    cb.set_model(model)
    cb.on_train_begin()
    ran, lrs = 0, []
    for epoch, value in enumerate(values):
        model.epoch = epoch
        cb.on_epoch_begin(epoch)
        logs = {key: value}
        cb.on_epoch_end(epoch, logs)
        lrs.append(logs.get("learning_rate"))
        ran += 1
        if model.stop_training:
            break
    cb.on_train_end()
    return model, ran, lrs


# name: (EarlyStopping arguments, monitored values, Keras 3's outcome)
EARLY_STOPPING = {
    "patience0": (dict(monitor="val_loss", patience=0), [1.0, 0.9, 0.95, 0.8],
                  dict(epochs_run=3, stopped_epoch=2, best_epoch=1, best=0.9, restored=None, wait=1)),
    "min_delta": (dict(monitor="val_loss", patience=2, min_delta=0.05), [1.0, 0.97, 0.96, 0.90, 0.89, 0.88, 0.87, 0.8],
                  dict(epochs_run=3, stopped_epoch=2, best_epoch=0, best=1.0, restored=None, wait=2)),
    "baseline_never": (dict(monitor="val_loss", patience=2, baseline=0.5, restore_best_weights=True),
                       [0.9, 0.8, 0.7, 0.6, 0.55],
                       dict(epochs_run=5, stopped_epoch=0, best_epoch=4, best=0.55, restored=4, wait=5)),
    "baseline_reached": (dict(monitor="val_loss", patience=2, baseline=0.5, restore_best_weights=True),
                         [0.9, 0.4, 0.45, 0.3, 0.5, 0.6, 0.7, 0.2],
                         dict(epochs_run=6, stopped_epoch=5, best_epoch=3, best=0.3, restored=3, wait=2)),
    "start_from": (dict(monitor="val_loss", patience=1, start_from_epoch=3, restore_best_weights=True),
                   [1.0, 2.0, 3.0, 2.5, 2.6, 2.7, 2.8],
                   dict(epochs_run=5, stopped_epoch=4, best_epoch=3, best=2.5, restored=3, wait=1)),
    "restore_no_stop": (dict(monitor="val_loss", patience=5, restore_best_weights=True), [1.0, 0.5, 0.7, 0.8],
                        dict(epochs_run=4, stopped_epoch=0, best_epoch=1, best=0.5, restored=1, wait=2)),
    "max_mode": (dict(monitor="val_accuracy", patience=1, mode="max", restore_best_weights=True),
                 [0.5, 0.6, 0.6, 0.55, 0.7],
                 dict(epochs_run=3, stopped_epoch=2, best_epoch=1, best=0.6, restored=1, wait=1)),
    "nan": (dict(monitor="loss", patience=1, restore_best_weights=True), [1.0, NAN, 0.9, NAN, NAN, 0.1],
            dict(epochs_run=2, stopped_epoch=1, best_epoch=0, best=1.0, restored=0, wait=1)),
    "negative_min_delta": (dict(monitor="loss", patience=1, min_delta=-0.1), [1.0, 1.05, 1.2, 1.3],
                           dict(epochs_run=2, stopped_epoch=1, best_epoch=0, best=1.0, restored=None, wait=1)),
}


@pytest.mark.parametrize("case", sorted(EARLY_STOPPING))
def test_early_stopping_matches_keras(case):
    kwargs, values, expected = EARLY_STOPPING[case]
    cb = callbacks.EarlyStopping(**kwargs)
    model, ran, _ = run_scripted(cb, values, kwargs["monitor"])
    got = dict(epochs_run=ran, stopped_epoch=cb.stopped_epoch, best_epoch=cb.best_epoch, best=cb.best,
               restored=model.restored, wait=cb.wait)
    assert got == expected


# name: (ReduceLROnPlateau arguments, monitored values, Keras 3's logged "learning_rate" per epoch, final lr);
# the optimizer starts at 0.1.
REDUCE_LR = {
    "basic": (dict(monitor="val_loss", factor=0.5, patience=2),
              [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.85, 0.9, 0.91, 0.92],
              [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125], 0.0125),
    "cooldown": (dict(monitor="val_loss", factor=0.1, patience=1, cooldown=2, min_lr=0.0005),
                 [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9],
                 [0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0005, 0.0005, 0.0005, 0.0005], 0.0005),
    "min_delta": (dict(monitor="loss", factor=0.5, patience=1, min_delta=0.1), [1.0, 0.95, 0.85, 0.8, 0.79, 0.5, 0.45],
                  [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125, 0.0125], 0.00625),
    "max_mode": (dict(monitor="val_auc", factor=0.2, patience=1, mode="max", min_delta=0),
                 [0.5, 0.6, 0.6, 0.7, 0.65, 0.64, 0.8], [0.1, 0.1, 0.1, 0.02, 0.02, 0.004, 0.0008], 0.0008),
}


@pytest.mark.parametrize("case", sorted(REDUCE_LR))
def test_reduce_lr_on_plateau_matches_keras(case):
    kwargs, values, expected_lrs, expected_final = REDUCE_LR[case]
    cb = callbacks.ReduceLROnPlateau(**kwargs)
    model, _, lrs = run_scripted(cb, values, kwargs["monitor"])
    np.testing.assert_allclose(lrs, expected_lrs, rtol=1e-12)
    assert model.optimizer.learning_rate == pytest.approx(expected_final, rel=1e-12)


# name: (ModelCheckpoint arguments, monitored val_loss / val_acc values, Keras 3's (epoch, path) saves)
CHECKPOINT = {
    "best_only": (dict(filepath="ck/m-{epoch:02d}-{val_loss:.2f}.keras", save_best_only=True),
                  [0.5, 0.4, 0.45, 0.3, 0.3],
                  [(0, "ck/m-01-0.50.keras"), (1, "ck/m-02-0.40.keras"), (3, "ck/m-04-0.30.keras")]),
    "best_only_threshold": (dict(filepath="ck/m.keras", save_best_only=True, initial_value_threshold=0.35),
                            [0.5, 0.4, 0.45, 0.3, 0.2], [(3, "ck/m.keras"), (4, "ck/m.keras")]),
    "all": (dict(filepath="ck/e{epoch}.keras"), [0.5, 0.4, 0.45],
            [(0, "ck/e1.keras"), (1, "ck/e2.keras"), (2, "ck/e3.keras")]),
    "max_acc": (dict(filepath="ck/best.keras", monitor="val_acc", mode="max", save_best_only=True),
                [0.5, 0.6, 0.55, 0.61], [(0, "ck/best.keras"), (1, "ck/best.keras"), (3, "ck/best.keras")]),
}


@pytest.mark.parametrize("case", sorted(CHECKPOINT))
def test_model_checkpoint_decisions_match_keras(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kwargs, values, expected = CHECKPOINT[case]
    cb = callbacks.ModelCheckpoint(**kwargs)
    model, _, _ = run_scripted(cb, values, kwargs.get("monitor", "val_loss"))
    assert [tuple(s) for s in model.saved] == expected
    assert os.path.isdir("ck")  # the folder is created before saving


def test_monitor_auto_mode_uses_metric_direction():
    class Metric:
        def __init__(self, name, direction):
            self.name, self._direction = name, direction

    model = FakeModel(metrics=[Metric("auc", "up"), Metric("mae", "down")])
    up = callbacks.EarlyStopping(monitor="val_auc", patience=0)
    _, ran, _ = run_scripted(up, [0.5, 0.6, 0.55], "val_auc", model)
    assert ran == 3 and up.best == 0.6  # larger is better: 0.6 improves, 0.55 stops
    model = FakeModel(metrics=[Metric("mae", "down")])
    down = callbacks.EarlyStopping(monitor="mae", patience=0)
    _, ran, _ = run_scripted(down, [0.5, 0.6], "mae", model)
    assert ran == 2 and down.best == 0.5
    with pytest.raises(ValueError, match="maximized or minimized"):
        run_scripted(callbacks.EarlyStopping(monitor="val_custom"), [1.0], "val_custom", FakeModel())


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'sideways' is unknown"):
        cb = callbacks.EarlyStopping(monitor="loss", mode="sideways")
    assert cb.mode == "auto"


def test_reduce_lr_rejects_factor_of_one_or_more():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_model_checkpoint_rejects_bad_save_freq():
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        callbacks.ModelCheckpoint("m.keras", save_freq="batch")


def test_model_checkpoint_missing_format_key_raises_key_error(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "m-{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        run_scripted(cb, [0.5], "val_loss")


# ---------------------------------------------------------------------------------------------- real training

def _data(seed=0, n=64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0], dtype=np.float32) + 0.1).reshape(-1, 1)
    return x, y


def _model(lr=0.05, optimizer=None):
    model = Sequential([Dense(8, activation="tanh", input_shape=(4,)), Dense(1)])
    model.compile(optimizer=optimizer or optimizers.SGD(learning_rate=lr), loss="mse", metrics=["mae"])
    return model


class ScriptedValLoss(callbacks.Callback):
    """Overwrites logs["val_loss"] with a fixed sequence (it runs before the callbacks under test) and records
    the weights at each epoch end."""

    def __init__(self, values):
        super().__init__()
        self.values = values
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def test_early_stopping_in_fit_restores_best_epoch_weights():
    x, y = _data()
    model = _model()
    script = ScriptedValLoss([1.0, 0.8, 0.9, 0.95, 0.7, 0.99])
    es = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[script, es])
    assert len(history.history["loss"]) == 4  # best at epoch 1, no improvement in epochs 2 and 3
    assert es.stopped_epoch == 3 and es.best_epoch == 1
    for got, want in zip(model.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(script.weights[1][0], script.weights[3][0])  # training did move the weights


def test_early_stopping_in_fit_restores_even_without_stopping():
    x, y = _data()
    model = _model()
    script = ScriptedValLoss([1.0, 0.5, 0.7])
    model.fit(x, y, epochs=3, batch_size=16, verbose=0,
              callbacks=[script, callbacks.EarlyStopping(patience=5, restore_best_weights=True)])
    for got, want in zip(model.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(got, want)


def test_early_stopping_auto_mode_on_compiled_metrics():
    x, y = _data()
    labels = (y[:, 0] > 0).astype(np.float32)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy", "auc", "mae"])
    for monitor, op in (("val_accuracy", "gt"), ("auc", "gt"), ("val_mae", "lt"), ("val_loss", "lt")):
        es = callbacks.EarlyStopping(monitor=monitor, patience=100)
        model.fit(x, labels, epochs=1, verbose=0, validation_split=0.25, callbacks=[es])
        assert es.monitor_op.__name__ == op, monitor


def test_learning_rate_scheduler_sets_rate_used_by_optimizer():
    x, y = _data()
    model = _model(lr=0.05)
    initial = model.get_weights()
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.get_weights()))
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 if epoch == 0 else 0.0)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[sched, record])
    assert history.history["learning_rate"] == [0.05, 0.0, 0.0]
    assert model.optimizer.param_groups[0]["lr"] == 0.0
    assert not np.array_equal(seen[0][0], initial[0])  # the first epoch trained
    # With a zero rate the weights stop moving after the first epoch.
    for a, b in zip(seen[1], seen[2]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(seen[0], seen[1]):
        np.testing.assert_array_equal(a, b)


def test_learning_rate_scheduler_one_argument_schedule_and_bad_output():
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=2, verbose=0,
                        callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))])
    assert history.history["learning_rate"] == [0.1, 0.05]
    with pytest.raises(ValueError, match="should be a float"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr: "fast")])


def test_reduce_lr_in_fit_changes_optimizer_rate():
    x, y = _data()
    opt = optimizers.Adam(learning_rate=0.01)
    model = _model(optimizer=opt)
    script = ScriptedValLoss([1.0, 1.0, 1.0, 1.0, 1.0])
    history = model.fit(x, y, epochs=5, verbose=0,
                        callbacks=[script, callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.003)])
    np.testing.assert_allclose(history.history["learning_rate"], [0.01, 0.01, 0.005, 0.003, 0.003], rtol=1e-12)
    assert opt.learning_rate == pytest.approx(0.003)
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.003)


def test_keras_optimizer_learning_rate_is_settable_after_compile():
    x, y = _data()
    opt = optimizers.SGD(learning_rate=0.1)
    model = _model(optimizer=opt)
    model.fit(x, y, epochs=1, verbose=0)
    opt.learning_rate = 0.02
    assert model.optimizer.param_groups[0]["lr"] == 0.02 and opt.learning_rate == 0.02
    assert opt.get_config()["learning_rate"] == 0.02
    # model.optimizer (the nc.optim optimizer doing the steps) reads and sets it too, as in Keras.
    assert isinstance(model.optimizer, nc.optim.SGD) and model.optimizer.learning_rate == 0.02
    model.optimizer.learning_rate = 0.004
    assert model.optimizer.param_groups[0]["lr"] == 0.004 and opt.learning_rate == 0.004
    with pytest.raises(ValueError, match="non-negative"):
        model.optimizer.learning_rate = -0.5
    assert model.optimizer.learning_rate == 0.004
    with pytest.raises(ValueError, match="non-negative"):
        opt.learning_rate = -1.0
    with pytest.raises(TypeError, match="must be a number"):
        opt.learning_rate = "big"


def test_learning_rate_callbacks_work_with_an_nc_optim_optimizer():
    x, y = _data()
    model = Sequential([Dense(1, input_shape=(4,))])
    model.compile(optimizer=nc.optim.SGD(model.parameters(), lr=0.2), loss="mse")
    history = model.fit(x, y, epochs=2, verbose=0,
                        callbacks=[callbacks.LearningRateScheduler(lambda e, lr: lr / 2)])
    assert history.history["learning_rate"] == [0.1, 0.05]


def test_model_checkpoint_in_fit_saves_loadable_best_models(tmp_path):
    x, y = _data()
    model = _model()
    script = ScriptedValLoss([0.5, 0.4, 0.45, 0.3])
    pattern = str(tmp_path / "sub" / "m-{epoch:02d}-{val_loss:.2f}.keras")
    model.fit(x, y, epochs=4, batch_size=16, verbose=0,
              callbacks=[script, callbacks.ModelCheckpoint(pattern, save_best_only=True)])
    assert sorted(os.listdir(tmp_path / "sub")) == ["m-01-0.50.keras", "m-02-0.40.keras", "m-04-0.30.keras"]
    restored = load_model(tmp_path / "sub" / "m-02-0.40.keras")
    for got, want in zip(restored.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(got, want)


def test_model_checkpoint_weights_only_every_n_batches(tmp_path):
    x, y = _data(n=64)
    model = _model()
    pattern = str(tmp_path / "w-{epoch}-{batch}.weights.npz")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,  # 4 batches per epoch, a save every 3 batches
              callbacks=[callbacks.ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)])
    assert sorted(os.listdir(tmp_path)) == ["w-1-3.weights.npz", "w-2-2.weights.npz"]
    fresh = _model()
    fresh.load_weights(tmp_path / "w-2-2.weights.npz")
    assert fresh.count_params() == model.count_params()


def test_csv_logger_rows_match_history(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    history = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25, callbacks=[callbacks.CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    for key in ("loss", "mae", "val_loss", "val_mae"):
        assert [float(r[key]) for r in rows] == history.history[key]


def test_csv_logger_append_separator_and_na_columns(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";")])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator=";", append=True)])
    lines = path.read_text().splitlines()
    # Without validation data Keras still writes val_ columns, holding "NA"; append does not repeat the header.
    assert lines[0] == "epoch;loss;mae;val_loss;val_mae"
    assert len(lines) == 4 and [l.split(";")[0] for l in lines[1:]] == ["0", "1", "0"]
    assert all(l.split(";")[3:] == ["NA", "NA"] for l in lines[1:])
    assert not math.isnan(float(lines[3].split(";")[1]))


def test_module_doctests():
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module("neurocore.keras.callbacks"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
