"""nc.keras model files: round trips (every layer type, bit-identical predictions), weights-only files,
architecture mismatches, damaged files (byte flips, truncation, foreign or hand-crafted content), atomic saves
(an exception midway, a real SIGKILL mid-write)."""
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np

import neurocore
import pytest

import neurocore as nc
from neurocore.keras import Input, Model, Sequential, layers, load_model, losses, metrics, optimizers, saving
from neurocore.keras.layers import Dense

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _regularizer(kind):
    from neurocore.keras import regularizers
    return {"l1": regularizers.L1(0.003), "l2": regularizers.L2(0.02), "l1l2": regularizers.L1L2(0.01, 0.002)}[kind]


def _initializer(name, **kw):
    from neurocore.keras import initializers
    return getattr(initializers, name)(**kw)


def _activation(name):
    from neurocore.keras import activations
    return getattr(activations, name)


# class name -> (layer factory, input shape without batch axis, "float" or "int" input). Arguments are chosen to
# exercise what a config must carry: tuples, nested objects (initializers, regularizers, a layer inside
# Bidirectional), functions and non-default options.
RECIPES = {
    "Dense": (lambda: Dense(5, activation=_activation("gelu"), kernel_initializer=_initializer("HeNormal", seed=3),
                            kernel_regularizer=_regularizer("l2"), bias_regularizer=_regularizer("l1")), (7,), "float"),
    "Activation": (lambda: layers.Activation("softplus"), (3, 4), "float"),
    "Flatten": (lambda: layers.Flatten(), (3, 2, 2), "float"),
    "Dropout": (lambda: layers.Dropout(0.4, seed=1), (6,), "float"),
    "Conv1D": (lambda: layers.Conv1D(4, 3, strides=2, padding="same", dilation_rate=1, activation="relu",
                                     kernel_regularizer=_regularizer("l1l2")), (9, 3), "float"),
    "Conv2D": (lambda: layers.Conv2D(3, (3, 2), strides=(2, 1), padding="valid", dilation_rate=(1, 1),
                                     use_bias=True, bias_initializer=_initializer("Constant", value=0.25)),
               (8, 7, 2), "float"),
    "MaxPooling1D": (lambda: layers.MaxPooling1D(3, strides=2, padding="same"), (9, 2), "float"),
    "AveragePooling1D": (lambda: layers.AveragePooling1D(2), (8, 3), "float"),
    "MaxPooling2D": (lambda: layers.MaxPooling2D((2, 3), strides=(2, 1)), (6, 7, 2), "float"),
    "AveragePooling2D": (lambda: layers.AveragePooling2D((2, 2), padding="same"), (5, 5, 3), "float"),
    "GlobalAveragePooling1D": (lambda: layers.GlobalAveragePooling1D(keepdims=True), (6, 3), "float"),
    "GlobalMaxPooling1D": (lambda: layers.GlobalMaxPooling1D(), (6, 3), "float"),
    "GlobalAveragePooling2D": (lambda: layers.GlobalAveragePooling2D(), (4, 5, 3), "float"),
    "GlobalMaxPooling2D": (lambda: layers.GlobalMaxPooling2D(keepdims=True), (4, 5, 3), "float"),
    "BatchNormalization": (lambda: layers.BatchNormalization(momentum=0.9, epsilon=1e-2,
                                                             gamma_regularizer=_regularizer("l2")), (5, 4), "float"),
    "LayerNormalization": (lambda: layers.LayerNormalization(epsilon=1e-5, center=False), (3, 6), "float"),
    "Reshape": (lambda: layers.Reshape((3, 4)), (12,), "float"),
    "Permute": (lambda: layers.Permute((2, 1)), (3, 5), "float"),
    "RepeatVector": (lambda: layers.RepeatVector(3), (4,), "float"),
    "ZeroPadding1D": (lambda: layers.ZeroPadding1D((1, 2)), (4, 3), "float"),
    "ZeroPadding2D": (lambda: layers.ZeroPadding2D(((1, 0), (2, 1))), (3, 4, 2), "float"),
    "UpSampling1D": (lambda: layers.UpSampling1D(3), (4, 2), "float"),
    "UpSampling2D": (lambda: layers.UpSampling2D((2, 3)), (3, 2, 2), "float"),
    "Cropping1D": (lambda: layers.Cropping1D((1, 2)), (6, 3), "float"),
    "Cropping2D": (lambda: layers.Cropping2D(((1, 0), (0, 2))), (5, 6, 2), "float"),
    "Embedding": (lambda: layers.Embedding(11, 4, embeddings_regularizer=_regularizer("l1")), (6,), "int"),
    "SimpleRNN": (lambda: layers.SimpleRNN(5, return_sequences=True, activation="relu"), (6, 3), "float"),
    "LSTM": (lambda: layers.LSTM(4, recurrent_regularizer=_regularizer("l2"), unit_forget_bias=False), (5, 3),
             "float"),
    "GRU": (lambda: layers.GRU(4, go_backwards=True, reset_after=True), (5, 3), "float"),
    "Bidirectional": (lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="ave"),
                      (5, 2), "float"),
}


# Layers that take several inputs: class name -> (layer factory, shapes of its two inputs).
MERGE_RECIPES = {
    "Add": (lambda: layers.Add(), ((3, 4), (3, 4))),
    "Subtract": (lambda: layers.Subtract(), ((5,), (5,))),
    "Multiply": (lambda: layers.Multiply(), ((2, 3), (2, 3))),
    "Average": (lambda: layers.Average(), ((4,), (4,))),
    "Maximum": (lambda: layers.Maximum(), ((4,), (4,))),
    "Minimum": (lambda: layers.Minimum(), ((4,), (4,))),
    "Concatenate": (lambda: layers.Concatenate(axis=1), ((2, 3), (4, 3))),
    "Dot": (lambda: layers.Dot(axes=(2, 2), normalize=True), ((3, 4), (5, 4))),
}


def _layer_classes():
    """Every Layer subclass nc.keras.layers exports (aliases such as MaxPool2D counted once)."""
    found = {}
    for name in layers.__all__:
        obj = getattr(layers, name)
        if isinstance(obj, type) and issubclass(obj, layers.Layer) and obj not in (layers.Layer, layers.InputLayer):
            found[obj.__name__] = obj
    return found


def _randomize(model, seed=0):
    """Random weights (positive for normalization layers, whose variance must stay > 0)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        positive = "Normalization" in type(layer).__name__
        ws = [(rng.uniform(0.5, 1.5, w.shape) if positive else rng.uniform(-1, 1, w.shape)).astype(w.dtype)
              for w in layer.get_weights()]
        layer.set_weights(ws)


def _input(shape, kind, n=4, seed=1):
    rng = np.random.default_rng(seed)
    if kind == "int":
        return rng.integers(0, 11, size=(n,) + shape).astype(np.float32)
    return rng.normal(size=(n,) + shape).astype(np.float32)


def _configs(model):
    return [saving.serialize_keras_object(l) for l in model.layers]


def _assert_same_model(a, b, x):
    assert [type(l) for l in a.layers] == [type(l) for l in b.layers]
    assert _configs(a) == _configs(b)
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for u, v in zip(wa, wb):
        assert u.dtype == v.dtype and u.shape == v.shape
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))


def test_every_exported_layer_class_has_a_round_trip_recipe():
    missing = sorted(set(_layer_classes()) - set(RECIPES) - set(MERGE_RECIPES))
    assert not missing, f"add round-trip recipes for {missing}"


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_round_trip_each_layer_type(name, tmp_path):
    if name not in _layer_classes():
        pytest.fail(f"{name} is no longer exported by nc.keras.layers: update RECIPES")
    factory, shape, kind = RECIPES[name]
    model = Sequential([layers.InputLayer(shape=shape), factory()])
    _randomize(model)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = load_model(path)
    assert isinstance(restored, Sequential) and restored.name == model.name
    _assert_same_model(model, restored, _input(shape, kind))
    # Saving the restored model gives the very same bytes: nothing was lost or renamed on the way.
    restored.save(tmp_path / "again.keras")
    assert (tmp_path / "again.keras").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", sorted(MERGE_RECIPES))
def test_round_trip_each_merge_layer_in_a_functional_model(name, tmp_path):
    if name not in _layer_classes():
        pytest.fail(f"{name} is no longer exported by nc.keras.layers: update MERGE_RECIPES")
    factory, (shape_a, shape_b) = MERGE_RECIPES[name]
    a, b = Input(shape_a, name="a"), Input(shape_b, name="b")
    out = factory()([Dense(3, name="da")(a), Dense(3, name="db")(b)])
    model = Model([a, b], out)
    _randomize(model)
    model.save(tmp_path / "m.keras")
    restored = load_model(tmp_path / "m.keras")
    xs = [_input(shape_a, "float", seed=1), _input(shape_b, "float", seed=2)]
    assert [type(l) for l in restored.layers] == [type(l) for l in model.layers]
    assert _configs(restored) == _configs(model)
    np.testing.assert_array_equal(restored.predict(xs, verbose=0), model.predict(xs, verbose=0))


def test_round_trip_functional_model_with_shared_layer_nested_model_and_two_heads(tmp_path):
    a, b = Input((4,), name="a"), Input((4,), name="b")
    shared = Dense(5, activation="relu", kernel_regularizer=_regularizer("l2"), name="shared")
    h1, h2 = shared(a), shared(b)  # one layer, two calls
    inner = Sequential([Dense(3, input_shape=(10,)), layers.Dropout(0.2), Dense(2)], name="inner")
    reg = inner(layers.Concatenate()([h1, h2]))
    prob = Dense(1, activation="sigmoid", name="prob")(layers.Add()([h1, h2]))
    model = Model([a, b], {"reg": reg, "prob": prob}, name="two_heads")
    model.compile(optimizer=optimizers.RMSprop(learning_rate=0.01),
                  loss={"reg": "mse", "prob": "binary_crossentropy"}, loss_weights={"reg": 1.0, "prob": 0.5},
                  metrics={"prob": ["accuracy", "auc"]})
    rng = np.random.default_rng(3)
    xs = [rng.normal(size=(32, 4)).astype(np.float32), rng.normal(size=(32, 4)).astype(np.float32)]
    ys = {"reg": rng.normal(size=(32, 2)).astype(np.float32),
          "prob": (rng.random((32, 1)) < 0.5).astype(np.float32)}
    model.fit(xs, ys, epochs=2, batch_size=8, shuffle=False, verbose=0)
    model.save(tmp_path / "f.keras")
    restored = load_model(tmp_path / "f.keras")
    assert type(restored) is type(model) and restored.name == "two_heads"
    assert [l.name for l in restored.layers] == [l.name for l in model.layers]
    assert _configs(restored) == _configs(model)
    got, want = restored.predict(xs, verbose=0), model.predict(xs, verbose=0)
    assert sorted(got) == ["prob", "reg"]
    for key in want:
        np.testing.assert_array_equal(got[key], want[key])
    assert restored.get_compile_config()["loss_weights"] == {"reg": 1.0, "prob": 0.5}
    assert restored.evaluate(xs, ys, verbose=0, return_dict=True) == model.evaluate(xs, ys, verbose=0,
                                                                                    return_dict=True)
    # Training continues identically (optimizer state included; the same seed gives the same dropout masks).
    nc.manual_seed(5)
    model.fit(xs, ys, epochs=1, batch_size=8, shuffle=False, verbose=0)
    nc.manual_seed(5)
    restored.fit(xs, ys, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for u, v in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(u, v)
    # Weights-only files work between functional models of the same architecture too.
    model.save_weights(tmp_path / "f.weights.npz")
    other = load_model(tmp_path / "f.keras", compile=False)
    _randomize(other, seed=4)
    other.load_weights(tmp_path / "f.weights.npz")
    for u, v in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_round_trip_deep_model_with_compile_state(tmp_path):
    model = Sequential([layers.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
                        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.25),
                        Dense(3, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.003, beta_1=0.8, amsgrad=True),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=False),
                  metrics=["accuracy", metrics.SparseCategoricalAccuracy(name="sacc")])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, size=40)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "cnn.keras"
    model.save(path)
    restored = load_model(path)
    _assert_same_model(model, restored, x)
    spec = restored._optimizer_spec
    assert type(spec) is optimizers.Adam and spec.get_config() == model._optimizer_spec.get_config()
    assert type(restored.loss) is losses.SparseCategoricalCrossentropy
    assert restored.metrics_names == model.metrics_names == ["loss", "accuracy", "sacc"]
    assert restored.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    restored.fit(x, y, epochs=1, verbose=0)  # compiled and trainable as loaded
    uncompiled = load_model(path, compile=False)
    assert not uncompiled.compiled
    np.testing.assert_array_equal(uncompiled.predict(x, verbose=0), model.predict(x, verbose=0))


def test_round_trip_model_built_without_input_shape(tmp_path):
    model = Sequential([Dense(3, activation="tanh"), Dense(2)])
    model.build((None, 5))
    _randomize(model)
    model.save(tmp_path / "m.keras")
    _assert_same_model(model, load_model(tmp_path / "m.keras"), _input((5,), "float"))


def test_round_trip_float64_layers(tmp_path):
    model = Sequential([layers.InputLayer(shape=(5, 3), dtype="float64"), layers.GRU(3, dtype="float64"),
                        layers.RepeatVector(2), layers.LSTM(2, dtype="float64")])
    _randomize(model)
    model.save(tmp_path / "m.keras")
    restored = load_model(tmp_path / "m.keras")
    assert all(w.dtype == np.float64 for w in restored.get_weights())
    _assert_same_model(model, restored, _input((5, 3), "float"))


def test_saving_the_same_model_twice_gives_identical_files(tmp_path):
    model = Sequential([Dense(4, input_shape=(3,))])
    model.save(tmp_path / "a.keras")
    model.save(tmp_path / "b.keras")
    assert (tmp_path / "a.keras").read_bytes() == (tmp_path / "b.keras").read_bytes()


def test_file_is_a_plain_zip_with_json_and_npy(tmp_path):
    model = Sequential([Dense(4, input_shape=(3,)), Dense(1)])
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        names = zf.namelist()
        meta = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
        kernel = np.load(io.BytesIO(zf.read("weights/0/0.npy")), allow_pickle=False)
    assert names[:3] == ["metadata.json", "config.json", "weights.json"]
    assert meta["format"] == "neurocore.keras" and meta["kind"] == "model" and meta["format_version"] == 1
    assert meta["neurocore_version"] == nc.__version__
    assert config["model"]["class_name"] == "Sequential"
    np.testing.assert_array_equal(kernel, model.layers[0].get_weights()[0])


def test_overwrite_false_refuses_existing_file(tmp_path):
    path = tmp_path / "m.keras"
    model = Sequential([Dense(2, input_shape=(3,))])
    model.save(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=False"):
        Sequential([Dense(5, input_shape=(3,))]).save(path, overwrite=False)
    assert path.read_bytes() == before


def test_new_file_permissions_follow_umask(tmp_path):
    old = os.umask(0o027)
    try:
        Sequential([Dense(2, input_shape=(3,))]).save(tmp_path / "m.keras")
    finally:
        os.umask(old)
    assert (tmp_path / "m.keras").stat().st_mode & 0o777 == 0o640


def test_unbuilt_model_cannot_be_saved(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        Sequential([Dense(2)]).save(tmp_path / "m.keras")
    assert not os.listdir(tmp_path)


# ---------------------------------------------------------------------------------------------- weights only

def _mlp(units=(6, 3), name=None):
    return Sequential([Dense(units[0], activation="relu", input_shape=(4,)), Dense(units[1])], name=name)


def test_save_and_load_weights_into_a_fresh_model(tmp_path):
    a = _mlp()
    _randomize(a, seed=5)
    a.save_weights(tmp_path / "w.weights.npz")
    b = _mlp()  # same architecture, other layer names (dense_7, ...) and other initial weights
    assert [l.name for l in b.layers] != [l.name for l in a.layers]
    b.load_weights(tmp_path / "w.weights.npz")
    x = _input((4,), "float")
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))


def test_load_weights_from_a_full_model_file(tmp_path):
    a = _mlp()
    _randomize(a, seed=6)
    a.save(tmp_path / "m.keras")
    b = _mlp()
    b.load_weights(tmp_path / "m.keras")
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)


def test_load_weights_shape_mismatch_names_layer_and_shapes_and_changes_nothing(tmp_path):
    a = _mlp((6, 3))
    a.save_weights(tmp_path / "w.npz")
    b = _mlp((6, 2))
    before = b.get_weights()
    with pytest.raises(ValueError, match=r"layer 1 'dense_\d+' \(Dense\) expects weights of shapes "
                                         r"\[\(6, 2\), \(2,\)\], the file has \[\(6, 3\), \(3,\)\]"):
        b.load_weights(tmp_path / "w.npz")
    for u, v in zip(before, b.get_weights()):  # the first layer matched, but nothing was assigned
        np.testing.assert_array_equal(u, v)


def test_load_weights_layer_count_or_type_mismatch(tmp_path):
    _mlp().save_weights(tmp_path / "w.npz")
    deeper = Sequential([Dense(6, input_shape=(4,)), Dense(3), Dense(1)])
    with pytest.raises(ValueError, match="weights for 2 layers"):
        deeper.load_weights(tmp_path / "w.npz")
    other = Sequential([Dense(6, input_shape=(4,)), layers.Dropout(0.1), Dense(3)])
    other.save_weights(tmp_path / "w3.npz")
    with pytest.raises(ValueError, match=r"\(Dense\) expects.*saved from layer 'dropout\w*' \(Dropout\)"):
        Sequential([Dense(6, input_shape=(4,)), Dense(2), Dense(3)]).load_weights(tmp_path / "w3.npz")


def test_load_model_refuses_a_weights_file(tmp_path):
    _mlp().save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match="holds 'weights', expected model"):
        load_model(tmp_path / "w.npz")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.keras")
    with pytest.raises(FileNotFoundError):
        _mlp().load_weights(tmp_path / "nope.npz")


# ---------------------------------------------------------------------------------------------- custom objects

class Scale(layers.Layer):
    """A custom layer: multiplies by a constant."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor


def swishish(x):
    return x * nc.sigmoid(x)


def test_custom_layer_and_function_need_custom_objects(tmp_path):
    model = Sequential([Dense(3, activation=swishish, input_shape=(2,)), Scale(3.0)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="Unknown (function 'swishish'|class 'Scale')"):
        load_model(tmp_path / "m.keras")
    restored = load_model(tmp_path / "m.keras", custom_objects={"Scale": Scale, "swishish": swishish})
    _assert_same_model(model, restored, _input((2,), "float"))


def test_lambda_cannot_be_saved(tmp_path):
    model = Sequential([Dense(3, activation=lambda x: x * 2, input_shape=(2,))])
    with pytest.raises(ValueError, match="lambda"):
        model.save(tmp_path / "m.keras")
    assert not os.listdir(tmp_path)


# ---------------------------------------------------------------------------------------------- hostile files

def _write_zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data if isinstance(data, bytes) else json.dumps(data).encode())


def _valid_members(tmp_path):
    model = Sequential([layers.InputLayer(shape=(3,)), Dense(2)])
    model.save(tmp_path / "base.keras")
    with zipfile.ZipFile(tmp_path / "base.keras") as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _with_config(members, edit):
    config = json.loads(members["config.json"])
    edit(config)
    return dict(members, **{"config.json": json.dumps(config).encode()})


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["model"]["config"]["layers"][1].update(class_name="Evil"), "Unknown class 'Evil'"),
    (lambda c: c["model"]["config"]["layers"][1].update(module="os"), "unknown module 'os'"),
    (lambda c: c["model"]["config"]["layers"][1].update(class_name="np"), "Unknown class 'np'"),
    (lambda c: c["model"]["config"]["layers"][1]["config"].update(
        activation={"class_name": "__function__", "config": {"name": "system", "module": "os"}}),
     "Unknown function 'system'"),
    (lambda c: c["model"]["config"]["layers"][1]["config"].update(
        activation={"class_name": "__function__", "config": {"name": "get", "module": "activations"}}), None),
    (lambda c: c["model"]["config"]["layers"][1]["config"].update(units="many"), "could not be loaded"),
    (lambda c: c["model"]["config"]["layers"][1]["config"].update(bogus=1), "could not be loaded"),
    (lambda c: c["model"].update(config=[1, 2]), "could not be loaded"),
    (lambda c: c.pop("model"), "no model description"),
    (lambda c: c["model"]["config"]["layers"][1]["config"].update(units=-3), "could not be loaded"),
    (lambda c: c["model"]["config"]["layers"][1]["config"].update(
        kernel_initializer={"class_name": "__tuple__", "config": 5}), "could not be loaded"),
    (lambda c: c["model"]["config"]["layers"][1]["config"].update(
        kernel_initializer={"class_name": "__numpy__", "config": {"value": [1], "dtype": "O"}}), "dtype object"),
    (lambda c: c.update(model=c["model"]["config"]["layers"][1]), "describes a Dense, not a model"),
    (lambda c: c["model"]["config"]["layers"][1]["config"].update(units=3), r"expects weights of shapes"),
])
def test_crafted_configs_raise_value_error(tmp_path, edit, message):
    path = tmp_path / "crafted.keras"
    _write_zip(path, _with_config(_valid_members(tmp_path), edit))
    if message is None:  # "get" is exported but is not an activation: loading may only fail cleanly
        try:
            model = load_model(path)
        except ValueError:
            return
        model.predict(np.zeros((1, 3), dtype=np.float32), verbose=0)
        return
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_pickled_or_oversized_arrays_are_refused(tmp_path):
    members = _valid_members(tmp_path)
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    _write_zip(tmp_path / "pickle.keras", dict(members, **{"weights/0/0.npy": buf.getvalue()}))
    with pytest.raises(ValueError, match="not a plain numeric dtype"):
        load_model(tmp_path / "pickle.keras")
    # A header claiming a huge array over a few bytes of data: refused before any memory is set aside.
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (10 ** 6, 10 ** 6)})
    _write_zip(tmp_path / "huge.keras", dict(members, **{"weights/0/0.npy": header.getvalue() + b"\0" * 24}))
    with pytest.raises(ValueError, match="header says shape"):
        load_model(tmp_path / "huge.keras")


def test_deeply_nested_json_raises_value_error(tmp_path):
    members = _valid_members(tmp_path)
    _write_zip(tmp_path / "deep.keras", dict(members, **{"config.json": b"[" * 100000 + b"]" * 100000}))
    with pytest.raises(ValueError, match="not valid JSON"):
        load_model(tmp_path / "deep.keras")


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 40, os.urandom(300)])
def test_garbage_files_raise_value_error(tmp_path, content):
    path = tmp_path / "garbage.keras"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a valid"):
        load_model(path)
    with pytest.raises(ValueError, match="not a valid"):
        _mlp().load_weights(path)


def test_foreign_zip_files_raise_value_error(tmp_path):
    nc.save({"w": nc.tensor([1.0, 2.0])}, tmp_path / "state.npz")  # an nc.save file is a zip but not a model
    with pytest.raises(ValueError, match="member metadata.json is missing"):
        load_model(tmp_path / "state.npz")
    members = _valid_members(tmp_path)
    for meta, message in (({"format": "h5"}, "does not name the neurocore.keras format"),
                          ({"format": "neurocore.keras", "kind": "model", "format_version": 99}, "newer"),
                          ("[", "not valid JSON")):
        bad = dict(members, **{"metadata.json": meta.encode() if isinstance(meta, str) else json.dumps(meta).encode()})
        _write_zip(tmp_path / "m.keras", bad)
        with pytest.raises(ValueError, match=message):
            load_model(tmp_path / "m.keras")
    _write_zip(tmp_path / "m.keras", {k: v for k, v in members.items() if k != "weights/0/1.npy"})
    with pytest.raises(ValueError, match="weights/0/1.npy is missing"):
        load_model(tmp_path / "m.keras")


def _fuzz_model():
    model = Sequential([layers.Conv1D(3, 2, input_shape=(5, 2)), layers.Flatten(), Dense(4, activation="relu"),
                        Dense(2)])
    _randomize(model, seed=9)
    return model


def test_random_byte_flips_raise_or_change_nothing(tmp_path):
    """200 files with 1 to 3 random bytes changed: each must raise ValueError, or (when the bytes hit parts of
    the zip that carry no content, such as timestamps) load the very same model."""
    model = _fuzz_model()
    path = tmp_path / "m.keras"
    model.save(path)
    data = path.read_bytes()
    x = _input((5, 2), "float")
    expected = model.predict(x, verbose=0)
    rng = np.random.default_rng(1234)
    raised = same = 0
    for trial in range(200):
        corrupt = bytearray(data)
        for pos in rng.choice(len(data), size=rng.integers(1, 4), replace=False):
            corrupt[pos] ^= int(rng.integers(1, 256))
        bad = tmp_path / "bad.keras"
        bad.write_bytes(bytes(corrupt))
        try:
            restored = load_model(bad)
        except ValueError:
            raised += 1
            continue
        assert _configs(restored) == _configs(model), f"trial {trial}: a flip changed the architecture silently"
        np.testing.assert_array_equal(restored.predict(x, verbose=0), expected)
        same += 1
    assert raised + same == 200
    print(f"byte flips: {raised} raised ValueError, {same} loaded the same model")
    assert raised > 150  # nearly all of the file is content guarded by CRC-32 and checks


def test_truncated_files_raise_value_error(tmp_path):
    model = _fuzz_model()
    path = tmp_path / "m.keras"
    model.save(path)
    data = path.read_bytes()
    rng = np.random.default_rng(77)
    lengths = sorted(set(rng.integers(0, len(data), size=200).tolist()) | {0, 1, len(data) - 1, len(data) - 22})
    for n in lengths:
        path.write_bytes(data[:n])
        with pytest.raises(ValueError):
            load_model(path)
        with pytest.raises(ValueError):
            model.load_weights(path)


# ---------------------------------------------------------------------------------------------- atomic writes

def test_save_failing_midway_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    old = _mlp()
    _randomize(old, seed=1)
    old.save(path)
    before = path.read_bytes()
    calls = []

    def failing_npy(array):
        calls.append(1)
        if len(calls) == 3:  # two arrays are already in the temporary file
            raise OSError("disk full (simulated)")
        return nc.serialization.npy_bytes(array)

    monkeypatch.setattr(saving, "_npy", failing_npy)
    new = _mlp()
    with pytest.raises(OSError, match="disk full"):
        new.save(path)
    with pytest.raises(OSError, match="disk full"):
        calls.clear()
        new.save_weights(path)
    assert len(calls) == 3
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]
    assert path.read_bytes() == before
    _assert_same_model(old, load_model(path), _input((4,), "float"))


KILL_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from neurocore.keras import load_model
    path = sys.argv[1]
    model = load_model(path)
    base = model.get_weights()
    k = 0
    while True:  # keep rewriting the file with weights base + k until killed
        k += 1
        model.set_weights([w + k for w in base])
        model.save(path)
""")


def test_sigkill_while_saving_leaves_a_complete_file(tmp_path):
    path = tmp_path / "big.keras"
    model = Sequential([Dense(1536, input_shape=(1536,)), Dense(8)])  # about 9 MB of weights
    model.layers[0].set_weights([np.zeros((1536, 1536), np.float32), np.zeros(1536, np.float32)])
    model.layers[1].set_weights([np.zeros((1536, 8), np.float32), np.zeros(8, np.float32)])
    model.save(path)
    full_size = path.stat().st_size
    # The child imports the same neurocore as this process (the installed one in CI, python/ in a dev loop).
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(neurocore.__file__)))
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path), package_dir])
    try:
        deadline = time.monotonic() + 120
        killed_mid_write = False
        while time.monotonic() < deadline and proc.poll() is None:
            temps = [n for n in os.listdir(tmp_path) if n.endswith(".part")]
            sizes = []
            for n in temps:
                try:
                    sizes.append(os.path.getsize(tmp_path / n))
                except FileNotFoundError:  # renamed in between
                    pass
            if any(0 < s < full_size for s in sizes):
                proc.send_signal(signal.SIGKILL)
                killed_mid_write = True
                break
        assert proc.poll() is None or killed_mid_write, "the saving process died on its own"
        assert killed_mid_write, "never saw a partly written temporary file"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    restored = load_model(path)  # the target is a complete file: all its weights come from one save
    k = restored.get_weights()[1][0]
    assert k == int(k) and k >= 0
    for w in restored.get_weights():
        np.testing.assert_array_equal(w, np.full_like(w, k))


def test_module_doctests():
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module("neurocore.keras.saving"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("optimizer", [lambda: optimizers.Adam(learning_rate=0.01),
                                       lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9)])
def test_loaded_model_resumes_training_exactly(tmp_path, optimizer):
    """The optimizer state (Adam's moments and step count, SGD's momentum) is saved too: one more epoch on the
    saved model and on the loaded one gives bit-identical weights."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(48, 4)).astype(np.float32)
    y = (x[:, :1] * 2 - x[:, 1:2]).astype(np.float32)
    model = Sequential([Dense(6, activation="tanh", input_shape=(4,)), Dense(1)])
    model.compile(optimizer=optimizer(), loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert "optimizer.json" in zf.namelist()
    restored = load_model(tmp_path / "m.keras")
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    restored.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for u, v in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(u, v)
    # Without the state (compile=False, then compile afresh) the same epoch ends elsewhere.
    fresh = load_model(tmp_path / "m.keras", compile=False)
    fresh.compile(optimizer=optimizer(), loss="mse")
    fresh.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert not np.array_equal(fresh.get_weights()[0], model.get_weights()[0])
