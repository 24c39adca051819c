"""nc.keras training engine: multi-output compile/fit/evaluate, *_on_batch, regularization in the loss,
freezing (trainable), summary counts, and the progress display."""
import contextlib
import io
import math
import re
import sys

import numpy as np
import pytest

import neurocore as nc
from neurocore.keras import Input, Model, Sequential, layers, optimizers, regularizers
from neurocore.keras import progress as progress_module

_RNG = np.random.default_rng(11)


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _two_heads(value_units=2, classes=3, features=3):
    x = Input((features,), name="x")
    value = layers.Dense(value_units, name="value")(x)
    label = layers.Dense(classes, activation="softmax", name="label")(x)
    return Model(x, [value, label], name="heads")


def _silent():
    return contextlib.redirect_stdout(io.StringIO())


# ----------------------------------------------------------------------------- train_on_batch and friends

def test_train_on_batch_is_one_sgd_step_on_the_weighted_loss():
    model = _two_heads()
    kv, bv = _RNG.normal(size=(3, 2)).astype(np.float32), _RNG.normal(size=2).astype(np.float32)
    kl, bl = _RNG.normal(size=(3, 3)).astype(np.float32), _RNG.normal(size=3).astype(np.float32)
    model.get_layer("value").set_weights([kv, bv])
    model.get_layer("label").set_weights([kl, bl])
    x = _RNG.normal(size=(4, 3)).astype(np.float32)
    y_value = _RNG.normal(size=(4, 2)).astype(np.float32)
    y_label = np.array([0, 2, 1, 2])
    lr, w_value, w_label = 0.1, 0.5, 2.0
    model.compile(optimizer=optimizers.SGD(learning_rate=lr), loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[w_value, w_label])
    result = model.train_on_batch(x, [y_value, y_label])
    # numpy: losses before the step, then the gradients of w_value * mse + w_label * cce
    x64 = x.astype(np.float64)
    out_value = x64 @ kv + bv
    p = _softmax(x64 @ kl + bl)
    mse = np.mean((out_value - y_value) ** 2)
    cce = -np.mean(np.log(p[np.arange(4), y_label]))
    assert len(result) == 3
    np.testing.assert_allclose(result, [w_value * mse + w_label * cce, mse, cce], rtol=1e-5)
    d_value = w_value * 2 * (out_value - y_value) / out_value.size
    d_logits = w_label * (p - np.eye(3)[y_label]) / 4
    new_kv, new_bv = model.get_layer("value").get_weights()
    new_kl, new_bl = model.get_layer("label").get_weights()
    np.testing.assert_allclose(new_kv, kv - lr * x64.T @ d_value, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_bv, bv - lr * d_value.sum(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_kl, kl - lr * x64.T @ d_logits, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_bl, bl - lr * d_logits.sum(0), rtol=1e-5, atol=1e-6)
    d = model.train_on_batch(x, {"value": y_value, "label": y_label}, return_dict=True)
    assert sorted(d) == ["label_loss", "loss", "value_loss"]


def test_on_batch_results_are_per_batch_and_predict_on_batch():
    model = Sequential([Input((1,)), layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse", metrics=["mae"])
    # Keras 3 resets the metrics on every *_on_batch call (values checked against keras 3.15)
    assert model.train_on_batch(np.ones((2, 1)), np.zeros((2, 1))) == [1.0, 1.0]
    assert model.train_on_batch(np.ones((2, 1)), np.full((2, 1), 3.0)) == [4.0, 2.0]
    assert model.test_on_batch(np.ones((2, 1)), np.zeros((2, 1)), return_dict=True) == {"loss": 1.0, "mae": 1.0}
    p = model.predict_on_batch(np.array([[2.0], [-1.0]]))
    assert isinstance(p, np.ndarray) and p.tolist() == [[2.0], [-1.0]]
    heads = _two_heads()
    out = heads.predict_on_batch(np.zeros((5, 3)))
    assert isinstance(out, list) and [o.shape for o in out] == [(5, 2), (5, 3)]


def test_regularization_penalties_are_added_to_the_loss():
    model = Sequential([Input((3,)), layers.Dense(2, kernel_regularizer=regularizers.L2(0.1), name="d")])
    kernel = _RNG.normal(size=(3, 2)).astype(np.float32)
    model.get_layer("d").set_weights([kernel, np.zeros(2, np.float32)])
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse")
    x = _RNG.normal(size=(5, 3)).astype(np.float32)
    y = _RNG.normal(size=(5, 2)).astype(np.float32)
    expected = np.mean((x @ kernel - y) ** 2) + 0.1 * np.sum(kernel.astype(np.float64) ** 2)
    assert math.isclose(model.test_on_batch(x, y), expected, rel_tol=1e-5)
    assert len(model.losses) == 1
    h = model.fit(x, y, epochs=1, verbose=0)
    assert math.isclose(h.history["loss"][0], expected, rel_tol=1e-5)


# ----------------------------------------------------------------------------- compile for several outputs

def test_multi_output_names_orders_and_compile_forms():
    x = _RNG.normal(size=(20, 4)).astype(np.float32)
    y_reg, y_cls = _RNG.normal(size=(20, 1)).astype(np.float32), _RNG.integers(0, 3, 20)
    inp = Input((4,), name="x")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inp)
    model = Model(inp, [layers.Dense(1, name="reg")(hidden), layers.Dense(3, activation="softmax",
                                                                          name="cls")(hidden)])
    # names and orders as keras 3.15 reports them for this model
    model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"], metrics=[["mae"], ["accuracy"]])
    h = model.fit(x, [y_reg, y_cls], epochs=1, verbose=0, validation_split=0.2)
    assert list(h.history) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae", "val_cls_accuracy",
                               "val_cls_loss", "val_loss", "val_reg_loss", "val_reg_mae"]
    result = model.evaluate(x, [y_reg, y_cls], verbose=0)
    d = model.evaluate(x, [y_reg, y_cls], verbose=0, return_dict=True)
    assert result == [d["loss"], d["reg_loss"], d["cls_loss"], d["cls_accuracy"], d["reg_mae"]]
    assert model.metrics_names == ["loss", "reg_loss", "cls_loss", "cls_accuracy", "reg_mae"]
    # dicts by output name
    model.compile(optimizer="sgd", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"cls": 2.0}, metrics={"cls": "accuracy"})
    d = model.evaluate(x, {"reg": y_reg, "cls": y_cls}, verbose=0, return_dict=True)
    assert sorted(d) == ["cls_accuracy", "cls_loss", "loss", "reg_loss"]
    assert math.isclose(d["loss"], d["reg_loss"] + 2.0 * d["cls_loss"], rel_tol=1e-6)
    # one loss for every output
    model.compile(optimizer="sgd", loss="mse")
    d = model.evaluate(x, [y_reg, np.eye(3, dtype=np.float32)[y_cls]], verbose=0, return_dict=True)
    assert sorted(d) == ["cls_loss", "loss", "reg_loss"]
    # an output without loss needs no target and gets no "_loss" entry
    model.compile(optimizer="sgd", loss=[None, "sparse_categorical_crossentropy"])
    with _silent():
        d = model.evaluate(x, [None, y_cls], return_dict=True)
    assert sorted(d) == ["loss"]
    with pytest.raises(ValueError, match=r"Expected keys \['reg', 'cls'\] in loss dict"):
        model.compile(optimizer="sgd", loss={"cls": "mse"})
    with pytest.raises(ValueError, match="has 3 entries but the model has 2 output"):
        model.compile(optimizer="sgd", loss=["mse", "mse", "mse"])
    with pytest.raises(ValueError, match="must match the number of losses"):
        model.compile(optimizer="sgd", loss="mse", loss_weights=[1.0])
    with pytest.raises(ValueError, match="one entry per output"):
        model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mae", "mae"])
    with pytest.raises(ValueError, match="'accuracyy'"):
        model.compile(optimizer="sgd", loss="mse", metrics=[["accuracyy"], []])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="pass output data as a list of 2 arrays"):
        model.fit(x, y_reg, verbose=0)


def test_predict_returns_one_array_per_output_in_batches():
    inp = Input((3,), name="x")
    model = Model(inp, {"b": layers.Dense(2, name="bb")(inp), "a": layers.Dense(1, name="aa")(inp)})
    x = _RNG.normal(size=(20, 3)).astype(np.float32)
    out = model.predict(x, batch_size=7, verbose=0)
    # a dict of outputs is taken in sorted key order, as Keras flattens it
    assert model.output_names == ["aa", "bb"] and list(out) == ["a", "b"]
    assert out["b"].shape == (20, 2) and out["a"].shape == (20, 1)
    whole = model.predict(x, batch_size=20, verbose=0)
    np.testing.assert_allclose(out["b"], whole["b"], rtol=1e-6)
    k, b = model.get_layer("aa").get_weights()
    np.testing.assert_allclose(out["a"], x @ k + b, rtol=1e-5, atol=1e-6)


def test_custom_subclassed_model_trains():
    class TwoLayer(Model):
        def __init__(self):
            super().__init__(name="two_layer")
            self.hidden = layers.Dense(8, activation="tanh")
            self.out = layers.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    nc.manual_seed(5)
    x = _RNG.normal(size=(64, 2)).astype(np.float32)
    y = (x[:, :1] * 2 - x[:, 1:]).astype(np.float32)
    model = TwoLayer()
    model.compile(optimizer=optimizers.Adam(0.05), loss="mse")
    h = model.fit(x, y, epochs=30, verbose=0)
    assert h.history["loss"][-1] < 0.1 * h.history["loss"][0]
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Dense"] and model.count_params() == 33


# ----------------------------------------------------------------------------- freezing

def _digits_8x8(n=300, seed=0):
    d = nc.datasets.load_digits()
    x = (d.images.numpy()[:n, :, :, None] / 16.0).astype(np.float32)
    return x, d.target.numpy()[:n]


def test_frozen_conv_base_stays_bit_identical_while_a_new_head_trains():
    nc.manual_seed(6)
    x, y = _digits_8x8()
    base = Sequential([Input((8, 8, 1)), layers.Conv2D(6, 3, activation="relu"), layers.MaxPooling2D(),
                       layers.Flatten()], name="base")
    first = Sequential([base, layers.Dense(10, activation="softmax")])
    first.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    first.fit(x, y, epochs=3, verbose=0)
    # transfer: freeze the trained base, put a new head on it (the Keras guide's pattern)
    base.trainable = False
    assert not base.layers[0].trainable and all(not w.requires_grad for w in base.weights)
    inputs = Input((8, 8, 1))
    head = layers.Dense(10, activation="softmax", name="new_head")
    model = Model(inputs, head(base(inputs, training=False)))
    # Adam with weight decay: a frozen weight gets neither an update nor decay
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01, weight_decay=0.1),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    frozen_before = [w.copy() for w in base.get_weights()]
    head_before = [w.copy() for w in head.get_weights()]
    h = model.fit(x, y, epochs=3, verbose=0)
    for before, after in zip(frozen_before, base.get_weights()):
        assert before.tobytes() == after.tobytes()
    assert all(not np.array_equal(b, a) for b, a in zip(head_before, head.get_weights()))
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    conv_params = 3 * 3 * 1 * 6 + 6
    head_params = 6 * 3 * 3 * 10 + 10
    lines = []
    model.summary(print_fn=lines.append, show_trainable=True, line_length=130)
    text = "\n".join(lines)
    assert f"Total params: {conv_params + head_params:,}" in text
    assert f"Trainable params: {head_params:,} ({head_params * 4 / 1024:.2f} KB)" in text
    assert f"Non-trainable params: {conv_params:,} ({conv_params * 4:.2f} B)" in text
    rows = {line.split()[1]: line for line in lines if line.startswith("│ ") and "(" in line}
    assert rows["base"].rstrip("│ ").endswith("N") and rows["new_head"].rstrip("│ ").endswith("Y")
    # changing trainable after compile takes effect, with Keras' warning to recompile
    base.trainable = True
    with pytest.warns(UserWarning, match="recompile"):
        model.fit(x, y, epochs=1, verbose=0)
    assert any(not np.array_equal(b, a) for b, a in zip(frozen_before, base.get_weights()))


def test_trainable_false_before_build_and_on_the_whole_model():
    nc.manual_seed(7)
    frozen = layers.Dense(4, trainable=False, name="frozen")
    model = Sequential([frozen, layers.Dense(1, name="free")])
    model.build((None, 3))
    assert all(not p.requires_grad for p in frozen.parameters())
    model.compile(optimizer="sgd", loss="mse")
    x, y = _RNG.normal(size=(16, 3)).astype(np.float32), _RNG.normal(size=(16, 1)).astype(np.float32)
    before = frozen.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    assert all(np.array_equal(b, a) for b, a in zip(before, frozen.get_weights()))
    assert model.get_config()["layers"][0]["config"]["trainable"] is False
    model.trainable = False
    assert not model.get_layer("free").trainable and model.trainable_weights == []
    model.compile(optimizer="sgd", loss="mse")
    free_before = model.get_layer("free").get_weights()
    with pytest.warns(UserWarning, match="does not have any trainable weights"):
        model.fit(x, y, epochs=1, verbose=0)
    assert all(np.array_equal(b, a) for b, a in zip(free_before, model.get_layer("free").get_weights()))


def test_summary_counts_non_trainable_state_and_frozen_layers():
    model = Sequential([Input((8,)), layers.Dense(4, name="d"), layers.BatchNormalization(name="bn")])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    # BatchNormalization: gamma, beta trainable; moving mean/variance not (4 values each)
    assert "Total params: 52 (208.00 B)" in text
    assert "Trainable params: 44 (176.00 B)" in text and "Non-trainable params: 8 (32.00 B)" in text
    model.get_layer("d").trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Trainable params: 8 (32.00 B)" in text and "Non-trainable params: 44 (176.00 B)" in text
    assert "Connected to" not in text and text.startswith('Model: "')
    # a functional chain prints like a Sequential (with its Input row); a branching graph adds "Connected to"
    x = Input((3,), name="chain_in")
    chain = Model(x, layers.Dense(2, name="c2")(layers.Dense(4, name="c1")(x)))
    lines = []
    chain.summary(print_fn=lines.append)
    assert "Connected to" not in "\n".join(lines) and any("chain_in (InputLayer)" in line for line in lines)
    branches = Model(x, [layers.Dense(1, name="b1")(x), layers.Dense(1, name="b2")(x)])
    lines = []
    branches.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and text.count("chain_in[0][0]") == 2


# ----------------------------------------------------------------------------- progress display

def _small_model():
    model = Sequential([Input((2,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


_DATA = (_RNG.normal(size=(50, 2)).astype(np.float32), _RNG.integers(0, 3, 50))
_LINE = re.compile(r"^4/4 - \d+s - \d+(us|ms|s)/step - accuracy: \d\.\d{4}(e[-+]\d+)? - loss: \d\.\d{4}$")


@pytest.mark.parametrize("verbose", ["auto", 1, 2])
def test_progress_not_a_terminal_prints_one_line_per_epoch(verbose):
    model = _small_model()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.fit(*_DATA, epochs=3, batch_size=16, verbose=verbose)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all(_LINE.match(line) for line in lines[1::2]), lines
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.fit(*_DATA, epochs=1, batch_size=16, verbose=verbose)
        model.evaluate(*_DATA, batch_size=16, verbose=verbose)
        model.predict(_DATA[0], batch_size=16, verbose=verbose)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and _LINE.match(lines[0]) and _LINE.match(lines[1])
    assert re.match(r"^4/4 - \d+s - \d+(us|ms|s)/step$", lines[2])


def test_progress_verbose_0_is_silent():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model = _small_model()
        model.fit(*_DATA, epochs=2, verbose=0, validation_split=0.2)
        model.evaluate(*_DATA, verbose=0)
        model.predict(_DATA[0], verbose=0)
    assert out.getvalue() == ""
    with pytest.raises(ValueError, match="verbose"):
        model.fit(*_DATA, verbose=3)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("interval, draws", [(1e9, 2), (0.0, 5)])
def test_progress_on_a_terminal_redraws_the_bar_in_place(monkeypatch, interval, draws):
    # draws per epoch: with a long redraw interval only the first step and the final line; with none, every
    # one of the 4 steps plus the final line
    monkeypatch.setattr(progress_module, "_INTERVAL", interval)
    model = _small_model()
    out = _Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    model.fit(*_DATA, epochs=2, batch_size=16, validation_data=_DATA)
    monkeypatch.undo()
    text = out.getvalue()
    epochs = text.split("Epoch ")[1:]
    assert [e.split("\n")[0] for e in epochs] == ["1/2", "2/2"]
    for e in epochs:
        body = e.split("\n", 1)[1]
        assert body.count("\r") == draws and body.endswith("\n") and body.count("\n") == 1
        frames = body.rstrip("\n").split("\r")[1:]
        assert frames[0].startswith("1/4 ━━━━━─────────────── ")
        assert re.search(r" - accuracy: \d\.\d{4}.* - loss: \d\.\d{4}", frames[0])
        final = frames[-1].rstrip()
        assert re.match(r"^4/4 ━{20} \d+s \d+(us|ms|s)/step - accuracy: .* - loss: .* - val_accuracy: .* - "
                        r"val_loss: \d\.\d{4}$", final), final
