"""optim.SGD against a numpy implementation of torch.optim.SGD's documented update rule, in
float64 over 20 steps on a fixed sequence of gradients; param groups, state dicts, bad input."""
import numpy as np
import pytest

import neurocore as nc
import neurocore.optim.sgd as sgd_module
from neurocore import nn

STEPS = 20
SHAPES = [(3, 4), (5,)]


def sgd_reference(params, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    """torch.optim.SGD's algorithm, one parameter at a time, as documented and as PyTorch 2.x's
    _single_tensor_sgd implements it (maximize negates the gradient before weight decay is added):
        g = -grad if maximize else grad;  g += weight_decay * p
        b = g (first step) or momentum * b + (1 - dampening) * g;  g = g + momentum * b if nesterov else b
        p = p - lr * g
    grads[t][i] is None -> parameter i is skipped at step t (its buffer is left alone)."""
    params = [p.copy() for p in params]
    bufs = [None] * len(params)
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            if g is None:
                continue
            g = -g if maximize else g.copy()
            if weight_decay != 0:
                g = g + weight_decay * params[i]
            if momentum != 0:
                bufs[i] = g.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * g
                g = g + momentum * bufs[i] if nesterov else bufs[i]
            params[i] = params[i] - lr * g
    return params, bufs


def make_problem(seed=0, skip=None):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(STEPS)]
    for t, i in skip or []:
        grads[t][i] = None
    return init, grads


def run_nc(opt_factory, init, grads):
    params = [nn.Parameter(nc.tensor(p, dtype=nc.float64)) for p in init]
    opt = opt_factory(params)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else nc.tensor(g, dtype=nc.float64)
        opt.step()
    return params, opt


CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.5),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.05, momentum=0.8, dampening=0.1, weight_decay=0.05),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.02),
    dict(lr=0.03, momentum=0.7, weight_decay=0.1, maximize=True),
    dict(lr=0.03, maximize=True),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_sgd_matches_reference(cfg):
    init, grads = make_problem(skip=[(3, 1), (4, 1), (10, 0)])
    ref, ref_bufs = sgd_reference(init, grads, **cfg)
    params, opt = run_nc(lambda ps: nc.optim.SGD(ps, **cfg), init, grads)
    for p, r in zip(params, ref):
        assert p.dtype == nc.float64 and p.shape == r.shape
        np.testing.assert_allclose(p.detach().numpy(), r, rtol=1e-12, atol=1e-12)
    for p, b in zip(params, ref_bufs):
        if b is None:
            assert "momentum_buffer" not in opt.state.get(p, {})
        else:
            np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), b, rtol=1e-12, atol=1e-12)


def test_one_core_call_per_group(monkeypatch):
    calls = []
    real = sgd_module._sgd_step
    monkeypatch.setattr(sgd_module, "_sgd_step", lambda params, *a: (calls.append(len(params)), real(params, *a)))
    ps = [nn.Parameter(nc.ones(2)) for _ in range(5)]
    opt = nc.optim.SGD([{"params": ps[:3]}, {"params": ps[3:], "lr": 0.5}], lr=0.1, momentum=0.9)
    for p in ps:
        p.grad = nc.ones(2)
    opt.step()
    opt.step()
    assert calls == [3, 2, 3, 2]


def test_param_groups_with_different_lr():
    init, grads = make_problem(seed=1)
    def factory(ps):
        return nc.optim.SGD([{"params": [ps[0]], "lr": 0.2}, {"params": [ps[1]], "momentum": 0.5}],
                            lr=0.01, momentum=0.9)
    params, opt = run_nc(factory, init, grads)
    ref0, _ = sgd_reference([init[0]], [[g[0]] for g in grads], lr=0.2, momentum=0.9)
    ref1, _ = sgd_reference([init[1]], [[g[1]] for g in grads], lr=0.01, momentum=0.5)
    np.testing.assert_allclose(params[0].detach().numpy(), ref0[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(params[1].detach().numpy(), ref1[0], rtol=1e-12, atol=1e-12)
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.01]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.5]
    # Changing a group's lr between steps (what a scheduler does) takes effect.
    opt.param_groups[0]["lr"] = 0.0
    before = params[0].detach().numpy().copy()
    params[0].grad = nc.ones(3, 4, dtype=nc.float64)
    opt.param_groups[0]["momentum"] = 0.0
    opt.step()
    np.testing.assert_array_equal(params[0].detach().numpy(), before)


def test_add_param_group():
    a, b = nn.Parameter(nc.ones(2)), nn.Parameter(nc.ones(3))
    opt = nc.optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 1.0})
    a.grad, b.grad = nc.ones(2), nc.ones(3)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), 0.9, rtol=1e-7)
    np.testing.assert_allclose(b.detach().numpy(), 0.0, atol=1e-7)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_state_dict_round_trip_continues_identically():
    init, grads = make_problem(seed=2)
    cfg = dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)
    params, opt = run_nc(lambda ps: nc.optim.SGD(ps, **cfg), init, grads[:10])
    sd = opt.state_dict()
    assert sd["param_groups"] == [{**cfg, "nesterov": False, "maximize": False, "params": [0, 1]}]
    assert sorted(sd["state"]) == [0, 1]
    # Through numpy (as a checkpoint would store it) into a fresh optimizer over copies of the params.
    sd_np = {"state": {k: {n: v.numpy() for n, v in s.items()} for k, s in sd["state"].items()},
             "param_groups": sd["param_groups"]}
    params2 = [nn.Parameter(p.detach().clone()) for p in params]
    opt2 = nc.optim.SGD(params2, lr=1.0)
    opt2.load_state_dict(sd_np)
    assert opt2.param_groups[0]["lr"] == 0.05 and opt2.param_groups[0]["params"][0] is params2[0]
    for step_grads in grads[10:]:
        for ps, o in ((params, opt), (params2, opt2)):
            for p, g in zip(ps, step_grads):
                p.grad = nc.tensor(g, dtype=nc.float64)
            o.step()
    ref, _ = sgd_reference(init, grads, **cfg)
    for p, p2, r in zip(params, params2, ref):
        np.testing.assert_array_equal(p.detach().numpy(), p2.detach().numpy())
        np.testing.assert_allclose(p.detach().numpy(), r, rtol=1e-12, atol=1e-12)
    # state_dict values are copies: later steps do not change a saved state dict.
    saved = sd["state"][0]["momentum_buffer"].numpy().copy()
    params[0].grad = nc.ones(3, 4, dtype=nc.float64)
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"].numpy(), saved)
    with pytest.raises(ValueError, match="parameter groups"):
        opt2.load_state_dict({"state": {}, "param_groups": sd["param_groups"] * 2})


def test_state_edits_are_used_by_the_next_step():
    p = nn.Parameter(nc.zeros(2, dtype=nc.float64))
    opt = nc.optim.SGD([p], lr=1.0, momentum=0.5)
    p.grad = nc.ones(2, dtype=nc.float64)
    opt.step()  # buf = 1, p = -1
    opt.state[p]["momentum_buffer"] = nc.full((2,), 10.0, dtype=nc.float64)
    opt.step()  # buf = 0.5 * 10 + 1 = 6, p = -7
    np.testing.assert_array_equal(p.detach().numpy(), [-7.0, -7.0])


def test_zero_grad_and_closure():
    p = nn.Parameter(nc.tensor([1.0, -2.0]))
    opt = nc.optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0])
    p.grad = nc.ones(2)
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing changes
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0])


def test_bad_input_errors():
    p = nn.Parameter(nc.ones(2))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        nc.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        nc.optim.SGD([p], lr=-0.1)
    with pytest.raises(ValueError, match="Invalid momentum value: -0.5"):
        nc.optim.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="Invalid weight_decay value: -1"):
        nc.optim.SGD([p], lr=0.1, weight_decay=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        nc.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        nc.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid learning rate"):  # groups are validated too
        nc.optim.SGD([{"params": [p], "lr": -1.0}], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        nc.optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        nc.optim.SGD([p, 3.0], lr=0.1)
    q = nn.Parameter(nc.ones(3))
    with pytest.raises(ValueError, match=r"index 2 of parameter group 0 \(shape \(2,\).*appears more than once"):
        nc.optim.SGD([p, q, p], lr=0.1)
    net = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="parameter 'weight' .*appears more than once"):
        nc.optim.SGD(list(net.named_parameters()) + [("weight", net.weight)], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        nc.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="floating point"):
        nc.optim.SGD([nc.tensor([1, 2])], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        nc.optim.SGD({p}, lr=0.1)


def test_params_appended_to_a_group_by_hand_keep_the_other_buffers():
    a, b = nn.Parameter(nc.zeros(2, dtype=nc.float64)), nn.Parameter(nc.zeros(1, dtype=nc.float64))
    opt = nc.optim.SGD([a], lr=1.0, momentum=0.5)
    a.grad = nc.ones(2, dtype=nc.float64)
    opt.step()  # buf_a = 1, a = -1
    opt.param_groups[0]["params"].append(b)
    b.grad = nc.ones(1, dtype=nc.float64)
    opt.step()  # buf_a = 1.5, a = -2.5; buf_b = 1, b = -1
    np.testing.assert_array_equal(a.detach().numpy(), [-2.5, -2.5])
    np.testing.assert_array_equal(b.detach().numpy(), [-1.0])
