"""nn.init: bounds and statistics of each initialiser on large tensors, fans of conv-shaped
weights, orthogonality, calculate_gain's table (PyTorch's values), bad input."""
import math

import numpy as np
import pytest

import neurocore as nc
from neurocore import nn
from neurocore.nn import init


def stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.mean(), a.std(), a.min(), a.max()


@pytest.fixture(autouse=True)
def _seed():
    nc.manual_seed(1234)


# ---------------------------------------------------------------- calculate_gain

@pytest.mark.parametrize("name,param,gain", [
    ("linear", None, 1.0), ("conv1d", None, 1.0), ("conv2d", None, 1.0), ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0), ("conv_transpose2d", None, 1.0), ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0), ("tanh", None, 5.0 / 3), ("relu", None, math.sqrt(2.0)),
    ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01 ** 2))), ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
    ("leaky_relu", 0, math.sqrt(2.0)), ("leaky_relu", math.sqrt(5), math.sqrt(1.0 / 3)), ("selu", None, 0.75),
])
def test_calculate_gain(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_bad_input():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "0.1")


# ---------------------------------------------------------------- uniform families: bounds

@pytest.mark.parametrize("shape,fan_in,fan_out", [((300, 500), 500, 300), ((64, 16, 3, 3), 144, 576)])
def test_uniform_initialisers_bounds(shape, fan_in, fan_out):
    w = init.xavier_uniform_(nc.empty(*shape), gain=2.0)
    a = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    m, s, lo, hi = stats(w)
    assert -a <= lo and hi <= a and lo < -0.99 * a and hi > 0.99 * a
    assert s == pytest.approx(a / math.sqrt(3), rel=0.02)
    w = init.kaiming_uniform_(nc.empty(*shape), mode="fan_out", nonlinearity="relu")
    b = math.sqrt(2.0) * math.sqrt(3.0 / fan_out)
    m, s, lo, hi = stats(w)
    assert -b <= lo and hi <= b and lo < -0.99 * b and hi > 0.99 * b
    w = init.kaiming_uniform_(nc.empty(*shape), a=math.sqrt(5))  # nn.Linear's default: bound 1/sqrt(fan_in)
    assert stats(w)[3] <= 1 / math.sqrt(fan_in) and stats(w)[3] > 0.99 / math.sqrt(fan_in)
    w = init.uniform_(nc.empty(*shape, dtype=nc.float64), -0.5, 2.0)
    m, s, lo, hi = stats(w)
    assert -0.5 <= lo and hi < 2.0 and m == pytest.approx(0.75, abs=0.03)


# ---------------------------------------------------------------- normal families: std

@pytest.mark.parametrize("shape,fan_in,fan_out", [((256, 400), 400, 256), ((32, 16, 5, 5), 400, 800)])
@pytest.mark.parametrize("dtype", [nc.float32, nc.float64])
def test_normal_initialisers_std(shape, fan_in, fan_out, dtype):
    cases = [
        (lambda t: init.xavier_normal_(t), math.sqrt(2.0 / (fan_in + fan_out))),
        (lambda t: init.xavier_normal_(t, gain=init.calculate_gain("tanh")), 5 / 3 * math.sqrt(2 / (fan_in + fan_out))),
        (lambda t: init.kaiming_normal_(t, mode="fan_in", nonlinearity="relu"), math.sqrt(2.0 / fan_in)),
        (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(2.0 / fan_out)),
        (lambda t: init.kaiming_normal_(t, a=0.2), math.sqrt(2.0 / 1.04) / math.sqrt(fan_in)),
        (lambda t: init.lecun_normal_(t), 1.0 / math.sqrt(fan_in)),
        (lambda t: init.normal_(t, 0.5, 0.1), 0.1),
    ]
    for fn, std in cases:
        t = fn(nc.empty(*shape, dtype=dtype))
        assert t.dtype == dtype and tuple(t.shape) == shape
        m, s, _, _ = stats(t)
        # ~1e5 draws: the sample std is within 1% of sigma with overwhelming probability
        assert s == pytest.approx(std, rel=0.015)
        assert abs(m - (0.5 if std == 0.1 else 0.0)) < 0.02 * std


def test_trunc_normal_bounds_and_std():
    t = init.trunc_normal_(nc.empty(200, 500), mean=1.0, std=0.5, a=0.0, b=2.0)  # +-2 sigma around the mean
    m, s, lo, hi = stats(t)
    assert 0.0 <= lo and hi <= 2.0
    assert m == pytest.approx(1.0, abs=0.005)
    # std of a standard normal truncated to [-2, 2]: sqrt(1 - 2 * 2 phi(2) / (2 Phi(2) - 1)) = 0.8796
    phi2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    z = math.erf(2 / math.sqrt(2))
    assert s == pytest.approx(0.5 * math.sqrt(1 - 4 * phi2 / z), rel=0.01)
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(nc.empty(3), a=1.0, b=0.0)


# ---------------------------------------------------------------- constants, eye, orthogonal

def test_constant_zeros_ones_eye():
    assert init.constant_(nc.empty(2, 3), 0.25).tolist() == [[0.25] * 3] * 2
    assert init.zeros_(nc.ones(4)).tolist() == [0.0] * 4
    assert init.ones_(nc.zeros(2, dtype=nc.float64)).tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(init.eye_(nc.empty(3, 5)).numpy(), np.eye(3, 5))
    np.testing.assert_array_equal(init.eye_(nc.empty(4, 2, dtype=nc.float64)).numpy(), np.eye(4, 2))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(nc.empty(2, 2, 2))


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30), (8, 4, 3, 3)])
def test_orthogonal(shape):
    w = init.orthogonal_(nc.empty(*shape, dtype=nc.float64), gain=1.5)
    q = w.numpy().reshape(shape[0], -1)
    r, c = q.shape
    gram = q.T @ q if r >= c else q @ q.T
    np.testing.assert_allclose(gram, 1.5 ** 2 * np.eye(min(r, c)), atol=1e-12)


def test_orthogonal_float32_is_deterministic_and_spread():
    nc.manual_seed(7)
    a = init.orthogonal_(nc.empty(64, 64)).numpy()
    nc.manual_seed(7)
    b = init.orthogonal_(nc.empty(64, 64)).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.T @ a, np.eye(64), atol=1e-5)
    # Haar-distributed: entries are about N(0, 1/n), so no sign bias on the diagonal
    assert abs(a.mean()) < 0.01 and a.std() == pytest.approx(1 / 8, rel=0.05)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(nc.empty(5))


def test_init_on_parameters_records_no_graph():
    lin = nn.Linear(20, 10)
    for fn in (init.xavier_normal_, init.kaiming_normal_, init.orthogonal_, init.eye_, init.lecun_normal_,
               init.trunc_normal_):
        out = fn(lin.weight)
        assert out is lin.weight and lin.weight.is_leaf and lin.weight.grad_fn is None
        assert lin.weight.requires_grad


def test_fan_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_normal_(nc.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_normal_(nc.empty(5, 5), mode="fan_avg")
    assert init.xavier_normal_(nc.empty(0, 3)).shape == (0, 3)  # empty tensors are left alone
