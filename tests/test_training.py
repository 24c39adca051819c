"""End-to-end training checks: a published worked backprop example (exact numbers), XOR with a
2-2-1 sigmoid MLP, and an MLP on the 8x8 digits reaching >= 95% test accuracy."""
import numpy as np

import neurocore as nc
from neurocore import nn


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_worked_backprop_example():
    """The 2-2-2 sigmoid network of M. Mazur's "A Step by Step Backpropagation Example" (2015):
    loss 0.5 * sum((target - out)^2) = 0.298371109 and, after one SGD step with lr 0.5,
    w5 (h1 -> o1) = 0.35891648 (the published, rounded values), checked against a numpy
    forward/backward pass of the same network as well."""
    x = np.array([[0.05, 0.10]])
    target = np.array([[0.01, 0.99]])
    W1 = np.array([[0.15, 0.20],   # h1 <- (i1: w1, i2: w2)
                   [0.25, 0.30]])  # h2 <- (i1: w3, i2: w4)
    b1 = np.array([0.35, 0.35])
    W2 = np.array([[0.40, 0.45],   # o1 <- (h1: w5, h2: w6)
                   [0.50, 0.55]])  # o2 <- (h1: w7, h2: w8)
    b2 = np.array([0.60, 0.60])

    # numpy reference: forward and backward by hand.
    h = _sigmoid(x @ W1.T + b1)
    o = _sigmoid(h @ W2.T + b2)
    ref_loss = 0.5 * np.sum((target - o) ** 2)
    d_o = (o - target) * o * (1 - o)
    dW2, db2 = d_o.T @ h, d_o.sum(0)
    d_h = (d_o @ W2) * h * (1 - h)
    dW1, db1 = d_h.T @ x, d_h.sum(0)

    net = nn.Sequential(nn.Linear(2, 2, dtype=nc.float64), nn.Sigmoid(),
                        nn.Linear(2, 2, dtype=nc.float64), nn.Sigmoid())
    net.load_state_dict({"0.weight": W1, "0.bias": b1, "2.weight": W2, "2.bias": b2})
    opt = nc.optim.SGD(net.parameters(), lr=0.5)
    out = net(nc.tensor(x))
    loss = 0.5 * nn.MSELoss(reduction="sum")(out, nc.tensor(target))
    assert loss.dtype == nc.float64
    assert abs(loss.item() - ref_loss) < 1e-15
    assert abs(loss.item() - 0.298371109) < 1e-9
    loss.backward()
    for p, g in zip(net.parameters(), [dW1, db1, dW2, db2]):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-12, atol=1e-15)
    opt.step()
    new_W1, new_W2 = net[0].weight.detach().numpy(), net[2].weight.detach().numpy()
    np.testing.assert_allclose(new_W2, W2 - 0.5 * dW2, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(new_W1, W1 - 0.5 * dW1, rtol=1e-14, atol=1e-15)
    assert abs(new_W2[0, 0] - 0.35891648) < 1e-8  # w5
    # The other published updates (w6, w7, w8; w1..w4), rounded to 8-9 digits there.
    np.testing.assert_allclose(new_W2, [[0.35891648, 0.408666186], [0.511301270, 0.561370121]], atol=1e-8)
    np.testing.assert_allclose(new_W1, [[0.149780716, 0.19956143], [0.24975114, 0.29950229]], atol=1e-8)


def test_xor_2_2_1_sigmoid_mlp():
    """2-2-1 sigmoid MLP, BCE, plain full-batch SGD lr 5.0, 1000 steps. The initial weights are
    drawn from Linear's default distribution U(-1/sqrt(2), 1/sqrt(2)) by numpy's generator with
    seed 0, so the run does not depend on the core's generator. (With these settings 18 of numpy
    seeds 0..19 solve XOR; 2 hidden units can stall in a local minimum for a few seeds.)"""
    X, y = nc.datasets.make_xor()
    Y = y.float().unsqueeze(1)
    rng = np.random.default_rng(0)
    b = 1 / np.sqrt(2)
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    net.load_state_dict({"0.weight": rng.uniform(-b, b, (2, 2)), "0.bias": rng.uniform(-b, b, 2),
                         "2.weight": rng.uniform(-b, b, (1, 2)), "2.bias": rng.uniform(-b, b, 1)})
    opt = nc.optim.SGD(net.parameters(), lr=5.0)
    loss_fn = nn.BCELoss()
    first = None
    for _ in range(1000):
        opt.zero_grad()
        loss = loss_fn(net(X), Y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    with nc.no_grad():
        out = net(X).numpy().ravel()
    assert first > 0.6 and loss.item() < 0.05
    assert out[0] < 0.5 and out[1] > 0.5 and out[2] > 0.5 and out[3] < 0.5, out


def test_digits_mlp_reaches_95_percent():
    """64-64-10 ReLU MLP, cross entropy, SGD lr 0.05 momentum 0.9, batch 32, 15 epochs on a fixed
    80/20 split (numpy permutation, seed 0), pixels scaled to [0, 1]. Reaches ~97.5% test accuracy
    (97.2-98.6% over seeds 0..4)."""
    X, y = nc.datasets.load_digits(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(y))
    train, test = nc.tensor(perm[:1437]), nc.tensor(perm[1437:])
    X = X / 16.0
    Xtr, ytr, Xte, yte = X.index_select(0, train), y.index_select(0, train), X.index_select(0, test), \
        y.index_select(0, test)
    nc.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = nc.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    loader = nc.data.DataLoader(nc.data.TensorDataset(Xtr, ytr), batch_size=32, shuffle=True)
    net.train()
    for _ in range(15):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(net(xb), yb)
            loss.backward()
            opt.step()
    net.eval()
    with nc.no_grad():
        pred = net(Xte).argmax(1).numpy()
    acc = float((pred == yte.numpy()).mean())
    assert acc >= 0.95, f"test accuracy {acc:.4f}"
