"""The op table (like PyTorch's OpInfo): every op checked against tests/reference.py, forward in
float32 and float64 (shape and dtype checked before values), int64 forward where the op supports
integers, and float64 central-difference gradients for every differentiable op.

Tolerances (rtol, atol), chosen from how many roundings each kind of op performs:
  * EW   elementwise: float32 (1e-5, 1e-6) -- libm float functions are within ~2 ulp (ulp = 1.2e-7) and
         the reference works on the very same float32 inputs; float64 (1e-12, 1e-12), a few ulp (2.2e-16).
  * RED  reductions over at most a few hundred elements: float32 (1e-5, 1e-5) -- a naive float32 sum of n
         terms errs by <= n*eps*sum|x| ~ 1e-5 at n ~ 100 with |x| < 3; float64 (1e-11, 1e-11).
  * MM   matmul with inner size k <= 8: float32 (1e-4, 1e-4) -- the error bound k*eps*sum|a*b| is
         8 * 1.2e-7 * 72 ~ 7e-5 for |a|, |b| < 3; float64 (1e-11, 1e-11).
  * EXACT copies, views, comparisons, integer results: bit-exact.
"""
import dataclasses
import math
from typing import Callable

import numpy as np
import pytest

import neurocore as nc
import reference as R

F32, F64, I64, BOOL = nc.float32, nc.float64, nc.int64, nc.bool
NP_OF = {F32: np.float32, F64: np.float64, I64: np.int64, BOOL: np.bool_}
NC_OF = {np.dtype(v): k for k, v in NP_OF.items()}

EW = {F32: (1e-5, 1e-6), F64: (1e-12, 1e-12)}
RED = {F32: (1e-5, 1e-5), F64: (1e-11, 1e-11)}
MM = {F32: (1e-4, 1e-4), F64: (1e-11, 1e-11)}
EXACT = {F32: (0.0, 0.0), F64: (0.0, 0.0)}


# ---------------------------------------------------------------- sample generation

@dataclasses.dataclass
class Sample:
    """Float64 arrays are cast to the dtype under test; int64/bool arrays are used as they are."""
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)


def rand_shape(rng, min_nd=0, max_nd=4, max_size=5):
    nd = int(rng.integers(min_nd, max_nd + 1))
    return tuple(1 if rng.random() < 0.25 else int(rng.integers(2, max_size + 1)) for _ in range(nd))


def broadcast_partner(rng, shape):
    """A shape that broadcasts with `shape`: some dims set to 1, maybe fewer leading dims."""
    other = [1 if rng.random() < 0.4 else s for s in shape]
    drop = int(rng.integers(0, len(other) + 1))
    return tuple(other[drop:])


UNARY_SHAPES = [(), (1,), (7,), (3, 4), (2, 1, 3), (2, 3, 1, 2), (0,), (3, 0)]
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()),
                 ((), ()), ((2, 1, 3), (4, 1)), ((1,), (5,)), ((2, 3, 1, 4), (3, 5, 1)), ((0, 3), (1, 3))]


def unary_shapes(seed):
    rng = np.random.default_rng(seed)
    return UNARY_SHAPES + [rand_shape(rng, 1) for _ in range(3)]


def binary_shapes(seed):
    rng = np.random.default_rng(seed)
    pairs = list(BINARY_SHAPES)
    for _ in range(4):
        s = rand_shape(rng, 1)
        o = broadcast_partner(rng, s)
        pairs.append((s, o) if rng.random() < 0.5 else (o, s))
    return pairs


# Input domains: float64 arrays of a shape, kept away from poles, branch cuts and kinks.
def real(rng, shape):
    return rng.uniform(-3, 3, shape)


def positive(rng, shape):  # log, sqrt, rsqrt, pow's base
    return rng.uniform(0.2, 3, shape)


def nonzero(rng, shape):  # division, reciprocal, and kinks at 0 (abs, relu, sign, leaky_relu)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 3, shape)


def gt_minus1(rng, shape):  # log1p
    return rng.uniform(-0.8, 3, shape)


def away_from(points, margin=0.1):
    def gen(rng, shape):
        x = rng.uniform(-3, 3, shape)
        for p in points:
            close = np.abs(x - p) < margin
            x = np.where(close, p + np.sign(x - p + 1e-12) * margin * 2, x)
        return x
    return gen


def integers_as_float(rng, shape):  # comparisons: many exact ties
    return rng.integers(-2, 3, shape).astype(np.float64)


def probs(rng, shape):  # BCE predictions, off 0 and 1
    return rng.uniform(0.05, 0.95, shape)


def unary_samples(domain, seed, **kwargs):
    def gen():
        rng = np.random.default_rng(seed)
        return [Sample((domain(rng, s),), dict(kwargs)) for s in unary_shapes(seed)]
    return gen


def binary_samples(domain_a, domain_b, seed):
    def gen():
        rng = np.random.default_rng(seed)
        return [Sample((domain_a(rng, a), domain_b(rng, b))) for a, b in binary_shapes(seed)]
    return gen


def reduce_samples(domain, seed, dims=True, empty_ok=True):
    """All-reduce on every shape, plus single dims, negative dims, dim tuples, keepdim."""
    def gen():
        rng = np.random.default_rng(seed)
        out = []
        for s in unary_shapes(seed):
            if not empty_ok and 0 in s:
                continue
            out.append(Sample((domain(rng, s),)))
            if s and dims:
                d = int(rng.integers(0, len(s)))
                out.append(Sample((domain(rng, s),), {"dim": d}))
                out.append(Sample((domain(rng, s),), {"dim": d - len(s), "keepdim": True}))
                if len(s) >= 2:
                    out.append(Sample((domain(rng, s),), {"dim": (0, len(s) - 1)}))
                    out.append(Sample((domain(rng, s),), {"dim": (len(s) - 1, 0), "keepdim": True}))
        if dims:
            out.append(Sample((domain(rng, (12, 20)),), {"dim": 1}))  # a longer row
        out.append(Sample((domain(rng, (240,)),)))
        return out
    return gen


def scalar_like(x, v):
    """A Python scalar next to a tensor: same dtype if it is float (ints stay int next to ints)."""
    x = np.asarray(x)
    if isinstance(v, float) and x.dtype.kind != "f":
        return np.asarray(v, np.float32)
    return np.asarray(v, x.dtype)


@dataclasses.dataclass
class OpInfo:
    name: str
    fn: Callable              # fn(*tensors, **kwargs) -> tensor (neurocore)
    ref: Callable             # ref(*arrays, **kwargs) -> array (numpy, tests/reference.py)
    samples: Callable         # () -> list[Sample]
    tol: dict = dataclasses.field(default_factory=lambda: EW)
    differentiable: bool = True
    int_ok: bool = False      # also checked on int64 inputs
    grad_max_numel: int = 24  # gradcheck only samples this small (central differences cost 2 calls/element)
    at_kink: Callable = None  # at_kink(output array) -> True where the op is not differentiable (skip gradcheck)

    def __str__(self):
        return self.name


def _leaky(x, slope=0.1):
    return nc._core.unary(x, nc._core.UnaryOp.leaky_relu, slope, 0)


def _softmax_samples(seed, scale=1.0):
    def gen():
        rng = np.random.default_rng(seed)
        out = []
        for s in unary_shapes(seed):
            if not s or 0 in s:
                continue
            d = int(rng.integers(0, len(s)))
            out.append(Sample((scale * real(rng, s),), {"dim": d}))
            out.append(Sample((scale * real(rng, s),), {"dim": d - len(s)}))
        return out
    return gen


def _matmul_samples():
    pairs = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((3, 4), (4, 5)), ((1, 1), (1, 1)), ((2, 3, 4), (2, 4, 5)),
             ((2, 3, 4), (4, 2)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4)),
             ((2, 3, 4), (4,)), ((1, 8), (8, 1)), ((3, 0), (0, 2)), ((0, 3), (3, 2))]

    def gen():
        rng = np.random.default_rng(11)
        return [Sample((real(rng, a), real(rng, b))) for a, b in pairs]
    return gen


def _where_samples():
    def gen():
        rng = np.random.default_rng(12)
        out = []
        for a, b in binary_shapes(12):
            c = rng.random(np.broadcast_shapes(a, b)[-1:] if np.broadcast_shapes(a, b) else ()) < 0.5
            out.append(Sample((c, real(rng, a), real(rng, b))))
        return out
    return gen


def _cat_samples(stack):
    def gen():
        rng = np.random.default_rng(13)
        out = []
        for s in [(3,), (2, 3), (2, 1, 4), (2, 0)]:
            for d in range(-len(s), len(s) + (1 if stack else 0)):
                shapes = [s] * 3
                if not stack:
                    dd = d % len(s)
                    shapes = [tuple(int(rng.integers(0, 4)) if k == dd else v for k, v in enumerate(s)) for _ in range(3)]
                out.append(Sample(tuple(real(rng, sh) for sh in shapes), {"dim": d}))
        return out
    return gen


def _shape_samples(kind):
    def gen():
        rng = np.random.default_rng(14)
        x = lambda *s: real(rng, s)  # noqa: E731
        if kind == "reshape":
            return [Sample((x(2, 3, 4),), {"shape": (4, 6)}), Sample((x(2, 3, 4),), {"shape": (-1,)}),
                    Sample((x(2, 3, 4),), {"shape": (3, -1, 2)}), Sample((x(),), {"shape": (1, 1)}),
                    Sample((x(6),), {"shape": (2, 3)}), Sample((x(1, 1),), {"shape": ()}),
                    Sample((x(0, 3),), {"shape": (3, 0)})]
        if kind == "transpose":
            return [Sample((x(3, 4),), {"d0": 0, "d1": 1}), Sample((x(2, 3, 4),), {"d0": 0, "d1": -1}),
                    Sample((x(2, 3, 4),), {"d0": 1, "d1": 1}), Sample((x(5),), {"d0": 0, "d1": -1})]
        if kind == "permute":
            return [Sample((x(2, 3, 4),), {"dims": (2, 0, 1)}), Sample((x(2, 3),), {"dims": (1, 0)}),
                    Sample((x(2, 1, 3, 2),), {"dims": (3, 1, 0, 2)}), Sample((x(),), {"dims": ()})]
        if kind == "squeeze":
            return [Sample((x(1, 3, 1, 2),), {}), Sample((x(1, 3, 1, 2),), {"dim": 2}),
                    Sample((x(1, 3, 1, 2),), {"dim": 1}), Sample((x(1, 3, 1, 2),), {"dim": -4}),
                    Sample((x(1, 1),), {}), Sample((x(3),), {})]
        if kind == "unsqueeze":
            return [Sample((x(3, 4),), {"dim": d}) for d in (0, 1, 2, -1, -3)] + [Sample((x(),), {"dim": 0})]
        if kind == "flatten":
            return [Sample((x(2, 3, 4),), {}), Sample((x(2, 3, 4, 2),), {"start_dim": 1, "end_dim": 2}),
                    Sample((x(2, 3, 4),), {"start_dim": 1}), Sample((x(5),), {}), Sample((x(),), {})]
        if kind == "expand":
            return [Sample((x(3, 1),), {"shape": (3, 4)}), Sample((x(4),), {"shape": (2, 3, 4)}),
                    Sample((x(1, 1),), {"shape": (2, 5)}), Sample((x(),), {"shape": (3, 2)}),
                    Sample((x(2, 1),), {"shape": (-1, 3)}), Sample((x(3, 4),), {"shape": (3, 4)})]
        if kind == "index_select":
            return [Sample((x(5, 3), np.array([0, 4, 4, 1])), {"dim": 0}),
                    Sample((x(2, 5, 3), np.array([2, -1])), {"dim": 1}),
                    Sample((x(2, 3), np.array([], dtype=np.int64)), {"dim": 1}),
                    Sample((x(4, 2), np.array(3)), {"dim": 0})]
        if kind == "noncontig":  # ops on transposed / strided inputs
            return [Sample((x(3, 4),)), Sample((x(4, 6),)), Sample((x(2, 2),))]
        raise AssertionError(kind)
    return gen


def _ce_extra_samples():
    """cross_entropy's options: class weights, ignore_index, label smoothing, (N, C, d) inputs."""
    def gen():
        rng = np.random.default_rng(17)
        out = []
        for red in ("mean", "sum", "none"):
            t = np.array([0, 2, 1, 2, 0])
            out.append(Sample((real(rng, (5, 3)), t), {"reduction": red, "weight": np.array([0.2, 1.0, 3.0])}))
            out.append(Sample((real(rng, (5, 3)), np.array([0, -100, 1, 2, -100])), {"reduction": red}))
            out.append(Sample((real(rng, (5, 3)), np.array([1, 4, 1, 4, 0])), {"reduction": red, "ignore_index": 4}))
            out.append(Sample((real(rng, (5, 3)), t), {"reduction": red, "label_smoothing": 0.2}))
            out.append(Sample((real(rng, (5, 3)), np.array([0, 2, -100, 2, 1])),
                              {"reduction": red, "label_smoothing": 0.1, "weight": np.array([1.0, 0.5, 2.0])}))
            out.append(Sample((real(rng, (2, 3, 4)), rng.integers(0, 3, (2, 4))), {"reduction": red}))
        return out
    return gen


def _ce_extra(x, t, weight=None, **kw):
    w = None if weight is None else nc.tensor(weight, dtype=x.dtype)
    return nc._core.cross_entropy(x, nc.tensor(t), weight=w, **kw)


def _loss_samples(kind):
    def gen():
        rng = np.random.default_rng(15)
        out = []
        shapes = [(5,), (3, 4), (2, 3, 2), ()]
        for red in ("mean", "sum", "none"):
            for s in shapes:
                if kind == "mse":
                    out.append(Sample((real(rng, s), real(rng, s)), {"reduction": red}))
                elif kind == "bce":
                    out.append(Sample((probs(rng, s), rng.uniform(0, 1, s)), {"reduction": red}))
                elif kind == "bce_logits":
                    out.append(Sample((real(rng, s), rng.uniform(0, 1, s)), {"reduction": red}))
            if kind in ("ce", "nll"):
                for n, c in [(4, 3), (1, 5), (6, 2)]:
                    out.append(Sample((real(rng, (n, c)), rng.integers(0, c, n)), {"reduction": red}))
                out.append(Sample((real(rng, (4,)), np.array(2)), {"reduction": red}))
        return out
    return gen


OPS = [
    # ---- unary math
    OpInfo("neg", lambda x: -x, R.neg, unary_samples(real, 1), int_ok=True),
    OpInfo("neg_method", lambda x: x.neg(), R.neg, unary_samples(real, 1), int_ok=True),
    OpInfo("abs", lambda x: x.abs(), R.abs_, unary_samples(nonzero, 2), int_ok=True),
    OpInfo("abs_builtin", lambda x: abs(x), R.abs_, unary_samples(nonzero, 2), int_ok=True),
    OpInfo("sign", lambda x: x.sign(), R.sign, unary_samples(nonzero, 3), int_ok=True),
    OpInfo("square", lambda x: x.square(), R.square, unary_samples(real, 4), int_ok=True),
    OpInfo("exp", lambda x: x.exp(), R.exp, unary_samples(real, 5)),
    OpInfo("log", lambda x: x.log(), R.log, unary_samples(positive, 6)),
    OpInfo("sqrt", lambda x: x.sqrt(), R.sqrt, unary_samples(positive, 7)),
    OpInfo("rsqrt", lambda x: x.rsqrt(), R.rsqrt, unary_samples(positive, 8)),
    OpInfo("reciprocal", lambda x: x.reciprocal(), R.reciprocal, unary_samples(nonzero, 9)),
    OpInfo("sin", lambda x: x.sin(), R.sin, unary_samples(real, 10)),
    OpInfo("cos", lambda x: x.cos(), R.cos, unary_samples(real, 11)),
    OpInfo("log1p", lambda x: x.log1p(), R.log1p, unary_samples(gt_minus1, 12)),
    OpInfo("expm1", lambda x: x.expm1(), R.expm1, unary_samples(real, 13)),
    OpInfo("relu", lambda x: x.relu(), R.relu, unary_samples(nonzero, 14), int_ok=True),
    OpInfo("leaky_relu", lambda x: _leaky(x, 0.1), lambda x: R.leaky_relu(x, 0.1), unary_samples(nonzero, 15)),
    OpInfo("sigmoid", lambda x: x.sigmoid(), R.sigmoid, unary_samples(real, 16)),
    OpInfo("tanh", lambda x: x.tanh(), R.tanh, unary_samples(real, 17)),
    OpInfo("nc.exp", lambda x: nc.exp(x), R.exp, unary_samples(real, 18)),
    OpInfo("clamp", lambda x: x.clamp(-1.0, 1.5), lambda x: R.clamp(x, -1.0, 1.5),
           unary_samples(away_from([-1.0, 1.5]), 19), int_ok=True),
    OpInfo("clamp_min", lambda x: x.clamp(min=0.5), lambda x: R.clamp(x, lo=0.5),
           unary_samples(away_from([0.5]), 20)),
    OpInfo("clamp_max", lambda x: nc.clamp(x, max=-0.5), lambda x: R.clamp(x, hi=-0.5),
           unary_samples(away_from([-0.5]), 21)),
    OpInfo("pow_scalar_2", lambda x: x ** 2, lambda x: R.pow_(x, scalar_like(x, 2)), unary_samples(real, 22),
           int_ok=True),
    OpInfo("pow_scalar_frac", lambda x: x ** 2.5, lambda x: R.pow_(x, scalar_like(x, 2.5)),
           unary_samples(positive, 23)),
    OpInfo("pow_scalar_neg", lambda x: x.pow(-1.5), lambda x: R.pow_(x, scalar_like(x, -1.5)),
           unary_samples(positive, 24)),
    OpInfo("rpow", lambda x: 2.0 ** x, lambda x: R.pow_(scalar_like(x, 2.0), x), unary_samples(real, 25)),
    # ---- binary with a Python scalar on either side (the scalar takes the tensor's dtype)
    OpInfo("add_scalar", lambda x: x + 2.5, lambda x: R.add(x, scalar_like(x, 2.5)), unary_samples(real, 26)),
    OpInfo("radd_int", lambda x: 3 + x, lambda x: R.add(scalar_like(x, 3), x), unary_samples(real, 27), int_ok=True),
    OpInfo("rsub", lambda x: 1.5 - x, lambda x: R.sub(scalar_like(x, 1.5), x), unary_samples(real, 28)),
    OpInfo("mul_scalar", lambda x: x * -2, lambda x: R.mul(x, scalar_like(x, -2)), unary_samples(real, 29),
           int_ok=True),
    OpInfo("div_scalar", lambda x: x / 4.0, lambda x: R.div(x, scalar_like(x, 4.0)), unary_samples(real, 30)),
    OpInfo("rdiv", lambda x: 1.0 / x, lambda x: R.div(scalar_like(x, 1.0), x), unary_samples(nonzero, 31)),
    # ---- binary tensor-tensor, with broadcasting
    OpInfo("add", lambda a, b: a + b, R.add, binary_samples(real, real, 40), int_ok=True),
    OpInfo("sub", lambda a, b: a - b, R.sub, binary_samples(real, real, 41), int_ok=True),
    OpInfo("mul", lambda a, b: a * b, R.mul, binary_samples(real, real, 42), int_ok=True),
    OpInfo("div", lambda a, b: a / b, R.div, binary_samples(real, nonzero, 43)),
    OpInfo("pow", lambda a, b: a ** b, R.pow_, binary_samples(positive, real, 44)),
    OpInfo("nc.add", lambda a, b: nc.add(a, b), R.add, binary_samples(real, real, 45), int_ok=True),
    OpInfo("maximum", lambda a, b: nc.maximum(a, b), R.maximum, binary_samples(real, real, 46), int_ok=True),
    OpInfo("minimum", lambda a, b: a.minimum(b), R.minimum, binary_samples(real, real, 47), int_ok=True),
    OpInfo("eq", lambda a, b: a == b, R.eq, binary_samples(integers_as_float, integers_as_float, 48),
           differentiable=False, int_ok=True),
    OpInfo("ne", lambda a, b: a != b, R.ne, binary_samples(integers_as_float, integers_as_float, 49),
           differentiable=False, int_ok=True),
    OpInfo("lt", lambda a, b: a < b, R.lt, binary_samples(integers_as_float, integers_as_float, 50),
           differentiable=False, int_ok=True),
    OpInfo("le", lambda a, b: a <= b, R.le, binary_samples(integers_as_float, integers_as_float, 51),
           differentiable=False, int_ok=True),
    OpInfo("gt", lambda a, b: a > b, R.gt, binary_samples(integers_as_float, integers_as_float, 52),
           differentiable=False, int_ok=True),
    OpInfo("ge", lambda a, b: a.ge(b), R.ge, binary_samples(integers_as_float, integers_as_float, 53),
           differentiable=False, int_ok=True),
    OpInfo("where", lambda c, a, b: nc.where(c, a, b), R.where, _where_samples(), int_ok=True),
    # ---- reductions
    OpInfo("sum", lambda x, **k: x.sum(**k), R.sum_, reduce_samples(real, 60), tol=RED, int_ok=True),
    OpInfo("nc.sum", lambda x, **k: nc.sum(x, **k), R.sum_, reduce_samples(real, 61), tol=RED),
    OpInfo("mean", lambda x, **k: x.mean(**k), R.mean, reduce_samples(real, 62, empty_ok=False), tol=RED,
           int_ok=True),
    OpInfo("var", lambda x, **k: x.var(**k), R.var, reduce_samples(real, 63, empty_ok=False), tol=RED),
    OpInfo("var_biased", lambda x, **k: x.var(**k, correction=0), lambda x, **k: R.var(x, **k, correction=0),
           reduce_samples(real, 64, empty_ok=False), tol=RED),
    # std = sqrt(var) has no derivative where var = 0 (a reduction over one element)
    OpInfo("std", lambda x, **k: x.std(**k), R.std, reduce_samples(real, 65, empty_ok=False), tol=RED,
           at_kink=lambda y: (y == 0).any()),
    OpInfo("std_unbiased_false", lambda x, **k: x.std(**k, unbiased=False), lambda x, **k: R.std(x, **k, correction=0),
           reduce_samples(real, 66, empty_ok=False), tol=RED, at_kink=lambda y: (y == 0).any()),
    OpInfo("amax", lambda x, **k: x.amax(**k), R.amax, reduce_samples(real, 67, empty_ok=False), tol=EXACT,
           int_ok=True),
    OpInfo("amin", lambda x, **k: x.amin(**k), R.amin, reduce_samples(real, 68, empty_ok=False), tol=EXACT,
           int_ok=True),
    OpInfo("max_all", lambda x: x.max(), R.amax, reduce_samples(real, 69, dims=False, empty_ok=False), tol=EXACT,
           int_ok=True),
    OpInfo("min_all", lambda x: nc.min(x), R.amin, reduce_samples(real, 70, dims=False, empty_ok=False), tol=EXACT,
           int_ok=True),
    OpInfo("prod", lambda x, **k: x.prod(**k), R.prod, reduce_samples(real, 71), tol=RED, differentiable=False,
           int_ok=True),
]


def _dim_samples(domain, seed, keep=(False, True)):
    def gen():
        rng = np.random.default_rng(seed)
        out = []
        for s in unary_shapes(seed):
            if not s or 0 in s:
                continue
            for kd in keep:
                d = int(rng.integers(-len(s), len(s)))
                out.append(Sample((domain(rng, s),), {"dim": d, "keepdim": kd}))
        return out
    return gen


OPS += [
    OpInfo("max_dim_values", lambda x, **k: x.max(**k).values, R.amax, _dim_samples(real, 72), tol=EXACT,
           int_ok=True),
    OpInfo("max_dim_indices", lambda x, **k: x.max(**k).indices, R.argmax, _dim_samples(real, 73), tol=EXACT,
           differentiable=False, int_ok=True),
    OpInfo("min_dim_values", lambda x, **k: x.min(**k)[0], R.amin, _dim_samples(real, 74), tol=EXACT, int_ok=True),
    OpInfo("min_dim_indices", lambda x, **k: x.min(**k)[1], R.argmin, _dim_samples(real, 75), tol=EXACT,
           differentiable=False, int_ok=True),
    OpInfo("argmax", lambda x, **k: x.argmax(**k), R.argmax, _dim_samples(real, 76), tol=EXACT,
           differentiable=False, int_ok=True),
    OpInfo("argmin", lambda x, **k: nc.argmin(x, **k), R.argmin, _dim_samples(real, 77), tol=EXACT,
           differentiable=False, int_ok=True),
    OpInfo("argmax_flat", lambda x: x.argmax(), R.argmax, reduce_samples(real, 78, dims=False, empty_ok=False),
           tol=EXACT, differentiable=False, int_ok=True),
    # ---- matmul
    OpInfo("matmul", lambda a, b: a @ b, R.matmul, _matmul_samples(), tol=MM, grad_max_numel=60),
    OpInfo("nc.matmul", lambda a, b: nc.matmul(a, b), R.matmul, _matmul_samples(), tol=MM),
    OpInfo("matmul_transposed_args", lambda a, b: a.transpose(-1, -2) @ b.transpose(-1, -2),
           lambda a, b: R.matmul(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)),
           lambda: [Sample((real(np.random.default_rng(k), (4, 3)), real(np.random.default_rng(k + 1), (5, 4))))
                    for k in range(2)] + [Sample((real(np.random.default_rng(9), (2, 4, 3)),
                                                  real(np.random.default_rng(8), (2, 2, 4))))], tol=MM),
    # ---- shapes and views
    OpInfo("reshape", lambda x, shape: x.reshape(*shape), lambda x, shape: np.reshape(x, shape),
           _shape_samples("reshape"), tol=EXACT),
    OpInfo("view", lambda x, shape: x.view(*shape), lambda x, shape: np.reshape(x, shape),
           _shape_samples("reshape"), tol=EXACT),
    OpInfo("transpose", lambda x, d0, d1: x.transpose(d0, d1), lambda x, d0, d1: np.swapaxes(x, d0, d1),
           _shape_samples("transpose"), tol=EXACT, int_ok=True),
    OpInfo("permute", lambda x, dims: x.permute(*dims), lambda x, dims: np.transpose(x, dims),
           _shape_samples("permute"), tol=EXACT, int_ok=True),
    OpInfo("T", lambda x: x.T, lambda x: x.T, unary_samples(real, 80), tol=EXACT),
    OpInfo("squeeze", lambda x, **k: x.squeeze(**k),
           lambda x, dim=None: np.squeeze(x, dim) if dim is None or x.shape[dim] == 1 else x,
           _shape_samples("squeeze"), tol=EXACT),
    OpInfo("unsqueeze", lambda x, dim: x.unsqueeze(dim), lambda x, dim: np.expand_dims(x, dim),
           _shape_samples("unsqueeze"), tol=EXACT),
    OpInfo("flatten", lambda x, **k: x.flatten(**k),
           lambda x, start_dim=0, end_dim=-1: x.reshape(-1) if x.ndim == 0 else
           x.reshape(x.shape[:start_dim] + (-1,) + x.shape[end_dim % x.ndim + 1:]),
           _shape_samples("flatten"), tol=EXACT),
    OpInfo("expand", lambda x, shape: x.expand(*shape),
           lambda x, shape: np.broadcast_to(x, tuple(x.shape[i - len(shape) + x.ndim] if v == -1 else v
                                                     for i, v in enumerate(shape))).copy(),
           _shape_samples("expand"), tol=EXACT),
    OpInfo("index_select", lambda x, i, dim: x.index_select(dim, nc.tensor(i)),
           lambda x, i, dim: np.take(x, i, axis=dim), _shape_samples("index_select"), tol=EXACT),
    OpInfo("cat", lambda *xs, dim: nc.cat(list(xs), dim), lambda *xs, dim: np.concatenate(xs, dim),
           _cat_samples(False), tol=EXACT, int_ok=True),
    OpInfo("stack", lambda *xs, dim: nc.stack(list(xs), dim), lambda *xs, dim: np.stack(xs, dim),
           _cat_samples(True), tol=EXACT, int_ok=True),
    OpInfo("contiguous_of_transpose", lambda x: x.t().contiguous(), lambda x: np.ascontiguousarray(x.T),
           _shape_samples("noncontig"), tol=EXACT),
    OpInfo("reshape_of_transpose", lambda x: x.t().reshape(-1), lambda x: x.T.reshape(-1),
           _shape_samples("noncontig"), tol=EXACT),
    OpInfo("sum_of_transpose", lambda x: x.t().sum(1), lambda x: R.sum_(x.T, 1), _shape_samples("noncontig"),
           tol=RED),
    OpInfo("exp_of_strided_slice", lambda x: x[:, ::2].exp() * x[1:2, 1::2],
           lambda x: R.mul(R.exp(x[:, ::2]), x[1:2, 1::2]), lambda: [Sample((real(np.random.default_rng(3), (4, 6)),))]),
    OpInfo("clone", lambda x: x.clone(), lambda x: x.copy(), unary_samples(real, 81), tol=EXACT, int_ok=True),
    OpInfo("to_float64", lambda x: x.to(nc.float64), lambda x: x.astype(np.float64), unary_samples(real, 82),
           tol=EXACT),
    # (gradients through dtype conversions: test_autograd.py; float32 outputs defeat float64 gradcheck)
    OpInfo("to_float32", lambda x: x.float(), lambda x: x.astype(np.float32), unary_samples(real, 83), tol=EXACT,
           differentiable=False),
    # ---- softmax family and losses
    OpInfo("softmax", lambda x, dim: x.softmax(dim), R.softmax, _softmax_samples(90)),
    OpInfo("log_softmax", lambda x, dim: x.log_softmax(dim), R.log_softmax, _softmax_samples(91)),
    OpInfo("nc.softmax", lambda x, dim: nc.softmax(x, dim), R.softmax, _softmax_samples(92)),
    OpInfo("mse_loss", lambda a, b, reduction: nc._core.pointwise_loss(nc._core.LossOp.mse, a, b, 0.0, reduction,
                                                                       "mse_loss"),
           R.mse_loss, _loss_samples("mse"), tol=RED),
    OpInfo("binary_cross_entropy", lambda p, y, reduction: nc._core.binary_cross_entropy(p, y, reduction=reduction),
           R.binary_cross_entropy, _loss_samples("bce"), tol=RED),
    OpInfo("bce_with_logits", lambda z, y, reduction: nc._core.binary_cross_entropy_with_logits(
        z, y, reduction=reduction), R.binary_cross_entropy_with_logits, _loss_samples("bce_logits"), tol=RED),
    OpInfo("cross_entropy", lambda x, t, reduction: nc._core.cross_entropy(x, nc.tensor(t), reduction=reduction),
           R.cross_entropy, _loss_samples("ce"), tol=RED),
    OpInfo("nll_loss", lambda x, t, reduction: nc._core.nll_loss(x, nc.tensor(t), reduction=reduction),
           R.nll_loss, _loss_samples("nll"), tol=RED),
    OpInfo("cross_entropy_options", _ce_extra, R.cross_entropy, _ce_extra_samples(), tol=RED),
]

OPS_BY_NAME = {op.name: op for op in OPS}
assert len(OPS_BY_NAME) == len(OPS), "op names must be unique"


# ---------------------------------------------------------------- helpers for the tests

def to_inputs(sample, dtype, requires_grad=False):
    """(neurocore tensors, numpy arrays): float64 arrays cast to `dtype`; the rest as they are."""
    arrays, tensors = [], []
    for a in sample.args:
        a = np.asarray(a)
        if a.dtype == np.float64:
            a = np.floor(a).astype(np.int64) if dtype == I64 else a.astype(NP_OF[dtype])
        arrays.append(a)
        t = nc.tensor(a)
        if requires_grad and t.dtype.is_floating_point:
            t.requires_grad_(True)
        tensors.append(t)
    return tensors, arrays


def check_result(out, expected, tol, what=""):
    """Shape, then dtype, then values."""
    expected = np.asarray(expected)
    assert isinstance(out, nc.Tensor), f"{what}: expected a Tensor, got {type(out).__name__}"
    assert tuple(out.shape) == expected.shape, f"{what}: shape {tuple(out.shape)} != expected {expected.shape}"
    assert out.dtype == NC_OF[expected.dtype], f"{what}: dtype {out.dtype} != expected {expected.dtype}"
    got = out.detach().numpy()
    if expected.dtype.kind in "bi" or tol == (0.0, 0.0):
        np.testing.assert_array_equal(got, expected, err_msg=what)
    else:
        rtol, atol = tol
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


def _ids(ops):
    return [op.name for op in ops]


# ---------------------------------------------------------------- the table-driven tests

@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("op", OPS, ids=_ids(OPS))
def test_forward(op, dtype):
    for k, sample in enumerate(op.samples()):
        tensors, arrays = to_inputs(sample, dtype)
        expected = op.ref(*arrays, **sample.kwargs)
        out = op.fn(*tensors, **sample.kwargs)
        tol = op.tol[dtype]
        check_result(out, expected, tol, f"{op.name} sample {k}: shapes {[a.shape for a in arrays]} {sample.kwargs}")


INT_OPS = [op for op in OPS if op.int_ok]


@pytest.mark.parametrize("op", INT_OPS, ids=_ids(INT_OPS))
def test_forward_int64(op):
    for k, sample in enumerate(op.samples()):
        tensors, arrays = to_inputs(sample, I64)
        assert all(t.dtype in (I64, BOOL) for t in tensors)
        expected = op.ref(*arrays, **sample.kwargs)
        out = op.fn(*tensors, **sample.kwargs)
        check_result(out, expected, RED[F32] if np.asarray(expected).dtype.kind == "f" else (0.0, 0.0),
                     f"{op.name} int64 sample {k}: shapes {[a.shape for a in arrays]} {sample.kwargs}")


GRAD_OPS = [op for op in OPS if op.differentiable]


@pytest.mark.parametrize("op", GRAD_OPS, ids=_ids(GRAD_OPS))
def test_gradcheck(op):
    checked = 0
    for k, sample in enumerate(op.samples()):
        tensors, arrays = to_inputs(sample, F64, requires_grad=True)
        if any(a.size > op.grad_max_numel for a in arrays) or not any(t.requires_grad for t in tensors):
            continue
        out = op.fn(*tensors, **sample.kwargs)
        if out.numel() == 0 or not np.isfinite(out.detach().numpy()).all():
            continue  # nothing to differentiate, or a non-differentiable point (var of one element)
        if op.at_kink is not None and op.at_kink(out.detach().numpy()):
            continue
        assert out.requires_grad, f"{op.name} sample {k}: output does not require grad"
        fn = lambda *ts: op.fn(*ts, **sample.kwargs)  # noqa: E731
        assert nc.utils.gradcheck(fn, tensors, eps=1e-6, atol=1e-5), f"{op.name} sample {k}"
        checked += 1
    assert checked > 0, f"{op.name}: no sample small enough for gradcheck"


def test_every_op_has_a_reference_and_samples():
    for op in OPS:
        assert op.samples(), op.name
        assert op.ref.__module__ in ("reference", __name__), op.name


# ---------------------------------------------------------------- numerically hard inputs

@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_large_inputs_are_stable(name, dtype):
    # Inputs ~1e4 overflow exp() unless the max is subtracted first. Softmax outputs are in [0, 1]:
    # absolute error 1e-6. log_softmax computed as (x - max) - log(sum exp(x - max)) is exact to a few
    # ulp of its O(1..10) result (x - max is exact here by Sterbenz' lemma), so 1e-5 in float32.
    rng = np.random.default_rng(0)
    x = (1e4 + rng.uniform(-5, 5, (4, 7))).astype(NP_OF[dtype])
    x[0] = -x[0]  # one row around -1e4
    for dim in (0, 1):
        out = getattr(nc.from_numpy(x), name)(dim)
        expected = getattr(R, name)(x, dim)
        assert np.isfinite(out.numpy()).all()
        check_result(out, expected, (1e-5, 1e-5) if dtype == F32 else (1e-12, 1e-10), f"{name} dim {dim}")


def test_softmax_large_inputs_gradient_is_finite():
    x = nc.tensor(1e4 + np.linspace(-3, 3, 6), dtype=nc.float64, requires_grad=True)
    w = nc.tensor(np.arange(6.0), dtype=nc.float64)
    (x.softmax(0) * w).sum().backward()
    p = R.softmax(np.asarray(x.detach()), 0)
    # d/dx sum(w * softmax(x)) = p * (w - sum(p * w))
    np.testing.assert_allclose(x.grad.numpy(), p * (np.arange(6.0) - (p * np.arange(6.0)).sum()), rtol=1e-9,
                               atol=1e-12)


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_exp_sigmoid_tanh_extremes(dtype):
    x = np.array([-100.0, -30.0, -1e-3, 0.0, 1e-3, 30.0, 100.0], dtype=NP_OF[dtype])
    t = nc.from_numpy(x)
    with np.errstate(over="ignore"):  # exp(100) overflows float32 to inf, in the reference too
        check_result(t.exp(), R.exp(x), EW[dtype], "exp")
    # sigmoid(-100) is 3.7e-44 (subnormal in float32): an absolute tolerance of 1e-38 accepts 0 there.
    check_result(t.sigmoid(), R.sigmoid(x), (EW[dtype][0], 1e-38), "sigmoid")
    check_result(t.tanh(), R.tanh(x), EW[dtype], "tanh")
    assert not np.isnan(t.sigmoid().numpy()).any()


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_sigmoid_tanh_gradients_at_extremes_are_finite(dtype):
    x = nc.tensor([-100.0, 100.0], dtype=dtype, requires_grad=True)
    (x.sigmoid() + x.tanh()).sum().backward()
    g = x.grad.numpy()
    assert np.isfinite(g).all()
    np.testing.assert_allclose(g, [0.0, 0.0], atol=1e-30)


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
def test_bce_with_logits_extremes(dtype):
    z = np.array([-100.0, -100.0, 100.0, 100.0, 0.0], dtype=NP_OF[dtype])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0], dtype=NP_OF[dtype])
    zt = nc.tensor(z, requires_grad=True)
    out = nc._core.binary_cross_entropy_with_logits(zt, nc.tensor(y), reduction="none")
    check_result(out, R.binary_cross_entropy_with_logits(z, y, "none"), (EW[dtype][0], 1e-30), "bce_with_logits")
    out.sum().backward()
    # dl/dz = sigmoid(z) - y
    np.testing.assert_allclose(zt.grad.numpy(), R.sigmoid(z) - y, rtol=1e-6, atol=1e-30)


def test_bce_at_exact_zero_and_one_is_clamped():
    p = np.array([0.0, 1.0, 0.0, 1.0], dtype=np.float32)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    out = nc._core.binary_cross_entropy(nc.tensor(p), nc.tensor(y), reduction="none")
    check_result(out, R.binary_cross_entropy(p, y, "none"), (1e-6, 1e-6), "bce")


def test_large_float32_sum_and_mean():
    # 100000 uniform [0, 1) values: a float32 running sum would err by ~1e-3 relative; 1e-6 requires
    # pairwise or wider accumulation (the reference sums exactly with math.fsum).
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 100_000).astype(np.float32)
    exact = math.fsum(x.astype(np.float64))
    t = nc.from_numpy(x)
    assert t.sum().dtype == F32
    np.testing.assert_allclose(t.sum().item(), exact, rtol=1e-6)
    np.testing.assert_allclose(t.mean().item(), exact / x.size, rtol=1e-6)
    np.testing.assert_allclose(t.reshape(100, 1000).sum(1).numpy(), R.sum_(x.reshape(100, 1000), 1), rtol=1e-6)
    np.testing.assert_allclose(t.reshape(1000, 100).sum(0).numpy(), R.sum_(x.reshape(1000, 100), 0), rtol=1e-6)


def test_var_of_large_offset_values():
    # var is shift-invariant; a one-pass E[x^2] - E[x]^2 formula loses everything at offset 1e4.
    rng = np.random.default_rng(2)
    x = 1e4 + rng.standard_normal(1000)
    np.testing.assert_allclose(nc.tensor(x).var().item(), R.var(x), rtol=1e-9)


def test_reductions_over_empty_dims():
    x = np.zeros((3, 0))
    t = nc.tensor(x)
    check_result(t.sum(), R.sum_(x), EXACT[F64])
    check_result(t.sum(1), np.zeros(3), EXACT[F64])
    check_result(nc.tensor(np.zeros((0,), dtype=np.int64)).sum(), np.array(0, dtype=np.int64), EXACT[F64])
    with pytest.raises(ValueError, match="empty"):
        t.amax(1)
    with pytest.raises(ValueError, match="empty"):
        t.argmax(1)


def test_matmul_large_against_reference():
    # k = 64: float32 error <= k * eps * sum|a b| ~ 64 * 1.2e-7 * 64 * 0.25 ~ 1.2e-4 (uniform [-1, 1) inputs).
    rng = np.random.default_rng(3)
    a = rng.uniform(-1, 1, (2, 17, 64)).astype(np.float32)
    b = rng.uniform(-1, 1, (64, 9)).astype(np.float32)
    check_result(nc.from_numpy(a) @ nc.from_numpy(b), R.matmul(a, b), (1e-4, 2e-4), "batched @ 2-D")
    check_result(nc.from_numpy(b).t() @ nc.from_numpy(a[0]).t(), R.matmul(b.T, a[0].T), (1e-4, 2e-4), "A^T @ B^T")


def test_mixed_dtype_promotion():
    a32 = nc.tensor([1.5, 2.5])
    a64 = nc.tensor([1.0, 2.0], dtype=nc.float64)
    i = nc.tensor([1, 2])
    b = nc.tensor([True, False])
    assert (a32 + a64).dtype == F64
    assert (a32 + i).dtype == F32
    assert (i + b).dtype == I64
    assert (i / i).dtype == F32  # true division
    assert (i * 2).dtype == I64
    assert (i * 2.5).dtype == F32
    assert (a64 * 2.5).dtype == F64
    assert (b + b).dtype == I64
    check_result(i / nc.tensor([2, 4]), R.div(np.array([1, 2]), np.array([2, 4])), EXACT[F32])
    check_result(a32 + i, R.add(np.array([1.5, 2.5], np.float32), np.array([1.0, 2.0], np.float32)), EXACT[F32])


# ---------------------------------------------------------------- large inputs: the multi-threaded code paths
# Work above 32768 elements is split across threads (elementwise rows, reduction chunks, softmax rows).
# The references here are numpy's own vectorised functions in float64 (the loop references above would be
# slow at this size); float32 tolerances as in the table (reductions: ~100-element rows, ~1e-5 relative).

_BIG = np.random.default_rng(21).standard_normal((64, 48, 40))

LARGE_CASES = [
    ("add_broadcast", lambda t, u: t + u[0], lambda a, b: a + b[0], EW),
    ("mul_transposed", lambda t, u: t.transpose(0, 2) * u.transpose(0, 2), lambda a, b: np.swapaxes(a, 0, 2)
     * np.swapaxes(b, 0, 2), EW),
    ("exp_strided", lambda t, u: t[:, ::2].exp(), lambda a, b: np.exp(a[:, ::2]), EW),
    ("where", lambda t, u: nc.where(t > u, t, u), lambda a, b: np.where(a > b, a, b), EW),
    # a 122880-term sum of ~N(0, 1) values: float32 rounding of partial sums ~ sqrt(n) * eps * |x| ~ 1e-4 absolute
    ("sum_all", lambda t, u: t.sum(), lambda a, b: a.sum(), {F32: (1e-5, 1e-3), F64: (1e-11, 1e-10)}),
    ("sum_dim0", lambda t, u: t.sum(0), lambda a, b: a.sum(0), RED),
    ("sum_dim1", lambda t, u: t.sum(1), lambda a, b: a.sum(1), RED),
    ("sum_dim2", lambda t, u: t.sum(2), lambda a, b: a.sum(2), RED),
    ("mean_dims02", lambda t, u: t.mean((0, 2)), lambda a, b: a.mean((0, 2)), RED),
    ("var_dim1", lambda t, u: t.var(1), lambda a, b: a.var(1, ddof=1), RED),
    ("amax_dim0", lambda t, u: t.amax(0), lambda a, b: a.max(0), EXACT),
    ("argmin_dim2", lambda t, u: t.argmin(2), lambda a, b: a.argmin(2), EXACT),
    ("max_dim1_values", lambda t, u: t.max(1).values, lambda a, b: a.max(1), EXACT),
    ("softmax_dim0", lambda t, u: t.softmax(0), lambda a, b: np.exp(a) / np.exp(a).sum(0), EW),
    ("log_softmax_dim2", lambda t, u: t.log_softmax(2),
     lambda a, b: a - a.max(2, keepdims=True) - np.log(np.exp(a - a.max(2, keepdims=True)).sum(2, keepdims=True)),
     {F32: (1e-5, 1e-5), F64: (1e-12, 1e-12)}),
    ("matmul_batched", lambda t, u: t @ u[0].t(), lambda a, b: a @ b[0].T, {F32: (1e-4, 1e-4), F64: (1e-11, 1e-11)}),
    ("index_select", lambda t, u: t.index_select(1, nc.tensor([5, 0, 47, 5])), lambda a, b: a[:, [5, 0, 47, 5]], EXACT),
    ("mask", lambda t, u: t[t > 1.0], lambda a, b: a[a > 1.0], EXACT),
    ("cat", lambda t, u: nc.cat([t, u[:, :3]], 1), lambda a, b: np.concatenate([a, b[:, :3]], 1), EXACT),
]


@pytest.mark.parametrize("dtype", [F32, F64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,fn,ref,tol", LARGE_CASES, ids=[c[0] for c in LARGE_CASES])
def test_large_inputs(name, fn, ref, tol, dtype):
    a = _BIG.astype(NP_OF[dtype])
    b = np.ascontiguousarray(a[::-1])
    expected = np.asarray(ref(a.astype(np.float64), b.astype(np.float64)))
    if expected.dtype == np.float64:
        expected = expected.astype(NP_OF[dtype])
    check_result(fn(nc.from_numpy(a), nc.from_numpy(b)), expected, tol[dtype], name)


def test_large_gradients():
    # d/dx sum(g * softmax(x, 2)) and d/dx sum(g * (x @ w)) at a size that runs multi-threaded.
    a = _BIG[:16]
    g = np.random.default_rng(22).standard_normal(a.shape)
    x = nc.tensor(a, requires_grad=True)
    (x.softmax(2) * nc.tensor(g)).sum().backward()
    p = np.exp(a) / np.exp(a).sum(2, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), p * (g - (g * p).sum(2, keepdims=True)), rtol=1e-10, atol=1e-14)
    w = np.random.default_rng(23).standard_normal((40, 7))
    x = nc.tensor(a, requires_grad=True)
    wt = nc.tensor(w, requires_grad=True)
    g2 = np.random.default_rng(24).standard_normal((16, 48, 7))
    ((x @ wt) * nc.tensor(g2)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g2 @ w.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), np.einsum("bik,bij->kj", a, g2), rtol=1e-10, atol=1e-12)


def test_nan_propagates():
    # A NaN must not be silently turned into a number (it would hide a diverging computation); numpy's
    # max(x, 0), maximum, amax, clamp, exp, sum and softmax all return NaN here.
    nan = float("nan")
    x = nc.tensor([nan, -1.0, 2.0])
    for name, out in [("relu", x.relu()), ("clamp", x.clamp(-0.5, 0.5)), ("maximum", nc.maximum(x, nc.zeros(3))),
                      ("minimum", nc.minimum(x, nc.zeros(3))), ("exp", x.exp()), ("sigmoid", x.sigmoid()),
                      ("tanh", x.tanh()), ("abs", x.abs())]:
        assert np.isnan(out.numpy()[0]), f"{name}(nan) = {out.numpy()[0]}"
        assert not np.isnan(out.numpy()[1:]).any(), name
    for name, out in [("amax", x.amax()), ("amin", x.amin()), ("max_dim", x.max(0).values), ("sum", x.sum()),
                      ("mean", x.mean())]:
        assert np.isnan(out.item()), f"{name} = {out.item()}"
    assert np.isnan(x.softmax(0).numpy()).all()
    assert x.argmax().item() == 0 and x.argmin().item() == 0  # numpy: the first NaN wins
