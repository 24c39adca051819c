"""Every activation of nn.functional / nn (step ... logsigmoid, softmax, log_softmax) against the numpy
references in tests/reference_nn.py: forward in float32 and float64 on random inputs plus extremes
(+-1e4, exact zeros, ties), gradients at the extremes against central differences of the reference,
float64 gradcheck on small inputs kept off the kinks, module == functional, reprs and bad arguments.

Tolerances: elementwise, as in test_ops.py (float32 (1e-5, 1e-6): a few float32 ulp on the very same
inputs; float64 (1e-12, 1e-12)). Gradients at the extremes are compared with a central difference of
the float64 reference (h = 1e-3, error ~h^2 f''' which is tiny where these functions saturate).
"""
import dataclasses
import doctest
import importlib
from typing import Callable

import numpy as np
import pytest

import neurocore as nc
import neurocore.nn as nn
import neurocore.nn.functional as F
import reference_nn as R
from neurocore.utils import gradcheck

F32, F64 = nc.float32, nc.float64
NP_OF = {F32: np.float32, F64: np.float64}
TOL = {F32: (1e-5, 1e-6), F64: (1e-12, 1e-12)}
# Extremes and ties: huge, saturating, threshold-adjacent values and repeated exact zeros.
EXTREMES = np.array([-1e4, -100.0, -30.0, -20.5, -6.0, -3.0, -1.0, -0.5, 0.0, 0.0, 0.0, 0.5, 1.0, 3.0, 6.0,
                     20.5, 30.0, 100.0, 1e4])


@dataclasses.dataclass
class Act:
    name: str
    fn: Callable          # Tensor -> Tensor (nn.functional)
    module: Callable      # () -> Module
    ref: Callable         # ndarray -> ndarray (reference_nn)
    kinks: tuple = ()     # points where the derivative jumps: gradcheck stays away from them


ACTS = [
    Act("step", F.step, nn.Step, R.step, (0.0,)),
    Act("sigmoid", F.sigmoid, nn.Sigmoid, R.sigmoid),
    Act("tanh", F.tanh, nn.Tanh, R.tanh),
    Act("relu", F.relu, nn.ReLU, R.relu, (0.0,)),
    Act("relu6", F.relu6, nn.ReLU6, R.relu6, (0.0, 6.0)),
    Act("leaky_relu", F.leaky_relu, nn.LeakyReLU, R.leaky_relu, (0.0,)),
    Act("leaky_relu_0.2", lambda x: F.leaky_relu(x, 0.2), lambda: nn.LeakyReLU(0.2),
        lambda x: R.leaky_relu(x, 0.2), (0.0,)),
    Act("prelu", lambda x: F.prelu(x, nc.tensor([0.25], dtype=x.dtype)), nn.PReLU,
        lambda x: R.prelu(x, [0.25]), (0.0,)),
    Act("elu", F.elu, nn.ELU, R.elu),
    Act("elu_1.5", lambda x: F.elu(x, alpha=1.5), lambda: nn.ELU(1.5), lambda x: R.elu(x, 1.5), (0.0,)),
    Act("selu", F.selu, nn.SELU, R.selu, (0.0,)),
    Act("celu", F.celu, nn.CELU, R.celu),
    Act("celu_0.5", lambda x: F.celu(x, 0.5), lambda: nn.CELU(0.5), lambda x: R.celu(x, 0.5)),
    Act("gelu", F.gelu, nn.GELU, R.gelu),
    Act("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda: nn.GELU("tanh"), R.gelu_tanh),
    Act("silu", F.silu, nn.SiLU, R.silu),
    Act("swish", F.swish, nn.Swish, R.silu),
    Act("mish", F.mish, nn.Mish, R.mish),
    Act("softplus", F.softplus, nn.Softplus, R.softplus, (20.0,)),
    Act("softplus_b2_t5", lambda x: F.softplus(x, beta=2.0, threshold=5.0), lambda: nn.Softplus(2.0, 5.0),
        lambda x: R.softplus(x, 2.0, 5.0), (2.5,)),
    Act("softsign", F.softsign, nn.Softsign, R.softsign),
    Act("hardtanh", F.hardtanh, nn.Hardtanh, R.hardtanh, (-1.0, 1.0)),
    Act("hardtanh_-2_3", lambda x: F.hardtanh(x, -2.0, 3.0), lambda: nn.Hardtanh(-2.0, 3.0),
        lambda x: R.hardtanh(x, -2.0, 3.0), (-2.0, 3.0)),
    Act("hardsigmoid", F.hardsigmoid, nn.Hardsigmoid, R.hardsigmoid, (-3.0, 3.0)),
    Act("hardswish", F.hardswish, nn.Hardswish, R.hardswish, (-3.0, 3.0)),
    Act("logsigmoid", F.logsigmoid, nn.LogSigmoid, R.logsigmoid),
    Act("identity", lambda x: x, nn.Identity, lambda x: np.asarray(x)),
]
IDS = [a.name for a in ACTS]


def np_of(t):
    return t.detach().numpy()


def inputs(seed, np_dtype):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((3, 5)).astype(np_dtype) * 4, EXTREMES.astype(np_dtype),
            np.asarray(0.75, dtype=np_dtype), np.zeros((0, 2), np_dtype),
            rng.standard_normal((2, 3, 2)).astype(np_dtype)]


def off_kinks(x, kinks, gap=0.05):
    """Move values within `gap` of a kink to kink +- 2 gap."""
    for k in kinks:
        near = np.abs(x - k) < gap
        x = np.where(near, k + np.where(x >= k, 2 * gap, -2 * gap), x)
    return x


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_forward_matches_reference(act, dtype):
    rtol, atol = TOL[dtype]
    for i, x in enumerate(inputs(sum(map(ord, act.name)), NP_OF[dtype])):
        y = act.fn(nc.tensor(x))
        assert y.shape == x.shape and y.dtype == dtype, (i, y.shape, y.dtype)
        np.testing.assert_allclose(np_of(y), act.ref(x), rtol=rtol, atol=atol, err_msg=f"{act.name} input {i}")


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_module_is_the_functional(act):
    x = nc.tensor(np.concatenate([EXTREMES, np.linspace(-4, 4, 9)]))
    np.testing.assert_array_equal(np_of(act.module()(x)), np_of(act.fn(x)))


@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_gradcheck(act):
    rng = np.random.default_rng(7)
    x = off_kinks(rng.uniform(-5, 5, (3, 4)), act.kinks)
    x[0, :2] = [-0.3, 0.3]  # both sides of 0 always
    t = nc.tensor(x, requires_grad=True)
    assert gradcheck(act.fn, (t,))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("act", ACTS, ids=IDS)
def test_gradient_at_extremes(act, dtype):
    """Saturated regions: finite gradients (no inf * 0) equal to the reference's slope."""
    pts = np.array([-1e4, -100.0, -30.0, -8.0, 8.0, 30.0, 100.0, 1e4])
    t = nc.tensor(pts.astype(NP_OF[dtype]), requires_grad=True)
    act.fn(t).sum().backward()
    h = 1e-3
    expect = (act.ref(pts + h) - act.ref(pts - h)) / (2 * h)
    g = t.grad.numpy()
    assert np.all(np.isfinite(g)), g
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == F32 else dict(rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(g, expect, **tol, err_msg=act.name)


# ---------------------------------------------------------------- exact values and conventions

def test_worked_values():
    x = nc.tensor([-2.0, -0.0, 0.0, 1.5, 7.0], dtype=F64)
    assert F.step(x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert F.relu6(x).tolist() == [0.0, 0.0, 0.0, 1.5, 6.0]
    assert F.hardtanh(x).tolist() == [-1.0, 0.0, 0.0, 1.0, 1.0]
    assert F.hardsigmoid(nc.tensor([-3.0, 0.0, 3.0])).tolist() == [0.0, 0.5, 1.0]
    assert F.hardswish(nc.tensor([-3.0, 0.0, 3.0])).tolist() == [0.0, 0.0, 3.0]
    np.testing.assert_allclose(F.selu(nc.tensor([1.0], dtype=F64)).item(), 1.0507009873554805, rtol=1e-15)
    np.testing.assert_allclose(F.logsigmoid(nc.tensor([-1e4, 0.0], dtype=F64)).tolist(), [-1e4, -np.log(2)],
                               rtol=1e-15)
    # float64 softplus just above 20 is not rounded to x: log(1 + e^20.5) = 20.5 + 1.25e-9
    np.testing.assert_allclose(F.logsigmoid(nc.tensor([-20.5], dtype=F64)).item(), -20.5 - np.log1p(np.exp(-20.5)),
                               rtol=1e-15)


def test_step_and_kink_gradients():
    x = nc.tensor([-3.0, -1.0, 0.0, 1.0, 3.0], dtype=F64, requires_grad=True)
    F.step(x).sum().backward()
    assert x.grad.tolist() == [0.0] * 5
    x.grad = None
    F.hardswish(x).sum().backward()  # branches follow the forward's: x <= -3 -> 0, x >= 3 -> x
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1 / 6, 0.5, 5 / 6, 1.0], rtol=1e-15)
    x.grad = None
    F.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_alias_and_identity():
    assert F.swish is F.silu and nn.Swish is nn.SiLU
    x = nc.randn(3)
    assert nn.Identity()(x) is x


# ---------------------------------------------------------------- PReLU

@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
def test_prelu_per_channel_and_shared(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4)).astype(NP_OF[dtype])
    x[0, 0, :2] = 0.0
    for w in (rng.random(3), rng.random(1)):
        w = w.astype(NP_OF[dtype])
        y = F.prelu(nc.tensor(x), nc.tensor(w))
        assert y.shape == x.shape and y.dtype == dtype
        np.testing.assert_allclose(np_of(y), R.prelu(x, w), *TOL[dtype])
    # 1-D input: a single channel, so one shared weight
    np.testing.assert_allclose(np_of(F.prelu(nc.tensor(x[0, 0]), nc.tensor(w))), R.prelu(x[0, 0], w), *TOL[dtype])


def test_prelu_gradients_reach_the_weight():
    rng = np.random.default_rng(4)
    x = off_kinks(rng.standard_normal((4, 3, 2)), (0.0,))
    for n in (3, 1):
        xt = nc.tensor(x, requires_grad=True)
        w = nc.tensor(rng.random(n) * 0.5, requires_grad=True)
        assert gradcheck(F.prelu, (xt, w))
    m = nn.PReLU(3, init=0.1)
    assert m.weight.shape == (3,) and m.weight.tolist() == pytest.approx([0.1] * 3)
    assert [name for name, _ in m.named_parameters()] == ["weight"]
    xt = nc.tensor(x.astype(np.float32))
    m(xt).sum().backward()
    expect = np.where(x < 0, x, 0.0).sum(axis=(0, 2))  # d/dw_c sum(prelu) = sum of the negative x in channel c
    np.testing.assert_allclose(m.weight.grad.numpy(), expect, rtol=1e-5, atol=1e-6)


def test_prelu_bad_weight():
    with pytest.raises(ValueError, match=r"prelu: weight of shape \(2,\).*input of shape \(4, 3\)"):
        F.prelu(nc.zeros(4, 3), nc.zeros(2))
    with pytest.raises(ValueError, match="prelu: weight"):
        nn.PReLU(3)(nc.zeros(5))


# ---------------------------------------------------------------- softmax / log_softmax

@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
def test_softmax_log_softmax_match_reference(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 5)) * 3
    x[0, 0] = [1e4, -1e4, 0.0, 0.0, 1e4]  # extremes and ties
    x[1, 1] = 0.0                          # all equal
    x = x.astype(NP_OF[dtype])
    rtol, atol = (1e-5, 1e-6) if dtype == F32 else (1e-12, 1e-12)
    for dim in (0, 1, 2, -1):
        for fn, mod, ref in ((F.softmax, nn.Softmax, R.softmax), (F.log_softmax, nn.LogSoftmax, R.log_softmax)):
            y = fn(nc.tensor(x), dim=dim)
            assert y.shape == x.shape and y.dtype == dtype
            np.testing.assert_allclose(np_of(y), ref(x, dim), rtol=rtol, atol=atol, err_msg=f"{fn.__name__} {dim}")
            np.testing.assert_array_equal(np_of(mod(dim)(nc.tensor(x))), np_of(y))


def test_log_softmax_keeps_precision_for_large_logits():
    # (x - max) - log(sum): -log 2 exactly representable to float32 precision even next to 1e4.
    y = F.log_softmax(nc.tensor([1e4, -1e4, 1e4, 0.0]), dim=0).tolist()
    np.testing.assert_allclose(y, [-np.log(2), -2e4 - np.log(2), -np.log(2), -1e4 - np.log(2)], rtol=1e-7)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_gradcheck(fn):
    x = nc.tensor(np.random.default_rng(6).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: fn(t, dim=1), (x,))
    assert gradcheck(lambda t: fn(t, dim=0), (x,))


# ---------------------------------------------------------------- modules: reprs, bad arguments, docs

def test_reprs_like_pytorch():
    cases = {nn.Step(): "Step()", nn.ReLU6(): "ReLU6()", nn.PReLU(): "PReLU(num_parameters=1)",
             nn.PReLU(4): "PReLU(num_parameters=4)", nn.ELU(): "ELU(alpha=1.0)", nn.SELU(): "SELU()",
             nn.CELU(0.5): "CELU(alpha=0.5)", nn.GELU(): "GELU(approximate='none')",
             nn.GELU("tanh"): "GELU(approximate='tanh')", nn.SiLU(): "SiLU()", nn.Mish(): "Mish()",
             nn.Softplus(): "Softplus(beta=1.0, threshold=20.0)", nn.Softsign(): "Softsign()",
             nn.Hardtanh(): "Hardtanh(min_val=-1.0, max_val=1.0)", nn.Hardsigmoid(): "Hardsigmoid()",
             nn.Hardswish(): "Hardswish()", nn.LogSigmoid(): "LogSigmoid()"}
    for m, text in cases.items():
        assert repr(m) == text


def test_bad_arguments():
    x = nc.zeros(3)
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError, match="GELU: approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match=r"hardtanh: min_val \(2.0\) cannot be greater than max_val \(1.0\)"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(ValueError, match="Hardtanh: min_val"):
        nn.Hardtanh(2.0, 1.0)
    with pytest.raises(ValueError, match="celu: alpha must not be 0"):
        F.celu(x, 0.0)
    with pytest.raises(ValueError, match="CELU: alpha"):
        nn.CELU(0.0)
    with pytest.raises(ValueError, match="softplus: beta must not be 0"):
        F.softplus(x, beta=0)


def test_activation_docstrings():
    result = doctest.testmod(importlib.import_module("neurocore.nn.activation"), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_tanh_float32_within_two_ulp_of_float64_and_special_values():
    # float32 tanh is a vectorised polynomial / exp formula (vmath.h vtanh); float64 is the reference.
    x = np.linspace(-30, 30, 600_001).astype(np.float32)
    y = nc.tanh(nc.tensor(x)).numpy()
    ref = np.tanh(x.astype(np.float64))
    ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(y - ref) / ulp) <= 2.0
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 0.625, -0.625], np.float32)
    out = nc.tanh(nc.tensor(special)).numpy()
    np.testing.assert_array_equal(out[:4], [0.0, -0.0, 1.0, -1.0])
    assert np.signbit(out[1]) and np.isnan(out[4])
    np.testing.assert_array_equal(out[5:7], special[5:7])
    np.testing.assert_allclose(out[7:], np.tanh(special[7:].astype(np.float64)), rtol=2e-7)
