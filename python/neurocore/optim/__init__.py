"""Optimizers (PyTorch-style): each step is one fused core call per parameter group."""
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD"]
