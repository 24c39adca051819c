"""nc.keras layers Conv1D/Conv2D, pooling, BatchNormalization/LayerNormalization, reshaping layers, plus
keras.regularizers, keras.initializers and keras.activations.

References are plain numpy (loops) in this file. Constants marked "Keras 3.15" were produced by the real Keras
(KERAS_BACKEND=torch) and are written here as numbers, so the tests do not need Keras.
"""
import doctest
import importlib
import math

import numpy as np
import pytest

import neurocore as nc
from neurocore.autograd import no_grad
from neurocore.keras import Sequential, activations, initializers, regularizers
from neurocore.keras import layers as L

DTYPES = ["float32", "float64"]
TOL = {"float32": 2e-5, "float64": 1e-10}


# ----------------------------------------------------------------------------- helpers

def _rng(seed=0):
    return np.random.default_rng(seed)


def _make(layer, input_shape, dtype="float32", weights=None):
    """Build ``layer`` for ``input_shape`` (batch included), optionally set Keras-layout weights, cast to dtype."""
    layer.build(tuple(input_shape[1:]))
    if weights is not None:
        layer.set_weights(weights)
    if dtype == "float64":
        layer.double()
    return layer


def _run(layer, x, dtype):
    if dtype == "float64":
        layer.double()  # the layer computes in float64 (float inputs are cast to a layer's dtype, as in Keras)
    y = layer(nc.tensor(x.astype(dtype)))
    assert y.dtype == (nc.float32 if dtype == "float32" else nc.float64)
    return y.detach().numpy()


def _numeric_grad(f, a, eps=1e-6):
    """Central differences of the scalar f() with respect to the numpy array ``a`` (perturbed in place)."""
    g = np.zeros_like(a)
    flat, gflat = a.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = f()
        flat[i] = old - eps
        lo = f()
        flat[i] = old
        gflat[i] = (hi - lo) / (2 * eps)
    return g


def _check_gradients(layer, x, atol=1e-6, seed=1):
    """float64 gradient check of (layer(x) * dout).sum() w.r.t. the input and every trainable parameter."""
    x = x.astype(np.float64)
    layer.double()
    params = [p for p in layer.parameters() if p.requires_grad]
    for p in params:
        p.grad = None
    xt = nc.tensor(x, requires_grad=True)
    y = layer(xt)
    dout = _rng(seed).standard_normal(tuple(y.shape))
    (y * nc.tensor(dout)).sum().backward()
    analytic = [xt.grad.numpy()] + [p.grad.numpy().copy() for p in params]

    def loss():
        return float((layer(nc.tensor(x)).detach().numpy() * dout).sum())

    numeric = [_numeric_grad(loss, x)]
    for p in params:
        values = p.detach().numpy().copy()

        def loss_p(p=p, values=values):
            with no_grad():
                p.copy_(nc.tensor(values))
            return loss()

        numeric.append(_numeric_grad(loss_p, values))
        with no_grad():
            p.copy_(nc.tensor(values))
    for a, n in zip(analytic, numeric):
        np.testing.assert_allclose(a, n, atol=atol, rtol=1e-5)


# ----------------------------------------------------------------------------- numpy references

def _same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _conv_pads(size, k, s, d, padding):
    ek = d * (k - 1) + 1
    return {"valid": (0, 0), "causal": (ek - 1, 0)}.get(padding) or _same_pads(size, ek, s)


def conv1d_ref(x, kernel, bias, stride, padding, dilation, groups):
    """x (N, T, C), kernel (K, C/groups, F) in Keras layout."""
    n, t, c = x.shape
    k, cg, f = kernel.shape
    pads = _conv_pads(t, k, stride, dilation, padding)
    xp = np.pad(x.astype(np.float64), ((0, 0), pads, (0, 0)))
    t_out = (t + sum(pads) - dilation * (k - 1) - 1) // stride + 1
    fg = f // groups
    out = np.zeros((n, t_out, f))
    for i in range(t_out):
        for o in range(f):
            g = o // fg
            for j in range(k):
                out[:, i, o] += xp[:, i * stride + j * dilation, g * cg:(g + 1) * cg] @ kernel[j, :, o]
    return out + (0 if bias is None else bias)


def conv2d_ref(x, kernel, bias, strides, padding, dilation, groups):
    """x (N, H, W, C), kernel (KH, KW, C/groups, F) in Keras layout."""
    n, h, w, c = x.shape
    kh, kw, cg, f = kernel.shape
    ph = _conv_pads(h, kh, strides[0], dilation[0], padding)
    pw = _conv_pads(w, kw, strides[1], dilation[1], padding)
    xp = np.pad(x.astype(np.float64), ((0, 0), ph, pw, (0, 0)))
    ho = (h + sum(ph) - dilation[0] * (kh - 1) - 1) // strides[0] + 1
    wo = (w + sum(pw) - dilation[1] * (kw - 1) - 1) // strides[1] + 1
    fg = f // groups
    out = np.zeros((n, ho, wo, f))
    for i in range(ho):
        for j in range(wo):
            for o in range(f):
                g = o // fg
                for a in range(kh):
                    for b in range(kw):
                        patch = xp[:, i * strides[0] + a * dilation[0], j * strides[1] + b * dilation[1],
                                   g * cg:(g + 1) * cg]
                        out[:, i, j, o] += patch @ kernel[a, b, :, o]
    return out + (0 if bias is None else bias)


def pool_ref(x, pool, strides, padding, kind):
    """TensorFlow/Keras pooling of channels-last x over its spatial axes: padding never wins a max and is not
    counted by a mean."""
    spatial = x.shape[1:-1]
    ranges = []
    for size, p, s in zip(spatial, pool, strides):
        if padding == "same":
            out, before = -(-size // s), _same_pads(size, p, s)[0]
        else:
            out, before = (size - p) // s + 1, 0
        ranges.append([(max(i * s - before, 0), min(i * s - before + p, size)) for i in range(out)])
    out = np.zeros((x.shape[0],) + tuple(len(r) for r in ranges) + (x.shape[-1],))
    for index in np.ndindex(*[len(r) for r in ranges]):
        window = x[(slice(None),) + tuple(slice(*ranges[d][i]) for d, i in enumerate(index))]
        axes = tuple(range(1, len(spatial) + 1))
        out[(slice(None),) + index] = window.max(axis=axes) if kind == "max" else window.mean(axis=axes)
    return out


def batch_norm_ref(x, axis, gamma, beta, mean, var, eps):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    r = lambda v: np.reshape(v, shape)  # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + eps) * r(gamma) + r(beta)


def layer_norm_ref(x, axes, gamma, beta, eps):
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = x.var(axis=tuple(axes), keepdims=True)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return (x - mean) / np.sqrt(var + eps) * np.reshape(gamma, shape) + np.reshape(beta, shape)


# ----------------------------------------------------------------------------- Conv1D

CONV1D_CASES = [
    dict(padding="valid", strides=1, dilation_rate=1, groups=1),
    dict(padding="valid", strides=2, dilation_rate=1, groups=2),
    dict(padding="same", strides=1, dilation_rate=2, groups=1),
    dict(padding="same", strides=2, dilation_rate=1, groups=2),
    dict(padding="same", strides=3, dilation_rate=1, groups=1),
    dict(padding="causal", strides=1, dilation_rate=2, groups=1),
    dict(padding="causal", strides=2, dilation_rate=1, groups=2),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV1D_CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
@pytest.mark.parametrize("length", [9, 10])
def test_conv1d_forward_matches_numpy(case, length, dtype):
    rng = _rng()
    kernel = rng.standard_normal((4, 6 // case["groups"], 4))
    bias = rng.standard_normal(4)
    layer = _make(L.Conv1D(4, 4, **case), (2, length, 6), dtype, [kernel, bias])
    x = rng.standard_normal((2, length, 6))
    y = _run(layer, x, dtype)
    s, d = case["strides"], case["dilation_rate"]
    expected_len = {"valid": (length - d * 3 - 1) // s + 1}.get(case["padding"], -(-length // s))
    assert y.shape == (2, expected_len, 4)
    k, b = layer.get_weights()
    np.testing.assert_allclose(y, conv1d_ref(x.astype(dtype), k, b, s, case["padding"], d, case["groups"]),
                               atol=TOL[dtype] * 10)


def test_conv1d_padding_matches_keras_worked_numbers():
    # Keras 3.15, Conv1D(1, k, strides, dilation_rate, padding, kernel_initializer="ones", use_bias=False) on the
    # sequence 1..L: "same" puts the odd padding cell at the end, "causal" pads only before the sequence.
    cases = [("same", 7, 3, 2, 1, [3, 9, 15, 13]), ("same", 8, 3, 2, 1, [6, 12, 18, 15]),
             ("same", 8, 4, 2, 1, [6, 14, 22, 21]), ("same", 7, 4, 3, 1, [6, 18, 13]),
             ("same", 9, 3, 1, 2, [4, 6, 9, 12, 15, 18, 21, 14, 16]),
             ("same", 10, 4, 1, 1, [6, 10, 14, 18, 22, 26, 30, 34, 27, 19]),
             ("causal", 7, 3, 1, 2, [1, 2, 4, 6, 9, 12, 15]), ("causal", 7, 3, 2, 1, [1, 6, 12, 18])]
    for padding, length, k, s, d, expected in cases:
        layer = L.Conv1D(1, k, strides=s, dilation_rate=d, padding=padding, kernel_initializer="ones",
                         use_bias=False)
        x = nc.tensor(np.arange(1, length + 1, dtype=np.float32).reshape(1, length, 1))
        assert layer(x).detach().numpy().ravel().tolist() == expected, (padding, length, k, s, d)


def test_conv1d_causal_output_never_sees_the_future():
    rng = _rng(3)
    layer = _make(L.Conv1D(3, 3, padding="causal", dilation_rate=2), (1, 12, 2))
    x = rng.standard_normal((1, 12, 2)).astype(np.float32)
    y = layer(nc.tensor(x)).detach().numpy()
    x2 = x.copy()
    x2[:, 7:] = rng.standard_normal((1, 5, 2))
    y2 = layer(nc.tensor(x2)).detach().numpy()
    np.testing.assert_array_equal(y[:, :7], y2[:, :7])
    assert not np.allclose(y[:, 7:], y2[:, 7:])


@pytest.mark.parametrize("case", [dict(padding="causal", dilation_rate=2, groups=1, strides=1),
                                  dict(padding="same", strides=2, groups=2, dilation_rate=1)])
def test_conv1d_gradients(case):
    layer = _make(L.Conv1D(4, 3, bias_initializer="random_normal", **case), (2, 7, 4), "float64")
    _check_gradients(layer, _rng(2).standard_normal((2, 7, 4)))


def test_conv1d_weights_in_keras_layout():
    # Keras 3.15: Conv1D(4, 3, groups=2) on 6 channels has kernel (3, 3, 4) and bias (4,).
    layer = _make(L.Conv1D(4, 3, groups=2), (1, 5, 6))
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 4), (4,)]
    assert layer.count_params() == 3 * 3 * 4 + 4
    kernel = np.arange(36, dtype=np.float32).reshape(3, 3, 4)
    layer.set_weights([kernel, np.zeros(4)])
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    # nn layout (filters, in/groups, k) holds the same numbers transposed
    np.testing.assert_array_equal(layer.module.weight.detach().numpy(), kernel.transpose(2, 1, 0))


# ----------------------------------------------------------------------------- Conv2D

CONV2D_CASES = [
    dict(padding="valid", strides=(1, 1), dilation_rate=(1, 1), groups=2),
    dict(padding="same", strides=(2, 2), dilation_rate=(1, 1), groups=2),
    dict(padding="same", strides=(2, 1), dilation_rate=(1, 1), groups=1),
    dict(padding="same", strides=(1, 1), dilation_rate=(2, 1), groups=3),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV2D_CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_conv2d_forward_matches_numpy(case, dtype):
    rng = _rng(1)
    groups = case["groups"]
    kernel = rng.standard_normal((3, 2, 6 // groups, 6))
    layer = _make(L.Conv2D(6, (3, 2), activation="relu", **case), (2, 7, 6, 6), dtype,
                  [kernel, rng.standard_normal(6)])
    x = rng.standard_normal((2, 7, 6, 6))
    y = _run(layer, x, dtype)
    k, b = layer.get_weights()
    ref = np.maximum(conv2d_ref(x.astype(dtype), k, b, case["strides"], case["padding"], case["dilation_rate"],
                                groups), 0)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=TOL[dtype] * 10)


def test_conv2d_grouped_gradients():
    layer = _make(L.Conv2D(4, 3, strides=2, padding="same", groups=2, bias_initializer="random_normal"),
                  (1, 5, 4, 4), "float64")
    _check_gradients(layer, _rng(4).standard_normal((1, 5, 4, 4)))


def test_conv2d_grouped_kernel_layout():
    layer = _make(L.Conv2D(8, 3, groups=2), (1, 7, 7, 4))
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 2, 8), (8,)]


# ----------------------------------------------------------------------------- pooling

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool,strides", [(2, None), (3, 2), (3, 1), (2, 3)])
@pytest.mark.parametrize("length", [7, 8])
def test_pooling1d_matches_numpy(kind, padding, pool, strides, length, dtype):
    cls = L.MaxPooling1D if kind == "max" else L.AveragePooling1D
    layer = cls(pool, strides, padding=padding)
    x = _rng(5).standard_normal((2, length, 3))
    y = _run(layer, x, dtype)
    ref = pool_ref(x.astype(dtype), (pool,), (strides or pool,), padding, kind)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pool,strides", [((2, 2), None), ((3, 3), (2, 2)), ((3, 2), (1, 2))])
def test_pooling2d_same_matches_numpy(kind, pool, strides, dtype):
    cls = L.MaxPooling2D if kind == "max" else L.AveragePooling2D
    x = _rng(6).standard_normal((2, 5, 6, 3))
    y = _run(cls(pool, strides, padding="same"), x, dtype)
    ref = pool_ref(x.astype(dtype), pool, strides or pool, "same", kind)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=TOL[dtype])


def test_pooling_same_matches_keras_worked_numbers():
    seq = lambda n: nc.tensor(np.arange(1, n + 1, dtype=np.float32).reshape(1, n, 1))  # noqa: E731
    flat = lambda t: t.detach().numpy().ravel().tolist()  # noqa: E731
    # Keras 3.15 (torch backend) on the sequence 1..L (max pooling on its negation):
    assert flat(L.MaxPooling1D(2, padding="same")(seq(7) * -1.0)) == [-1, -3, -5, -7]
    assert flat(L.MaxPooling1D(3, 2, padding="same")(seq(7) * -1.0)) == [-1, -2, -4, -6]
    assert flat(L.AveragePooling1D(2, padding="same")(seq(7))) == [1.5, 3.5, 5.5, 7.0]
    assert flat(L.AveragePooling1D(3, 2, padding="same")(seq(7))) == [1.5, 3.0, 5.0, 6.5]
    assert flat(L.AveragePooling1D(2, 1, padding="same")(seq(5))) == [1.5, 2.5, 3.5, 4.5, 5.0]
    # Only cells inside the data count (TensorFlow/JAX rule): the last window of 1..8 with pool 3, stride 2 holds
    # 7, 8 and one padding cell -> 7.5. (Keras' torch backend pads uneven "same" by replicating the edge and
    # gives 7.666667 here; we keep the backend-independent result.)
    assert flat(L.AveragePooling1D(3, 2, padding="same")(seq(8))) == [2.0, 4.0, 6.0, 7.5]
    # Keras 3.15: AveragePooling2D(2, padding="same") on arange(25) as a 5x5 image.
    y = L.AveragePooling2D(2, padding="same")(nc.tensor(np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)))
    assert y.detach().numpy()[0, :, :, 0].tolist() == [[3.0, 5.0, 6.5], [13.0, 15.0, 16.5], [20.5, 22.5, 24.0]]


@pytest.mark.parametrize("cls", [L.MaxPooling1D, L.AveragePooling1D])
def test_pooling1d_gradients(cls):
    x = _rng(7).permutation(2 * 8 * 2).reshape(2, 8, 2) / 7.0  # distinct values: no ties for max
    _check_gradients(cls(3, 2, padding="same"), x)


@pytest.mark.parametrize("cls", [L.MaxPooling2D, L.AveragePooling2D])
def test_pooling2d_same_gradients(cls):
    x = _rng(8).permutation(5 * 5 * 2).reshape(1, 5, 5, 2) / 9.0
    _check_gradients(cls(3, 2, padding="same"), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_global_pooling(dtype):
    x1 = _rng(9).standard_normal((2, 5, 3))
    x2 = _rng(10).standard_normal((2, 4, 5, 3))
    np.testing.assert_allclose(_run(L.GlobalAveragePooling1D(), x1, dtype), x1.mean(1), atol=TOL[dtype])
    np.testing.assert_allclose(_run(L.GlobalMaxPooling1D(), x1, dtype), x1.max(1), atol=TOL[dtype])
    np.testing.assert_allclose(_run(L.GlobalAveragePooling2D(), x2, dtype), x2.mean((1, 2)), atol=TOL[dtype])
    np.testing.assert_allclose(_run(L.GlobalMaxPooling2D(), x2, dtype), x2.max((1, 2)), atol=TOL[dtype])
    assert _run(L.GlobalMaxPooling1D(keepdims=True), x1, dtype).shape == (2, 1, 3)
    np.testing.assert_allclose(_run(L.GlobalAveragePooling2D(keepdims=True), x2, dtype),
                               x2.mean((1, 2), keepdims=True), atol=TOL[dtype])
    _check_gradients(L.GlobalAveragePooling2D(), x2)
    _check_gradients(L.GlobalMaxPooling1D(), x1)


def test_pooling_aliases():
    assert L.MaxPool1D is L.MaxPooling1D and L.AvgPool1D is L.AveragePooling1D
    assert L.MaxPool2D is L.MaxPooling2D and L.AvgPool2D is L.AveragePooling2D
    assert L.GlobalAvgPool2D is L.GlobalAveragePooling2D and L.GlobalMaxPool1D is L.GlobalMaxPooling1D
    assert L.GlobalAvgPool1D is L.GlobalAveragePooling1D and L.GlobalMaxPool2D is L.GlobalMaxPooling2D


# ----------------------------------------------------------------------------- BatchNormalization

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", [((6, 3), -1), ((4, 5, 3), -1), ((3, 4, 5, 2), -1), ((3, 4, 5, 2), 1),
                                        ((4, 3, 5), 1)])
def test_batch_norm_training_and_moving_statistics(shape, axis, dtype):
    rng = _rng(11)
    momentum, eps = 0.8, 1e-3
    c = shape[axis]
    gamma, beta = rng.uniform(0.5, 1.5, c), rng.standard_normal(c)
    layer = _make(L.BatchNormalization(axis=axis, momentum=momentum), shape, dtype,
                  [gamma, beta, np.zeros(c), np.ones(c)])
    gamma, beta = layer.get_weights()[:2]
    layer.train()
    mean, var = np.zeros(c), np.ones(c)
    axes = tuple(a for a in range(len(shape)) if a != axis % len(shape))
    for step in range(3):
        x = rng.standard_normal(shape) * 2.0 + 1.0
        y = _run(layer, x, dtype)
        xd = x.astype(dtype)
        batch_mean, batch_var = xd.mean(axes), xd.var(axes)  # Keras: biased batch variance
        np.testing.assert_allclose(y, batch_norm_ref(xd, axis, gamma, beta, batch_mean, batch_var, eps),
                                   atol=TOL[dtype] * 10)
        mean = momentum * mean + (1 - momentum) * batch_mean  # Keras: momentum weighs the old value
        var = momentum * var + (1 - momentum) * batch_var
        got_mean, got_var = layer.get_weights()[2:]
        np.testing.assert_allclose(got_mean, mean, atol=TOL[dtype] * 10)
        np.testing.assert_allclose(got_var, var, atol=TOL[dtype] * 10)
    layer.eval()  # inference: moving statistics, no update
    x = rng.standard_normal(shape)
    y = _run(layer, x, dtype)
    np.testing.assert_allclose(y, batch_norm_ref(x.astype(dtype), axis, gamma, beta, mean, var, eps),
                               atol=TOL[dtype] * 10)
    np.testing.assert_allclose(layer.get_weights()[2], mean, atol=TOL[dtype] * 10)


def test_batch_norm_matches_keras_worked_numbers():
    # Keras 3.15, BatchNormalization() defaults, one training call on arange(12).reshape(4, 3) ** 1.5:
    layer = L.BatchNormalization()
    y = layer(nc.tensor((np.arange(12, dtype=np.float32).reshape(4, 3)) ** 1.5), training=True).detach().numpy()
    np.testing.assert_allclose(y[0], [-1.1410037, -1.1936625, -1.2221038], rtol=1e-5)
    np.testing.assert_allclose(y[3], [1.4868548, 1.4578607, 1.4397516], rtol=1e-5)
    moving_mean, moving_var = layer.get_weights()[2:]
    np.testing.assert_allclose(moving_mean, [0.11723272, 0.14785759, 0.18279764], rtol=1e-5)
    np.testing.assert_allclose(moving_var, [2.0456488, 2.323813, 2.5885022], rtol=1e-5)  # biased variance
    # Keras 3.15, BatchNormalization(momentum=0.5, epsilon=0.0) on [[1, 2], [3, 6]]: training then inference.
    layer = L.BatchNormalization(momentum=0.5, epsilon=0.0)
    x = nc.tensor([[1.0, 2.0], [3.0, 6.0]])
    assert layer(x, training=True).detach().numpy().tolist() == [[-1.0, -1.0], [1.0, 1.0]]
    assert [w.tolist() for w in layer.get_weights()] == [[1.0, 1.0], [0.0, 0.0], [1.0, 2.0], [1.0, 2.5]]
    layer.eval()
    np.testing.assert_allclose(layer(x).detach().numpy(), [[0.0, 0.0], [2.0, 2.529822]], rtol=1e-6)


def test_batch_norm_batch_of_one_and_frozen_layer():
    # Keras 3.15: one sample per feature is its own mean, so training gives beta; moving var moves toward 0.
    layer = L.BatchNormalization(momentum=0.5, beta_initializer=initializers.Constant(0.25))
    x = nc.tensor([[1.0, -2.0, 3.0]], requires_grad=True)
    y = layer(x, training=True)
    assert y.detach().numpy().tolist() == [[0.25, 0.25, 0.25]]
    assert [w.tolist() for w in layer.get_weights()] == [[1, 1, 1], [0.25] * 3, [0.5, -1.0, 1.5], [0.5] * 3]
    (y * nc.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert x.grad.numpy().tolist() == [[0.0, 0.0, 0.0]]
    # Keras 3.15: trainable=False runs in inference mode even when training: moving statistics, no update.
    layer = L.BatchNormalization(momentum=0.5, trainable=False)
    layer.train()
    y = layer(nc.tensor([[1.0, 2.0], [3.0, 6.0]])).detach().numpy()
    np.testing.assert_allclose(y, [[0.9995004, 1.9990008], [2.9985013, 5.9970026]], rtol=1e-6)
    assert [w.tolist() for w in layer.get_weights()] == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1.0, 1.0]]
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_batch_norm_gradients_in_training_mode():
    rng = _rng(12)
    layer = _make(L.BatchNormalization(), (5, 3, 2), "float64",
                  [rng.uniform(0.5, 1.5, 2), rng.standard_normal(2), np.zeros(2), np.ones(2)])
    layer.train()
    _check_gradients(layer, rng.standard_normal((5, 3, 2)))
    layer.eval()
    _check_gradients(layer, rng.standard_normal((5, 3, 2)))


def test_batch_norm_weights_and_counts():
    layer = _make(L.BatchNormalization(), (2, 4, 4, 5))
    assert [w.shape for w in layer.get_weights()] == [(5,)] * 4
    assert layer.count_params() == 20
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    # Keras 3.15: center=False drops beta -> gamma, moving_mean, moving_variance.
    layer = _make(L.BatchNormalization(center=False), (2, 3))
    assert len(layer.get_weights()) == 3 and len(layer.trainable_weights) == 1
    layer = _make(L.BatchNormalization(scale=False, center=False), (2, 3))
    assert len(layer.get_weights()) == 2 and layer.trainable_weights == []


def test_lenet_with_batch_norm_counts_match_keras():
    # Keras 3.15 summary of this model: Total 62,274, Trainable 61,990, Non-trainable 284.
    model = [L.Conv2D(6, 5, padding="same", activation="relu"), L.BatchNormalization(), L.MaxPooling2D(),
             L.Conv2D(16, 5, activation="relu"), L.BatchNormalization(), L.MaxPooling2D(), L.Flatten(),
             L.Dense(120, activation="relu"), L.BatchNormalization(), L.Dense(84, activation="relu"),
             L.Dense(10, activation="softmax")]
    shape = (28, 28, 1)
    for layer in model:
        shape = layer.build(shape)
    assert [layer.count_params() for layer in model] == [156, 24, 0, 2416, 64, 0, 0, 48120, 480, 10164, 850]
    trainable = sum(w.numel() for layer in model for w in layer.trainable_weights)
    frozen = sum(w.numel() for layer in model for w in layer.non_trainable_weights)
    assert (trainable + frozen, trainable, frozen) == (62274, 61990, 284)
    model[0] = L.Conv2D(6, 5, padding="same", activation="relu", input_shape=(28, 28, 1))
    sequential = Sequential([model[0]] + [type(layer).from_config(layer.get_config()) for layer in model[1:]])
    assert sequential.count_params() == 62274
    lines = []
    sequential.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 62,274" in text and "Trainable params: 61,990" in text
    assert "Non-trainable params: 284" in text


# ----------------------------------------------------------------------------- LayerNormalization

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", [((3, 5), -1), ((2, 3, 4), -1), ((2, 3, 4), 1), ((2, 3, 4, 5), [1, 2]),
                                        ((2, 3, 4, 5), [2, 3]), ((2, 3, 4, 5), [1, 3])])
def test_layer_norm_matches_numpy(shape, axis, dtype):
    rng = _rng(13)
    axes = sorted(a % len(shape) for a in (axis if isinstance(axis, list) else [axis]))
    wshape = tuple(shape[a] for a in axes)
    layer = _make(L.LayerNormalization(axis=axis), shape, dtype,
                  [rng.uniform(0.5, 1.5, wshape), rng.standard_normal(wshape)])
    assert [w.shape for w in layer.get_weights()] == [wshape, wshape]
    x = rng.standard_normal(shape) * 3 + 1
    gamma, beta = layer.get_weights()
    np.testing.assert_allclose(_run(layer, x, dtype), layer_norm_ref(x.astype(dtype), axes, gamma, beta, 1e-3),
                               atol=TOL[dtype] * 10)


@pytest.mark.parametrize("axis", [-1, 1])
def test_layer_norm_gradients(axis):
    rng = _rng(14)
    layer = _make(L.LayerNormalization(axis=axis), (2, 3, 4), "float64")
    layer.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in layer.get_weights()])
    _check_gradients(layer, rng.standard_normal((2, 3, 4)))


def test_layer_norm_without_center_or_scale():
    layer = _make(L.LayerNormalization(center=False, scale=False, epsilon=0.0), (2, 2))
    assert layer.get_weights() == []
    y = layer(nc.tensor([[1.0, 3.0], [5.0, 9.0]])).detach().numpy()
    assert y.tolist() == [[-1.0, 1.0], [-1.0, 1.0]]


# ----------------------------------------------------------------------------- reshaping

@pytest.mark.parametrize("dtype", DTYPES)
def test_reshaping_layers_match_numpy(dtype):
    rng = _rng(15)
    x = rng.standard_normal((2, 12))
    np.testing.assert_array_equal(_run(L.Reshape((3, -1)), x, dtype), x.astype(dtype).reshape(2, 3, 4))
    np.testing.assert_array_equal(_run(L.Reshape((2, 2, 3)), x, dtype), x.astype(dtype).reshape(2, 2, 2, 3))
    x3 = rng.standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(_run(L.Permute((3, 1, 2)), x3, dtype), x3.astype(dtype).transpose(0, 3, 1, 2))
    x2 = rng.standard_normal((2, 4))
    np.testing.assert_array_equal(_run(L.RepeatVector(3), x2, dtype), np.repeat(x2.astype(dtype)[:, None], 3, 1))
    np.testing.assert_array_equal(_run(L.ZeroPadding2D(((1, 0), (2, 1))), x3, dtype),
                                  np.pad(x3.astype(dtype), ((0, 0), (1, 0), (2, 1), (0, 0))))
    np.testing.assert_array_equal(_run(L.ZeroPadding2D((1, 2)), x3, dtype),
                                  np.pad(x3.astype(dtype), ((0, 0), (1, 1), (2, 2), (0, 0))))
    np.testing.assert_array_equal(_run(L.ZeroPadding2D(), x3, dtype),
                                  np.pad(x3.astype(dtype), ((0, 0), (1, 1), (1, 1), (0, 0))))
    np.testing.assert_array_equal(_run(L.ZeroPadding1D((2, 1)), x3[:, 0], dtype),
                                  np.pad(x3[:, 0].astype(dtype), ((0, 0), (2, 1), (0, 0))))
    np.testing.assert_array_equal(_run(L.UpSampling2D((2, 3)), x3, dtype),
                                  x3.astype(dtype).repeat(2, axis=1).repeat(3, axis=2))
    np.testing.assert_array_equal(_run(L.UpSampling1D(3), x3[:, 0], dtype), x3[:, 0].astype(dtype).repeat(3, 1))
    np.testing.assert_array_equal(_run(L.Cropping2D(((1, 0), (1, 2))), x3, dtype), x3.astype(dtype)[:, 1:, 1:-2])
    np.testing.assert_array_equal(_run(L.Cropping1D((1, 2)), x3[:, 0], dtype), x3[:, 0].astype(dtype)[:, 1:-2])


def test_reshaping_worked_numbers_and_gradients():
    # Keras 3.15: UpSampling2D((2, 1)) on [[0, 1], [2, 3]] repeats rows only.
    y = L.UpSampling2D((2, 1))(nc.tensor(np.arange(4.0).reshape(1, 2, 2, 1)))
    assert y.detach().numpy()[0, :, :, 0].tolist() == [[0, 1], [0, 1], [2, 3], [2, 3]]
    # Keras 3.15 output shapes: ZeroPadding2D(((1, 0), (2, 1))) and ZeroPadding2D((1, 2)) on (1, 2, 2, 1).
    assert L.ZeroPadding2D(((1, 0), (2, 1)))(nc.ones(1, 2, 2, 1)).shape == (1, 3, 5, 1)
    assert L.ZeroPadding2D((1, 2))(nc.ones(1, 2, 2, 1)).shape == (1, 4, 6, 1)
    x = _rng(16).standard_normal((2, 3, 2, 2))
    for layer in (L.UpSampling2D(2), L.ZeroPadding2D(1), L.Permute((2, 3, 1)), L.Cropping2D(((1, 0), (0, 1))),
                  L.Reshape((-1,))):
        _check_gradients(layer, x)
    _check_gradients(L.RepeatVector(2), x[:, 0, 0])


def test_reshaping_bad_input():
    with pytest.raises(ValueError, match="total size of the output must be unchanged.*target_shape=\\(5, -1\\)"):
        L.Reshape((5, -1))(nc.zeros(2, 12))
    with pytest.raises(ValueError, match="total size"):
        L.Reshape((3, 5))(nc.zeros(2, 12))
    with pytest.raises(ValueError, match="only have one unknown"):
        L.Reshape((-1, -1))
    with pytest.raises(ValueError, match="positive ints or -1"):
        L.Reshape((0, 3))
    with pytest.raises(ValueError, match="must be consecutive and start from 1"):
        L.Permute((0, 1))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        L.Permute((1, 3, 2))(nc.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        L.RepeatVector(2)(nc.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="greater than 0"):
        L.RepeatVector(0)
    with pytest.raises(ValueError, match="`padding` should be"):
        L.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="non-negative"):
        L.ZeroPadding2D(-1)
    with pytest.raises(ValueError, match="leaves nothing"):
        L.Cropping2D(2)(nc.zeros(1, 4, 4, 1))
    with pytest.raises(ValueError, match="interpolation='nearest'"):
        L.UpSampling2D(interpolation="bilinear")


# ----------------------------------------------------------------------------- bad input for conv/pool/norm

def test_conv_and_pool_bad_input():
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        L.Conv1D(2, 3)(nc.zeros(1, 5, 5, 2))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        L.Conv2D(2, 3)(nc.zeros(1, 5, 2))
    with pytest.raises(ValueError, match="input channels must be evenly divisible by the number of groups.*"
                                         "groups=4, but the input has 6 channels"):
        L.Conv1D(4, 3, groups=4)(nc.zeros(1, 5, 6))
    with pytest.raises(ValueError, match="filters must be evenly divisible.*groups=2, filters=3"):
        L.Conv1D(3, 3, groups=2)
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction with `dilation_rate > 1`"):
        L.Conv1D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding must be one of"):
        L.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="output size would be negative"):
        L.Conv1D(2, 5, dilation_rate=2)(nc.zeros(1, 6, 1))
    with pytest.raises(ValueError, match="kernel_size"):
        L.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="strictly positive"):
        L.Conv1D(0, 3)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        L.MaxPooling1D()(nc.zeros(1, 4, 4, 1))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        L.GlobalAveragePooling2D()(nc.zeros(1, 4, 4))
    with pytest.raises(ValueError, match="smaller than pool_size"):
        L.AveragePooling1D(4)(nc.zeros(1, 3, 2))
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        L.MaxPooling2D(padding="causal")
    with pytest.raises(ValueError, match="axis 3 is out of bounds for an input of rank 3"):
        L.BatchNormalization(axis=3)(nc.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="batch axis"):
        L.LayerNormalization(axis=0)(nc.zeros(2, 3))
    with pytest.raises(ValueError, match="repeats an axis"):
        L.LayerNormalization(axis=[1, -1])(nc.zeros(2, 3))
    with pytest.raises(ValueError, match="momentum must be in"):
        L.BatchNormalization(momentum=1.5)
    layer = L.Conv2D(2, 3)
    layer(nc.zeros(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r'Input 0 of layer "conv2d\w*" is incompatible with the layer: expected '
                                         r"axis -1 of input shape to have value 3, but received input with shape "
                                         r"\(1, 5, 5, 4\)"):
        layer(nc.zeros(1, 5, 5, 4))


# ----------------------------------------------------------------------------- regularizers

@pytest.mark.parametrize("dtype", DTYPES)
def test_regularizer_penalties_match_numpy(dtype):
    w = _rng(17).standard_normal((3, 4))
    t = nc.tensor(w.astype(dtype))
    np.testing.assert_allclose(regularizers.L1(0.3)(t).item(), 0.3 * np.abs(w).sum(), rtol=1e-6)
    np.testing.assert_allclose(regularizers.L2(0.3)(t).item(), 0.3 * (w ** 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(regularizers.L1L2(0.1, 0.2)(t).item(), 0.1 * np.abs(w).sum() + 0.2 * (w ** 2).sum(),
                               rtol=1e-6)
    assert regularizers.L1L2()(t).item() == 0.0
    assert regularizers.L2(0.5)(t).dtype == t.dtype


def test_regularizer_names_configs_and_errors():
    # Keras 3.15: L1() / L2() default to 0.01, L1L2() to (0, 0); l1, l2, l1_l2 are the classes.
    assert regularizers.L1().get_config() == {"l1": 0.01}
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.l1_l2 is regularizers.L1L2 and regularizers.l2 is regularizers.L2
    assert regularizers.l1 is regularizers.L1
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get("l2").get_config() == {"l2": 0.01}
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}  # Keras' documented string default
    assert regularizers.get("L1L2").get_config() == {"l1": 0.0, "l2": 0.0}
    r = regularizers.L1L2(l1=0.5, l2=0.25)
    assert regularizers.get(r) is r
    again = regularizers.get(regularizers.serialize(r))
    assert type(again) is regularizers.L1L2 and again.get_config() == r.get_config()
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="expected a non-negative float"):
        regularizers.L2(-1.0)
    with pytest.raises(ValueError, match="expected a non-negative float"):
        regularizers.L1(float("nan"))


def test_dense_regularizer_losses_and_gradients():
    layer = _make(L.Dense(3, kernel_regularizer=regularizers.l2(0.1), bias_regularizer="l1"), (2, 4))
    kernel = _rng(18).standard_normal((4, 3)).astype(np.float32)
    bias = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    layer.set_weights([kernel, bias])
    losses = layer.losses
    assert len(losses) == 2
    np.testing.assert_allclose(losses[0].item(), 0.1 * (kernel.astype(np.float64) ** 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(losses[1].item(), 0.01 * 4.0, rtol=1e-6)
    (losses[0] + losses[1]).backward()
    kernel_t, bias_t = layer.weights
    np.testing.assert_allclose(kernel_t.grad.numpy().T, 0.2 * kernel, rtol=1e-6)  # d(0.1 sum w^2)/dw = 0.2 w
    np.testing.assert_allclose(bias_t.grad.numpy(), 0.01 * np.sign(bias), rtol=1e-6)
    assert L.Dense(3).losses == []


def test_layer_regularizers_see_keras_layout():
    seen = []

    def custom(w):
        seen.append(tuple(w.shape))
        return w.sum() * 0.0

    layers_and_shapes = [(L.Dense(3, kernel_regularizer=custom), (2, 4), (4, 3)),
                         (L.Conv1D(4, 3, groups=2, kernel_regularizer=custom), (1, 5, 6), (3, 3, 4)),
                         (L.Conv2D(5, (3, 2), kernel_regularizer=custom), (1, 6, 6, 2), (3, 2, 2, 5))]
    for layer, input_shape, keras_shape in layers_and_shapes:
        _make(layer, input_shape)
        seen.clear()
        assert len(layer.losses) == 1 and seen == [keras_shape]
    conv = _make(L.Conv2D(2, 3, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.5)), (1, 4, 4, 3))
    kernel, bias = conv.get_weights()
    np.testing.assert_allclose([t.item() for t in conv.losses],
                               [0.01 * (kernel.astype(np.float64) ** 2).sum(), 0.5 * np.abs(bias).sum()], rtol=1e-6)
    bn = _make(L.BatchNormalization(gamma_regularizer=regularizers.L2(0.5), beta_regularizer="l1"), (2, 3))
    np.testing.assert_allclose([t.item() for t in bn.losses], [1.5, 0.0])  # gamma = 1, beta = 0
    ln = _make(L.LayerNormalization(gamma_regularizer="l2"), (2, 4))
    np.testing.assert_allclose([t.item() for t in ln.losses], [0.04], rtol=1e-6)


# ----------------------------------------------------------------------------- initializers

def test_compute_fans_is_keras_rule():
    assert initializers.compute_fans((4, 3)) == (4, 3)
    assert initializers.compute_fans((3, 3, 4, 8)) == (36, 72)
    assert initializers.compute_fans((5, 2, 6)) == (10, 30)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans(()) == (1, 1)


@pytest.mark.parametrize("layer,input_shape,fan_in,fan_out", [
    (lambda init: L.Dense(64, kernel_initializer=init), (1, 200), 200, 64),
    (lambda init: L.Conv1D(64, 5, groups=2, kernel_initializer=init), (1, 9, 40), 5 * 20, 5 * 64),
    (lambda init: L.Conv2D(48, (3, 2), groups=3, kernel_initializer=init), (1, 6, 6, 30), 6 * 10, 6 * 48),
])
def test_layer_kernels_use_keras_fans(layer, input_shape, fan_in, fan_out):
    for mode, fan in (("fan_in", fan_in), ("fan_out", fan_out), ("fan_avg", (fan_in + fan_out) / 2)):
        built = _make(layer(initializers.VarianceScaling(1.0, mode, "uniform", seed=1)), input_shape)
        limit = math.sqrt(3.0 / fan)
        kernel = built.get_weights()[0]
        assert np.abs(kernel).max() <= limit * (1 + 1e-6)
        assert np.abs(kernel).max() > 0.97 * limit  # thousands of uniform draws reach the bound
    built = _make(layer("glorot_uniform"), input_shape)
    assert np.abs(built.get_weights()[0]).max() <= math.sqrt(6.0 / (fan_in + fan_out)) * (1 + 1e-6)


@pytest.mark.parametrize("cls,kwargs,std", [
    (initializers.HeNormal, {}, math.sqrt(2 / 300)), (initializers.LecunNormal, {}, math.sqrt(1 / 300)),
    (initializers.GlorotNormal, {}, math.sqrt(2 / 700)), (initializers.RandomNormal, {"stddev": 0.3}, 0.3),
    (initializers.HeUniform, {}, math.sqrt(2 / 300)), (initializers.LecunUniform, {}, math.sqrt(1 / 300)),
    (initializers.GlorotUniform, {}, math.sqrt(2 / 700)),
    (initializers.RandomUniform, {"minval": -0.6, "maxval": 0.6}, 0.6 / math.sqrt(3)),
    (initializers.TruncatedNormal, {"stddev": 0.3}, 0.3 * 0.87962566103423978),
])
def test_random_initializer_statistics(cls, kwargs, std):
    values = cls(seed=7, **kwargs)((300, 400)).numpy().astype(np.float64)
    assert abs(values.mean()) < 0.02 * std * 10
    assert abs(values.std() / std - 1) < 0.02
    if cls in (initializers.HeNormal, initializers.LecunNormal, initializers.GlorotNormal):
        # truncated at two standard deviations of the underlying normal
        assert np.abs(values).max() <= 2 * std / 0.87962566103423978 * (1 + 1e-6)
    if cls is initializers.TruncatedNormal:
        assert np.abs(values).max() <= 2 * 0.3 * (1 + 1e-6)


def test_initializers_seeded_and_global_generator():
    a = initializers.GlorotUniform(seed=3)((5, 4)).numpy()
    np.testing.assert_array_equal(a, initializers.GlorotUniform(seed=3)((5, 4)).numpy())  # same every call
    assert not np.array_equal(a, initializers.GlorotUniform(seed=4)((5, 4)).numpy())
    nc.manual_seed(11)
    b = initializers.HeNormal()((5, 4)).numpy()
    nc.manual_seed(11)
    np.testing.assert_array_equal(b, initializers.HeNormal()((5, 4)).numpy())
    assert not np.array_equal(b, initializers.HeNormal()((5, 4)).numpy())
    one = _make(L.Dense(4, kernel_initializer=initializers.Orthogonal(seed=2)), (1, 6)).get_weights()[0]
    two = _make(L.Dense(4, kernel_initializer=initializers.Orthogonal(seed=2)), (1, 6)).get_weights()[0]
    np.testing.assert_array_equal(one, two)
    assert initializers.RandomNormal(seed=1)((2, 2), dtype="float64").dtype == nc.float64


def test_structured_initializers():
    for shape in ((6, 4), (4, 6), (3, 2, 5)):
        q = initializers.Orthogonal(gain=2.0, seed=1)(shape).numpy().astype(np.float64)
        flat = q.reshape(-1, shape[-1])
        gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-5)
    assert initializers.Identity(3.0)((2, 3)).numpy().tolist() == [[3, 0, 0], [0, 3, 0]]
    assert initializers.Constant(2.5)((2,)).numpy().tolist() == [2.5, 2.5]
    assert initializers.Zeros()((2,)).numpy().tolist() == [0, 0]
    assert initializers.Ones()((1, 2)).numpy().tolist() == [[1, 1]]
    # Called on an nn weight (units, in) it fills in place with the Keras (in, units) structure, transposed.
    w = nc.empty(2, 3)
    assert initializers.get("identity")(w) is w and w.numpy().tolist() == [[1, 0, 0], [0, 1, 0]]
    dense = _make(L.Dense(3, kernel_initializer="identity", bias_initializer=initializers.Constant(0.5)), (1, 3))
    assert dense.get_weights()[0].tolist() == np.eye(3).tolist() and dense.get_weights()[1].tolist() == [0.5] * 3
    with pytest.raises(ValueError, match="only be used for 2D matrices"):
        initializers.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((3,))


def test_initializer_identifiers_and_configs():
    assert type(initializers.get("glorot_uniform")) is initializers.GlorotUniform
    assert type(initializers.get("GlorotUniform")) is initializers.GlorotUniform
    assert type(initializers.get("uniform")) is initializers.RandomUniform
    assert type(initializers.get("normal")) is initializers.RandomNormal
    assert type(initializers.get(initializers.Zeros)) is initializers.Zeros
    assert initializers.get(None) is None
    # Keras 3.15 configs
    assert initializers.GlorotUniform(seed=1).get_config() == {"seed": 1}
    assert initializers.TruncatedNormal().get_config() == {"seed": None, "mean": 0.0, "stddev": 0.05}
    assert initializers.RandomUniform().get_config() == {"seed": None, "minval": -0.05, "maxval": 0.05}
    assert initializers.Orthogonal().get_config() == {"seed": None, "gain": 1.0}
    assert initializers.Constant(2).get_config() == {"value": 2}
    for init in (initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=3), initializers.RandomNormal(1, 2, 3),
                 initializers.HeUniform(seed=5), initializers.Orthogonal(0.5, seed=2), initializers.Identity(2.0),
                 initializers.Constant(1.5), initializers.Zeros()):
        again = initializers.get(initializers.serialize(init))
        assert type(again) is type(init) and again.get_config() == init.get_config()
        np.testing.assert_array_equal(again((3, 3)).numpy(), init((3, 3)).numpy())
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: 'glorot'"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="`mode`"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="`scale` must be positive"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="seed must be"):
        initializers.HeNormal(seed=-1)


def test_keras_style_callable_initializer():
    layer = _make(L.Dense(3, kernel_initializer=lambda shape, dtype=None: np.full(shape, 0.25)), (1, 2))
    assert layer.get_weights()[0].tolist() == [[0.25] * 3] * 2
    with pytest.raises(ValueError, match="returned shape"):
        _make(L.Dense(3, kernel_initializer=lambda shape, dtype=None: np.zeros((1,))), (1, 2))


# ----------------------------------------------------------------------------- activations

def test_activations_by_name_and_serialize():
    x = np.array([-2.0, -0.5, 0.5, 3.0, 8.0])
    t = nc.tensor(x)
    assert activations.get("relu") is activations.relu
    assert activations.get("linear") is None and activations.get(None) is None
    assert activations.serialize(activations.get("swish")) == "silu"  # Keras 3.15
    assert activations.serialize("hard_swish") == "hard_silu"
    assert activations.serialize(None) == "linear"
    assert activations.serialize(activations.softmax) == "softmax"
    assert activations.serialize(np.tanh) == "tanh"  # a foreign callable: its __name__

    def custom(v):
        return v

    assert activations.get(custom) is custom and activations.serialize(custom) == "custom"
    # Keras 3.15: relu(x, negative_slope=0.1, max_value=6, threshold=1) on x
    np.testing.assert_allclose(activations.relu(t, negative_slope=0.1, max_value=6.0, threshold=1.0).numpy(),
                               [-0.3, -0.15, -0.05, 3.0, 6.0])
    # Keras 3.15: gelu is exact by default: gelu([-1, 0.5, 2]) = [-0.158655, 0.345731, 1.9545]
    np.testing.assert_allclose(activations.gelu(nc.tensor([-1.0, 0.5, 2.0])).numpy(), [-0.158655, 0.345731, 1.9545],
                               atol=1e-5)
    np.testing.assert_allclose(activations.leaky_relu(t).numpy(), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(activations.softmax(t).numpy(), np.exp(x) / np.exp(x).sum())
    np.testing.assert_allclose(activations.exponential(t).numpy(), np.exp(x))
    with pytest.raises(ValueError, match="Unknown activation: 'relu7'"):
        activations.get("relu7")
    with pytest.raises(TypeError, match="activation must be"):
        activations.get(3)


# ----------------------------------------------------------------------------- configs

CONFIG_LAYERS = [
    (lambda: L.Conv1D(4, 3, strides=2, padding="same", groups=2, activation="relu",
                      kernel_initializer=initializers.HeNormal(seed=1), kernel_regularizer=regularizers.L2(0.1),
                      bias_regularizer="l1"), (2, 9, 6)),
    (lambda: L.Conv2D(4, (3, 2), padding="same", dilation_rate=2, groups=2, use_bias=False), (1, 6, 6, 4)),
    (lambda: L.Dense(3, kernel_regularizer=regularizers.L1L2(0.1, 0.2), kernel_initializer="orthogonal"), (2, 5)),
    (lambda: L.MaxPooling1D(3, 2, padding="same"), (2, 8, 3)),
    (lambda: L.AveragePooling2D((2, 3), padding="same"), (2, 5, 5, 3)),
    (lambda: L.GlobalMaxPooling2D(keepdims=True), (2, 4, 4, 3)),
    (lambda: L.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-4, center=False,
                                  gamma_initializer=initializers.Constant(2.0)), (3, 4, 5)),
    (lambda: L.LayerNormalization(axis=[1, 2], epsilon=1e-5), (2, 3, 4)),
    (lambda: L.Reshape((2, -1)), (2, 6)),
    (lambda: L.Permute((2, 1)), (2, 3, 4)),
    (lambda: L.RepeatVector(3), (2, 4)),
    (lambda: L.ZeroPadding2D(((1, 0), (0, 2))), (1, 3, 3, 2)),
    (lambda: L.UpSampling2D((2, 1)), (1, 3, 3, 2)),
    (lambda: L.Cropping1D((1, 0)), (1, 4, 2)),
]


@pytest.mark.parametrize("make,input_shape", CONFIG_LAYERS)
def test_config_round_trip(make, input_shape):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    _make(layer, input_shape)
    _make(clone, input_shape)
    clone.set_weights(layer.get_weights())
    layer.eval()
    clone.eval()
    x = nc.tensor(_rng(19).standard_normal(input_shape).astype(np.float32))
    np.testing.assert_array_equal(clone(x).detach().numpy(), layer(x).detach().numpy())
    assert len(clone.losses) == len(layer.losses)


# ----------------------------------------------------------------------------- in a model

def test_sequence_model_trains_and_updates_moving_statistics():
    rng = _rng(20)
    x = rng.standard_normal((64, 12, 2)).astype(np.float32)
    y = (x[:, :, 0].sum(1) > 0).astype(np.int64)
    nc.manual_seed(0)
    model = Sequential([L.Conv1D(8, 3, padding="causal", activation="relu", input_shape=(12, 2)),
                        L.BatchNormalization(), L.MaxPooling1D(2), L.Conv1D(8, 3, padding="same", groups=2),
                        L.GlobalAveragePooling1D(), L.Dense(2, activation="softmax", kernel_regularizer="l2")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    bn = model.layers[1]
    before = bn.get_weights()[2].copy()
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert not np.allclose(bn.get_weights()[2], before)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8
    p1, p2 = model.predict(x[:8]), model.predict(x[:8])
    np.testing.assert_array_equal(p1, p2)  # inference: moving statistics, no update


# ----------------------------------------------------------------------------- docstrings

@pytest.mark.parametrize("module", ["neurocore.keras.regularizers", "neurocore.keras.initializers",
                                    "neurocore.keras.activations", "neurocore.keras.layers.convolutional",
                                    "neurocore.keras.layers.pooling", "neurocore.keras.layers.normalization",
                                    "neurocore.keras.layers.reshaping"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
