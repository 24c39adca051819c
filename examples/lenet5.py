"""LeNet-5 on the bundled 8x8 digits, upscaled to 32x32.

LeCun et al. (1998): conv 6@5x5 tanh -> avg-pool 2 -> conv 16@5x5 tanh -> avg-pool 2 -> flatten
-> 120 -> 84 -> 10. Prints the test accuracy on a held-out 20% split and the training time.

    python examples/lenet5.py [--epochs 15] [--batch-size 32] [--optimizer adam|sgd] [--lr 2e-3] [--seed 0]
"""
import argparse

import numpy as np

import neurocore as nc
from neurocore.cli import load_digits_images
import neurocore.nn as nn
from _training import train_epochs


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Tanh(),
        nn.Linear(120, 84), nn.Tanh(),
        nn.Linear(84, 10),
    )


def load_digits_32x32(seed=0, test_fraction=0.2):
    """(x_train, y_train, x_test, y_test): images (N, 1, 32, 32), bilinearly upscaled from 8x8 and
    standardised with the training set's mean and std; a seeded random split (the `neurocore` command's data,
    moved to channels-first)."""
    x_train, y_train, x_test, y_test = load_digits_images(32, seed=seed, test_fraction=test_fraction)
    return (nc.tensor(np.ascontiguousarray(x_train.transpose(0, 3, 1, 2))), nc.tensor(y_train),
            nc.tensor(np.ascontiguousarray(x_test.transpose(0, 3, 1, 2))), nc.tensor(y_test))


def train(epochs=15, batch_size=32, lr=2e-3, optimizer="adam", seed=0, verbose=True):
    nc.manual_seed(seed)
    x_train, y_train, x_test, y_test = load_digits_32x32(seed)
    model = lenet5()
    if optimizer == "adam":
        opt = nc.optim.Adam(model.parameters(), lr=lr)
    else:
        opt = nc.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    acc, seconds = train_epochs(model, opt, (x_train, y_train, x_test, y_test), epochs, batch_size, verbose)
    if verbose:
        print(f"LeNet-5 on digits: test accuracy {acc:.4f} after {epochs} epochs in {seconds:.1f} s "
              f"({nc.get_num_threads()} threads)")
    return acc, seconds


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--lr", type=float, default=None, help="default 2e-3 for adam, 0.05 for sgd (momentum 0.9)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    lr = a.lr if a.lr is not None else (2e-3 if a.optimizer == "adam" else 0.05)
    train(a.epochs, a.batch_size, lr, a.optimizer, seed=a.seed)
