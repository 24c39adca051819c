"""Keras activations: functions with Keras' names and arguments over nc.nn.functional, ``get`` (a name or a
callable -> a callable; None or "linear" -> None, meaning identity) and ``serialize`` (a callable -> its Keras name).

>>> from neurocore.keras import activations
>>> activations.serialize(activations.get("swish"))
'silu'
>>> activations.get("relu") is activations.relu
True
"""
from .. import _core
from ..nn import functional as F

__all__ = ["get", "serialize", "linear", "relu", "relu6", "leaky_relu", "elu", "celu", "selu", "gelu", "sigmoid",
           "hard_sigmoid", "tanh", "hard_tanh", "silu", "swish", "hard_silu", "hard_swish", "mish", "softplus",
           "softsign", "softmax", "log_softmax", "log_sigmoid", "exponential"]


def linear(x):
    """Identity."""
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """x for x >= threshold, else negative_slope * (x - threshold); then clipped at max_value (Keras' relu)."""
    if negative_slope == 0.0 and threshold == 0.0:
        y = F.relu(x)
    else:
        y = _core.where(x >= threshold, x, (x - threshold) * negative_slope)
    return y if max_value is None else y.clamp(max=max_value)


def relu6(x):
    """min(max(x, 0), 6)."""
    return F.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, negative_slope * x otherwise (Keras' default slope 0.2)."""
    return F.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return F.elu(x, alpha)


def celu(x, alpha=1.0):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return F.celu(x, alpha)


def selu(x):
    """scale * elu(x, alpha) with the self-normalising constants (Klambauer et al. 2017)."""
    return F.selu(x)


def gelu(x, approximate=False):
    """x * Phi(x); approximate=True uses the tanh formula (Keras 3's default is exact)."""
    return F.gelu(x, "tanh" if approximate else "none")


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return F.sigmoid(x)


def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    return F.hardsigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return F.tanh(x)


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    return F.hardtanh(x)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return F.silu(x)


def hard_silu(x):
    """x * hard_sigmoid(x) (also called hard_swish)."""
    return F.hardswish(x)


def mish(x):
    """x * tanh(softplus(x))."""
    return F.mish(x)


def softplus(x):
    """log(1 + exp(x))."""
    return F.softplus(x)


def softsign(x):
    """x / (1 + |x|)."""
    return F.softsign(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``."""
    return F.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``."""
    return F.log_softmax(x, dim=axis)


def log_sigmoid(x):
    """log(sigmoid(x)) without overflow."""
    return F.logsigmoid(x)


def exponential(x):
    """exp(x)."""
    return x.exp()


swish = silu
hard_swish = hard_silu

_BY_NAME = {f.__name__: f for f in (linear, relu, relu6, leaky_relu, elu, celu, selu, gelu, sigmoid, hard_sigmoid,
                                    tanh, hard_tanh, silu, hard_silu, mish, softplus, softsign, softmax,
                                    log_softmax, log_sigmoid, exponential)}
_ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}


def get(activation):
    """A callable (None for identity) from a Keras activation name, None, or a callable (returned as is)."""
    if activation is None:
        return None
    if isinstance(activation, str):
        name = _ALIASES.get(activation, activation)
        if name not in _BY_NAME:
            raise ValueError(f"Unknown activation: {activation!r}. Known activations: "
                             f"{sorted(set(_BY_NAME) | set(_ALIASES))}")
        return None if name == "linear" else _BY_NAME[name]
    if callable(activation):
        return activation
    raise TypeError(f"activation must be a string, a callable or None, got {type(activation).__name__}")


def serialize(activation):
    """The Keras name of an activation: "linear" for None, the canonical name for a known name or function
    ("swish" -> "silu"), else the callable's ``__name__``."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        get(activation)  # validates
        return _ALIASES.get(activation, activation)
    for name, f in _BY_NAME.items():
        if f is activation:
            return name
    return getattr(activation, "__name__", type(activation).__name__)
