"""Dropout layers and functions: keep rates, scaling, gradients, evaluation identity, reproducibility under
nc.manual_seed, whole-channel dropout, alpha dropout's moments and p validation.

Statistical checks are deterministic (fixed seeds) and stated in standard errors: a keep rate measured over n
Bernoulli(1 - p) draws has standard error sqrt(p (1 - p) / n), and we require it within 3 of them.
"""
import doctest
import importlib
import math

import numpy as np
import pytest

import neurocore as nc
import neurocore.nn as nn
import neurocore.nn.functional as F

F32, F64 = nc.float32, nc.float64
NP_OF = {F32: np.float32, F64: np.float64}
DTYPES = pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
SELU_ALPHA_PRIME = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


def within_3_se(kept, n, p):
    se = math.sqrt(p * (1 - p) / n)
    return abs(kept / n - (1 - p)) <= 3 * se


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_keep_rate_over_a_million_draws(p):
    nc.manual_seed(1)
    n = 10 ** 6
    y = F.dropout(nc.ones(n), p=p).numpy()
    kept = int(np.count_nonzero(y))
    assert within_3_se(kept, n, p), (kept / n, 1 - p)


@DTYPES
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_scaling_and_gradient(dtype, p):
    nc.manual_seed(2)
    g = np.random.default_rng(0)
    x_np = (g.uniform(0.5, 2, (50, 40)) * g.choice([-1, 1], (50, 40))).astype(NP_OF[dtype])  # no zeros
    dy_np = g.standard_normal((50, 40)).astype(NP_OF[dtype])
    x = nc.tensor(x_np, requires_grad=True)
    y = nn.Dropout(p)(x)
    assert y.shape == x.shape and y.dtype == dtype
    y.backward(nc.tensor(dy_np))
    y_np = y.detach().numpy()
    kept = y_np != 0
    scale = NP_OF[dtype](1 / (1 - p))
    np.testing.assert_array_equal(y_np[kept], x_np[kept] * scale)  # exactly x * (1 / (1 - p))
    np.testing.assert_array_equal(y_np[~kept], 0)
    np.testing.assert_array_equal(x.grad.numpy(), np.where(kept, dy_np * scale, 0))
    assert 0.3 < kept.mean() < 0.9


def test_eval_is_exact_identity():
    x = nc.randn(7, 5)
    for layer in (nn.Dropout(0.3), nn.Dropout1d(0.3), nn.Dropout2d(0.3), nn.AlphaDropout(0.3),
                  nn.FeatureAlphaDropout(0.3)):
        layer.eval()
        xin = x.reshape(7, 5, 1, 1) if isinstance(layer, (nn.Dropout2d,)) else x.reshape(7, 5, 1) \
            if isinstance(layer, nn.Dropout1d) else x
        assert layer(xin) is xin
    assert F.dropout(x, 0.5, training=False) is x
    assert F.alpha_dropout(x, 0.5) is x  # PyTorch's default training=False
    assert F.dropout(x, 0.0) is x  # p = 0 keeps everything


def test_reproducible_under_manual_seed():
    def draw():
        return nn.Dropout(0.5)(nc.ones(1000)).numpy()
    nc.manual_seed(123)
    a, b = draw(), draw()
    nc.manual_seed(123)
    a2, b2 = draw(), draw()
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)
    assert not np.array_equal(a, b)  # the generator moves on between calls
    nc.manual_seed(124)
    assert not np.array_equal(draw(), a)
    # the mask does not depend on the thread count
    prev = nc.get_num_threads()
    try:
        nc.set_num_threads(1)
        nc.manual_seed(5)
        one = F.dropout(nc.ones(200_000), 0.5).numpy()
        nc.set_num_threads(2)
        nc.manual_seed(5)
        two = F.dropout(nc.ones(200_000), 0.5).numpy()
    finally:
        nc.set_num_threads(prev)
    np.testing.assert_array_equal(one, two)


@DTYPES
def test_dropout2d_zeroes_whole_channels(dtype):
    nc.manual_seed(3)
    n, c, h, w = 40, 50, 3, 4
    g = np.random.default_rng(1)
    x_np = (g.uniform(0.5, 2, (n, c, h, w))).astype(NP_OF[dtype])
    dy_np = g.standard_normal((n, c, h, w)).astype(NP_OF[dtype])
    x = nc.tensor(x_np, requires_grad=True)
    y = nn.Dropout2d(0.4)(x)
    y.backward(nc.tensor(dy_np))
    y_np = y.detach().numpy().reshape(n, c, -1)
    kept = (y_np != 0).all(axis=2)
    dropped = (y_np == 0).all(axis=2)
    assert (kept | dropped).all()  # every channel is all kept or all dropped
    scale = NP_OF[dtype](1 / 0.6)
    np.testing.assert_array_equal(y_np[kept], x_np.reshape(n, c, -1)[kept] * scale)
    grad = x.grad.numpy().reshape(n, c, -1)
    np.testing.assert_array_equal(grad[kept], dy_np.reshape(n, c, -1)[kept] * scale)
    np.testing.assert_array_equal(grad[dropped], 0)
    assert within_3_se(int(kept.sum()), n * c, 0.4)


def test_dropout1d_batched_and_unbatched():
    nc.manual_seed(4)
    y = nn.Dropout1d(0.5)(nc.ones(30, 20, 6)).numpy()
    assert ((y == 0).all(axis=2) | (y == 2).all(axis=2)).all()
    y = F.dropout1d(nc.ones(200, 6), 0.5).numpy()  # (C, L): one draw per channel
    assert ((y == 0).all(axis=1) | (y == 2).all(axis=1)).all()
    assert 0 < (y[:, 0] == 0).sum() < 200
    with pytest.raises(ValueError, match="dropout1d: expected a 2-D .* or 3-D .* got a 4-D"):
        F.dropout1d(nc.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="dropout2d: expected a 3-D or 4-D"):
        F.dropout2d(nc.ones(2, 3))
    with pytest.warns(UserWarning, match="3-D input"):
        y = F.dropout2d(nc.ones(8, 10, 6), 0.5).numpy()  # PyTorch: taken as (N, C, L)
    assert ((y == 0).all(axis=2) | (y == 2).all(axis=2)).all()


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_alpha_dropout_keeps_mean_and_variance(p):
    # On n = 10^6 standard normal inputs the output's sample mean has standard error ~1/sqrt(n) = 1e-3, and its
    # sample variance ~sqrt((kurtosis - 1) / n) <= 2e-3 (kurtosis of the output below 5 for these p). We allow
    # 5e-3 for the mean and 1e-2 for the variance: about 5 standard errors, with the float32 arithmetic
    # (relative 1e-7) far below that.
    nc.manual_seed(6)
    x = nc.randn(10 ** 6)
    y = F.alpha_dropout(x, p, training=True).numpy().astype(np.float64)
    assert abs(y.mean()) < 5e-3, y.mean()
    assert abs(y.var() - 1) < 1e-2, y.var()
    # The map itself: kept values a * x + b, dropped ones the constant a * alpha' + b.
    a = 1 / math.sqrt((1 - p) * (1 + p * SELU_ALPHA_PRIME ** 2))
    b = -a * SELU_ALPHA_PRIME * p
    x_np = x.numpy().astype(np.float64)
    dropped = np.isclose(y, a * SELU_ALPHA_PRIME + b, rtol=0, atol=1e-6)
    np.testing.assert_allclose(y[~dropped], a * x_np[~dropped] + b, rtol=1e-6, atol=1e-6)
    assert within_3_se(int((~dropped).sum()), y.size, p)
    # and its exact moments for N(0, 1) input: mean 0, variance 1
    mean = (1 - p) * b + p * (a * SELU_ALPHA_PRIME + b)
    second = (1 - p) * (a * a + b * b) + p * (a * SELU_ALPHA_PRIME + b) ** 2
    assert abs(mean) < 1e-12 and abs(second - mean ** 2 - 1) < 1e-12


def test_alpha_dropout_gradient_and_module():
    nc.manual_seed(7)
    p = 0.3
    a = 1 / math.sqrt((1 - p) * (1 + p * SELU_ALPHA_PRIME ** 2))
    x = nc.randn(1000, dtype=F64, requires_grad=True)
    drop = nn.AlphaDropout(p)
    assert repr(drop) == "AlphaDropout(p=0.3, inplace=False)"
    y = drop(x)
    dy = np.random.default_rng(2).standard_normal(1000)
    y.backward(nc.tensor(dy))
    kept = ~np.isclose(y.detach().numpy(), a * SELU_ALPHA_PRIME * (1 - p), rtol=0, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, a * dy, 0), rtol=1e-14, atol=0)
    # whole channels with FeatureAlphaDropout
    y = nn.FeatureAlphaDropout(0.5)(nc.randn(20, 30, 5)).numpy()
    const = np.isclose(y, y[..., :1]).all(axis=2)
    assert const.any() and not const.all()


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan"), "0.5", True])
def test_p_validation(p):
    for layer in (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout, nn.FeatureAlphaDropout):
        with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\), got p="):
            layer(p)
    if isinstance(p, float):
        with pytest.raises(ValueError, match=r"dropout: dropout probability p must be in \[0, 1\), got p="):
            F.dropout(nc.ones(3), p)
        with pytest.raises(ValueError, match=r"alpha_dropout: .*p must be in \[0, 1\)"):
            F.alpha_dropout(nc.ones(3), p, training=True)


def test_bad_dtype_and_reprs():
    with pytest.raises(TypeError, match="float32 or float64"):
        F.dropout(nc.ones(3, dtype=nc.int64), 0.5)
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout2d(0.1)) == "Dropout2d(p=0.1, inplace=False)"
    assert F.dropout(nc.ones(0), 0.5).shape == (0,)


def test_module_doctests():
    result = doctest.testmod(importlib.import_module("neurocore.nn.dropout"), optionflags=doctest.ELLIPSIS,
                             verbose=False)
    assert result.failed == 0 and result.attempted > 0
