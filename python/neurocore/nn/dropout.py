"""Dropout layers: Dropout, Dropout1d, Dropout2d (whole channels), AlphaDropout and FeatureAlphaDropout (for
SELU networks). Active in training mode only; in evaluation mode they return their input unchanged. Masks
come from the global generator, so results are reproducible under ``nc.manual_seed``.

>>> import neurocore as nc
>>> drop = nc.nn.Dropout(p=0.2)
>>> drop
Dropout(p=0.2, inplace=False)
>>> x = nc.ones(4, 5)
>>> drop.eval()(x) is x
True
"""
from __future__ import annotations

from . import functional as F
from .module import Module
from .._core import Tensor

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        F._check_dropout_p(type(self).__name__, p)
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability p during training and scales the kept ones by 1 / (1 - p)
    (inverted dropout, Srivastava et al. 2014); the identity in evaluation mode. p must be in [0, 1).

    >>> import neurocore as nc
    >>> _ = nc.manual_seed(0)
    >>> y = nc.nn.Dropout(p=0.5)(nc.ones(10000))
    >>> sorted(set(y.tolist())), abs(y.mean().item() - 1) < 0.05
    ([0.0, 2.0], True)
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return F.dropout(input, self.p, self.training)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) or (C, L) with probability p (training only), scaling the kept ones
    by 1 / (1 - p)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout1d(input, self.p, self.training)


class Dropout2d(_DropoutNd):
    """Zeroes whole (n, c) planes of (N, C, H, W) with probability p (training only), scaling the kept ones by
    1 / (1 - p): neighbouring pixels are correlated, so per-element dropout would barely regularize
    convolutions (Tompson et al. 2015).

    >>> import neurocore as nc
    >>> y = nc.nn.Dropout2d(p=0.5)(nc.ones(2, 8, 3, 3))
    >>> sorted(set(y.reshape(16, 9).max(1)[0].tolist())) <= [0.0, 2.0]
    True
    """

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout2d(input, self.p, self.training)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps zero mean and unit variance, for self-normalizing (SELU) networks (Klambauer et al.
    2017): dropped elements take SELU's negative saturation value -lambda*alpha, then y = a * x + b with
    a = ((1 - p)(1 + p (lambda alpha)^2))^(-1/2), b = a * lambda * alpha * p. Identity in evaluation mode."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole (n, c) channels of (N, C, *)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.feature_alpha_dropout(input, self.p, self.training)
