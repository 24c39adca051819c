"""Every loss of nn.functional / nn against the numpy references in tests/reference_nn.py: each
reduction, float32 and float64, random inputs with extremes (+-1e4, exact zeros and ties), the module
against the reference too, float64 gradcheck on small inputs kept off the kinks, stability of the
logit losses, the worked numbers of the issue, and bad input (shapes, reduction, labels, classes).

Tolerances: these are reductions over a few dozen terms of elementwise results: float32 (1e-5, 1e-5),
float64 (1e-11, 1e-11) (as RED in test_ops.py).
"""
import dataclasses
import math
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
TOL = {F32: dict(rtol=1e-5, atol=1e-5), F64: dict(rtol=1e-11, atol=1e-11)}
REDUCTIONS = ("mean", "sum", "none")


def np_of(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- input makers (float64 / int64 arrays)
# `extreme=True` mixes in +-1e4, exact zeros and ties; `extreme=False` gives gradcheck inputs off the kinks.

DIFFS = np.array([-2.3, -1.2, -0.45, -0.2, 0.15, 0.4, 0.95, 2.6, -0.85, 1.3, 0.3, -3.1])  # off 0, +-0.7, +-1


def pair(rng, extreme):
    b = rng.standard_normal((4, 3))
    if not extreme:
        return b + DIFFS.reshape(4, 3), b
    a = rng.standard_normal((4, 3)) * 3
    a[0, 0], a[0, 1], a[1, 0], b[1, 1] = 1e4, -1e4, 0.0, 0.0
    b[2, 2] = a[2, 2]  # a tie: zero difference
    return a, b


def probs(rng, extreme):
    p = rng.uniform(0.05, 0.95, (4, 3))
    y = (rng.random((4, 3)) > 0.5).astype(np.float64)
    y[3, 2] = 0.3  # a soft label
    if extreme:
        p[0] = [0.0, 1.0, 1e-7]
        y[0] = [1.0, 1.0, 0.0]
        p[1, :2], y[1, :2] = [0.0, 1.0], [0.0, 0.0]
    return p, y, rng.random(3) + 0.5


def logits_binary(rng, extreme):
    z = rng.standard_normal((4, 3)) * 2
    y = (rng.random((4, 3)) > 0.5).astype(np.float64)
    y[3, 2] = 0.3
    if extreme:
        z[0], y[0] = [1e4, -1e4, 100.0], [1.0, 1.0, 0.0]
        z[1], y[1] = [-100.0, 0.0, 0.0], [0.0, 1.0, 0.0]
    return z, y, rng.random(3) + 0.5, rng.random(3) + 1.0


def scores_pm1(rng, extreme):
    y = np.where(rng.random(12) > 0.5, 1.0, -1.0)
    m = np.array([-2.0, -0.6, 0.3, 0.6, 1.4, 2.5, -1.3, 0.8, 1.7, -0.2, 0.45, 3.0])  # y f: off 0 and 1
    f = y * m
    if extreme:
        f[:5] = [1e4, -1e4, 0.0, 0.0, 1.0]
        y[4] = 1.0  # exactly on the hinge
    return f, y


def multiclass(rng, extreme):
    x = rng.standard_normal((5, 4)) * 2
    t = rng.integers(0, 4, 5)
    if extreme:
        x[0, 0], x[1, 2], x[2] = 1e4, -1e4, 0.0  # a row of ties
    return x, t, rng.random(4) + 0.5


def kl_inputs(rng, extreme, log_target=False):
    logq = R.log_softmax(rng.standard_normal((4, 5)), 1)
    p = R.softmax(rng.standard_normal((4, 5)), 1)
    if log_target:
        p = np.log(p)
    elif extreme:
        p[0, 1] = 0.0  # 0 log 0 = 0
        logq[1, 2] = -1e4
    return logq, p


def poisson_inputs(rng, extreme, log_input=True):
    x = rng.standard_normal(8) if log_input else rng.uniform(0.1, 4.0, 8)
    t = rng.poisson(3.0, 8).astype(np.float64)
    t[:2] = [0.0, 1.0]
    if extreme:
        x[2:4] = [-1e4, 30.0] if log_input else [0.0, 1e4]
    return x, t


def triplets(rng, extreme):
    a, p, n = rng.standard_normal((3, 5, 4))
    if extreme:
        a[0], p[1], n[2] = 1e4, a[1], a[2]  # a huge row; identical rows (distance ~ eps)
    return a, p, n


def cos_inputs(rng, extreme):
    x1, x2 = rng.standard_normal((2, 5, 4))
    y = np.array([1, -1, 1, -1, -1])
    if extreme:
        x1[0] *= 1e4
        x1[1] = 0.0
        x2[2] = x1[2]
    return x1, x2, y


def ranking(rng, extreme):
    x1, x2 = rng.standard_normal((2, 8))
    y = np.where(rng.random(8) > 0.5, 1.0, -1.0)
    if extreme:
        x1[:3] = [1e4, -1e4, 0.0]
        x2[2:4] = [0.0, x1[3]]  # ties
    else:
        x2 = x1 - y * np.array([0.5, -0.7, 1.1, -0.1, 0.45, 2.0, -1.3, 0.9])  # -y(x1 - x2) + 0.2 off 0
    return x1, x2, y


def class_logits(rng, extreme, shape=(4, 3)):
    x = rng.standard_normal(shape) * 2
    C = shape[0] if len(shape) == 1 else shape[1]
    t = rng.integers(0, C, shape[:1] + shape[2:] if len(shape) > 1 else ())
    if len(shape) > 1:
        t.reshape(-1)[1] = -100  # one ignored target
        if extreme:
            x[0, :3] = np.array([1e4, -1e4, 0.0]).reshape((3,) + (1,) * (len(shape) - 2))
    elif extreme:
        x[:3] = [1e4, -1e4, 1e4]
    return x, np.asarray(t, dtype=np.int64), rng.random(C) + 0.5


def class_probs(rng, extreme):
    x = rng.standard_normal((4, 3)) * 2
    y = R.softmax(rng.standard_normal((4, 3)), 1)
    y[1] = [0.0, 1.0, 0.0]  # one-hot row
    if extreme:
        x[0] = [1e4, -1e4, 0.0]
    return x, y, rng.random(3) + 0.5


def log_probs(rng, extreme, shape=(4, 3)):
    x, t, w = class_logits(rng, extreme, shape)
    return R.log_softmax(x, 1), t, w


# ---------------------------------------------------------------- the loss table

@dataclasses.dataclass
class Loss:
    name: str
    make: Callable        # (rng, extreme) -> arrays
    fn: Callable          # (*tensors, reduction) -> Tensor   (nn.functional)
    module: Callable      # (reduction, *tensors) -> Tensor   (nn module built and called)
    ref: Callable         # (*arrays, reduction) -> ndarray   (reference_nn)
    grad: tuple = (0,)    # args that gradcheck differentiates
    reductions: tuple = REDUCTIONS
    f32_atol: float = 1e-5  # float32 absolute tolerance


# d(a, p) - d(a, n) with a row of 1e4s cancels two distances ~2e4 whose float32 spacing is ~2e-3.
TRIPLET_F32_ATOL = 5e-3

LOSSES = [
    Loss("mse", pair, lambda a, b, r: F.mse_loss(a, b, reduction=r), lambda r, a, b: nn.MSELoss(reduction=r)(a, b),
         R.mse_loss, (0, 1)),
    Loss("l1", pair, lambda a, b, r: F.l1_loss(a, b, reduction=r), lambda r, a, b: nn.L1Loss(reduction=r)(a, b),
         R.l1_loss, (0, 1)),
    Loss("huber", pair, lambda a, b, r: F.huber_loss(a, b, r, delta=0.7),
         lambda r, a, b: nn.HuberLoss(r, delta=0.7)(a, b), lambda a, b, r: R.huber_loss(a, b, r, 0.7), (0, 1)),
    Loss("smooth_l1", pair, lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.7),
         lambda r, a, b: nn.SmoothL1Loss(reduction=r, beta=0.7)(a, b), lambda a, b, r: R.smooth_l1_loss(a, b, r, 0.7),
         (0, 1)),
    Loss("smooth_l1_beta0", pair, lambda a, b, r: F.smooth_l1_loss(a, b, reduction=r, beta=0.0),
         lambda r, a, b: nn.SmoothL1Loss(reduction=r, beta=0.0)(a, b), lambda a, b, r: R.l1_loss(a, b, r), (0, 1)),
    Loss("bce", probs, lambda p, y, w, r: F.binary_cross_entropy(p, y, reduction=r),
         lambda r, p, y, w: nn.BCELoss(reduction=r)(p, y), lambda p, y, w, r: R.binary_cross_entropy(p, y, None, r)),
    Loss("bce_weight", probs, lambda p, y, w, r: F.binary_cross_entropy(p, y, w, reduction=r),
         lambda r, p, y, w: nn.BCELoss(w, reduction=r)(p, y), lambda p, y, w, r: R.binary_cross_entropy(p, y, w, r)),
    Loss("bce_logits", logits_binary, lambda z, y, w, pw, r: F.binary_cross_entropy_with_logits(z, y, reduction=r),
         lambda r, z, y, w, pw: nn.BCEWithLogitsLoss(reduction=r)(z, y),
         lambda z, y, w, pw, r: R.binary_cross_entropy_with_logits(z, y, reduction=r)),
    Loss("bce_logits_weights", logits_binary,
         lambda z, y, w, pw, r: F.binary_cross_entropy_with_logits(z, y, w, reduction=r, pos_weight=pw),
         lambda r, z, y, w, pw: nn.BCEWithLogitsLoss(w, reduction=r, pos_weight=pw)(z, y),
         lambda z, y, w, pw, r: R.binary_cross_entropy_with_logits(z, y, w, pw, r)),
    Loss("hinge", scores_pm1, lambda f, y, r: F.hinge_loss(f, y, r), lambda r, f, y: nn.HingeLoss(r)(f, y),
         R.hinge_loss),
    Loss("perceptron", scores_pm1, lambda f, y, r: F.perceptron_loss(f, y, r),
         lambda r, f, y: nn.PerceptronLoss(r)(f, y), R.perceptron_loss),
    Loss("multi_margin", multiclass, lambda x, t, w, r: F.multi_margin_loss(x, t, reduction=r),
         lambda r, x, t, w: nn.MultiMarginLoss(reduction=r)(x, t),
         lambda x, t, w, r: R.multi_margin_loss(x, t, reduction=r)),
    Loss("multi_margin_p2_weight", multiclass,
         lambda x, t, w, r: F.multi_margin_loss(x, t, p=2, margin=0.7, weight=w, reduction=r),
         lambda r, x, t, w: nn.MultiMarginLoss(2, 0.7, w, reduction=r)(x, t),
         lambda x, t, w, r: R.multi_margin_loss(x, t, 2, 0.7, w, r)),
    Loss("multi_margin_1d", lambda rng, e: (multiclass(rng, e)[0][3], np.asarray(2), None),
         lambda x, t, w, r: F.multi_margin_loss(x, t, reduction=r),
         lambda r, x, t, w: nn.MultiMarginLoss(reduction=r)(x, t),
         lambda x, t, w, r: R.multi_margin_loss(x, t, reduction=r)),
    Loss("kl_div", kl_inputs, lambda q, p, r: F.kl_div(q, p, reduction=r),
         lambda r, q, p: nn.KLDivLoss(reduction=r)(q, p), R.kl_div, (0, 1), REDUCTIONS + ("batchmean",)),
    Loss("kl_div_log_target", lambda rng, e: kl_inputs(rng, e, True),
         lambda q, p, r: F.kl_div(q, p, reduction=r, log_target=True),
         lambda r, q, p: nn.KLDivLoss(reduction=r, log_target=True)(q, p),
         lambda q, p, r: R.kl_div(q, p, r, log_target=True), (0, 1), REDUCTIONS + ("batchmean",)),
    Loss("poisson", poisson_inputs, lambda x, t, r: F.poisson_nll_loss(x, t, reduction=r),
         lambda r, x, t: nn.PoissonNLLLoss(reduction=r)(x, t), lambda x, t, r: R.poisson_nll_loss(x, t, reduction=r)),
    Loss("poisson_rate_full", lambda rng, e: poisson_inputs(rng, e, False),
         lambda x, t, r: F.poisson_nll_loss(x, t, log_input=False, full=True, reduction=r),
         lambda r, x, t: nn.PoissonNLLLoss(False, True, reduction=r)(x, t),
         lambda x, t, r: R.poisson_nll_loss(x, t, False, True, reduction=r)),
    Loss("focal", logits_binary, lambda z, y, w, pw, r: F.focal_loss(z, y, reduction=r),
         lambda r, z, y, w, pw: nn.FocalLoss(reduction=r)(z, y),
         lambda z, y, w, pw, r: R.focal_loss(z, y, reduction=r)),
    Loss("focal_a0.6_g1.5", logits_binary, lambda z, y, w, pw, r: F.focal_loss(z, y, 0.6, 1.5, r),
         lambda r, z, y, w, pw: nn.FocalLoss(0.6, 1.5, r)(z, y),
         lambda z, y, w, pw, r: R.focal_loss(z, y, 0.6, 1.5, r)),
    Loss("focal_no_alpha_g0", logits_binary, lambda z, y, w, pw, r: F.focal_loss(z, y, -1, 0.0, r),
         lambda r, z, y, w, pw: nn.FocalLoss(-1, 0.0, r)(z, y), lambda z, y, w, pw, r: R.focal_loss(z, y, -1, 0.0, r)),
    Loss("triplet", triplets, lambda a, p, n, r: F.triplet_margin_loss(a, p, n, reduction=r),
         lambda r, a, p, n: nn.TripletMarginLoss(reduction=r)(a, p, n),
         lambda a, p, n, r: R.triplet_margin_loss(a, p, n, reduction=r), (0, 1, 2), f32_atol=TRIPLET_F32_ATOL),
    Loss("triplet_p1_swap", triplets, lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 0.5, 1, swap=True, reduction=r),
         lambda r, a, p, n: nn.TripletMarginLoss(0.5, 1, swap=True, reduction=r)(a, p, n),
         lambda a, p, n, r: R.triplet_margin_loss(a, p, n, 0.5, 1, swap=True, reduction=r), (0, 1, 2),
         f32_atol=TRIPLET_F32_ATOL),
    Loss("triplet_p3_1d", lambda rng, e: [v[0] for v in triplets(rng, e)],
         lambda a, p, n, r: F.triplet_margin_loss(a, p, n, 2.0, 3, reduction=r),
         lambda r, a, p, n: nn.TripletMarginLoss(2.0, 3, reduction=r)(a, p, n),
         lambda a, p, n, r: R.triplet_margin_loss(a, p, n, 2.0, 3, reduction=r), (0, 1, 2),
         f32_atol=TRIPLET_F32_ATOL),
    Loss("cosine_embedding", cos_inputs, lambda a, b, y, r: F.cosine_embedding_loss(a, b, y, 0.1, reduction=r),
         lambda r, a, b, y: nn.CosineEmbeddingLoss(0.1, reduction=r)(a, b, y),
         lambda a, b, y, r: R.cosine_embedding_loss(a, b, y, 0.1, r), (0, 1)),
    Loss("cosine_embedding_1d", lambda rng, e: [v[0] for v in cos_inputs(rng, e)[:2]] + [np.asarray(-1)],
         lambda a, b, y, r: F.cosine_embedding_loss(a, b, y, -0.5, reduction=r),
         lambda r, a, b, y: nn.CosineEmbeddingLoss(-0.5, reduction=r)(a, b, y),
         lambda a, b, y, r: R.cosine_embedding_loss(a, b, y, -0.5, r), (0, 1)),
    Loss("margin_ranking", ranking, lambda a, b, y, r: F.margin_ranking_loss(a, b, y, 0.2, reduction=r),
         lambda r, a, b, y: nn.MarginRankingLoss(0.2, reduction=r)(a, b, y),
         lambda a, b, y, r: R.margin_ranking_loss(a, b, y, 0.2, r), (0, 1)),
    Loss("cross_entropy", class_logits, lambda x, t, w, r: F.cross_entropy(x, t, reduction=r),
         lambda r, x, t, w: nn.CrossEntropyLoss(reduction=r)(x, t),
         lambda x, t, w, r: R.cross_entropy(x, t, reduction=r)),
    Loss("cross_entropy_weight_smooth", class_logits,
         lambda x, t, w, r: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.15),
         lambda r, x, t, w: nn.CrossEntropyLoss(w, reduction=r, label_smoothing=0.15)(x, t),
         lambda x, t, w, r: R.cross_entropy(x, t, w, reduction=r, label_smoothing=0.15)),
    Loss("cross_entropy_ignore_7", lambda rng, e: (lambda x, t, w: (x, np.where(t == -100, 7, t), w))(
         *class_logits(rng, e)),
         lambda x, t, w, r: F.cross_entropy(x, t, w, ignore_index=7, reduction=r, label_smoothing=0.1),
         lambda r, x, t, w: nn.CrossEntropyLoss(w, 7, r, 0.1)(x, t),
         lambda x, t, w, r: R.cross_entropy(x, t, w, 7, r, 0.1)),
    Loss("cross_entropy_spatial", lambda rng, e: class_logits(rng, e, (3, 4, 2)),
         lambda x, t, w, r: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.2),
         lambda r, x, t, w: nn.CrossEntropyLoss(w, reduction=r, label_smoothing=0.2)(x, t),
         lambda x, t, w, r: R.cross_entropy(x, t, w, reduction=r, label_smoothing=0.2)),
    Loss("cross_entropy_1d", lambda rng, e: class_logits(rng, e, (5,)),
         lambda x, t, w, r: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.1),
         lambda r, x, t, w: nn.CrossEntropyLoss(w, reduction=r, label_smoothing=0.1)(x, t),
         lambda x, t, w, r: R.cross_entropy(x, t, w, reduction=r, label_smoothing=0.1)),
    Loss("cross_entropy_probs", class_probs, lambda x, y, w, r: F.cross_entropy(x, y, reduction=r),
         lambda r, x, y, w: nn.CrossEntropyLoss(reduction=r)(x, y),
         lambda x, y, w, r: R.cross_entropy(x, y, reduction=r),
         (0, 1)),
    Loss("cross_entropy_probs_weight_smooth", class_probs,
         lambda x, y, w, r: F.cross_entropy(x, y, w, reduction=r, label_smoothing=0.25),
         lambda r, x, y, w: nn.CrossEntropyLoss(w, reduction=r, label_smoothing=0.25)(x, y),
         lambda x, y, w, r: R.cross_entropy(x, y, w, reduction=r, label_smoothing=0.25), (0, 1)),
    Loss("nll", log_probs, lambda x, t, w, r: F.nll_loss(x, t, w, reduction=r),
         lambda r, x, t, w: nn.NLLLoss(w, reduction=r)(x, t), lambda x, t, w, r: R.nll_loss(x, t, w, reduction=r)),
    Loss("nll_spatial", lambda rng, e: log_probs(rng, e, (3, 4, 2)), lambda x, t, w, r: F.nll_loss(x, t, reduction=r),
         lambda r, x, t, w: nn.NLLLoss(reduction=r)(x, t), lambda x, t, w, r: R.nll_loss(x, t, reduction=r)),
]
IDS = [c.name for c in LOSSES]
CASES = [(c, r) for c in LOSSES for r in c.reductions]


def _seed(name):
    return sum(map(ord, name))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("case,reduction", CASES, ids=[f"{c.name}-{r}" for c, r in CASES])
def test_loss_matches_reference(case, reduction, dtype):
    arrays = [None if a is None else np.asarray(a) for a in case.make(np.random.default_rng(_seed(case.name)), True)]
    arrays = [None if a is None else a.astype(NP_OF[dtype]) if a.dtype.kind == "f" else a for a in arrays]
    tensors = [None if a is None else nc.tensor(a) for a in arrays]
    expect = case.ref(*arrays, reduction)
    for how, out in (("functional", case.fn(*tensors, reduction)), ("module", case.module(reduction, *tensors))):
        assert out.shape == expect.shape and out.dtype == dtype, (how, out.shape, expect.shape, out.dtype)
        tol = TOL[dtype] if dtype == F64 else dict(rtol=1e-5, atol=case.f32_atol)
        np.testing.assert_allclose(np_of(out), expect, **tol, err_msg=how)


@pytest.mark.parametrize("case", LOSSES, ids=IDS)
def test_loss_gradcheck(case):
    made = case.make(np.random.default_rng(_seed(case.name) + 1), False)
    arrays = [None if a is None else np.asarray(a) for a in made]
    tensors = [None if a is None else nc.tensor(a, requires_grad=i in case.grad) for i, a in enumerate(arrays)]
    reduction = "none" if "none" in case.reductions else "mean"
    assert gradcheck(lambda *t: case.fn(*t, reduction), tuple(tensors))


# ---------------------------------------------------------------- worked numbers from the issue

def test_bce_worked_numbers():
    p = nc.tensor([0.9, 0.8, 0.7, 0.6, 0.5], dtype=F64)
    per = F.binary_cross_entropy(p, nc.ones(5, dtype=F64), reduction="none")
    np.testing.assert_allclose(per.tolist(), [0.10536052, 0.22314355, 0.35667494, 0.51082562, 0.69314718], atol=1e-8)
    np.testing.assert_allclose(nn.BCELoss()(p.float(), nc.ones(5)).item(), np.mean(per.tolist()), rtol=1e-6)


def test_categorical_cross_entropy_worked_numbers():
    probs = nc.tensor([[0.8, 0.1, 0.1], [0.4, 0.5, 0.1]], dtype=F64)
    onehot = nc.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=F64)
    per = F.cross_entropy(probs.log(), onehot, reduction="none").tolist()  # log p as logits: softmax gives p back
    np.testing.assert_allclose(per, [0.2231, 0.6931], atol=5e-5)
    np.testing.assert_allclose(per, [-math.log(0.8), -math.log(0.5)], rtol=1e-12)
    sparse = F.cross_entropy(probs.log(), nc.tensor([0, 1]), reduction="none").tolist()  # integer class targets
    np.testing.assert_allclose(sparse, per, rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(probs.log(), nc.tensor([0, 1]), reduction="none").tolist(), per, rtol=1e-12)
    np.testing.assert_allclose(nn.NLLLoss()(probs.log(), nc.tensor([0, 1])).item(), np.mean(per), rtol=1e-12)


def test_other_worked_numbers():
    f, y = nc.tensor([2.0, 0.5, -1.0, 0.0]), nc.tensor([1.0, 1.0, 1.0, -1.0])
    assert F.hinge_loss(f, y, "none").tolist() == [0.0, 0.5, 2.0, 1.0]
    assert F.perceptron_loss(f, y, "none").tolist() == [0.0, 0.0, 1.0, 0.0]
    p = nc.tensor([[0.25, 0.75]], dtype=F64)
    q = nc.tensor([[0.5, 0.5]], dtype=F64)
    kl = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)  # KL(p || q)
    np.testing.assert_allclose(F.kl_div(q.log(), p, reduction="batchmean").item(), kl, rtol=1e-14)
    np.testing.assert_allclose(F.kl_div(q.log(), p.log(), reduction="sum", log_target=True).item(), kl, rtol=1e-14)
    # multi-margin: x = (0.1, 0.2, 0.4, 0.8), y = 3: ((1-0.8+0.1) + (1-0.8+0.2) + (1-0.8+0.4)) / 4
    x = nc.tensor([[0.1, 0.2, 0.4, 0.8]], dtype=F64)
    np.testing.assert_allclose(F.multi_margin_loss(x, nc.tensor([3])).item(), (0.3 + 0.4 + 0.6) / 4, rtol=1e-14)


# ---------------------------------------------------------------- stability of the logit losses

@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
def test_bce_with_logits_stable_for_huge_logits(dtype):
    z = nc.tensor([100.0, -100.0, 1e3, -1e3, 1e4, -1e4, 100.0, -1e4], dtype=dtype, requires_grad=True)
    y = nc.tensor([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], dtype=dtype)
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    np.testing.assert_allclose(np_of(loss), [100, 100, 1e3, 1e3, 0, 0, 0, 1e4], rtol=1e-6, atol=1e-30)
    loss.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [1, -1, 1, -1, 0, 0, 0, -1], atol=1e-30)  # sigmoid(z) - y
    pw = nc.tensor(3.0, dtype=dtype)
    z.grad = None
    loss = F.binary_cross_entropy_with_logits(z, y, pos_weight=pw, reduction="none")
    np.testing.assert_allclose(np_of(loss), [100, 300, 1e3, 3e3, 0, 0, 0, 3e4], rtol=1e-6, atol=1e-30)
    loss.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [1, -3, 1, -3, 0, 0, 0, -3], atol=1e-30)


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
def test_focal_loss_stable_for_huge_logits(dtype):
    z = nc.tensor([100.0, -100.0, 1e4, -1e4, 1e4], dtype=dtype, requires_grad=True)
    y = nc.tensor([0.0, 1.0, 1.0, 0.0, 0.0], dtype=dtype)
    loss = F.focal_loss(z, y, reduction="none")
    # wrong with full confidence: (1 - p_t)^gamma = 1, so alpha_t * |z|
    np.testing.assert_allclose(np_of(loss), [75, 25, 0, 0, 7500], rtol=1e-6, atol=1e-30)
    loss.sum().backward()
    assert np.all(np.isfinite(z.grad.numpy()))
    np.testing.assert_allclose(z.grad.numpy(), [0.75, -0.25, 0, 0, 0.75], rtol=1e-6, atol=1e-30)


def test_cross_entropy_huge_logits_float32():
    x = nc.tensor([[1e4, -1e4, 1e4], [0.0, 0.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, nc.tensor([0, 1]), reduction="none")
    np.testing.assert_allclose(np_of(loss), [math.log(2), math.log(3)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[-0.5, 0, 0.5], [1 / 3, -2 / 3, 1 / 3]], rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- bad input

def _pairs_of_shapes():
    """(name, call) for each loss taking a prediction and a same-shape target, given shapes (3,) and (4,)."""
    t = lambda n: nc.ones(n) * 0.5  # noqa: E731
    pm = lambda n: nc.ones(n)  # noqa: E731
    return [
        ("mse_loss", lambda: F.mse_loss(t(3), t(4))), ("l1_loss", lambda: F.l1_loss(t(3), t(4))),
        ("huber_loss", lambda: F.huber_loss(t(3), t(4))), ("smooth_l1_loss", lambda: F.smooth_l1_loss(t(3), t(4))),
        ("binary_cross_entropy", lambda: F.binary_cross_entropy(t(3), t(4))),
        ("binary_cross_entropy_with_logits", lambda: F.binary_cross_entropy_with_logits(t(3), t(4))),
        ("hinge_loss", lambda: F.hinge_loss(t(3), pm(4))), ("perceptron_loss", lambda: F.perceptron_loss(t(3), pm(4))),
        ("kl_div", lambda: F.kl_div(t(3), t(4))), ("poisson_nll_loss", lambda: F.poisson_nll_loss(t(3), t(4))),
        ("focal_loss", lambda: F.focal_loss(t(3), t(4))),
        ("margin_ranking_loss", lambda: F.margin_ranking_loss(t(3), t(4), pm(3))),
        ("cosine_embedding_loss", lambda: F.cosine_embedding_loss(t(3), t(4), nc.tensor(1))),
        ("triplet_margin_loss", lambda: F.triplet_margin_loss(t(3), t(4), t(3))),
        ("cross_entropy", lambda: F.cross_entropy(nc.zeros(2, 3), nc.zeros(2, 4))),
        ("nll_loss", lambda: F.nll_loss(nc.zeros(2, 3), nc.tensor([0, 1, 2]))),
    ]


@pytest.mark.parametrize("name,call", _pairs_of_shapes(), ids=[n for n, _ in _pairs_of_shapes()])
def test_mismatched_shapes_name_both(name, call):
    with pytest.raises(ValueError) as info:
        call()
    msg = str(info.value)
    assert name in msg and ("(3,)" in msg or "(2, 3)" in msg) and ("(4,)" in msg or "(2, 4)" in msg or "(2,)" in msg)


def test_target_shape_of_pair_losses():
    with pytest.raises(ValueError, match=r"margin_ranking_loss: inputs of shape \(3,\) expect a target of shape "
                                         r"\(3,\), got \(2,\)"):
        F.margin_ranking_loss(nc.zeros(3), nc.zeros(3), nc.ones(2))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: inputs of shape \(2, 3\) expect a target"):
        F.cosine_embedding_loss(nc.zeros(2, 3), nc.zeros(2, 3), nc.ones(3))
    with pytest.raises(ValueError, match=r"multi_margin_loss: input of shape \(2, 3\) expects a target of shape"):
        F.multi_margin_loss(nc.zeros(2, 3), nc.tensor([0, 1, 2]))


def _all_functionals():
    x, y, pm, i = nc.rand(2, 3), nc.rand(2, 3), nc.ones(2, 3), nc.tensor([0, 1])
    return {
        "mse_loss": lambda r: F.mse_loss(x, y, reduction=r), "l1_loss": lambda r: F.l1_loss(x, y, reduction=r),
        "huber_loss": lambda r: F.huber_loss(x, y, r), "smooth_l1_loss": lambda r: F.smooth_l1_loss(x, y, reduction=r),
        "binary_cross_entropy": lambda r: F.binary_cross_entropy(x, y, reduction=r),
        "binary_cross_entropy_with_logits": lambda r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
        "cross_entropy": lambda r: F.cross_entropy(x, i, reduction=r),
        "nll_loss": lambda r: F.nll_loss(x, i, reduction=r),
        "hinge_loss": lambda r: F.hinge_loss(x, pm, r), "perceptron_loss": lambda r: F.perceptron_loss(x, pm, r),
        "multi_margin_loss": lambda r: F.multi_margin_loss(x, i, reduction=r),
        "kl_div": lambda r: F.kl_div(x, y, reduction=r),
        "poisson_nll_loss": lambda r: F.poisson_nll_loss(x, y, reduction=r),
        "focal_loss": lambda r: F.focal_loss(x, y, reduction=r),
        "triplet_margin_loss": lambda r: F.triplet_margin_loss(x, y, x, reduction=r),
        "cosine_embedding_loss": lambda r: F.cosine_embedding_loss(x, y, nc.ones(2), reduction=r),
        "margin_ranking_loss": lambda r: F.margin_ranking_loss(x, y, pm, reduction=r),
    }


MODULES = [nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss,
           nn.NLLLoss, nn.HingeLoss, nn.PerceptronLoss, nn.MultiMarginLoss, nn.PoissonNLLLoss,
           nn.FocalLoss, nn.TripletMarginLoss, nn.CosineEmbeddingLoss, nn.MarginRankingLoss]


def test_unknown_reduction():
    for name, call in _all_functionals().items():
        with pytest.raises(ValueError, match="reduction must be"):
            call("avg")
        assert call("mean").shape == (), name  # and runs with a valid one
    for cls in MODULES:
        with pytest.raises(ValueError, match=f"{cls.__name__}: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
            cls(reduction="avg")
    with pytest.raises(ValueError, match="kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none'"):
        F.kl_div(nc.zeros(2), nc.zeros(2), reduction="batchsum")
    with pytest.raises(ValueError, match="KLDivLoss: reduction must be 'mean', 'batchmean', 'sum' or 'none'"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
        F.mse_loss(nc.zeros(2), nc.zeros(2), reduction="batchmean")


def test_bce_probabilities_outside_unit_interval():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        F.binary_cross_entropy(nc.tensor([0.5, 1.5]), nc.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        nn.BCELoss()(nc.tensor([-0.1, 0.5]), nc.tensor([1.0, 0.0]))


def test_class_index_out_of_range():
    x = nc.zeros(2, 3)
    for call in (lambda: F.cross_entropy(x, nc.tensor([0, 3])), lambda: F.nll_loss(x, nc.tensor([-1, 0])),
                 lambda: F.multi_margin_loss(x, nc.tensor([0, 3])), lambda: nn.CrossEntropyLoss()(x, nc.tensor([5, 0])),
                 lambda: F.multi_margin_loss(x, nc.tensor([-2, 0]))):
        with pytest.raises(IndexError, match=r"out of bounds for 3 classes"):
            call()
    with pytest.raises(TypeError, match="int64 class indices"):
        F.multi_margin_loss(x, nc.tensor([0.0, 1.0]))


def test_bad_options():
    x = nc.zeros(3)
    with pytest.raises(ValueError, match="hinge_loss: target must hold labels -1 or 1"):
        F.hinge_loss(x, nc.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="perceptron_loss: target must hold labels -1 or 1"):
        nn.PerceptronLoss()(x, nc.tensor([1.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="hinge_loss: input must be float32 or float64"):
        F.hinge_loss(nc.tensor([1, -1]), nc.tensor([1, -1]))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(nc.zeros(2, 3), nc.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match="MultiMarginLoss: only p"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="huber_loss: delta must be positive"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="focal_loss: gamma must be non-negative"):
        F.focal_loss(x, x, gamma=-1.0)
    with pytest.raises(ValueError, match="triplet_margin_loss: p must be positive"):
        F.triplet_margin_loss(x, x, x, p=0)


def test_reprs_and_legacy_flags():
    assert repr(nn.HuberLoss()) == "HuberLoss()" and repr(nn.KLDivLoss(reduction="batchmean")) == \
        "KLDivLoss(reduction='batchmean')"
    assert repr(nn.TripletMarginLoss(reduction="sum")) == "TripletMarginLoss(reduction='sum')"
    assert nn.SmoothL1Loss(reduce=False).reduction == "none"
    assert nn.MarginRankingLoss(size_average=False).reduction == "sum"
    a, b = nc.tensor([1.0, 3.0]), nc.tensor([0.0, 0.0])
    assert F.smooth_l1_loss(a, b, size_average=False).item() == 0.5 + 2.5
    assert F.kl_div(a, b, reduce=False).shape == (2,)
