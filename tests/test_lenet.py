"""LeNet-5 on the digits (examples/lenet5.py) reaches the stated accuracy."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))

from lenet5 import train  # noqa: E402


def test_lenet5_digits_at_least_97_percent():
    # Seed 0 split (359 test images); over seeds 0-4 the accuracy ranged 97.5-98.3%.
    acc, _ = train(epochs=15, batch_size=32, lr=2e-3, optimizer="adam", seed=0, verbose=False)
    assert acc >= 0.97, acc
