"""Keras call conventions shared by every nc.keras layer: inference mode outside fit, mask propagation, layer
dtypes with autocast of float inputs, and Keras' InputSpec errors for inputs a built layer cannot take.
References are numpy computations or exact Keras 3.15 messages/numbers."""
import numpy as np
import pytest

import neurocore as nc
from neurocore import nn
from neurocore.keras import Input, Model, Sequential, callbacks, load_model
from neurocore.keras import layers as L
from neurocore.utils.gradcheck import gradcheck


def _np(t):
    return t.detach().numpy()


# ----------------------------------------------------------------------------- training mode

def test_plain_calls_run_in_inference_mode_and_training_true_switches_for_one_call():
    x = nc.ones(4, 300)
    drop = L.Dropout(0.5)
    assert not drop.training
    np.testing.assert_array_equal(_np(drop(x)), np.ones((4, 300)))
    dropped = _np(drop(x, training=True))
    assert set(np.unique(dropped)) == {0.0, 2.0}  # kept values scaled by 1 / (1 - rate)
    assert not drop.training  # the mode of one call does not stick
    np.testing.assert_array_equal(_np(drop(x)), np.ones((4, 300)))


def test_sequential_call_outside_fit_applies_no_dropout():
    model = Sequential([Input((4,)), L.Dropout(0.5), L.Dense(2)])
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    kernel, bias = model.layers[1].get_weights()
    expected = x @ kernel + bias
    for _ in range(3):
        np.testing.assert_allclose(_np(model(nc.tensor(x))), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    big = Sequential([Input((400,)), L.Dropout(0.5)])
    assert (_np(big(nc.ones(2, 400), training=True)) == 0).any()


def test_custom_model_puts_its_plain_nn_modules_in_its_mode():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.5)  # an nn module starts in training mode on its own
            self.dense = L.Dense(3)

        def call(self, x):
            return self.dense(self.drop(x))

    net = Net()
    assert not net.drop.training
    x = nc.ones(2, 200)
    first = _np(net(x))
    np.testing.assert_array_equal(first, _np(net(x)))
    assert not np.array_equal(first, _np(net(x, training=True)))
    assert not net.drop.training


def _bn_reference(x, mean, var, eps=1e-3):
    return (x - mean) / np.sqrt(var + eps)


def test_batch_normalization_uses_moving_statistics_outside_fit():
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(16, 3)).astype(np.float32)
    bn = L.BatchNormalization(momentum=0.5)
    y = _np(bn(nc.tensor(x)))  # inference: moving mean 0, moving variance 1, nothing updated
    np.testing.assert_allclose(y, _bn_reference(x, 0.0, 1.0), rtol=1e-5)
    assert [w.tolist() for w in bn.get_weights()[2:]] == [[0.0] * 3, [1.0] * 3]
    y = _np(bn(nc.tensor(x), training=True))  # training: batch statistics, moving statistics move halfway
    np.testing.assert_allclose(y, _bn_reference(x, x.mean(0), x.var(0)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.get_weights()[2], 0.5 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.get_weights()[3], 0.5 + 0.5 * x.var(0), rtol=1e-5)


class _ModeRecorder(callbacks.Callback):
    def __init__(self, layer):
        super().__init__()
        self.layer, self.seen = layer, []

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append(("train", self.model.training, self.layer.training))

    def on_test_batch_begin(self, batch, logs=None):
        self.seen.append(("test", self.model.training, self.layer.training))


def test_fit_trains_in_training_mode_and_restores_inference_mode():
    rng = np.random.default_rng(2)
    x = rng.normal(1.0, 2.0, size=(32, 3))
    y = rng.normal(size=(32, 1))
    bn = L.BatchNormalization(momentum=0.75)
    model = Sequential([Input((3,)), bn, L.Dropout(0.3), L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    recorder = _ModeRecorder(bn)
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, validation_data=(x, y),
              callbacks=[recorder])
    assert recorder.seen == [("train", True, True), ("test", False, False)]
    assert not model.training and not bn.training and not model.layers[1].module.training
    # One training batch holding every sample: moving = 0.75 * initial + 0.25 * batch statistic (biased var).
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(bn.get_weights()[2], 0.25 * x32.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.get_weights()[3], 0.75 + 0.25 * x32.var(0), rtol=1e-5)
    gamma, beta, mean, var = bn.get_weights()
    kernel, bias = model.layers[2].get_weights()
    expected = (_bn_reference(x32, mean, var) * gamma + beta) @ kernel + bias
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(model(nc.tensor(x32))), expected, rtol=1e-4, atol=1e-5)
    model.train_on_batch(x, y)
    assert not model.training and not bn.training


# ----------------------------------------------------------------------------- masks

_IDS = np.array([[3, 5, 2, 0, 0], [4, 1, 0, 0, 0], [6, 2, 7, 1, 9]])
_LENGTHS = [3, 2, 5]


def _per_sample_unpadded(run, embedding):
    """Each sample run alone on its valid (unpadded) ids, without any mask: what masking must equal."""
    return np.concatenate([_np(run(embedding(_IDS[i:i + 1, :n]))) for i, n in enumerate(_LENGTHS)])


def test_dropout_passes_the_embedding_mask_on_to_lstm():
    emb = L.Embedding(10, 4, mask_zero=True)
    lstm = L.LSTM(3)
    drop = L.Dropout(0.5)
    masked = _np(lstm(drop(emb(_IDS))))
    np.testing.assert_allclose(masked, _np(lstm(emb(_IDS))), rtol=1e-6)
    np.testing.assert_allclose(masked, _per_sample_unpadded(lstm, emb), rtol=1e-5, atol=1e-6)
    plain = L.Embedding(10, 4)
    plain(_IDS)
    plain.set_weights(emb.get_weights())
    unmasked = _np(lstm(drop(plain(_IDS))))
    assert not np.allclose(unmasked[:2], masked[:2], atol=1e-4)  # the padded samples change without the mask
    np.testing.assert_allclose(unmasked[2], masked[2], rtol=1e-6)  # the unpadded one does not


@pytest.mark.parametrize("make", [lambda: L.Dense(4), lambda: L.Activation("tanh"), lambda: L.Dropout(0.2),
                                  lambda: L.BatchNormalization(), lambda: L.LayerNormalization()],
                         ids=["Dense", "Activation", "Dropout", "BatchNormalization", "LayerNormalization"])
def test_masking_layers_pass_the_mask_unchanged(make):
    out = make()(L.Embedding(10, 4, mask_zero=True)(_IDS))
    np.testing.assert_array_equal(_np(out._keras_mask), _IDS != 0)


def test_sequential_and_functional_models_carry_masks_through_fit_and_predict():
    rng = np.random.default_rng(3)
    emb, dense, lstm = L.Embedding(10, 4, mask_zero=True), L.Dense(4), L.LSTM(3)
    seq = Sequential([Input((5,), dtype="int64"), emb, L.Dropout(0.3), dense, lstm])

    def reference():
        return _per_sample_unpadded(lambda e: lstm(dense(e)), emb)
    np.testing.assert_allclose(seq.predict(_IDS, verbose=0), reference(), rtol=1e-5, atol=1e-6)
    ids = Input((5,), dtype="int64")
    functional = Model(ids, lstm(dense(L.Dropout(0.3)(emb(ids)))))
    np.testing.assert_allclose(functional.predict(_IDS, verbose=0), reference(), rtol=1e-5, atol=1e-6)
    seq.compile(optimizer="adam", loss="mse")
    seq.fit(_IDS, rng.normal(size=(3, 3)), epochs=2, verbose=0)
    np.testing.assert_allclose(seq.predict(_IDS, verbose=0), reference(), rtol=1e-5, atol=1e-6)


def test_a_layer_without_masking_drops_the_mask_with_a_warning():
    masked = L.Embedding(10, 4, mask_zero=True)(_IDS)
    with pytest.warns(UserWarning, match="does not support masking and will therefore destroy the mask"):
        out = L.Flatten()(masked)
    assert getattr(out, "_keras_mask", None) is None
    assert L.LSTM(2)(masked).__dict__.get("_keras_mask") is None  # consumed, no sequence left to mask


def test_merge_masks_follow_keras():
    emb = L.Embedding(10, 2, mask_zero=True)
    a, b = emb(_IDS), emb(_IDS[::-1].copy())
    np.testing.assert_array_equal(_np(L.Add()([a, b])._keras_mask), (_IDS != 0) | (_IDS[::-1] != 0))
    plain = nc.ones(3, 5, 2)
    assert getattr(L.Add()([a, plain]), "_keras_mask", None) is None  # one input without a mask: none
    out = L.Concatenate(axis=1)([a, nc.ones(3, 4, 2)])
    np.testing.assert_array_equal(_np(out._keras_mask), np.concatenate([_IDS != 0, np.ones((3, 4), bool)], 1))
    out = L.Concatenate()([a, plain])  # every step has unmasked features
    np.testing.assert_array_equal(_np(out._keras_mask), np.ones((3, 5), bool))


def test_batch_normalization_takes_training_statistics_from_unmasked_steps():
    emb = L.Embedding(10, 2, mask_zero=True, embeddings_initializer="random_normal")
    e = emb(_IDS)
    bn = L.BatchNormalization(momentum=0.5)
    y = _np(bn(e, training=True))
    values, keep = _np(e).reshape(-1, 2), (_IDS != 0).reshape(-1)
    mean, var = values[keep].mean(0), values[keep].var(0)  # Keras: masked moments (biased variance)
    np.testing.assert_allclose(y.reshape(-1, 2), (values - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.get_weights()[2], 0.5 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.get_weights()[3], 0.5 + 0.5 * var, rtol=1e-5)
    np.testing.assert_array_equal(_np(bn(e)._keras_mask), _IDS != 0)
    bn64 = L.BatchNormalization(dtype="float64", gamma_initializer="random_normal", beta_initializer="ones")
    bn64(e)
    bn64.train()
    mask = nc.tensor(_IDS != 0)

    def masked_bn(t):
        t._keras_mask = mask
        return bn64(t)
    x = nc.tensor(_np(e).astype(np.float64), requires_grad=True)
    assert gradcheck(masked_bn, [x])
    with pytest.raises(ValueError, match="mask provided should be one dimension less than the inputs"):
        t = nc.zeros(3, 5, 2)
        t._keras_mask = nc.tensor(np.ones((3, 5, 2), bool))
        L.BatchNormalization()(t)


def test_global_average_pooling_1d_averages_valid_steps_only():
    emb = L.Embedding(10, 3, mask_zero=True)
    e = emb(_IDS)
    out = _np(L.GlobalAveragePooling1D()(e))
    values, mask = _np(e), _IDS != 0
    expected = (values * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


# ----------------------------------------------------------------------------- dtypes

_ALL_LAYERS = [
    (lambda d: L.Dense(3, dtype=d), (2, 4)), (lambda d: L.Conv1D(2, 3, dtype=d), (2, 6, 3)),
    (lambda d: L.Conv2D(2, 3, dtype=d), (2, 5, 5, 3)), (lambda d: L.BatchNormalization(dtype=d), (2, 4)),
    (lambda d: L.LayerNormalization(dtype=d), (2, 4)), (lambda d: L.LSTM(2, dtype=d), (2, 3, 4)),
    (lambda d: L.GRU(2, dtype=d), (2, 3, 4)), (lambda d: L.SimpleRNN(2, dtype=d), (2, 3, 4)),
    (lambda d: L.Bidirectional(L.LSTM(2), dtype=d), (2, 3, 4)), (lambda d: L.Activation("relu", dtype=d), (2, 4)),
    (lambda d: L.Dropout(0.5, dtype=d), (2, 4)), (lambda d: L.Flatten(dtype=d), (2, 2, 2)),
    (lambda d: L.MaxPooling2D(dtype=d), (2, 4, 4, 1)), (lambda d: L.GlobalAveragePooling1D(dtype=d), (2, 3, 2)),
    (lambda d: L.Reshape((4,), dtype=d), (2, 2, 2)), (lambda d: L.ZeroPadding2D(dtype=d), (2, 2, 2, 1)),
]


@pytest.mark.parametrize("make, shape", _ALL_LAYERS, ids=[type(m("float32")).__name__ for m, _ in _ALL_LAYERS])
def test_every_layer_takes_a_float_dtype_and_casts_float_inputs(make, shape):
    x = np.random.default_rng(4).normal(size=shape)
    layer = make("float64")
    assert layer.dtype == "float64"
    y = layer(nc.tensor(x.astype(np.float32)))  # autocast: float32 data runs in float64
    assert y.dtype == nc.float64 and all(w.dtype == np.float64 for w in layer.get_weights())
    layer = make("float32")
    assert layer(nc.tensor(x)).dtype == nc.float32  # float64 data runs in float32
    assert all(w.dtype == np.float32 for w in layer.get_weights())
    for bad in ("int32", "float16", "complex"):
        with pytest.raises(ValueError, match=f"dtype must be 'float32' or 'float64', got '{bad}'"):
            make(bad)


def test_dense_float64_matches_numpy_in_double_precision():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 5))
    dense = L.Dense(3, dtype="float64", kernel_initializer="random_normal", bias_initializer="random_normal")
    out = _np(dense(x))
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-13)
    assert dense.get_config()["dtype"] == "float64"
    assert L.Dense.from_config(dense.get_config()).dtype == "float64"


def test_integer_ids_are_not_cast():
    emb = L.Embedding(5, 2, dtype="float64")
    out = emb(nc.tensor(np.array([[1, 4]])))
    assert out.dtype == nc.float64
    np.testing.assert_array_equal(_np(out)[0], emb.get_weights()[0][[1, 4]])


def test_input_dtype_and_symbolic_output_dtypes():
    x = Input((4,), dtype="float64")
    assert x.dtype == "float64"
    assert L.Dense(2)(x).dtype == "float32" and L.Dense(2, dtype="float64")(Input((4,))).dtype == "float64"
    assert Input((3,), dtype="int64").dtype == "int64"
    with pytest.raises(ValueError, match="Unsupported dtype"):
        Input((3,), dtype="float16")


def _float64_model():
    return Sequential([Input((6, 6, 2), dtype="float64"), L.Conv2D(3, 3, activation="relu", dtype="float64"),
                       L.BatchNormalization(dtype="float64"), L.Reshape((16, 3), dtype="float64"),
                       L.LSTM(4, dtype="float64"), L.Dense(2, dtype="float64")])


def test_float64_sequential_fits_and_predicts_in_float64(tmp_path):
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(24, 6, 6, 2)), rng.normal(size=(24, 2))
    model = _float64_model()
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = model.get_weights()
    assert all(w.dtype == np.float64 for w in after)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    pred = model.predict(x, verbose=0)
    assert pred.dtype == np.float64 and pred.shape == (24, 2)
    # The same weights in float32 agree to float32 precision, but not to float64's: the math ran in float64.
    single = Sequential([Input((6, 6, 2)), L.Conv2D(3, 3, activation="relu"), L.BatchNormalization(),
                         L.Reshape((16, 3)), L.LSTM(4), L.Dense(2)])
    single.set_weights(after)
    pred32 = single.predict(x, verbose=0)
    assert pred32.dtype == np.float32
    np.testing.assert_allclose(pred32, pred, rtol=1e-4, atol=1e-5)
    assert np.abs(pred32 - pred).max() > 1e-12
    model.save(str(tmp_path / "f64.keras"))
    loaded = load_model(str(tmp_path / "f64.keras"))
    assert [l.dtype for l in loaded.layers] == ["float64"] * 5
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), pred)


def test_model_double_makes_every_layer_compute_in_float64():
    model = Sequential([Input((3,)), L.Dense(4, activation="relu"), L.Dropout(0.1), L.Flatten(), L.Dense(1)])
    model.double()
    assert [l.dtype for l in model.layers] == ["float64"] * 4
    assert model.predict(np.ones((2, 3)), verbose=0).dtype == np.float64
    clone = Sequential.from_config(model.get_config())  # the config records the dtype, Flatten's too
    assert [l.dtype for l in clone.layers] == ["float64"] * 4


# ----------------------------------------------------------------------------- input specs

def _incompatible(layer, axis, value, shape):
    return (rf'Input 0 of layer "{layer}" is incompatible with the layer: expected axis {axis} of input shape to '
            rf"have value {value}, but received input with shape {shape}").replace("(", r"\(").replace(")", r"\)")


def test_built_layers_reject_a_different_channel_count_like_keras():
    conv = L.Conv2D(2, 3, name="conv_spec")
    conv(nc.zeros(2, 8, 8, 3))
    with pytest.raises(ValueError, match=_incompatible("conv_spec", -1, 3, (2, 8, 8, 4))):
        conv(nc.zeros(2, 8, 8, 4))
    with pytest.raises(ValueError, match=_incompatible("conv_spec", -1, 3, (None, 8, 8, 4))):
        conv(Input((8, 8, 4)))
    with pytest.raises(ValueError, match=r"expected ndim=4, found ndim=3. Full shape received: \(2, 8, 3\)"):
        conv(nc.zeros(2, 8, 3))
    dense = L.Dense(2, name="dense_spec")
    dense(nc.zeros(2, 3))
    with pytest.raises(ValueError, match=_incompatible("dense_spec", -1, 3, (2, 4))):
        dense(nc.zeros(2, 4))
    with pytest.raises(ValueError, match=r"expected min_ndim=2, found ndim=1. Full shape received: \(2,\)"):
        dense(nc.zeros(2))
    assert dense(nc.zeros(2, 7, 3)).shape == (2, 7, 2)  # only the last axis is fixed
    bn = L.BatchNormalization(name="bn_spec")
    bn(nc.zeros(2, 5))
    with pytest.raises(ValueError, match=_incompatible("bn_spec", -1, 5, (2, 6))):
        bn(nc.zeros(2, 6))
    ln = L.LayerNormalization(name="ln_spec")
    ln(nc.zeros(2, 5))
    with pytest.raises(ValueError, match=_incompatible("ln_spec", -1, 5, (2, 6))):
        ln(nc.zeros(2, 6))
