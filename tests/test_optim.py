"""The adaptive optimizers (Adagrad, RMSprop, Adadelta, Adam, AdamW, Adamax, NAdam) against numpy
implementations of torch.optim's documented update rules (PyTorch 2.x), written out below one
parameter at a time: 50 steps on a fixed sequence of random gradients, with some parameters
skipped on some steps (their step counts then differ); float64 to rtol 1e-6, float32 looser.
Also: param groups, state_dict round trips, lazily created state, bad input, docstrings."""
import doctest
import importlib

import numpy as np
import pytest

import neurocore as nc
from neurocore import nn
import neurocore.optim.adam as adam_module

STEPS = 50
SHAPES = [(3, 4), (5,)]
SKIP = [(3, 1), (4, 1), (10, 0), (30, 1)]  # (step, parameter) pairs without a gradient


# ---------------------------------------------------------------- numpy references (torch.optim docs)
# Each takes the parameter p, its gradient g, its state dict s (empty before its first step) and
# its step number t (1 on its first step), updates s and returns the new p.

def ref_adagrad(p, g, s, t, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                maximize=False):
    if not s:
        s["sum"] = np.full_like(p, initial_accumulator_value)
    g = -g if maximize else g
    if weight_decay != 0:
        g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s["sum"] = s["sum"] + g * g
    return p - clr * g / (np.sqrt(s["sum"]) + eps)


def ref_rmsprop(p, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):
    if not s:
        s["square_avg"] = np.zeros_like(p)
        if momentum > 0:
            s["momentum_buffer"] = np.zeros_like(p)
        if centered:
            s["grad_avg"] = np.zeros_like(p)
    g = -g if maximize else g
    if weight_decay != 0:
        g = g + weight_decay * p
    s["square_avg"] = alpha * s["square_avg"] + (1 - alpha) * g * g
    if centered:
        s["grad_avg"] = alpha * s["grad_avg"] + (1 - alpha) * g
        avg = np.sqrt(s["square_avg"] - s["grad_avg"] ** 2) + eps
    else:
        avg = np.sqrt(s["square_avg"]) + eps
    if momentum > 0:
        s["momentum_buffer"] = momentum * s["momentum_buffer"] + g / avg
        return p - lr * s["momentum_buffer"]
    return p - lr * g / avg


def ref_adadelta(p, g, s, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    if not s:
        s["square_avg"] = np.zeros_like(p)
        s["acc_delta"] = np.zeros_like(p)
    g = -g if maximize else g
    if weight_decay != 0:
        g = g + weight_decay * p
    s["square_avg"] = rho * s["square_avg"] + (1 - rho) * g * g
    delta = np.sqrt(s["acc_delta"] + eps) / np.sqrt(s["square_avg"] + eps) * g
    s["acc_delta"] = rho * s["acc_delta"] + (1 - rho) * delta * delta
    return p - lr * delta


def ref_adam(p, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
             decoupled=False):
    b1, b2 = betas
    if not s:
        s["exp_avg"] = np.zeros_like(p)
        s["exp_avg_sq"] = np.zeros_like(p)
        if amsgrad:
            s["max_exp_avg_sq"] = np.zeros_like(p)
    g = -g if maximize else g
    if decoupled:
        p = p * (1 - lr * weight_decay)
    elif weight_decay != 0:
        g = g + weight_decay * p
    s["exp_avg"] = b1 * s["exp_avg"] + (1 - b1) * g
    s["exp_avg_sq"] = b2 * s["exp_avg_sq"] + (1 - b2) * g * g
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    v = s["exp_avg_sq"]
    if amsgrad:
        s["max_exp_avg_sq"] = np.maximum(s["max_exp_avg_sq"], s["exp_avg_sq"])
        v = s["max_exp_avg_sq"]
    denom = np.sqrt(v) / np.sqrt(bc2) + eps  # eps after the square root of v-hat
    return p - lr / bc1 * s["exp_avg"] / denom


def ref_adamw(p, g, s, t, weight_decay=1e-2, **kw):
    return ref_adam(p, g, s, t, weight_decay=weight_decay, decoupled=True, **kw)


def ref_adamax(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False):
    b1, b2 = betas
    if not s:
        s["exp_avg"] = np.zeros_like(p)
        s["exp_inf"] = np.zeros_like(p)
    g = -g if maximize else g
    if weight_decay != 0:
        g = g + weight_decay * p
    s["exp_avg"] = b1 * s["exp_avg"] + (1 - b1) * g
    s["exp_inf"] = np.maximum(b2 * s["exp_inf"], np.abs(g) + eps)
    return p - lr / (1 - b1 ** t) * s["exp_avg"] / s["exp_inf"]


def ref_nadam(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
              decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    if not s:
        s["exp_avg"] = np.zeros_like(p)
        s["exp_avg_sq"] = np.zeros_like(p)
        s["mu_product"] = 1.0
    g = -g if maximize else g
    if weight_decay != 0:
        if decoupled_weight_decay:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
    mu = b1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    s["mu_product"] *= mu
    s["exp_avg"] = b1 * s["exp_avg"] + (1 - b1) * g
    s["exp_avg_sq"] = b2 * s["exp_avg_sq"] + (1 - b2) * g * g
    denom = np.sqrt(s["exp_avg_sq"] / (1 - b2 ** t)) + eps
    p = p - lr * (1 - mu) / (1 - s["mu_product"]) * g / denom
    return p - lr * mu_next / (1 - s["mu_product"] * mu_next) * s["exp_avg"] / denom


REFS = {"Adagrad": ref_adagrad, "RMSprop": ref_rmsprop, "Adadelta": ref_adadelta, "Adam": ref_adam,
        "AdamW": ref_adamw, "Adamax": ref_adamax, "NAdam": ref_nadam}


def reference(name, init, grads, **cfg):
    params = [p.copy() for p in init]
    states = [{} for _ in init]
    steps = [0] * len(init)
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            if g is None:
                continue
            steps[i] += 1
            params[i] = REFS[name](params[i], g, states[i], steps[i], **cfg)
    return params, states, steps


def make_problem(seed=0, skip=SKIP, steps=STEPS):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]
    for t, i in skip:
        grads[t][i] = None
    return init, grads


def set_grads(params, step_grads, dtype):
    for p, g in zip(params, step_grads):
        p.grad = None if g is None else nc.tensor(g, dtype=dtype)


def run_nc(factory, init, grads, dtype=nc.float64):
    params = [nn.Parameter(nc.tensor(p, dtype=dtype)) for p in init]
    opt = factory(params)
    for step_grads in grads:
        set_grads(params, step_grads, dtype)
        opt.step()
    return params, opt


# Every option that changes the rule, alone and in the combinations that interact.
CONFIGS = [
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-3)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.1, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-4, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, momentum=0.8, centered=True, weight_decay=0.05, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5)),
    ("Adadelta", dict(lr=1.0, eps=1e-3, weight_decay=0.1)),
    ("Adadelta", dict(lr=2.0, rho=0.95, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.5, 0.9), eps=1e-3)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.2, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.0, betas=(0.7, 0.9))),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, betas=(0.5, 0.8), eps=1e-2)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.05, betas=(0.8, 0.99))),
    ("NAdam", dict(lr=0.01, eps=1e-3, maximize=True)),
]


def _id(c):
    return c[0] + "(" + ",".join(f"{k}={v}" for k, v in c[1].items()) + ")"


@pytest.mark.parametrize("name,cfg", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_matches_reference_float64(name, cfg):
    init, grads = make_problem()
    ref, ref_states, ref_steps = reference(name, init, grads, **cfg)
    cls = getattr(nc.optim, name)
    params, opt = run_nc(lambda ps: cls(ps, **cfg), init, grads)
    for p, r in zip(params, ref):
        assert p.dtype == nc.float64 and p.shape == r.shape
        np.testing.assert_allclose(p.detach().numpy(), r, rtol=1e-6, atol=1e-12)
    for p, rs, rt in zip(params, ref_states, ref_steps):
        st = opt.state[p]
        assert st["step"] == rt
        assert sorted(st) == sorted([*rs, "step"])  # the same state entries, no unused buffers
        for k, v in rs.items():
            np.testing.assert_allclose(st[k].numpy() if k != "mu_product" else st[k], v, rtol=1e-6, atol=1e-12,
                                       err_msg=k)


@pytest.mark.parametrize("name,cfg", CONFIGS[::3], ids=[_id(c) for c in CONFIGS[::3]])
def test_matches_reference_float32(name, cfg):
    init, grads = make_problem(seed=3)
    ref, _, _ = reference(name, init, grads, **cfg)
    cls = getattr(nc.optim, name)
    params, opt = run_nc(lambda ps: cls(ps, **cfg), init, grads, dtype=nc.float32)
    for p, r in zip(params, ref):
        assert p.dtype == nc.float32
        np.testing.assert_allclose(p.detach().numpy(), r, rtol=2e-4, atol=2e-5)
    for s in opt.state.values():
        for k, v in s.items():
            if isinstance(v, nc.Tensor):
                assert v.dtype == nc.float32, k


def test_one_core_call_per_group_and_lazy_state(monkeypatch):
    calls = []
    real = adam_module._adam_step
    monkeypatch.setattr(adam_module, "_adam_step", lambda params, *a: (calls.append(len(params)), real(params, *a)))
    ps = [nn.Parameter(nc.ones(2)) for _ in range(5)]
    opt = nc.optim.Adam([{"params": ps[:3]}, {"params": ps[3:], "lr": 0.5}], lr=0.1)
    assert len(opt.state) == 0
    for p in ps[:4]:
        p.grad = nc.ones(2)
    opt.step()
    opt.step()
    assert calls == [3, 2, 3, 2]
    assert opt.state[ps[0]]["step"] == 2 and ps[4] not in opt.state  # no gradient: no state
    assert sorted(opt.state[ps[0]]) == ["exp_avg", "exp_avg_sq", "step"]
    # amsgrad switched on later: its buffer starts at zero on the next step (max(0, v) = v)
    opt.param_groups[0]["amsgrad"] = True
    opt.step()
    np.testing.assert_array_equal(opt.state[ps[0]]["max_exp_avg_sq"].numpy(),
                                  opt.state[ps[0]]["exp_avg_sq"].numpy())


@pytest.mark.parametrize("name,cfg", [("Adam", dict(lr=0.05)), ("RMSprop", dict(lr=0.01, momentum=0.5)),
                                      ("Adagrad", dict(lr=0.1)), ("NAdam", dict(lr=0.05))])
def test_param_groups_with_different_lr(name, cfg):
    init, grads = make_problem(seed=1, skip=[])
    cls = getattr(nc.optim, name)
    params, opt = run_nc(lambda ps: cls([{"params": [ps[0]], "lr": 0.2}, {"params": [ps[1]]}], **cfg), init, grads)
    ref0, _, _ = reference(name, [init[0]], [[g[0]] for g in grads], **{**cfg, "lr": 0.2})
    ref1, _, _ = reference(name, [init[1]], [[g[1]] for g in grads], **cfg)
    np.testing.assert_allclose(params[0].detach().numpy(), ref0[0], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(params[1].detach().numpy(), ref1[0], rtol=1e-6, atol=1e-12)
    assert [g["lr"] for g in opt.param_groups] == [0.2, cfg["lr"]]


ROUND_TRIP = [("Adagrad", dict(lr=0.1, lr_decay=0.01)), ("RMSprop", dict(momentum=0.9, centered=True)),
              ("Adadelta", dict()), ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01)),
              ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01))]


@pytest.mark.parametrize("name,cfg", ROUND_TRIP, ids=[c[0] for c in ROUND_TRIP])
def test_state_dict_round_trip_continues_identically(name, cfg):
    init, grads = make_problem(seed=2)
    cls = getattr(nc.optim, name)
    params, opt = run_nc(lambda ps: cls(ps, **cfg), init, grads[:20])
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1]
    assert sd["state"][1]["step"] == 18  # parameter 1 had no gradient on steps 3 and 4
    # Through numpy (as a checkpoint would store it) into a fresh optimizer over copies of the params.
    sd_np = {"state": {k: {n: (v.numpy() if isinstance(v, nc.Tensor) else v) for n, v in s.items()}
                       for k, s in sd["state"].items()},
             "param_groups": sd["param_groups"]}
    params2 = [nn.Parameter(p.detach().clone()) for p in params]
    opt2 = cls(params2, lr=0.5)
    opt2.load_state_dict(sd_np)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for step_grads in grads[20:]:
        for ps, o in ((params, opt), (params2, opt2)):
            set_grads(ps, step_grads, nc.float64)
            o.step()
    ref, _, ref_steps = reference(name, init, grads, **cfg)
    for p, p2, r in zip(params, params2, ref):
        np.testing.assert_array_equal(p.detach().numpy(), p2.detach().numpy())
        np.testing.assert_allclose(p.detach().numpy(), r, rtol=1e-6, atol=1e-12)
    assert [opt2.state[p]["step"] for p in params2] == ref_steps
    # saved state is a copy: later steps leave it alone
    key = next(k for k, v in sd["state"][0].items() if isinstance(v, nc.Tensor))
    np.testing.assert_array_equal(sd["state"][0][key].numpy(), sd_np["state"][0][key])


def test_state_edits_are_used_by_the_next_step():
    p = nn.Parameter(nc.zeros(2, dtype=nc.float64))
    opt = nc.optim.Adam([p], lr=0.1)
    p.grad = nc.ones(2, dtype=nc.float64)
    opt.step()
    opt.state[p]["exp_avg"] = nc.zeros(2, dtype=nc.float64)
    opt.state[p]["step"] = 0
    before = p.detach().numpy().copy()
    opt.step()  # t = 1 again, m = 0.1: the step is lr * 0.1 / 0.1 / (sqrt(v) / sqrt(1 - beta2) + eps)
    v = 0.999 * 0.001 + 0.001
    expected = before - 0.1 * 0.1 / 0.1 / (np.sqrt(v) / np.sqrt(0.001) + 1e-8)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    # state of the wrong shape is refused by the core
    opt.state[p]["exp_avg_sq"] = nc.zeros(3, dtype=nc.float64)
    with pytest.raises(ValueError, match="state 'exp_avg_sq' of parameter 0 has shape"):
        opt.step()


def test_step_bumps_the_parameter_version():
    p = nn.Parameter(nc.ones(3))
    opt = nc.optim.RMSprop([p])
    y = (p * p).sum()  # saves p for backward
    p.grad = nc.ones(3)
    opt.step()
    with pytest.raises(RuntimeError):
        y.backward()


def test_closure_and_zero_grad():
    p = nn.Parameter(nc.tensor([1.0, -2.0], dtype=nc.float64))
    opt = nc.optim.Adamax([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 5.0
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9], rtol=1e-6)


BAD = [
    (lambda p: nc.optim.Adam([p], lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: nc.optim.Adam([p], eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda p: nc.optim.Adam([p], betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: nc.optim.Adam([p], betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: nc.optim.Adam([p], weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: nc.optim.Adam([p], betas=(0.9,)), r"betas must be a pair"),
    (lambda p: nc.optim.AdamW([p], betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    (lambda p: nc.optim.AdamW([p], lr=-1.0), "Invalid learning rate: -1.0"),
    (lambda p: nc.optim.Adamax([p], betas=(-0.5, 0.9)), "Invalid beta parameter at index 0: -0.5"),
    (lambda p: nc.optim.NAdam([p], momentum_decay=-0.1), "Invalid momentum_decay value: -0.1"),
    (lambda p: nc.optim.NAdam([p], eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda p: nc.optim.Adagrad([p], lr_decay=-0.5), "Invalid lr_decay value: -0.5"),
    (lambda p: nc.optim.Adagrad([p], initial_accumulator_value=-1.0), "Invalid initial_accumulator_value value: -1.0"),
    (lambda p: nc.optim.Adagrad([p], lr=-0.01), "Invalid learning rate: -0.01"),
    (lambda p: nc.optim.RMSprop([p], alpha=1.5), "Invalid alpha value: 1.5"),
    (lambda p: nc.optim.RMSprop([p], alpha=-0.1), "Invalid alpha value: -0.1"),
    (lambda p: nc.optim.RMSprop([p], momentum=-0.9), "Invalid momentum value: -0.9"),
    (lambda p: nc.optim.RMSprop([p], eps=-1e-8), "Invalid epsilon value"),
    (lambda p: nc.optim.Adadelta([p], rho=1.1), "Invalid rho value: 1.1"),
    (lambda p: nc.optim.Adadelta([p], rho=-0.1), "Invalid rho value: -0.1"),
    (lambda p: nc.optim.Adadelta([p], weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (lambda p: nc.optim.Adam([{"params": [p], "lr": -2.0}]), "Invalid learning rate: -2.0"),  # groups too
    (lambda p: nc.optim.Adam([]), "optimizer got an empty parameter list"),
]


@pytest.mark.parametrize("factory,match", BAD, ids=[m for _, m in BAD])
def test_bad_input(factory, match):
    with pytest.raises(ValueError, match=match):
        factory(nn.Parameter(nc.ones(2)))


def test_bad_input_types():
    p = nn.Parameter(nc.ones(2))
    with pytest.raises(TypeError, match="lr must be a real number"):
        nc.optim.Adam([p], lr="0.1")
    with pytest.raises(TypeError, match="iterable of Tensors"):
        nc.optim.RMSprop(p)
    with pytest.raises(TypeError, match="betas\\[1\\] must be a real number"):
        nc.optim.NAdam([p], betas=(0.9, None))


@pytest.mark.parametrize("name", ["neurocore.optim.adam", "neurocore.optim.adamax", "neurocore.optim.nadam",
                                  "neurocore.optim.adagrad", "neurocore.optim.rmsprop", "neurocore.optim.adadelta",
                                  "neurocore.optim.lr_scheduler", "neurocore.nn.utils"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("name,cfg", [("Adam", dict(lr=0.01, amsgrad=True)),
                                      ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
                                      ("NAdam", dict(lr=0.01, weight_decay=0.1)), ("Adagrad", dict(lr=0.1)),
                                      ("Adadelta", dict()), ("Adamax", dict(lr=0.01))])
def test_large_parameter_split_across_threads(name, cfg):
    # 100,003 values: several chunks of the multi-threaded pass, with a ragged end
    rng = np.random.default_rng(5)
    init = [rng.standard_normal(100_003)]
    grads = [[rng.standard_normal(100_003)] for _ in range(5)]
    ref, _, _ = reference(name, init, grads, **cfg)
    cls = getattr(nc.optim, name)
    params, _ = run_nc(lambda ps: cls(ps, **cfg), init, grads)
    np.testing.assert_allclose(params[0].detach().numpy(), ref[0], rtol=1e-6, atol=1e-12)
