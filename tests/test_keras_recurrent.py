"""nc.keras recurrent layers (SimpleRNN, LSTM, GRU, Bidirectional) and Embedding.

Outputs are checked against step-by-step numpy implementations of Keras' equations (below) fed with the weights
from ``get_weights()``, so the Keras weight layout and gate order are tested too; the references themselves are
anchored to numbers computed with the real Keras 3.15 (test_worked_numbers_from_keras).
"""
import doctest
import importlib
import time

import numpy as np
import pytest

import neurocore as nc
from neurocore.keras import Sequential, regularizers
from neurocore.keras.layers import GRU, LSTM, Bidirectional, Dense, Embedding, SimpleRNN
from neurocore.utils import gradcheck

KINDS = {"simple": SimpleRNN, "lstm": LSTM, "gru": GRU}
TOL = {"float32": 2e-5, "float64": 1e-11}


# ----------------------------------------------------------------------------- numpy references of Keras

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _keras_cell(kind, xt, states, kernel, recurrent, bias, activation):
    """One step of Keras' SimpleRNNCell / LSTMCell / GRUCell (reset_after=True); returns the new states."""
    if kind == "simple":
        z = xt @ kernel + states[0] @ recurrent + (0.0 if bias is None else bias)
        return [np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0)]
    if kind == "lstm":  # gate blocks i, f, c, o
        z = xt @ kernel + states[0] @ recurrent + (0.0 if bias is None else bias)
        i, f, c_hat, o = np.split(z, 4, axis=1)
        c = _sigmoid(f) * states[1] + _sigmoid(i) * np.tanh(c_hat)
        return [_sigmoid(o) * np.tanh(c), c]
    # GRU, gate blocks z, r, h; bias rows: input bias, recurrent bias
    input_bias, recurrent_bias = (0.0, 0.0) if bias is None else (bias[0], bias[1])
    xz, xr, xh = np.split(xt @ kernel + input_bias, 3, axis=1)
    hz, hr, hh = np.split(states[0] @ recurrent + recurrent_bias, 3, axis=1)
    z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
    return [z * states[0] + (1.0 - z) * np.tanh(xh + r * hh)]


def keras_rnn(kind, x, weights, units, go_backwards=False, mask=None, initial=None, activation="tanh",
              zero_output_for_mask=False):
    """Keras' RNN loop (keras.src.backend.*.rnn): returns (outputs (N, T, units) in processing order, final
    states). A masked step keeps the states and repeats the previous output (zeros before any; zeros always
    with zero_output_for_mask)."""
    x = np.asarray(x, np.float64)
    weights = [np.asarray(w, np.float64) for w in weights]
    kernel, recurrent = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else None
    n, steps, _ = x.shape
    n_states = 2 if kind == "lstm" else 1
    states = [np.zeros((n, units)) if initial is None else np.asarray(initial[i], np.float64)
              for i in range(n_states)]
    previous = np.zeros((n, units))
    outputs = []
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        new = _keras_cell(kind, x[:, t], states, kernel, recurrent, bias, activation)
        out = new[0]
        if mask is not None:
            keep = mask[:, t][:, None]
            out = np.where(keep, out, 0.0 if zero_output_for_mask else previous)
            new = [np.where(keep, s_new, s) for s_new, s in zip(new, states)]
        outputs.append(out)
        previous, states = out, new
    return np.stack(outputs, axis=1), states


def _np(t):
    return t.detach().numpy()


def _randomize(layer, rng, scale=0.5):
    """Random weights (biases too), set in Keras layout; returns them as the layer reports them back."""
    layer.set_weights([rng.uniform(-scale, scale, w.shape) for w in layer.get_weights()])
    return layer.get_weights()


# ----------------------------------------------------------------------------- forward values

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("kind", ["simple", "lstm", "gru"])
def test_forward_matches_keras_equations(kind, return_sequences, go_backwards, dtype):
    rng = np.random.default_rng(1)
    units, n, steps, features = 4, 3, 5, 2
    layer = KINDS[kind](units, return_sequences=return_sequences, return_state=True, go_backwards=go_backwards,
                        dtype=dtype)
    x = rng.standard_normal((n, steps, features)).astype(dtype)
    layer.build((steps, features))
    weights = _randomize(layer, rng)
    initial = [rng.standard_normal((n, units)).astype(dtype) for _ in range(2 if kind == "lstm" else 1)]
    outs = layer(nc.tensor(x), initial_state=[nc.tensor(s) for s in initial])
    seq, states = keras_rnn(kind, x, weights, units, go_backwards, initial=initial)
    expected = [seq if return_sequences else seq[:, -1]] + states
    assert len(outs) == len(expected)
    for got, want in zip(outs, expected):
        assert got.shape == want.shape
        assert str(got.dtype).endswith(dtype)
        np.testing.assert_allclose(_np(got), want, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_simple_rnn_activations(activation):
    rng = np.random.default_rng(2)
    layer = SimpleRNN(3, activation=activation, return_sequences=True)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    layer.build((4, 3))
    weights = _randomize(layer, rng)
    want, _ = keras_rnn("simple", x, weights, 3, activation=activation)
    np.testing.assert_allclose(_np(layer(nc.tensor(x))), want, rtol=2e-5, atol=2e-5)


def test_no_bias_and_single_output():
    rng = np.random.default_rng(3)
    for kind, cls in KINDS.items():
        layer = cls(3, use_bias=False)
        x = rng.standard_normal((2, 4, 2)).astype(np.float32)
        out = layer(x)  # numpy input is accepted, like Keras
        weights = layer.get_weights()
        assert len(weights) == 2
        seq, _ = keras_rnn(kind, x, weights, 3)
        assert out.shape == (2, 3)
        np.testing.assert_allclose(_np(out), seq[:, -1], rtol=2e-5, atol=2e-5)


# Weights w_k = 0.5 * sin(0.7 * arange(size) + ndim) reshaped to Keras' shape (float32), input
# cos(0.9 * arange(12)).reshape(2, 3, 2), units 2; mask [[1, 0, 1], [1, 1, 0]]. Outputs computed with Keras 3.15
# (KERAS_BACKEND=torch): layer(x) and layer(x, mask=mask) with return_sequences=True, return_state=True.
KERAS_NUMBERS = {
    "simple": ([[[0.6617725, 0.4261622], [0.591113, 0.6551263], [0.2212802, 0.243721]],
                [[0.5237876, 0.2187845], [0.7345896, 0.633888], [0.3566931, 0.5098757]]],
               [[[0.6617725, 0.4261622], [0.6617725, 0.4261622], [0.2788014, 0.3430132]],
                [[0.5237876, 0.2187845], [0.7345896, 0.633888], [0.7345896, 0.633888]]]),
    "lstm": ([[[-0.1785377, -0.2781324], [-0.0831478, -0.1014191], [0.015551, -0.0536801]],
              [[-0.1638483, -0.2722154], [-0.2000383, -0.2325535], [-0.0348481, -0.0563819]]],
             [[[-0.1785377, -0.2781324], [-0.1785377, -0.2781324], [-0.0803584, -0.1136906]],
              [[-0.1638483, -0.2722154], [-0.2000383, -0.2325535], [-0.2000383, -0.2325535]]]),
    "gru": ([[[-0.1891626, -0.2010224], [-0.2898924, -0.1844144], [-0.0917916, -0.1043892]],
             [[-0.1487007, -0.186322], [-0.3114223, -0.3090762], [-0.1922065, -0.0953139]]],
            [[[-0.1891626, -0.2010224], [-0.1891626, -0.2010224], [-0.0639748, -0.1228204]],
             [[-0.1487007, -0.186322], [-0.3114223, -0.3090762], [-0.3114223, -0.3090762]]]),
}
KERAS_LSTM_FINAL_C = ([[0.0364072, -0.1396128], [-0.0700408, -0.1477591]],
                      [[-0.183271, -0.3070377], [-0.5037636, -0.5163871]])
# Bidirectional(GRU(2, return_sequences=True)), forward then backward weights made as above, no mask.
KERAS_BIGRU = [[[-0.1891626, -0.2010224, -0.3116741, -0.2841855], [-0.2898924, -0.1844144, -0.1756841, -0.1134711],
                [-0.0917916, -0.1043892, 0.0133785, -0.0376794]],
               [[-0.1487007, -0.186322, -0.3005605, -0.3183305], [-0.3114223, -0.3090762, -0.248495, -0.1854668],
                [-0.1922065, -0.0953139, -0.0597499, 0.0102647]]]


def _worked_weights(layer):
    return [(0.5 * np.sin(np.arange(w.size) * 0.7 + w.ndim)).reshape(w.shape).astype(np.float32)
            for w in layer.get_weights()]


def _worked_input():
    return np.cos(np.arange(12) * 0.9).reshape(2, 3, 2).astype(np.float32)


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru"])
def test_worked_numbers_from_keras(kind):
    x, mask = _worked_input(), np.array([[True, False, True], [True, True, False]])
    layer = KINDS[kind](2, return_sequences=True, return_state=True)
    layer.build((3, 2))
    layer.set_weights(_worked_weights(layer))
    for m, want in zip((None, mask), KERAS_NUMBERS[kind]):
        outs = layer(nc.tensor(x), mask=m)
        np.testing.assert_allclose(_np(outs[0]), want, atol=2e-7)
        np.testing.assert_allclose(_np(outs[1]), np.asarray(want)[:, -1], atol=2e-7)
        # the numpy reference reproduces Keras too, so the other tests compare against Keras' semantics
        ref, _ = keras_rnn(kind, x, layer.get_weights(), 2, mask=m)
        np.testing.assert_allclose(ref, want, atol=2e-7)
        if kind == "lstm":
            np.testing.assert_allclose(_np(outs[2]), KERAS_LSTM_FINAL_C[m is not None], atol=2e-7)
    bi = Bidirectional(GRU(2, return_sequences=True))
    bi.build((3, 2))
    bi.set_weights(_worked_weights(bi.forward_layer) + _worked_weights(bi.backward_layer))
    np.testing.assert_allclose(_np(bi(nc.tensor(x))), KERAS_BIGRU, atol=2e-7)


# ----------------------------------------------------------------------------- masks

@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("kind", ["simple", "lstm", "gru"])
def test_masked_steps_are_skipped(kind, go_backwards, zero_output_for_mask):
    rng = np.random.default_rng(4)
    n, steps, units = 5, 6, 3
    mask = np.array([[1, 1, 1, 1, 1, 1], [0, 1, 0, 1, 1, 0], [0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0],
                     [0, 0, 1, 1, 1, 1]], dtype=bool)  # holes, a fully masked row, post- and pre-padding
    layer = KINDS[kind](units, return_sequences=True, return_state=True, go_backwards=go_backwards,
                        zero_output_for_mask=zero_output_for_mask, dtype="float64")
    x = rng.standard_normal((n, steps, 2))
    layer.build((steps, 2))
    weights = _randomize(layer, rng)
    initial = [rng.standard_normal((n, units)) for _ in range(2 if kind == "lstm" else 1)]
    outs = layer(nc.tensor(x), initial_state=initial, mask=nc.tensor(mask))
    seq, states = keras_rnn(kind, x, weights, units, go_backwards, mask=mask, initial=initial,
                            zero_output_for_mask=zero_output_for_mask)
    for got, want in zip(outs, [seq] + states):
        np.testing.assert_allclose(_np(got), want, rtol=1e-11, atol=1e-11)
    assert outs[0]._keras_mask is not None  # return_sequences passes the mask on, as Keras


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_embedding_mask_zero_equals_unpadded_sequences(padding):
    nc.manual_seed(5)
    rng = np.random.default_rng(5)
    emb, lstm = Embedding(12, 4, mask_zero=True), LSTM(3, return_sequences=True, return_state=True)
    lengths = [6, 2, 4, 1]
    ids = np.zeros((4, 6), np.int64)
    rows = [rng.integers(1, 12, k) for k in lengths]
    for i, r in enumerate(rows):
        if padding == "pre":
            ids[i, 6 - len(r):] = r
        else:
            ids[i, :len(r)] = r
    seq, h, c = lstm(emb(nc.tensor(ids)))  # the mask travels on the embedding's output
    for i, r in enumerate(rows):  # each sample alone, without padding and without a mask
        s1, h1, c1 = lstm(emb(nc.tensor(r[None])))
        np.testing.assert_allclose(_np(h)[i], _np(h1)[0], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(_np(c)[i], _np(c1)[0], rtol=1e-6, atol=1e-6)
        valid = ids[i] != 0
        np.testing.assert_allclose(_np(seq)[i][valid], _np(s1)[0], rtol=1e-6, atol=1e-6)
    # in a Sequential model too, and without the mask the padding would change the result
    last = LSTM(3)
    model = Sequential([emb, last])
    model.build((6,))
    last.set_weights(lstm.get_weights())
    np.testing.assert_allclose(_np(model(ids)), _np(h), rtol=1e-6, atol=1e-6)
    plain = LSTM(3)
    plain.build((6, 4))
    plain.set_weights(lstm.get_weights())
    assert np.abs(_np(plain(emb(nc.tensor(ids)).detach())) - _np(h)).max() > 1e-3


def test_mask_bad_shape():
    layer = LSTM(2)
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\) = \(2, 3\)"):
        layer(np.zeros((2, 3, 1), np.float32), mask=np.ones((2, 4), bool))


# ----------------------------------------------------------------------------- Bidirectional

@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_bidirectional(merge_mode, return_sequences, masked):
    rng = np.random.default_rng(6)
    n, steps, units = 3, 4, 2
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 1, 1, 0]], bool) if masked else None
    bi = Bidirectional(LSTM(units, return_sequences=return_sequences, return_state=True), merge_mode=merge_mode)
    x = rng.standard_normal((n, steps, 3)).astype(np.float32)
    bi.build((steps, 3))
    weights = _randomize(bi, rng)
    assert bi.forward_layer.go_backwards is False and bi.backward_layer.go_backwards is True
    outs = bi(nc.tensor(x), mask=mask)
    # Keras runs the backward copy with go_backwards and flips its sequence back; Bidirectional makes masked
    # outputs zeros when returning sequences.
    fseq, fstates = keras_rnn("lstm", x, weights[:3], units, mask=mask, zero_output_for_mask=return_sequences)
    bseq, bstates = keras_rnn("lstm", x, weights[3:], units, go_backwards=True, mask=mask,
                              zero_output_for_mask=return_sequences)
    y, y_rev = (fseq, bseq[:, ::-1]) if return_sequences else (fseq[:, -1], bseq[:, -1])
    merged = {"concat": [np.concatenate([y, y_rev], -1)], "sum": [y + y_rev], "mul": [y * y_rev],
              "ave": [(y + y_rev) / 2], None: [y, y_rev]}[merge_mode]
    expected = merged + fstates + bstates
    assert len(outs) == len(expected)
    for got, want in zip(outs, expected):
        np.testing.assert_allclose(_np(got), want, rtol=2e-5, atol=2e-5)
    assert bi.count_params() == 2 * 4 * units * (3 + units + 1)


def test_bidirectional_initial_state_and_weights_order():
    rng = np.random.default_rng(7)
    bi = Bidirectional(GRU(2, return_state=True), merge_mode="sum")
    x = rng.standard_normal((2, 3, 2)).astype(np.float32)
    bi.build((3, 2))
    weights = _randomize(bi, rng)
    assert [w.shape for w in weights] == [(2, 6), (2, 6), (2, 6)] * 2
    np.testing.assert_allclose(bi.forward_layer.get_weights()[0], weights[0])
    np.testing.assert_allclose(bi.backward_layer.get_weights()[2], weights[5])
    h_fw, h_bw = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    out, s_fw, s_bw = bi(x, initial_state=[h_fw, h_bw])
    fseq, fs = keras_rnn("gru", x, weights[:3], 2, initial=[h_fw])
    bseq, bs = keras_rnn("gru", x, weights[3:], 2, go_backwards=True, initial=[h_bw])
    np.testing.assert_allclose(_np(out), fseq[:, -1] + bseq[:, -1], rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(_np(s_fw), fs[0], rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(_np(s_bw), bs[0], rtol=2e-5, atol=2e-5)
    with pytest.raises(ValueError, match="even number"):
        bi(x, initial_state=[h_fw])


def test_bidirectional_bad_arguments():
    with pytest.raises(ValueError, match="merge mode"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="must be a recurrent layer"):
        Bidirectional(Dense(2))
    with pytest.raises(ValueError, match="different `go_backwards`"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True, return_sequences=True))


# ----------------------------------------------------------------------------- gradients

def _grad_inputs(layer, x, initial):
    return [x] + initial + list(layer.weights)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", ["simple", "lstm", "gru"])
def test_gradients_finite_differences(kind, masked):
    rng = np.random.default_rng(8)
    n, steps, units = 2, 3, 2
    layer = KINDS[kind](units, return_sequences=True, return_state=True, go_backwards=True, dtype="float64")
    layer.build((steps, 2))
    _randomize(layer, rng, scale=0.8)
    mask = np.array([[1, 0, 1], [0, 1, 1]], bool) if masked else None
    x = nc.tensor(rng.standard_normal((n, steps, 2)), requires_grad=True)
    initial = [nc.tensor(rng.standard_normal((n, units)), requires_grad=True)
               for _ in range(2 if kind == "lstm" else 1)]
    k = len(initial)
    assert gradcheck(lambda x, *rest: layer(x, initial_state=list(rest[:k]), mask=mask),
                     _grad_inputs(layer, x, initial))


def test_bidirectional_gradients_finite_differences():
    rng = np.random.default_rng(9)
    bi = Bidirectional(SimpleRNN(2, return_sequences=True, dtype="float64"), merge_mode="mul")
    bi.build((3, 2))
    _randomize(bi, rng, scale=0.8)
    x = nc.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True)
    assert gradcheck(lambda x, *w: bi(x), [x] + list(bi.weights))


def test_keras_bias_gets_the_gradient_and_zero_buffer_none():
    layer = LSTM(2)
    x = nc.tensor(np.random.default_rng(0).standard_normal((2, 3, 2)).astype(np.float32))
    layer(x).sum().backward()
    assert all(w.grad is not None for w in layer.weights)
    assert layer.module.bias_hh_l0.requires_grad is False and not layer.module.bias_hh_l0.numpy().any()


# ----------------------------------------------------------------------------- weights, counts, init

@pytest.mark.parametrize("features,units", [(3, 4), (7, 1)])
def test_count_params_and_layouts_match_keras(features, units):
    f, u = features, units
    cases = [(SimpleRNN(u), u * (f + u + 1), [(f, u), (u, u), (u,)]),
             (LSTM(u), 4 * u * (f + u + 1), [(f, 4 * u), (u, 4 * u), (4 * u,)]),
             (GRU(u), 3 * u * (f + u + 2), [(f, 3 * u), (u, 3 * u), (2, 3 * u)]),
             (LSTM(u, use_bias=False), 4 * u * (f + u), [(f, 4 * u), (u, 4 * u)]),
             (GRU(u, use_bias=False), 3 * u * (f + u), [(f, 3 * u), (u, 3 * u)]),
             (Bidirectional(GRU(u)), 2 * 3 * u * (f + u + 2), [(f, 3 * u), (u, 3 * u), (2, 3 * u)] * 2)]
    for layer, count, shapes in cases:
        layer.build((5, f))
        assert layer.count_params() == count, type(layer).__name__
        assert [w.shape for w in layer.get_weights()] == shapes
        assert sum(p.numel() for p in layer.parameters()) == count  # the zero bias_hh buffer is no parameter
        assert len(layer.trainable_weights) == len(shapes) and not layer.non_trainable_weights
    model = Sequential([Embedding(50, 8, input_shape=(10,)), LSTM(6), Dense(1)])
    assert model.count_params() == 50 * 8 + 4 * 6 * (8 + 6 + 1) + 7


def test_set_get_weights_round_trip_and_gate_order():
    rng = np.random.default_rng(10)
    u, f = 2, 3
    gru = GRU(u)
    gru.build((4, f))
    kernel, recurrent, bias = [rng.standard_normal(s) for s in [(f, 3 * u), (u, 3 * u), (2, 3 * u)]]
    gru.set_weights([kernel, recurrent, bias])
    for got, want in zip(gru.get_weights(), [kernel, recurrent, bias]):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # nn's weight_ih is (3u, F) in gate order r, z, n; Keras' kernel columns are z, r, h
    w_ih = gru.module.weight_ih_l0.detach().numpy()
    np.testing.assert_allclose(w_ih[:u], kernel[:, u:2 * u].T, rtol=1e-6)  # r
    np.testing.assert_allclose(w_ih[u:2 * u], kernel[:, :u].T, rtol=1e-6)  # z
    np.testing.assert_allclose(w_ih[2 * u:], kernel[:, 2 * u:].T, rtol=1e-6)  # n = h
    lstm = LSTM(u)
    lstm.build((4, f))
    k = rng.standard_normal((f, 4 * u))
    lstm.set_weights([k, rng.standard_normal((u, 4 * u)), rng.standard_normal(4 * u)])
    np.testing.assert_allclose(lstm.module.weight_ih_l0.detach().numpy(), k.T, rtol=1e-6)  # i, f, c, o = i, f, g, o
    with pytest.raises(ValueError, match=r"kernel must have shape \(3, 6\), got \(6, 3\)"):
        gru.set_weights([kernel.T, recurrent, bias])
    with pytest.raises(ValueError, match=r"bias must have shape \(2, 6\), got \(6,\)"):
        gru.set_weights([kernel, recurrent, bias[0]])
    with pytest.raises(ValueError, match="expects 3 weights, got 2"):
        gru.set_weights([kernel, recurrent])


def test_initialization_follows_keras():
    nc.manual_seed(11)
    u, f = 8, 5
    lstm = LSTM(u)
    lstm.build((3, f))
    kernel, recurrent, bias = lstm.get_weights()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(u), np.ones(u), np.zeros(2 * u)])  # unit_forget_bias
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(u), atol=1e-5)  # orthogonal (u, 4u): rows
    limit = np.sqrt(6 / (f + 4 * u))  # glorot_uniform on Keras' (F, 4u)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit
    no_forget = LSTM(u, unit_forget_bias=False)
    no_forget.build((3, f))
    assert not no_forget.get_weights()[2].any()
    gru = GRU(3, bias_initializer="ones")
    gru.build((2, 2))
    np.testing.assert_array_equal(gru.get_weights()[2], np.ones((2, 9)))


def test_regularizers_see_keras_layout():
    rng = np.random.default_rng(12)
    u = 2
    gru = GRU(u, kernel_regularizer=regularizers.L2(0.1), recurrent_regularizer=lambda w: w[:, :u].sum(),
              bias_regularizer=lambda b: b[1, :u].sum())
    gru.build((3, 3))
    kernel, recurrent, bias = _randomize(gru, rng)
    losses = [l.item() for l in gru.losses]
    np.testing.assert_allclose(losses, [0.1 * (kernel ** 2).sum(), recurrent[:, :u].sum(),  # z-gate columns
                                        bias[1, :u].sum()], rtol=1e-5)


def test_trainable_false_freezes_all_weights():
    layer = LSTM(2, trainable=False)
    layer.build((3, 2))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    assert all(not p.requires_grad for p in layer.parameters())


# ----------------------------------------------------------------------------- dropout, dtype, shapes

def test_input_dropout_is_one_mask_per_sequence():
    nc.manual_seed(13)
    layer = SimpleRNN(3, activation="relu", use_bias=False, dropout=0.5, return_sequences=True)
    layer.build((4, 3))
    layer.set_weights([np.eye(3), np.zeros((3, 3))])  # output_t = relu(dropped x_t)
    x = np.random.default_rng(13).uniform(0.5, 1.5, (400, 4, 3)).astype(np.float32)
    out = _np(layer(nc.tensor(x), training=True))
    ratio = out / x
    np.testing.assert_allclose(ratio, ratio[:, :1, :].repeat(4, axis=1), atol=1e-6)  # same mask at every step
    assert set(np.round(np.unique(ratio), 5)) == {0.0, 2.0}
    assert 0.45 < (ratio[:, 0] == 0).mean() < 0.55
    np.testing.assert_allclose(_np(layer(nc.tensor(x), training=False)), x, rtol=1e-6)


def test_float64_layer_casts_float32_input():
    layer = GRU(2, dtype="float64", return_sequences=True)
    out = layer(np.ones((1, 3, 2), np.float32))
    assert str(out.dtype).endswith("float64") and out.shape == (1, 3, 2)
    assert all(str(w.dtype).endswith("float64") for w in layer.weights)


def test_time_length_may_change_after_build():
    layer = LSTM(3, return_sequences=True, return_state=True)
    assert layer.build((5, 2)) == [(5, 3), (3,), (3,)]
    assert layer(np.zeros((2, 9, 2), np.float32))[0].shape == (2, 9, 3)
    assert layer.build((9, 2)) == [(9, 3), (3,), (3,)]
    bi = Bidirectional(LSTM(3, return_sequences=True), merge_mode=None)
    assert bi.build((4, 2)) == [(4, 3), (4, 3)]


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_bad_inputs_raise(cls):
    layer = cls(3)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layer(np.zeros((2, 5), np.float32))
    layer(np.zeros((2, 5, 4), np.float32))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(np.zeros((2, 5, 6), np.float32))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        layer(np.zeros((2, 5, 4, 1), np.float32))
    n_states = 2 if cls is LSTM else 1
    with pytest.raises(ValueError, match=f"expects {n_states} initial state"):
        layer(np.zeros((2, 5, 4), np.float32), initial_state=[np.zeros((2, 3))] * 3)
    with pytest.raises(ValueError, match=r"must have shape \(batch, units\) = \(2, 3\), got \(2, 4\)"):
        layer(np.zeros((2, 5, 4), np.float32), initial_state=[np.zeros((2, 4))] * n_states)
    with pytest.raises(TypeError, match="numeric"):
        layer(np.array([[["a"]]]))


@pytest.mark.parametrize("kwargs,error,pattern", [
    (dict(units=0), ValueError, "`units`"),
    (dict(units=2.5), ValueError, "`units`"),
    (dict(units=2, dropout=1.0), ValueError, r"dropout must be a number in \[0, 1\)"),
    (dict(units=2, recurrent_dropout=0.2), NotImplementedError, "recurrent_dropout=0.2"),
    (dict(units=2, stateful=True), NotImplementedError, "stateful=True"),
    (dict(units=2, activation="relu"), NotImplementedError, "activation='relu'"),
    (dict(units=2, recurrent_activation="hard_sigmoid"), NotImplementedError, "recurrent_activation='hard_sigmoid'"),
    (dict(units=2, kernel_constraint="max_norm"), NotImplementedError, "kernel_constraint"),
    (dict(units=2, activation="no_such"), ValueError, "no_such"),
])
def test_unsupported_or_invalid_options(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        LSTM(**kwargs)


def test_unsupported_layer_specific_options():
    with pytest.raises(NotImplementedError, match="reset_after=False"):
        GRU(2, reset_after=False)
    with pytest.raises(NotImplementedError, match="activation='sigmoid'"):
        SimpleRNN(2, activation="sigmoid")
    with pytest.raises(ValueError, match="use_cudnn"):
        LSTM(2, use_cudnn="yes")
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
        LSTM(2, dtype="int64")


# ----------------------------------------------------------------------------- configs

def test_configs_round_trip():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    for layer in (SimpleRNN(3, activation="relu", go_backwards=True), LSTM(2, return_sequences=True,
                  unit_forget_bias=False), GRU(4, use_bias=False, dropout=0.1)):
        config = layer.get_config()
        copy = type(layer).from_config(config)
        assert copy.get_config() == config
        layer.build((4, 3))
        copy.build((4, 3))
        copy.set_weights(layer.get_weights())
        layer.eval(), copy.eval()
        np.testing.assert_allclose(_np(copy(x)), _np(layer(x)), rtol=1e-6)
    emb = Embedding(7, 3, mask_zero=True, embeddings_initializer="glorot_uniform")
    assert Embedding.from_config(emb.get_config()).get_config() == emb.get_config()


def test_bidirectional_config_accepts_layer_or_dict():
    inner = LSTM(3, return_sequences=True, name="enc")
    bi = Bidirectional(inner, merge_mode="ave")
    assert bi.forward_layer.name == "forward_enc" and bi.backward_layer.name == "backward_enc"
    config = bi.get_config()
    for spec in (config["layer"], {"class_name": "LSTM", "config": inner.get_config()}):
        copy = Bidirectional.from_config({**config, "layer": spec})
        assert copy.merge_mode == "ave" and copy.forward_layer.name == "forward_enc"
        assert copy.forward_layer.return_sequences and copy.backward_layer.go_backwards
    with pytest.raises(ValueError, match="Unknown layer class 'Nope'"):
        Bidirectional.from_config({**config, "layer": {"class_name": "Nope", "config": {}}})


# ----------------------------------------------------------------------------- Embedding

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_embedding_values_and_gradient_rows(dtype):
    emb = Embedding(10, 3, dtype=dtype)
    ids = np.array([[1, 3, 3], [7, 1, 0]])
    out = emb(ids)
    table = emb.get_weights()[0]
    assert out.shape == (2, 3, 3) and str(out.dtype).endswith(dtype)
    np.testing.assert_array_equal(_np(out), table[ids])
    assert np.abs(table).max() <= 0.05  # Keras' "uniform": U(-0.05, 0.05)
    g = np.random.default_rng(15).standard_normal((2, 3, 3))
    (out * nc.tensor(g.astype(dtype))).sum().backward()
    grad = emb.embeddings.grad.numpy()
    expected = np.zeros((10, 3))
    np.add.at(expected, ids.reshape(-1), g.reshape(-1, 3))
    np.testing.assert_allclose(grad, expected, rtol=1e-6)
    assert not grad[[2, 4, 5, 6, 8, 9]].any()  # unused rows get no gradient


def test_embedding_float_ids_any_rank_and_mask():
    emb = Embedding(5, 2, mask_zero=True)
    assert emb(np.array([[1.0, 4.0, 0.0]])).shape == (1, 3, 2)  # Sequential feeds float32; Keras casts to int
    assert emb(np.array([2, 0])).shape == (2, 2)
    assert emb(np.zeros((2, 2, 3), np.int64)).shape == (2, 2, 3, 2)
    out = emb(np.array([[0, 3, 0, 1]]))
    assert out._keras_mask.tolist() == [[False, True, False, True]]
    assert emb.compute_mask(np.array([[0, 2]])).tolist() == [[False, True]]
    assert Embedding(5, 2).compute_mask(np.array([[0, 2]])) is None


def test_embedding_bad_ids_and_arguments():
    emb = Embedding(5, 2)
    with pytest.raises(IndexError, match=r"\[0, 5\)"):
        emb(np.array([[1, 5]]))
    with pytest.raises(IndexError, match=r"\[0, 5\)"):
        emb(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="`input_dim`"):
        Embedding(0, 2)
    with pytest.raises(ValueError, match="`output_dim`"):
        Embedding(3, -1)
    with pytest.raises(NotImplementedError, match="embeddings_constraint"):
        Embedding(3, 2, embeddings_constraint="non_neg")
    with pytest.raises(TypeError, match="numeric"):
        emb(np.array([["a"]]))


def test_embedding_regularizer():
    emb = Embedding(4, 2, embeddings_regularizer=regularizers.L1(0.5))
    emb.build((3,))
    np.testing.assert_allclose(emb.losses[0].item(), 0.5 * np.abs(emb.get_weights()[0]).sum(), rtol=1e-6)


# ----------------------------------------------------------------------------- training

def _sentiment_data(n, seed, steps=16, vocab=40):
    """Sentences of 5-16 ids, pre-padded with 0: neutral words 14..39 and 1, 3 or 5 sentiment words (2..7
    positive, 8..13 negative); the label is 1 when the positive ones are the majority. Needs the whole sequence:
    the last word alone gives ~55%."""
    rng = np.random.default_rng(seed)
    x, y = np.zeros((n, steps), np.int64), np.zeros(n, np.int64)
    for i in range(n):
        length = rng.integers(5, steps + 1)
        words = rng.integers(14, vocab, length)
        k = rng.choice([1, 3, 5])
        positive = rng.integers(0, 2, k).astype(bool)
        words[rng.choice(length, k, replace=False)] = np.where(positive, rng.integers(2, 8, k),
                                                               rng.integers(8, 14, k))
        y[i] = int(2 * positive.sum() > k)
        x[i, steps - length:] = words
    return x, y


@pytest.mark.parametrize("recurrent", ["lstm", "bigru"])
def test_sentiment_training(recurrent):
    # Measured (2 threads, seeds 0-2): 8 epochs take 0.35-0.75 s and reach 99.9-100% train, 100% test accuracy.
    nc.manual_seed(0)
    x_train, y_train = _sentiment_data(2000, 1)
    x_test, y_test = _sentiment_data(500, 2)
    layer = LSTM(16) if recurrent == "lstm" else Bidirectional(GRU(8))
    model = Sequential([Embedding(40, 16, mask_zero=True, input_shape=(16,)), layer, Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=8, batch_size=32, verbose=0)
    elapsed = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.97, (accuracy, loss)
    assert elapsed < 30, elapsed  # a few seconds at most, even on a loaded machine


@pytest.mark.parametrize("module", ["neurocore.keras.layers.recurrent", "neurocore.keras.layers.embedding"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
