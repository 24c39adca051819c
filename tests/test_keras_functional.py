"""nc.keras functional API: Input / KerasTensor, layer calls on symbolic tensors, Model(inputs, outputs) with
several inputs and outputs, shared layers, nested models, merging layers, and get_config/from_config."""
import json
import math

import numpy as np
import pytest

import neurocore as nc
from neurocore.keras import Input, KerasTensor, Model, Sequential, layers
from neurocore.utils.gradcheck import gradcheck


# ----------------------------------------------------------------------------- Input and symbolic calls

def test_input_is_a_symbolic_tensor_and_layers_record_calls():
    x = Input((4,), name="features")
    assert isinstance(x, KerasTensor)
    assert x.shape == (None, 4) and x.dtype == "float32" and x.name == "features" and x.ndim == 2
    assert Input((3, 2), batch_size=8).shape == (8, 3, 2)
    assert Input((5,), dtype="int64").dtype == "int64"
    dense = layers.Dense(3, name="d3")
    y = dense(x)
    assert isinstance(y, KerasTensor) and y.shape == (None, 3)
    assert dense.built and dense.output is y and dense.input is x
    assert len(dense._inbound_nodes) == 1
    z = dense(Input((4,)))  # a second call: same layer, new node
    assert len(dense._inbound_nodes) == 2 and z._keras_history[1] == 1
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(x)
    with pytest.raises(ValueError, match="every axis but the batch axis"):
        Input((None, 4))
    with pytest.raises(ValueError, match="Unsupported dtype"):
        Input((4,), dtype="complex64")
    with pytest.raises(ValueError, match="shape"):
        Input()


def test_layer_call_errors_name_expected_and_found_shapes():
    a = Input((4,))
    dense = layers.Dense(3, name="narrow")
    dense(a)
    with pytest.raises(ValueError, match=r'Input 0 of layer "narrow" is incompatible with the layer: expected axis -1 '
                                         r"of input shape to have value 4, but received input with shape \(None, 5\)"):
        dense(Input((5,)))
    with pytest.raises(TypeError, match="mix of KerasTensors"):
        layers.Add()([a, nc.zeros((2, 4))])
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.Conv2D(2, 3)(Input((8, 8)))


# ----------------------------------------------------------------------------- merging layers

_RNG = np.random.default_rng(7)
_ELEMENTWISE = [
    (layers.Add, lambda xs: xs[0] + xs[1] + xs[2], 3),
    (layers.Subtract, lambda xs: xs[0] - xs[1], 2),
    (layers.Multiply, lambda xs: xs[0] * xs[1] * xs[2], 3),
    (layers.Average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3, 3),
    (layers.Maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2]), 3),
    (layers.Minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2]), 3),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, ref, n", _ELEMENTWISE, ids=[c[0].__name__ for c in _ELEMENTWISE])
def test_elementwise_merge_values(cls, ref, n, dtype):
    xs = [_RNG.normal(size=(5, 3, 4)).astype(dtype) for _ in range(n)]
    out = cls(dtype=np.dtype(dtype).name)([nc.tensor(x) for x in xs])
    assert out.shape == (5, 3, 4) and out.dtype == nc.tensor(xs[0]).dtype
    np.testing.assert_allclose(out.numpy(), ref(xs), rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("cls, ref, n", _ELEMENTWISE, ids=[c[0].__name__ for c in _ELEMENTWISE])
def test_elementwise_merge_gradients(cls, ref, n):
    # Inputs spread apart so that maximum/minimum have no ties (kinks) within the finite-difference step.
    base = np.arange(n * 6, dtype=np.float64).reshape(n, 2, 3)
    xs = [nc.tensor(_RNG.permutation(base.reshape(-1)).reshape(n, 2, 3)[i] * 0.37 + 0.1, requires_grad=True)
          for i in range(n)]
    layer = cls(dtype="float64")
    assert gradcheck(lambda *ts: layer(list(ts)), xs)


def test_maximum_gradient_goes_to_the_larger_input():
    a = nc.tensor([[1.0, 5.0, -2.0]], requires_grad=True)
    b = nc.tensor([[3.0, 4.0, -1.0]], requires_grad=True)
    dout = np.array([[0.5, -2.0, 3.0]])
    (layers.Maximum()([a, b]) * nc.tensor(dout, dtype=nc.float32)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [[0.0, -2.0, 0.0]])
    np.testing.assert_allclose(b.grad.numpy(), [[0.5, 0.0, 3.0]])


def test_elementwise_merge_broadcasts_like_keras():
    a, b = Input((2, 3)), Input((3,))
    assert layers.Add()([a, b]).shape == (None, 2, 3)
    assert layers.Multiply()([Input((2, 1)), Input((2, 3))]).shape == (None, 2, 3)
    x = _RNG.normal(size=(4, 2, 3)).astype(np.float32)
    y = _RNG.normal(size=(4, 3)).astype(np.float32)
    out = layers.Add()([nc.tensor(x), nc.tensor(y)]).numpy()
    np.testing.assert_allclose(out, x + y[:, None, :], rtol=1e-6)  # the 2-D input gets an axis after the batch
    with pytest.raises(ValueError, match=r"Inputs have incompatible shapes. Received shapes \(4,\) and \(5,\)"):
        layers.Add()([Input((4,)), Input((5,))])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([a, a, a])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(Input((4,)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_concatenate_values_gradients_and_errors(dtype):
    xs = [_RNG.normal(size=(3, 2, k)).astype(dtype) for k in (1, 4, 2)]
    name = np.dtype(dtype).name
    out = layers.Concatenate(dtype=name)([nc.tensor(x) for x in xs])
    np.testing.assert_allclose(out.numpy(), np.concatenate(xs, axis=-1))
    out = layers.concatenate([nc.tensor(x) for x in (xs[1], xs[1])], axis=1, dtype=name)
    np.testing.assert_allclose(out.numpy(), np.concatenate([xs[1], xs[1]], axis=1))
    assert layers.Concatenate(axis=1)([Input((2, 3)), Input((5, 3))]).shape == (None, 7, 3)
    if dtype == np.float64:
        ts = [nc.tensor(x, requires_grad=True) for x in xs]
        layer = layers.Concatenate(dtype="float64")
        assert gradcheck(lambda *t: layer(list(t)), ts)
    with pytest.raises(ValueError, match=r"matching shapes except for the concatenation axis. Received: "
                                         r"input_shape=\[\(None, 4\), \(None, 5, 3\)\]"):
        layers.Concatenate()([Input((4,)), Input((5, 3))])
    with pytest.raises(ValueError, match="batch axis 0 cannot be concatenated"):
        layers.Concatenate(axis=0)([Input((4,)), Input((4,))])


def test_dot_values_shapes_normalize_and_gradients():
    x = _RNG.normal(size=(5, 4))
    y = _RNG.normal(size=(5, 4))
    out = layers.Dot(axes=1, dtype="float64")([nc.tensor(x), nc.tensor(y)])
    assert out.shape == (5, 1)
    np.testing.assert_allclose(out.numpy()[:, 0], (x * y).sum(1), rtol=1e-12)
    cos = layers.Dot(axes=1, normalize=True, dtype="float64")([nc.tensor(x), nc.tensor(y)]).numpy()[:, 0]
    np.testing.assert_allclose(cos, (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1),
                               rtol=1e-12)
    a = _RNG.normal(size=(3, 2, 4))
    b = _RNG.normal(size=(3, 5, 4))
    out = layers.dot([nc.tensor(a), nc.tensor(b)], axes=2, dtype="float64")
    np.testing.assert_allclose(out.numpy(), np.einsum("nik,njk->nij", a, b), rtol=1e-12)
    out = layers.Dot(axes=(1, 2), dtype="float64")([nc.tensor(a.transpose(0, 2, 1).copy()), nc.tensor(b)])
    np.testing.assert_allclose(out.numpy(), np.einsum("nki,njk->nij", a.transpose(0, 2, 1), b), rtol=1e-12)
    assert layers.Dot(axes=2)([Input((2, 4)), Input((5, 4))]).shape == (None, 2, 5)
    ts = [nc.tensor(a, requires_grad=True), nc.tensor(b, requires_grad=True)]
    dot = layers.Dot(axes=2, normalize=True, dtype="float64")
    assert gradcheck(lambda p, q: dot([p, q]), ts)
    with pytest.raises(ValueError, match=r"axis values 4 \(at axis 1\) != 5 \(at axis 1\)"):
        layers.Dot(axes=1)([Input((4,)), Input((5,))])


# ----------------------------------------------------------------------------- functional models

def _task(seed, n=600):
    """x (n, 6); a regression target linear in x plus noise; a 3-class label from a fixed linear map."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    w = np.array([1.0, -2.0, 0.5, 0.0, 1.5, -1.0], np.float32)
    y_value = (x @ w)[:, None] + 0.1 * rng.normal(size=(n, 1)).astype(np.float32)
    w_label = np.array([[1, 0, -1], [0, 1, -1], [1, 1, 0], [-1, 0, 1], [0, -1, 1], [1, -1, 0]], np.float32)
    return x, y_value, np.argmax(x @ w_label, axis=1)


def test_one_input_two_outputs_trains_and_total_loss_is_the_weighted_sum():
    nc.manual_seed(0)
    x, y_value, y_label = _task(0)
    inputs = Input((6,), name="features")
    trunk = layers.Dense(32, activation="relu", name="trunk")(inputs)
    value = layers.Dense(1, name="value")(trunk)
    label = layers.Dense(3, activation="softmax", name="label")(trunk)
    model = Model(inputs, [value, label], name="two_heads")
    assert isinstance(model, Model) and type(model).__name__ == "Functional"
    assert model.output_names == ["value", "label"] and model.output_shape == [(None, 1), (None, 3)]
    model.compile(optimizer=nc.keras.optimizers.Adam(0.01), loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[0.5, 2.0], metrics=[[], ["accuracy"]])
    h = model.fit(x[:500], [y_value[:500], y_label[:500]], epochs=30, batch_size=32, verbose=0,
                  validation_data=(x[500:], [y_value[500:], y_label[500:]]))
    # Keras 3's names for a two-output model (checked against keras 3.15)
    assert list(h.history) == ["label_accuracy", "label_loss", "loss", "value_loss", "val_label_accuracy",
                               "val_label_loss", "val_loss", "val_value_loss"]
    for e in range(30):
        for p in ("", "val_"):
            weighted = 0.5 * h.history[p + "value_loss"][e] + 2.0 * h.history[p + "label_loss"][e]
            assert math.isclose(h.history[p + "loss"][e], weighted, rel_tol=1e-5)
    # the task is learnt: mse far below the target variance (~8.5), labels mostly right (seeds 0-3 give
    # val mse 0.02-0.05 and val accuracy 0.95-0.98 after 40 epochs)
    assert h.history["val_value_loss"][-1] < 0.15, h.history["val_value_loss"][-1]
    assert h.history["val_label_accuracy"][-1] >= 0.92
    # evaluate agrees with a numpy computation from predict
    pred_value, pred_label = model.predict(x[500:], verbose=0)
    mse = np.mean((pred_value - y_value[500:]) ** 2)
    p = np.clip(pred_label / pred_label.sum(1, keepdims=True), 1e-7, 1 - 1e-7)
    cce = -np.mean(np.log(p[np.arange(100), y_label[500:]]))
    acc = np.mean(pred_label.argmax(1) == y_label[500:])
    loss, value_loss, label_loss, label_acc = model.evaluate(x[500:], [y_value[500:], y_label[500:]], verbose=0)
    assert math.isclose(value_loss, mse, rel_tol=1e-4) and math.isclose(label_loss, cce, rel_tol=1e-4)
    assert math.isclose(label_acc, acc, abs_tol=1e-6)
    assert math.isclose(loss, 0.5 * mse + 2.0 * cce, rel_tol=1e-4)
    # y as a dict keyed by output name gives the same numbers
    d = model.evaluate(x[500:], {"value": y_value[500:], "label": y_label[500:]}, verbose=0, return_dict=True)
    assert math.isclose(d["loss"], loss, rel_tol=1e-6)


def test_shared_layer_shares_weights_and_accumulates_gradients():
    a, b = Input((3,), name="a"), Input((3,), name="b")
    shared = layers.Dense(2, name="shared")
    out = layers.Add()([shared(a), shared(b)])
    model = Model([a, b], out)
    assert [l.name for l in model.layers].count("shared") == 1
    assert model.count_params() == 8 and len(model.weights) == 2
    kernel, bias = _RNG.normal(size=(3, 2)).astype(np.float32), _RNG.normal(size=2).astype(np.float32)
    shared.set_weights([kernel, bias])
    xa, xb = _RNG.normal(size=(4, 3)).astype(np.float32), _RNG.normal(size=(4, 3)).astype(np.float32)
    y = model([nc.tensor(xa), nc.tensor(xb)])
    np.testing.assert_allclose(y.detach().numpy(), xa @ kernel + xb @ kernel + 2 * bias, rtol=1e-5, atol=1e-6)
    dout = _RNG.normal(size=(4, 2)).astype(np.float32)
    (y * nc.tensor(dout)).sum().backward()
    w = shared.module.weight  # nn layout (units, in): the gradient of both calls, summed
    np.testing.assert_allclose(w.grad.numpy().T, xa.T @ dout + xb.T @ dout, rtol=1e-5)
    np.testing.assert_allclose(shared.module.bias.grad.numpy(), 2 * dout.sum(0), rtol=1e-5)
    # the connections appear as Keras prints them
    lines = []
    model.summary(print_fn=lines.append, line_length=100)
    text = "\n".join(lines)
    assert "Connected to" in text and "a[0][0], b[0][0]" in text and "shared[1][0]" in text


def test_multi_input_model_trains_from_lists_and_dicts():
    nc.manual_seed(1)
    rng = np.random.default_rng(1)
    xa = rng.normal(size=(400, 3)).astype(np.float32)
    xb = rng.normal(size=(400, 5)).astype(np.float32)
    y = (xa.sum(1) - xb[:, :2].sum(1) > 0).astype(np.int64)  # needs both inputs
    a, b = Input((3,), name="left"), Input((5,), name="right")
    merged = layers.concatenate([layers.Dense(8, activation="relu")(a), layers.Dense(8, activation="relu")(b)])
    model = Model(inputs={"left": a, "right": b}, outputs=layers.Dense(1, activation="sigmoid")(merged))
    model.compile(optimizer=nc.keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit({"left": xa[:300], "right": xb[:300]}, y[:300], epochs=25, verbose=0)
    assert h.history["accuracy"][-1] > 0.9, h.history["accuracy"][-1]
    _, acc = model.evaluate({"left": xa[300:], "right": xb[300:]}, y[300:], verbose=0)
    assert acc >= 0.88, acc
    np.testing.assert_array_equal(model.predict([xa, xb], verbose=0), model.predict({"right": xb, "left": xa},
                                                                                     verbose=0))
    with pytest.raises(ValueError, match="Missing data for input 'right'"):
        model.predict({"left": xa}, verbose=0)
    with pytest.raises(ValueError, match="2 inputs"):
        model.predict(xa, verbose=0)
    with pytest.raises(ValueError, match=r"Input 1 .* expected shape=\(None, 5\), found shape=\(None, 4\)"):
        model.predict([xa, xb[:, :4]], verbose=0)


def test_nested_models_share_their_weights():
    nc.manual_seed(2)
    encoder_in = Input((4,))
    encoder = Model(encoder_in, layers.Dense(3, activation="tanh", name="code")(encoder_in), name="encoder")
    head = Sequential([layers.Dense(2, name="h1")], name="head")
    x = Input((4,))
    model = Model(x, head(encoder(x)), name="outer")
    assert [type(l).__name__ for l in model.layers] == ["InputLayer", "Functional", "Sequential"]
    assert model.count_params() == encoder.count_params() + head.count_params() == 15 + 8
    data = _RNG.normal(size=(6, 4)).astype(np.float32)
    k1, b1 = encoder.get_layer("code").get_weights()
    k2, b2 = head.get_weights()
    np.testing.assert_allclose(model.predict(data, verbose=0), np.tanh(data @ k1 + b1) @ k2 + b2, rtol=1e-5)
    # training the outer model changes the inner models' weights (they are the same objects)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(data, np.ones((6, 2), np.float32), epochs=2, verbose=0)
    assert not np.array_equal(encoder.get_layer("code").get_weights()[0], k1)
    np.testing.assert_allclose(model.predict(data, verbose=0), head.predict(encoder.predict(data, verbose=0),
                                                                            verbose=0), rtol=1e-5)
    # a functional model inside a Sequential, too
    seq = Sequential([Input((4,)), encoder, layers.Dense(1)])
    assert seq.output_shape == (None, 1) and seq.count_params() == 15 + 4


class _TwoWays(layers.Layer):
    """A layer with two outputs: [2x, x + 1]."""

    def call(self, x):
        return [x * 2.0, x + 1.0]


def test_layers_with_several_outputs_are_graph_nodes():
    x = Input((3,))
    twice, plus_one = _TwoWays(name="two_ways")(x)
    assert twice.shape == plus_one.shape == (None, 3)
    assert twice._keras_history[2] == 0 and plus_one._keras_history[2] == 1
    model = Model(x, layers.Subtract()([twice, plus_one]))
    data = _RNG.normal(size=(2, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(data, verbose=0), 2 * data - (data + 1), rtol=1e-6)
    with pytest.raises(ValueError, match="single output tensor"):
        Sequential([Input((3,)), _TwoWays()])


def test_lstm_with_return_state_in_a_functional_model():
    nc.manual_seed(3)
    x = Input((5, 2))
    lstm = layers.LSTM(4, return_state=True)
    output, h, c = lstm(x)
    assert [t.shape for t in (output, h, c)] == [(None, 4)] * 3
    model = Model(x, [output, h, c])
    data = _RNG.normal(size=(3, 5, 2)).astype(np.float32)
    got = model.predict(data, verbose=0)
    direct = lstm(nc.tensor(data))
    assert len(got) == 3
    for g, d in zip(got, direct):
        np.testing.assert_allclose(g, d.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(got[0], got[1], rtol=1e-6)  # the last output is the final h


def test_graph_errors():
    a, b = Input((4,), name="a"), Input((4,), name="b")
    with pytest.raises(ValueError, match='Graph disconnected.*input "b"'):
        Model(a, layers.Dense(2)(b))
    hidden = layers.Dense(2)(a)
    with pytest.raises(ValueError, match=r"must come from `keras.Input"):
        Model(hidden, layers.Dense(1)(hidden))
    with pytest.raises(ValueError, match="must be KerasTensors"):
        Model(a, [hidden, np.zeros(3)])
    with pytest.raises(ValueError, match="more than once"):
        Model([a, a], hidden)
    model = Model([a, b], hidden)  # an unused input is allowed, as in Keras
    assert [l.name for l in model.layers][:2] == ["a", "b"]
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(None, 3\)"):
        Model(a, hidden)(nc.zeros((2, 3)))


def test_sequential_input_output_and_feature_extraction():
    seq = Sequential([Input((6,), name="raw"), layers.Dense(5, activation="relu", name="f1"),
                      layers.Dense(2, name="f2")])
    assert seq.input.shape == (None, 6) and seq.output.shape == (None, 2)
    assert [l.name for l in seq.layers] == ["f1", "f2"]
    features = Model(seq.input, seq.get_layer("f1").output)
    data = _RNG.normal(size=(3, 6)).astype(np.float32)
    k, bias = seq.get_layer("f1").get_weights()
    np.testing.assert_allclose(features.predict(data, verbose=0), np.maximum(data @ k + bias, 0), rtol=1e-5)
    seq.add(layers.Dense(1, name="f3"))
    assert seq.output_shape == (None, 1)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(None, 1\)"):
        seq.add(Sequential([Input((3,)), layers.Dense(1)]))
    assert [l.name for l in seq.layers] == ["f1", "f2", "f3"]  # a layer that does not fit is left out


# ----------------------------------------------------------------------------- configs

def _complex_model():
    a, b = Input((4,), name="in_a"), Input((3,), name="in_b")
    shared = layers.Dense(5, activation="relu", name="shared")
    inner_in = Input((5,), name="inner_in")
    inner = Model(inner_in, layers.Dense(5, name="inner_dense")(inner_in), name="inner")
    tower = Sequential([layers.Dense(6, name="t1"), layers.Dropout(0.1, name="t_drop")], name="tower")
    left = inner(shared(a))
    right = shared(layers.Dense(4, name="lift")(b))
    merged = layers.Concatenate(name="merge")([left, right, layers.Add(name="add")([left, right])])
    body = tower(merged)
    return Model({"in_a": a, "in_b": b}, {"score": layers.Dense(1, name="score")(body),
                                          "kind": layers.Dense(3, activation="softmax", name="kind")(body)},
                 name="complex")


def test_functional_config_round_trip_rebuilds_the_same_model():
    nc.manual_seed(4)
    model = _complex_model()
    config = model.get_config()
    assert [entry["class_name"] for entry in config["layers"]][:2] == ["InputLayer", "InputLayer"]
    assert config["input_layers"] == {"in_a": ["in_a", 0, 0], "in_b": ["in_b", 0, 0]}
    shared = next(e for e in config["layers"] if e["name"] == "shared")
    assert len(shared["inbound_nodes"]) == 2
    assert shared["inbound_nodes"][1]["args"][0]["config"]["keras_history"] == ["lift", 0, 0]
    for cfg in (config, json.loads(json.dumps(config))):  # also through JSON (tuples become lists)
        clone = Model.from_config(cfg)
        assert type(clone).__name__ == "Functional"
        assert json.dumps(clone.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)
        assert clone.count_params() == model.count_params()
        assert all(cw is not mw for cw, mw in zip(clone.weights, model.weights))
        clone.set_weights(model.get_weights())
        data = {"in_a": _RNG.normal(size=(5, 4)).astype(np.float32),
                "in_b": _RNG.normal(size=(5, 3)).astype(np.float32)}
        got, want = clone.predict(data, verbose=0), model.predict(data, verbose=0)
        assert sorted(got) == ["kind", "score"]
        for k in want:
            np.testing.assert_array_equal(got[k], want[k])


def test_sequential_config_round_trip_and_nested_object_configs():
    model = Sequential([Input((8, 8, 1)), layers.Conv2D(2, 3, activation="tanh"), layers.Flatten(),
                        layers.Dense(3)], name="small")
    config = model.get_config()
    assert config["name"] == "small" and config["build_input_shape"] == (None, 8, 8, 1)
    assert [e["class_name"] for e in config["layers"]] == ["InputLayer", "Conv2D", "Flatten", "Dense"]
    clone = Sequential.from_config(json.loads(json.dumps(config)))
    assert clone.input_shape == (None, 8, 8, 1) and clone.count_params() == model.count_params()
    assert json.dumps(clone.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)
    # nested objects may be given as {"class_name", "config"} dicts, as the saving code writes them
    config = Sequential([layers.Dense(2, input_shape=(3,), kernel_regularizer=nc.keras.regularizers.L2(0.25))
                         ]).get_config()
    config["layers"][0]["config"]["kernel_regularizer"] = {"class_name": "L2", "config": {"l2": 0.25}}
    clone = Sequential.from_config(config)
    reg = clone.layers[0].kernel_regularizer
    assert type(reg).__name__ == "L2" and reg.get_config()["l2"] == 0.25
    assert clone.input_shape == (None, 3)
    with pytest.raises(ValueError, match="functional model's config"):
        Model.from_config(config)


def test_layer_order_follows_depth_as_in_keras():
    # orders checked against keras 3.15: by decreasing depth from the outputs, ties in first-visit order
    x, aux = Input((4,), name="x"), Input((2,), name="aux")
    h = layers.Dense(4, name="h2")(layers.Dense(4, name="h1")(x))
    out = layers.Dense(1, name="o")(layers.concatenate([h, aux], name="cat"))
    assert [l.name for l in Model([x, aux], out).layers] == ["x", "h1", "h2", "aux", "cat", "o"]
    a, b = Input((2,), name="a"), Input((3,), name="b")
    shared = layers.Dense(4, name="shared")
    merged = layers.concatenate([shared(layers.Dense(3, name="d3")(a)), shared(b)], name="c")
    model = Model({"a": a, "b": b}, layers.Dense(1, name="out")(merged))
    assert [l.name for l in model.layers] == ["a", "d3", "b", "shared", "c", "out"]


@pytest.mark.parametrize("module", ["neurocore.keras", "neurocore.keras.keras_tensor", "neurocore.keras.layers.base",
                                    "neurocore.keras.layers.merging", "neurocore.keras.functional",
                                    "neurocore.keras.models", "neurocore.keras.training"])
def test_docstring_examples(module):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0 and result.attempted > 0


def test_training_argument_of_a_call_is_recorded_and_replayed():
    nc.manual_seed(8)
    x = Input((50,))
    noisy = layers.Dropout(0.5, name="noisy")
    model = Model(x, [noisy(x), noisy(x, training=False)])
    data = nc.ones((4, 50))
    model.train()  # training mode: the first call drops units, the second (training=False) never does
    dropped, kept = model(data)
    assert (dropped.numpy() == 0).any() and np.array_equal(kept.numpy(), np.ones((4, 50), np.float32))
    assert noisy.training  # the mode is restored after the call
    config = model.get_config()
    assert config["layers"][1]["inbound_nodes"][1]["kwargs"] == {"training": False}
    clone = Model.from_config(config)
    clone.train()
    dropped, kept = clone(data)
    assert (dropped.numpy() == 0).any() and np.array_equal(kept.numpy(), np.ones((4, 50), np.float32))
