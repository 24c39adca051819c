"""nc.optim.lr_scheduler: the learning rate over 100 steps of each scheduler against the closed
forms of torch.optim.lr_scheduler's documentation (numpy/math below), plus chaining, resuming
from state_dict, the deprecated step(epoch), and bad input."""
import math
from bisect import bisect_right

import numpy as np
import pytest

import neurocore as nc
from neurocore import nn
from neurocore.optim import lr_scheduler as lrs

N = 100


def make_opt(lr=0.1, groups=1, cls=nc.optim.SGD, **kw):
    ps = [nn.Parameter(nc.zeros(2)) for _ in range(groups)]
    if groups == 1:
        return cls(ps, lr=lr, **kw)
    return cls([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr, **kw)


def trace(opt, sched, n=N, metrics=None):
    """The rate of each group at epochs 0..n-1 (the constructor sets epoch 0's)."""
    out = []
    for e in range(n):
        out.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == out[-1]
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
    return np.array(out)


def check(got, ref, rtol=1e-10, atol=1e-14):
    np.testing.assert_allclose(got, np.asarray(ref, dtype=np.float64).reshape(got.shape), rtol=rtol, atol=atol)


def cosine(base, eta_min, e, T):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * e / T)) / 2


# ---------------------------------------------------------------- each schedule vs its closed form

def test_step_lr():
    opt = make_opt(0.1)
    check(trace(opt, lrs.StepLR(opt, step_size=7, gamma=0.5)), [0.1 * 0.5 ** (e // 7) for e in range(N)])


def test_multi_step_lr():
    opt = make_opt(0.1)
    ms = [10, 25, 25, 60]  # a repeated milestone applies gamma twice
    check(trace(opt, lrs.MultiStepLR(opt, milestones=ms, gamma=0.3)),
          [0.1 * 0.3 ** bisect_right(ms, e) for e in range(N)])


def test_exponential_lr_two_groups():
    opt = make_opt(0.1, groups=2)
    got = trace(opt, lrs.ExponentialLR(opt, gamma=0.97))
    check(got, [[0.1 * 0.97 ** e, 0.2 * 0.97 ** e] for e in range(N)])


def test_cosine_annealing_lr_continues_past_t_max():
    opt = make_opt(0.1)
    got = trace(opt, lrs.CosineAnnealingLR(opt, T_max=30, eta_min=0.001))
    check(got, [cosine(0.1, 0.001, e, 30) for e in range(N)], rtol=1e-9, atol=1e-13)
    assert got[30, 0] == pytest.approx(0.001) and got[60, 0] == pytest.approx(0.1)


@pytest.mark.parametrize("start,end,total", [(0.1, 1.0, 10), (1.0, 0.05, 40), (0.25, 0.75, 1)])
def test_linear_lr(start, end, total):
    opt = make_opt(0.1)
    got = trace(opt, lrs.LinearLR(opt, start_factor=start, end_factor=end, total_iters=total))
    check(got, [0.1 * (start + (end - start) * min(e, total) / total) for e in range(N)])


def test_lambda_lr_one_function_and_one_per_group():
    opt = make_opt(0.1)
    check(trace(opt, lrs.LambdaLR(opt, lambda e: 1.0 / (1 + 0.1 * e))), [0.1 / (1 + 0.1 * e) for e in range(N)])
    opt = make_opt(0.1, groups=2)
    got = trace(opt, lrs.LambdaLR(opt, [lambda e: 0.95 ** e, lambda e: 1.0 if e < 50 else 0.1]))
    check(got, [[0.1 * 0.95 ** e, 0.2 * (1.0 if e < 50 else 0.1)] for e in range(N)])


def test_sequential_lr_warmup_then_cosine():
    opt = make_opt(0.1)
    warm = lrs.LinearLR(opt, start_factor=0.1, total_iters=5)
    cos = lrs.CosineAnnealingLR(opt, T_max=95, eta_min=1e-4)
    got = trace(opt, lrs.SequentialLR(opt, schedulers=[warm, cos], milestones=[5]))
    ref = [0.1 * (0.1 + 0.9 * e / 5) if e < 5 else cosine(0.1, 1e-4, e - 5, 95) for e in range(N)]
    check(got, ref, rtol=1e-9, atol=1e-13)


def test_sequential_lr_three_stages():
    opt = make_opt(1.0)
    s = lrs.SequentialLR(opt, [lrs.ExponentialLR(opt, 0.9), lrs.StepLR(opt, 10, 0.5), lrs.ExponentialLR(opt, 0.99)],
                         milestones=[20, 50])
    ref = [0.9 ** e if e < 20 else 0.5 ** ((e - 20) // 10) if e < 50 else 0.99 ** (e - 50) for e in range(N)]
    check(trace(opt, s), ref)


def plateau_reference(metrics, lr, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                      cooldown=0, min_lr=0.0, eps=1e-8):
    """ReduceLROnPlateau as documented: an epoch is bad unless the metric beats the best by the
    threshold; after more than `patience` bad epochs in a row, lr = max(lr * factor, min_lr) and
    `cooldown` epochs follow in which bad epochs are not counted. Returns the lr used at each epoch."""
    best = math.inf if mode == "min" else -math.inf
    bad = cool = 0
    out = []
    for m in metrics:
        out.append(lr)
        if mode == "min":
            better = m < (best * (1 - threshold) if threshold_mode == "rel" else best - threshold)
        else:
            better = m > (best * (1 + threshold) if threshold_mode == "rel" else best + threshold)
        if better:
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        if bad > patience:
            new = max(lr * factor, min_lr)
            if lr - new > eps:
                lr = new
            cool, bad = cooldown, 0
    return out


@pytest.mark.parametrize("kw", [dict(patience=3, factor=0.5), dict(patience=2, factor=0.5, cooldown=4),
                                dict(patience=0, factor=0.3, min_lr=0.01),
                                dict(mode="max", patience=4, threshold=0.05, threshold_mode="abs"),
                                dict(mode="max", patience=2, threshold=0.01)])
def test_reduce_lr_on_plateau(kw):
    rng = np.random.default_rng(0)
    # improves, stalls, improves a little, stalls (noise keeps "better" from being trivial)
    base = np.concatenate([np.linspace(10, 5, 20), np.full(30, 5.0), np.linspace(5, 4.9, 10), np.full(40, 4.9)])
    metrics = base + 0.01 * rng.standard_normal(N)
    if kw.get("mode") == "max":
        metrics = 20.0 - metrics
    opt = make_opt(0.1)
    got = trace(opt, lrs.ReduceLROnPlateau(opt, **kw), metrics=metrics)
    ref = plateau_reference(metrics, 0.1, **kw)
    check(got, ref, rtol=1e-15)
    assert len(set(ref)) > 2  # the test exercises several reductions


def one_cycle_reference(e, total, max_lr, pct=0.3, div=25.0, final_div=1e4, anneal="cos", three_phase=False,
                        hi=0.95, lo=0.85):
    """1cycle as documented: phase ends at pct*total - 1 (and 2*pct*total - 2) and total - 1."""
    init = max_lr / div
    min_lr = init / final_div

    def f(a, b, t):
        return b + (a - b) / 2 * (math.cos(math.pi * t) + 1) if anneal == "cos" else a + (b - a) * t
    e1, e2 = pct * total - 1, 2 * pct * total - 2
    if three_phase:
        if e <= e1:
            return f(init, max_lr, e / e1), f(hi, lo, e / e1)
        if e <= e2:
            return f(max_lr, init, (e - e1) / (e2 - e1)), f(lo, hi, (e - e1) / (e2 - e1))
        return f(init, min_lr, (e - e2) / (total - 1 - e2)), hi
    if e <= e1:
        return f(init, max_lr, e / e1), f(hi, lo, e / e1)
    t = (e - e1) / (total - 1 - e1)
    return f(max_lr, min_lr, t), f(lo, hi, t)


@pytest.mark.parametrize("kw", [dict(), dict(anneal_strategy="linear"), dict(three_phase=True, pct_start=0.25),
                                dict(div_factor=10.0, final_div_factor=100.0, pct_start=0.4)])
def test_one_cycle_lr_with_sgd_momentum(kw):
    opt = make_opt(0.1, momentum=0.9)
    sched = lrs.OneCycleLR(opt, max_lr=0.5, total_steps=N, **kw)
    lr_got, mom_got = [], []
    for _ in range(N):
        lr_got.append(opt.param_groups[0]["lr"])
        mom_got.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    ref = [one_cycle_reference(e, N, 0.5, pct=kw.get("pct_start", 0.3), div=kw.get("div_factor", 25.0),
                               final_div=kw.get("final_div_factor", 1e4), anneal=kw.get("anneal_strategy", "cos"),
                               three_phase=kw.get("three_phase", False)) for e in range(N)]
    check(np.array(lr_got), [r[0] for r in ref], atol=1e-14)
    check(np.array(mom_got), [r[1] for r in ref], atol=1e-14)
    assert max(lr_got) == pytest.approx(0.5, rel=1e-3)
    with pytest.raises(ValueError, match="Tried to step 101 times"):
        sched.step()


def test_one_cycle_lr_cycles_adam_beta1():
    opt = make_opt(0.1, cls=nc.optim.Adam, betas=(0.9, 0.99))
    sched = lrs.OneCycleLR(opt, max_lr=0.01, epochs=4, steps_per_epoch=25)
    assert sched.total_steps == 100
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)
    for _ in range(29):
        sched.step()
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.85) and opt.param_groups[0]["betas"][1] == 0.99
    assert opt.param_groups[0]["lr"] == pytest.approx(0.01)


# ---------------------------------------------------------------- chaining, resuming, epochs

def test_chained_schedulers_multiply():
    opt = make_opt(1.0)
    a, b = lrs.ExponentialLR(opt, gamma=0.9), lrs.StepLR(opt, step_size=10, gamma=0.5)
    got = []
    for _ in range(30):
        got.append(opt.param_groups[0]["lr"])
        a.step()
        b.step()
    check(np.array(got), [0.9 ** e * 0.5 ** (e // 10) for e in range(30)])


FACTORIES = {
    "StepLR": lambda o: lrs.StepLR(o, 7, 0.5),
    "MultiStepLR": lambda o: lrs.MultiStepLR(o, [10, 45, 70], 0.5),
    "CosineAnnealingLR": lambda o: lrs.CosineAnnealingLR(o, 30, 1e-3),
    "LinearLR": lambda o: lrs.LinearLR(o, 0.2, 1.0, 50),
    "LambdaLR": lambda o: lrs.LambdaLR(o, lambda e: 0.97 ** e),
    "SequentialLR": lambda o: lrs.SequentialLR(o, [lrs.LinearLR(o, 0.1, total_iters=10),
                                                   lrs.CosineAnnealingLR(o, 90)], [10]),
    "OneCycleLR": lambda o: lrs.OneCycleLR(o, 1.0, total_steps=N),
}


@pytest.mark.parametrize("name", list(FACTORIES))
def test_state_dict_resume(name):
    make = FACTORIES[name]
    opt = make_opt(0.1, momentum=0.9)
    full = trace(opt, make(opt))
    opt1 = make_opt(0.1, momentum=0.9)
    s1 = make(opt1)
    first = trace(opt1, s1, n=40)
    opt2 = make_opt(0.1, momentum=0.9)
    s2 = make(opt2)
    opt2.load_state_dict(opt1.state_dict())
    s2.load_state_dict(s1.state_dict())
    rest = trace(opt2, s2, n=N - 40)
    np.testing.assert_allclose(np.concatenate([first, rest]), full, rtol=1e-12, atol=1e-15)


def test_plateau_state_dict_resume():
    metrics = [5.0] * 12 + [4.0] + [4.0] * 20
    opt1 = make_opt(0.1)
    s1 = lrs.ReduceLROnPlateau(opt1, patience=2)
    trace(opt1, s1, n=10, metrics=metrics)
    opt2 = make_opt(0.1)
    s2 = lrs.ReduceLROnPlateau(opt2, patience=2)
    opt2.load_state_dict(opt1.state_dict())
    s2.load_state_dict(s1.state_dict())
    assert "optimizer" not in s1.state_dict() and s2.num_bad_epochs == s1.num_bad_epochs
    np.testing.assert_array_equal(trace(opt1, s1, n=20, metrics=metrics[10:]),
                                  trace(opt2, s2, n=20, metrics=metrics[10:]))


def test_step_with_epoch_uses_closed_form_and_warns():
    opt = make_opt(0.1)
    s = lrs.StepLR(opt, step_size=10, gamma=0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        s.step(35)
    assert s.last_epoch == 35 and opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 3)


def test_initial_lr_and_last_epoch():
    opt = make_opt(0.1)
    lrs.ExponentialLR(opt, 0.5)
    assert opt.param_groups[0]["initial_lr"] == 0.1
    opt = make_opt(0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        lrs.StepLR(opt, 3, last_epoch=5)


BAD = [
    (lambda o: lrs.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
    (lambda o: lrs.LinearLR(o, end_factor=1.5), ValueError, "Ending multiplicative factor"),
    (lambda o: lrs.StepLR(o, step_size=0), ValueError, "step_size must be a positive integer"),
    (lambda o: lrs.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be a positive integer"),
    (lambda o: lrs.LambdaLR(o, [lambda e: 1.0] * 2), ValueError, "Expected 1 lr_lambdas, but got 2"),
    (lambda o: lrs.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda o: lrs.ReduceLROnPlateau(o, mode="low"), ValueError, "mode low is unknown"),
    (lambda o: lrs.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode x is unknown"),
    (lambda o: lrs.OneCycleLR(o, 0.1), ValueError, r"either total_steps OR \(epochs AND steps_per_epoch\)"),
    (lambda o: lrs.OneCycleLR(o, 0.1, total_steps=-3), ValueError, "Expected positive integer total_steps"),
    (lambda o: lrs.OneCycleLR(o, 0.1, total_steps=10, pct_start=1.5), ValueError, "pct_start"),
    (lambda o: lrs.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda o: lrs.SequentialLR(o, [lrs.StepLR(o, 2), lrs.StepLR(o, 3)], milestones=[]), ValueError,
     "one more scheduler than milestones"),
    (lambda o: lrs.SequentialLR(o, [lrs.ReduceLROnPlateau(o)], milestones=[]), ValueError, "ReduceLROnPlateau"),
    (lambda o: lrs.StepLR("not an optimizer", 2), TypeError, "is not an Optimizer"),
]


@pytest.mark.parametrize("factory,exc,match", BAD, ids=[m for _, _, m in BAD])
def test_bad_input(factory, exc, match):
    with pytest.raises(exc, match=match):
        factory(make_opt(0.1))


def test_one_cycle_needs_momentum_or_betas():
    opt = make_opt(0.1, cls=nc.optim.Adagrad)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lrs.OneCycleLR(opt, 0.1, total_steps=10)
    lrs.OneCycleLR(opt, 0.1, total_steps=10, cycle_momentum=False)
