"""Keras weight regularizers: penalties added to the training loss.

A regularizer is called on a weight tensor and returns a scalar tensor (part of the autograd graph, so the
penalty's gradient reaches the weight). Keras' formula, without a factor 1/2:
``penalty = l1 * sum(|w|) + l2 * sum(w ** 2)``.

>>> import neurocore as nc
>>> from neurocore.keras import regularizers
>>> round(regularizers.L2(0.5)(nc.tensor([1.0, -2.0])).item(), 6)
2.5
>>> regularizers.get("l1").get_config()
{'l1': 0.01}
"""
import math

from .._tensor import tensor
from ._identifiers import Configurable, get_object, serialize_object

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize", "in_keras_layout"]


def _factor(value, name):
    """Keras accepts a finite non-negative number; None means the default was not wanted (0)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isinf(value) or \
            math.isnan(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. Received: "
                         f"{name}={value!r}")
    return float(value)


class Regularizer(Configurable):
    """Base class: ``__call__(weight) -> scalar tensor``, ``get_config()`` and ``from_config(config)``."""

    def __call__(self, x):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w ** 2)``; both factors default to 0 (as Keras' class)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        terms = ([x.abs().sum() * self.l1] if self.l1 else []) + ([x.square().sum() * self.l2] if self.l2 else [])
        if not terms:
            return tensor(0.0, dtype=x.dtype)
        return terms[0] + terms[1] if len(terms) == 2 else terms[0]

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|w|)``, default l1 = 0.01."""

    def __init__(self, l1=0.01):
        self.l1 = _factor(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return x.abs().sum() * self.l1

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(w ** 2)``, default l2 = 0.01 (no factor 1/2, as Keras)."""

    def __init__(self, l2=0.01):
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return x.square().sum() * self.l2

    def get_config(self):
        return {"l2": self.l2}


# Keras 3 exports the lower-case names as aliases of the classes (keras.regularizers.l1_l2 is L1L2).
l1 = L1
l2 = L2
l1_l2 = L1L2

# String identifiers. "l1_l2" gets 0.01 for both factors, as Keras documents for the string (Keras 3.15's own
# get() rejects "l1_l2"); "l1l2"/"L1L2" make the class with its defaults (0, 0) as Keras does.
_BY_NAME = {
    "l1": L1, "L1": L1, "l2": L2, "L2": L2, "l1l2": L1L2, "L1L2": L1L2,
    "l1_l2": lambda: L1L2(l1=0.01, l2=0.01),
}
_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    """A regularizer from None, a regularizer object or callable, a string name ("l1", "l2", "l1_l2") or a
    ``{"class_name": ..., "config": {...}}`` dict."""
    return get_object(identifier, "regularizer", Regularizer, _BY_NAME, _CLASSES, sorted(_BY_NAME))


def serialize(regularizer):
    """``{"class_name": ..., "config": ...}`` of a regularizer object (None stays None)."""
    return serialize_object(regularizer, "regularizer", Regularizer)


def in_keras_layout(regularizer, keras_view):
    """What a layer registers for a weight kept in nn layout: the built-in penalties do not depend on the layout,
    so they take the nn tensor as is; any other callable sees ``keras_view(weight)`` (Keras layout), as in Keras."""
    if regularizer is None or type(regularizer) in (L1, L2, L1L2):
        return regularizer
    return lambda weight: regularizer(keras_view(weight))
