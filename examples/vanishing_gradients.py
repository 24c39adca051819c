"""Vanishing gradients in a 20-layer MLP on the bundled 8x8 digits, and two cures.

A deep stack of sigmoid layers with PyTorch's default initialisation passes back at most sigmoid'(0) = 1/4
times a weight of size about 1/sqrt(3) per layer, so the gradient reaching the first layer is many orders of
magnitude smaller than the last layer's (Hochreiter 1991; Glorot & Bengio 2010) and the first layers barely
learn. The same depth trains when the signal keeps its scale:
  relu_he     ReLU with He (kaiming) initialisation, std = sqrt(2 / fan_in) (He et al. 2015);
  sigmoid_bn  the same sigmoids with BatchNorm1d before each one (Ioffe & Szegedy 2015).
The script prints each variant's per-layer weight-gradient norms at initialisation, the first/last ratio and the
test accuracy after training.

    python examples/vanishing_gradients.py [--depth 20] [--width 128] [--epochs 20] [--seed 0]
"""
import argparse
import time

import numpy as np

import neurocore as nc
import neurocore.nn as nn
import neurocore.nn.functional as F

VARIANTS = ("sigmoid", "relu_he", "sigmoid_bn")


def load_digits(seed=0, test_fraction=0.2):
    """(x_train, y_train, x_test, y_test): pixels centred with the training set's per-pixel mean and scaled by
    its overall std (per-pixel stds would blow up pixels that are almost always blank), a seeded random split."""
    digits = nc.datasets.load_digits()
    x = digits.data.numpy().astype(np.float64)
    y = digits.target.numpy()
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    mean = x[train].mean(0)
    std = (x[train] - mean).std()
    x = ((x - mean) / std).astype(np.float32)
    return nc.tensor(x[train]), nc.tensor(y[train]), nc.tensor(x[test]), nc.tensor(y[test])


def make_mlp(variant, depth=20, width=128, n_in=64, n_out=10):
    """`depth` Linear layers: n_in -> width -> ... -> width -> n_out, an activation after each hidden one."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    layers = []
    for i in range(depth):
        fan_in = n_in if i == 0 else width
        last = i == depth - 1
        lin = nn.Linear(fan_in, n_out if last else width)
        if variant == "relu_he":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        layers.append(lin)
        if last:
            break
        if variant == "sigmoid_bn":
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU() if variant == "relu_he" else nn.Sigmoid())
    return nn.Sequential(*layers)


def linear_layers(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def gradient_norms(model, x, y):
    """L2 norm of each Linear layer's weight gradient (first layer first) for one cross-entropy backward on
    (x, y) in training mode."""
    model.train()
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    norms = [float(np.linalg.norm(m.weight.grad.numpy())) for m in linear_layers(model)]
    model.zero_grad()
    return norms


def accuracy(model, x, y):
    model.eval()
    with nc.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    model.train()
    return acc


def train(model, x, y, epochs=20, batch_size=64, lr=0.01, weight_decay=5e-4):
    """SGD with momentum 0.9 and weight decay on cross-entropy, shuffled minibatches, cosine learning-rate decay.
    (The 20-layer ReLU net fits the 1437 training images perfectly either way; weight decay and a modest
    learning rate keep its test accuracy up.)"""
    opt = nc.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    sched = nc.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loader = nc.data.DataLoader(nc.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        sched.step()
    return model


def run_variant(variant, depth=20, width=128, epochs=20, seed=0, data=None, train_model=True):
    """Build the variant, measure its gradient norms at initialisation on the whole training set, train it
    (unless train_model=False) and report {"variant", "grad_norms", "ratio" (last / first layer), "accuracy"}."""
    x_train, y_train, x_test, y_test = data if data is not None else load_digits(seed)
    nc.manual_seed(seed)
    model = make_mlp(variant, depth, width)
    norms = gradient_norms(model, x_train, y_train)
    result = {"variant": variant, "grad_norms": norms, "ratio": norms[-1] / max(norms[0], 1e-300),
              "accuracy": None}
    if train_model:
        train(model, x_train, y_train, epochs=epochs)
        result["accuracy"] = accuracy(model, x_test, y_test)
    return result


def main(depth=20, width=128, epochs=20, seed=0, variants=VARIANTS):
    data = load_digits(seed)
    results = []
    for v in variants:
        start = time.perf_counter()
        r = run_variant(v, depth, width, epochs, seed, data)
        r["seconds"] = time.perf_counter() - start
        results.append(r)
    print(f"{depth}-layer MLP (width {width}) on the digits: weight-gradient norm per layer at initialisation")
    print("layer  " + "  ".join(f"{v:>11s}" for v in variants))
    for i in range(depth):
        print(f"{i + 1:5d}  " + "  ".join(f"{r['grad_norms'][i]:11.3e}" for r in results))
    print()
    for r in results:
        print(f"{r['variant']:>11s}: last/first gradient-norm ratio {r['ratio']:10.3e}   test accuracy "
              f"{r['accuracy']:.4f}   ({r['seconds']:.1f} s, {epochs} epochs)")
    return results


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--depth", type=int, default=20)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    main(a.depth, a.width, a.epochs, a.seed)
