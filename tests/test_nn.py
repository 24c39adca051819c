"""nn.Module semantics (registration, traversal, state dicts, modes, conversion), the layers and
losses against numpy references, nn.init formulas, and the docstring examples of nn/optim/data."""
import collections
import copy
import doctest
import importlib
import math

import numpy as np
import pytest

import neurocore as nc
import neurocore.nn.functional as F
from neurocore import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(nc.ones(2))
        self.register_buffer("running", nc.zeros(2))
        self.register_buffer("scratch", nc.zeros(1), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def np_of(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- registration and traversal

def test_registration_and_names_in_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    # A module's own parameters come first, then each child's in registration order (PyTorch's order).
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight"]
    expected = [net.scale, net.fc1.weight, net.fc1.bias, net.fc2.weight]
    assert all(p is q for p, q in zip(net.parameters(), expected)) and len(list(net.parameters())) == 4
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    own = list(net.parameters(recurse=False))
    assert len(own) == 1 and own[0] is net.scale
    assert net.fc2.bias is None and "bias" in net.fc2._parameters
    assert isinstance(net.fc1.weight, nn.Parameter) and net.fc1.weight.requires_grad


def test_shared_parameters_are_listed_once_but_saved_under_every_name():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]


def test_setattr_reassignment_keeps_registries_in_sync():
    net = Net()
    new = nn.Parameter(nc.zeros(2))
    net.scale = new
    assert net._parameters["scale"] is new and net.scale is new
    # A module replacing a parameter of the same name moves it between registries.
    net.scale = nn.Identity()
    assert "scale" not in net._parameters and "scale" in net._modules
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as child module 'scale'"):
        net.scale = nc.zeros(2)
    net.scale = None
    assert net._modules["scale"] is None and net.scale is None
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'weight' \(nn.Parameter or None"):
        net.fc1.weight = nc.zeros(4, 3)
    net.running = nc.ones(2)
    assert net._buffers["running"] is net.running
    with pytest.raises(TypeError, match="as buffer 'running'"):
        net.running = 3
    del net.fc2
    assert "fc2" not in net._modules and not hasattr(net, "fc2")
    # A plain tensor attribute is not registered.
    net.plain = nc.zeros(1)
    assert "plain" not in net._parameters and "plain" not in net._buffers


def test_register_errors():
    m = nn.Module()
    with pytest.raises(KeyError, match=r'contain "\.", got: a.b'):
        m.register_buffer("a.b", nc.zeros(1))
    with pytest.raises(TypeError, match="Tensor or None required"):
        m.register_buffer("b", [1, 2])
    m.x = 5
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.register_parameter("x", None)
    with pytest.raises(TypeError, match="nn.Parameter or None required"):
        m.register_parameter("w", nc.zeros(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("c", 3)

    class NoInit(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(nc.zeros(1))
    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        NoInit()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


# ---------------------------------------------------------------- state dict

def test_state_dict_keys_values_and_numpy_round_trip():
    nc.manual_seed(1)
    a, b = Net(), Net()
    sd = a.state_dict()
    assert isinstance(sd, collections.OrderedDict)
    assert list(sd) == ["scale", "running", "fc1.weight", "fc1.bias", "fc2.weight"]
    for v in sd.values():
        assert not v.requires_grad and type(v) is nc.Tensor
    assert sd["fc1.weight"].data_ptr() == a.fc1.weight.data_ptr()  # detached, shares storage
    arrays = {k: v.numpy().copy() for k, v in sd.items()}
    arrays["running"] = np.array([3.0, 4.0])  # float64 numpy -> float32 buffer
    res = b.load_state_dict(arrays)
    assert res.missing_keys == [] and res.unexpected_keys == []
    for k, v in b.state_dict().items():
        assert v.dtype == nc.float32
        np.testing.assert_array_equal(v.numpy(), arrays[k].astype(np.float32))
    w_before = b.fc1.weight
    b.load_state_dict(a.state_dict())  # tensors too; in place: same Parameter objects
    assert b.fc1.weight is w_before and b.fc1.weight.requires_grad
    x = nc.randn(5, 3)
    np.testing.assert_array_equal(np_of(a(x)), np_of(b(x)))


def test_load_state_dict_shape_mismatch():
    net = nn.Sequential(nn.Linear(2, 3))
    sd = {"0.weight": np.zeros((2, 3), np.float32), "0.bias": np.zeros(3, np.float32)}
    before = net[0].bias.detach().numpy().copy()
    with pytest.raises(RuntimeError) as exc:
        net.load_state_dict(sd)
    msg = str(exc.value)
    assert "size mismatch for 0.weight" in msg and "(2, 3)" in msg and "(3, 2)" in msg
    np.testing.assert_array_equal(net[0].bias.detach().numpy(), before)  # nothing was copied
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        net.load_state_dict(sd, strict=False)


def test_load_state_dict_missing_and_unexpected_keys():
    net = nn.Sequential(nn.Linear(2, 3))
    sd = {"0.weight": nc.zeros(3, 2), "extra": nc.zeros(1)}
    with pytest.raises(RuntimeError) as exc:
        net.load_state_dict(sd)
    msg = str(exc.value)
    assert 'Missing key(s) in state_dict: "0.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra"' in msg
    assert "Sequential" in msg
    res = net.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["0.bias"] and res.unexpected_keys == ["extra"]
    assert net[0].weight.abs().sum().item() == 0.0
    with pytest.raises(TypeError, match="mapping"):
        net.load_state_dict([1, 2])
    with pytest.raises(TypeError, match="'0.weight'"):
        net.load_state_dict({"0.weight": "abc", "0.bias": nc.zeros(3)})


def test_state_dict_save_load_file(tmp_path):
    nc.manual_seed(3)
    a, b = Net(), Net()
    nc.save(a.state_dict(), tmp_path / "m.npz")
    b.load_state_dict(nc.load(tmp_path / "m.npz"))
    for (k1, v1), (k2, v2) in zip(a.state_dict().items(), b.state_dict().items()):
        assert k1 == k2
        np.testing.assert_array_equal(v1.numpy(), v2.numpy())


# ---------------------------------------------------------------- modes, grads, conversion

def test_train_eval_flags():
    net = Net()
    assert net.training and net.fc1.training
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="bool"):
        net.train(1)


def test_requires_grad_freezes_parameters_and_zero_grad():
    nc.manual_seed(0)
    net = Net()
    net.fc1.requires_grad_(False)
    net(nc.randn(4, 3)).sum().backward()
    assert net.fc1.weight.grad is None and net.fc1.bias.grad is None
    assert net.fc2.weight.grad is not None and net.scale.grad is not None
    net.zero_grad(set_to_none=False)
    assert net.fc2.weight.grad.abs().sum().item() == 0.0
    net.zero_grad()
    assert net.fc2.weight.grad is None
    assert net.requires_grad_() is net and net.fc1.weight.requires_grad


def test_to_float64_converts_parameters_and_floating_buffers():
    nc.manual_seed(0)
    net = Net()
    net.register_buffer("count", nc.tensor([7]))
    ref = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    net(nc.randn(2, 3)).sum().backward()
    assert net.to(nc.float64) is net
    for name, p in net.named_parameters():
        assert p.dtype == nc.float64 and isinstance(p, nn.Parameter) and p.requires_grad and p.grad is None
        assert p is getattr(net.get_submodule(name.rpartition(".")[0]), name.rpartition(".")[2])
    assert net.running.dtype == nc.float64 and net.count.dtype == nc.int64
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ref[k])
    out = net(nc.randn(2, 3, dtype=nc.float64))
    assert out.dtype == nc.float64
    assert net.float().fc1.weight.dtype == nc.float32
    with pytest.raises(TypeError, match="floating point"):
        net.to(nc.int64)
    shared = nn.Linear(2, 2)
    tied = nn.Sequential(shared, nn.Sequential(shared)).double()
    assert tied[0].weight is tied[1][0].weight and tied[0].weight.dtype == nc.float64
    w = tied[0].weight
    assert tied.to("cpu").to(nc.float64)[0].weight is w  # nothing to convert: same objects


def test_apply_visits_children_first():
    seen = []
    net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


# ---------------------------------------------------------------- layers

@pytest.mark.parametrize("dtype", [nc.float32, nc.float64])
def test_linear_forward_matches_numpy(dtype):
    nc.manual_seed(0)
    fc = nn.Linear(5, 3, dtype=dtype)
    assert fc.weight.shape == (3, 5) and fc.bias.shape == (3,) and fc.weight.dtype == dtype
    x = np.random.default_rng(0).standard_normal((7, 5))
    out = fc(nc.tensor(x, dtype=dtype))
    assert out.shape == (7, 3) and out.dtype == dtype
    W, b = np_of(fc.weight).astype(np.float64), np_of(fc.bias).astype(np.float64)
    xr = x.astype(np.float32).astype(np.float64) if dtype == nc.float32 else x
    tol = 1e-5 if dtype == nc.float32 else 1e-12
    np.testing.assert_allclose(np_of(out), xr @ W.T + b, rtol=tol, atol=tol)
    no_bias = nn.Linear(5, 3, bias=False, dtype=dtype)
    np.testing.assert_allclose(np_of(no_bias(nc.tensor(x, dtype=dtype))), xr @ np_of(no_bias.weight).astype(np.float64).T,
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(np_of(F.linear(nc.tensor(x, dtype=dtype), fc.weight, fc.bias)), xr @ W.T + b,
                               rtol=tol, atol=tol)


def test_linear_default_init_bounds():
    nc.manual_seed(0)
    fc = nn.Linear(16, 500)
    bound = 1 / math.sqrt(16)
    w, b = np_of(fc.weight), np_of(fc.bias)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # 8000 uniform draws fill the interval: the extremes come within 1% of the bound.
    assert np.abs(w).max() > 0.99 * bound and w.min() < -0.99 * bound
    assert abs(w.mean()) < 0.01 and abs(w.std() - bound / math.sqrt(3)) < 0.01


def test_linear_backward_matches_numpy():
    nc.manual_seed(0)
    fc = nn.Linear(3, 2, dtype=nc.float64)
    x = np.random.default_rng(1).standard_normal((4, 3))
    dy = np.random.default_rng(2).standard_normal((4, 2))
    (fc(nc.tensor(x)) * nc.tensor(dy)).sum().backward()
    np.testing.assert_allclose(fc.weight.grad.numpy(), dy.T @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fc.bias.grad.numpy(), dy.sum(0), rtol=1e-12, atol=1e-12)


def test_sequential_indexing_and_containers():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c] and list(sub._modules) == ["1", "2"]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    d = nn.Tanh()
    seq[1] = d
    assert seq[1] is d and seq._modules["1"] is d
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and seq[1] is c and not hasattr(seq, "3")
    named = nn.Sequential(collections.OrderedDict([("fc", a), ("act", b)]))
    assert named.fc is a and [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    x = nc.randn(4, 2)
    np.testing.assert_array_equal(np_of(named(x)), np.maximum(np_of(a(x)), 0))
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.insert(0, nn.Identity())
    assert len(ml) == 4 and isinstance(ml[0], nn.Identity) and len(list(ml.parameters())) == 6
    assert [n for n, _ in ml.named_parameters()][:2] == ["1.weight", "1.bias"]


def test_repr_like_pytorch():
    net = nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2), nn.Sequential(nn.Linear(3, 1, bias=False), nn.Sigmoid()),
                        nn.Flatten(), nn.Softmax(dim=1))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.2)\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=3, out_features=1, bias=False)\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        "  (3): Flatten(start_dim=1, end_dim=-1)\n"
        "  (4): Softmax(dim=1)\n"
        ")")
    assert repr(nn.Parameter(nc.tensor([1.0, 2.0]))) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


def test_parameter_shares_storage_and_is_leaf():
    t = nc.zeros(3)
    p = nn.Parameter(t)
    assert p.data_ptr() == t.data_ptr() and p.is_leaf and p.requires_grad and not t.requires_grad
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    with pytest.raises(TypeError, match="must be a Tensor"):
        nn.Parameter([1.0])


def test_deepcopy_of_a_module_without_buffers():
    shared = nn.Linear(3, 3)
    net = nn.Sequential(nn.Linear(2, 3), shared, nn.ReLU(), shared, nn.Linear(3, 1))
    twin = copy.deepcopy(net)
    assert twin[1] is twin[3] and twin[1] is not shared  # sharing is kept
    for (k, a), (k2, b) in zip(net.named_parameters(), twin.named_parameters()):
        assert k == k2 and isinstance(b, nn.Parameter) and b.requires_grad and a.data_ptr() != b.data_ptr()
        np.testing.assert_array_equal(np_of(a), np_of(b))
    assert twin[0].weight is twin._modules["0"]._parameters["weight"]
    x = nc.randn(4, 2)
    np.testing.assert_array_equal(np_of(net(x)), np_of(twin(x)))


def _sig(x):
    return 1 / (1 + np.exp(-x))


def test_activations_match_numpy():
    x = np.random.default_rng(0).standard_normal((3, 4))
    t = nc.tensor(x)
    cases = [(nn.ReLU(), np.maximum(x, 0)), (nn.LeakyReLU(0.1), np.where(x > 0, x, 0.1 * x)),
             (nn.Sigmoid(), _sig(x)), (nn.Tanh(), np.tanh(x)), (nn.Identity(), x),
             (nn.Softmax(dim=1), np.exp(x) / np.exp(x).sum(1, keepdims=True)),
             (nn.Softmax(), np.exp(x) / np.exp(x).sum(1, keepdims=True)),
             (nn.LogSoftmax(dim=0), x - np.log(np.exp(x).sum(0, keepdims=True))),
             (nn.Flatten(0), x.reshape(-1))]
    for m, ref in cases:
        np.testing.assert_allclose(np_of(m(t)), ref, rtol=1e-12, atol=1e-12, err_msg=repr(m))
    np.testing.assert_allclose(np_of(F.leaky_relu(t)), np.where(x > 0, x, 0.01 * x), rtol=1e-12)
    np.testing.assert_allclose(np_of(F.relu(t)), np.maximum(x, 0))
    np.testing.assert_allclose(np_of(F.softmax(t, 0)), np.exp(x) / np.exp(x).sum(0, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(np_of(F.log_softmax(t, dim=1)), x - np.log(np.exp(x).sum(1, keepdims=True)),
                               rtol=1e-12)
    np.testing.assert_allclose(np_of(F.sigmoid(t)), _sig(x), rtol=1e-12)
    np.testing.assert_allclose(np_of(F.tanh(t)), np.tanh(x), rtol=1e-12)


def _reduce(v, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](v)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_numpy(reduction):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    p, y = _sig(a), (rng.random((4, 3)) > 0.5).astype(np.float64)
    w = rng.random(3) + 0.5
    pw = rng.random(3) + 0.5
    T = nc.tensor
    tol = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np_of(nn.MSELoss(reduction=reduction)(T(a), T(b))), _reduce((a - b) ** 2, reduction),
                               **tol)
    np.testing.assert_allclose(np_of(F.mse_loss(T(a), T(b), reduction=reduction)), _reduce((a - b) ** 2, reduction),
                               **tol)
    np.testing.assert_allclose(np_of(nn.L1Loss(reduction=reduction)(T(a), T(b))), _reduce(np.abs(a - b), reduction),
                               **tol)
    np.testing.assert_allclose(np_of(F.l1_loss(T(a), T(b), reduction=reduction)), _reduce(np.abs(a - b), reduction),
                               **tol)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(np_of(nn.BCELoss(reduction=reduction)(T(p), T(y))), _reduce(bce, reduction), **tol)
    np.testing.assert_allclose(np_of(nn.BCELoss(weight=T(w), reduction=reduction)(T(p), T(y))),
                               _reduce(w * bce, reduction), **tol)
    np.testing.assert_allclose(np_of(F.binary_cross_entropy(T(p), T(y), reduction=reduction)), _reduce(bce, reduction),
                               **tol)
    np.testing.assert_allclose(np_of(nn.BCEWithLogitsLoss(reduction=reduction)(T(a), T(y))), _reduce(bce, reduction),
                               **tol)
    bce_pw = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(np_of(nn.BCEWithLogitsLoss(pos_weight=T(pw), reduction=reduction)(T(a), T(y))),
                               _reduce(bce_pw, reduction), **tol)
    np.testing.assert_allclose(np_of(F.binary_cross_entropy_with_logits(T(a), T(y), weight=T(w), reduction=reduction)),
                               _reduce(w * bce, reduction), **tol)
    # Cross entropy / NLL over 3 classes, class weights, one ignored target.
    tgt = np.array([0, 2, 1, -100])
    logp = a - np.log(np.exp(a).sum(1, keepdims=True))
    keep = tgt != -100
    picked = -logp[np.arange(4), np.where(keep, tgt, 0)] * keep
    wt = w[np.where(keep, tgt, 0)] * keep
    ref_none = picked * wt
    ref = {"none": ref_none, "sum": ref_none.sum(), "mean": ref_none.sum() / wt.sum()}[reduction]
    np.testing.assert_allclose(np_of(nn.CrossEntropyLoss(weight=T(w), reduction=reduction)(T(a), T(tgt))), ref, **tol)
    np.testing.assert_allclose(np_of(F.cross_entropy(T(a), T(tgt), T(w), reduction=reduction)), ref, **tol)
    np.testing.assert_allclose(np_of(nn.NLLLoss(weight=T(w), reduction=reduction)(T(logp), T(tgt))), ref, **tol)
    np.testing.assert_allclose(np_of(F.nll_loss(T(logp), T(tgt), weight=T(w), reduction=reduction)), ref, **tol)
    # Label smoothing (no weights, no ignored targets): targets (1 - s) onehot + s / C.
    s, t3 = 0.1, np.array([0, 2, 1, 1])
    q = (1 - s) * np.eye(3)[t3] + s / 3
    ls = -(q * logp).sum(1)
    np.testing.assert_allclose(np_of(nn.CrossEntropyLoss(label_smoothing=s, reduction=reduction)(T(a), T(t3))),
                               _reduce(ls, reduction), **tol)


def test_loss_reduction_validated():
    for cls in (nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss, nn.NLLLoss):
        with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
            cls(reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(nc.zeros(2), nc.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    # PyTorch's legacy flags map onto reduction.
    a, b = nc.tensor([1.0, 2.0]), nc.tensor([0.0, 0.0])
    assert F.mse_loss(a, b, size_average=False).item() == 5.0
    assert F.mse_loss(a, b, reduce=False).shape == (2,)


# ---------------------------------------------------------------- init

def test_init_formulas():
    assert nn.init.calculate_gain("linear") == 1.0 and nn.init.calculate_gain("sigmoid") == 1.0
    assert nn.init.calculate_gain("tanh") == 5.0 / 3
    assert nn.init.calculate_gain("relu") == math.sqrt(2.0)
    assert nn.init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01 ** 2))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert nn.init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        nn.init.calculate_gain("foo")
    assert nn.init._calculate_fan_in_and_fan_out(nc.zeros(5, 3, 2, 2)) == (12, 20)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init._calculate_fan_in_and_fan_out(nc.zeros(4))
    nc.manual_seed(0)
    w = nn.Parameter(nc.empty(300, 40))
    assert nn.init.kaiming_uniform_(w, a=0, nonlinearity="relu") is w  # in place, allowed on a parameter
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 40)
    assert np.abs(np_of(w)).max() <= bound and np.abs(np_of(w)).max() > 0.99 * bound
    nn.init.kaiming_uniform_(w, mode="fan_out")
    bound = math.sqrt(2.0 / (1 + 0.01 ** 2)) * math.sqrt(3.0 / 300)
    assert np.abs(np_of(w)).max() <= bound and np.abs(np_of(w)).max() > 0.99 * bound
    nn.init.xavier_uniform_(w, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / 340)
    assert np.abs(np_of(w)).max() <= bound and np.abs(np_of(w)).max() > 0.99 * bound
    nn.init.normal_(w, 3.0, 0.5)
    assert abs(np_of(w).mean() - 3.0) < 0.02 and abs(np_of(w).std() - 0.5) < 0.02
    nn.init.uniform_(w, -2.0, -1.0)
    assert np_of(w).min() >= -2.0 and np_of(w).max() <= -1.0
    assert np.all(np_of(nn.init.constant_(w, 0.25)) == 0.25)
    assert np.all(np_of(nn.init.zeros_(w)) == 0.0) and np.all(np_of(nn.init.ones_(w)) == 1.0)
    assert w.grad_fn is None and w.requires_grad


# ---------------------------------------------------------------- docstring examples

@pytest.mark.parametrize("name", [
    "neurocore.nn", "neurocore.nn.module", "neurocore.nn.parameter", "neurocore.nn.linear", "neurocore.nn.container",
    "neurocore.nn.loss", "neurocore.nn.functional", "neurocore.nn.init", "neurocore.optim.sgd",
    "neurocore.data.dataset", "neurocore.data.dataloader", "neurocore.datasets._digits",
    "neurocore.datasets._synthetic"])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0
