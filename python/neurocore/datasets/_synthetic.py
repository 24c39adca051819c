"""Small generated classification problems (numpy generation, returned as tensors)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._core import Tensor

__all__ = ["make_xor", "make_spirals"]

_CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
_XOR = np.array([0, 1, 1, 0], dtype=np.int64)


def _tensors(X: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> tuple[Tensor, Tensor]:  # noqa: N803
    return (_core.from_numpy(np.ascontiguousarray(X, dtype=np.float32)),
            _core.from_numpy(np.ascontiguousarray(y, dtype=np.int64)))


def _check(n_samples: int, noise: float, minimum: int) -> None:
    if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool) or n_samples < minimum:
        raise ValueError(f"n_samples must be an integer >= {minimum}, got {n_samples!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")


def make_xor(n_samples: int = 4, noise: float = 0.0, random_state: int | None = None) -> tuple[Tensor, Tensor]:
    """The XOR problem: points near the corners of the unit square, label = x0 XOR x1.

    Sample i sits at corner i % 4 of (0, 0), (0, 1), (1, 0), (1, 1) (labels 0, 1, 1, 0), plus
    Gaussian noise of standard deviation ``noise``. The default gives exactly the 4 XOR rows.
    Returns ``(X, y)``: X (n_samples, 2) float32 and y (n_samples,) int64 (use
    ``y.float().unsqueeze(1)`` as a BCE target for a single-output network).
    ``random_state`` seeds ``np.random.default_rng``.

    >>> import neurocore as nc
    >>> X, y = nc.datasets.make_xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    _check(n_samples, noise, 1)
    idx = np.arange(n_samples) % 4
    X = _CORNERS[idx].copy()
    if noise > 0:
        X += noise * np.random.default_rng(random_state).standard_normal(X.shape)
    return _tensors(X, _XOR[idx])


def make_spirals(n_samples: int = 200, n_classes: int = 2, noise: float = 0.0, turns: float = 1.0,
                 random_state: int | None = None) -> tuple[Tensor, Tensor]:
    """``n_classes`` interleaved spiral arms in the plane (two by default).

    Arm k holds n_samples // n_classes points (the first n_samples % n_classes arms one more):
    point j at t = (j + 1) / n_k lies at radius t and angle 2 pi (turns * t + k / n_classes),
    plus Gaussian noise of standard deviation ``noise``. Samples are ordered arm by arm.
    Returns ``(X, y)``: X (n_samples, 2) float32 within about [-1, 1]^2 and y (n_samples,)
    int64 arm labels. ``random_state`` seeds ``np.random.default_rng``.

    >>> import neurocore as nc
    >>> X, y = nc.datasets.make_spirals(100, noise=0.05, random_state=0)
    >>> X.shape, (y == 0).sum().item(), (y == 1).sum().item()
    ((100, 2), 50, 50)
    """
    if not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    _check(n_samples, noise, n_classes)
    rng = np.random.default_rng(random_state)
    counts = [n_samples // n_classes + (1 if k < n_samples % n_classes else 0) for k in range(n_classes)]
    xs, ys = [], []
    for k, n_k in enumerate(counts):
        t = (np.arange(n_k) + 1.0) / n_k
        angle = 2 * np.pi * (turns * t + k / n_classes)
        xs.append(np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1))
        ys.append(np.full(n_k, k, dtype=np.int64))
    X = np.concatenate(xs)
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
    return _tensors(X, np.concatenate(ys))
