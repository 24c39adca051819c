"""Keras activations by name: ``get("relu")`` gives the nc function (None for identity)."""
from ..nn import functional as F

__all__ = ["get", "serialize"]

_ACTIVATIONS = {
    "linear": None, None: None,
    "relu": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh,
    "softmax": lambda x: F.softmax(x, dim=-1),
    "log_softmax": lambda x: F.log_softmax(x, dim=-1),
    "elu": F.elu, "selu": F.selu, "gelu": F.gelu, "silu": F.silu, "swish": F.silu, "mish": F.mish,
    "softplus": F.softplus, "softsign": F.softsign, "relu6": F.relu6,
    "hard_sigmoid": F.hardsigmoid, "hard_silu": F.hardswish, "hard_swish": F.hardswish,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),  # Keras' activations.leaky_relu default slope
}


def get(activation):
    """A callable (or None for identity) from a Keras activation name or a callable."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str) and activation in _ACTIVATIONS:
        return _ACTIVATIONS[activation]
    raise ValueError(f"Unknown activation: {activation!r}. Known activations: "
                     f"{sorted(k for k in _ACTIVATIONS if k)}")


def serialize(activation):
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    return getattr(activation, "__name__", "custom")


