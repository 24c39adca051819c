"""A small residual network (He et al. 2016) on the bundled 8x8 digits.

    stem      conv 3x3, 1 -> 16 channels, BatchNorm2d, ReLU                      (N, 16, 8, 8)
    block 1   x + f(x),  f = conv-BN-ReLU-conv-BN, then ReLU                     (N, 16, 8, 8)
    block 2   stride 2, 16 -> 32 channels; the shortcut is a 1x1 conv + BN       (N, 32, 4, 4)
    head      global average pool, Linear(32, 10)

The skip connection is a plain `x + f(x)` in the graph: autograd adds the two gradients flowing back into x.
Prints the test accuracy on a held-out 20% split and the training time.

    python examples/resnet_block.py [--epochs 10] [--width 16] [--batch-size 64] [--lr 0.05] [--seed 0]
"""
import argparse

import numpy as np

import neurocore as nc
import neurocore.nn as nn
import neurocore.nn.functional as F
from _training import train_epochs


class BasicBlock(nn.Module):
    """relu(shortcut(x) + bn2(conv2(relu(bn1(conv1(x)))))); the shortcut is the identity when the shape is kept,
    else a strided 1x1 convolution with BatchNorm (ResNet's option B)."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_channels))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(self.shortcut(x) + out)


def resnet(width=16, n_classes=10):
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        BasicBlock(width, width),
        BasicBlock(width, 2 * width, stride=2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(2 * width, n_classes),
    )


def load_digits_images(seed=0, test_fraction=0.2):
    """(x_train, y_train, x_test, y_test): images (N, 1, 8, 8) standardised with the training set's mean and
    std, a seeded random split."""
    digits = nc.datasets.load_digits()
    images = digits.images.numpy()[:, None, :, :].astype(np.float64)
    labels = digits.target.numpy()
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(round(test_fraction * len(labels)))
    test, train = order[:n_test], order[n_test:]
    mean, std = images[train].mean(), images[train].std()
    images = ((images - mean) / std).astype(np.float32)
    return nc.tensor(images[train]), nc.tensor(labels[train]), nc.tensor(images[test]), nc.tensor(labels[test])


def train(epochs=10, width=16, batch_size=64, lr=0.05, seed=0, verbose=True):
    """SGD with momentum 0.9, weight decay 5e-4 and cosine decay. Returns (test accuracy, seconds)."""
    nc.manual_seed(seed)
    x_train, y_train, x_test, y_test = load_digits_images(seed)
    model = resnet(width)
    opt = nc.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    acc, seconds = train_epochs(model, opt, (x_train, y_train, x_test, y_test), epochs, batch_size, verbose)
    if verbose:
        n_params = sum(p.numel() for p in model.parameters())
        print(f"ResNet ({n_params} parameters) on digits: test accuracy {acc:.4f} after {epochs} epochs in "
              f"{seconds:.1f} s ({nc.get_num_threads()} threads)")
    return acc, seconds


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    train(a.epochs, a.width, a.batch_size, a.lr, a.seed)
