"""Keras initializers by name, as in-place functions on a weight tensor (fans computed as nn.init does)."""
from ..nn import init as _init

__all__ = ["get"]

def _glorot_normal(t):
    fan_in, fan_out = _init._calculate_fan_in_and_fan_out(t)
    _init.trunc_normal_(t, 0.0, (2.0 / (fan_in + fan_out)) ** 0.5 / 0.87962566103423978, -2, 2)  # Keras: truncated
    return t


def _fan_init(scale, mode, dist):
    def f(t):
        fan_in, fan_out = _init._calculate_fan_in_and_fan_out(t)
        fan = fan_in if mode == "fan_in" else (fan_in + fan_out) / 2
        if dist == "uniform":
            limit = (3.0 * scale / fan) ** 0.5
            return _init.uniform_(t, -limit, limit)
        return _init.trunc_normal_(t, 0.0, (scale / fan) ** 0.5 / 0.87962566103423978, -2, 2)
    return f


_INITIALIZERS = {
    "glorot_uniform": _init.xavier_uniform_, "glorot_normal": _glorot_normal,
    "he_uniform": _fan_init(2.0, "fan_in", "uniform"), "he_normal": _fan_init(2.0, "fan_in", "normal"),
    "lecun_uniform": _fan_init(1.0, "fan_in", "uniform"), "lecun_normal": _fan_init(1.0, "fan_in", "normal"),
    "zeros": _init.zeros_, "ones": _init.ones_,
    "random_normal": lambda t: _init.normal_(t, 0.0, 0.05),
    "random_uniform": lambda t: _init.uniform_(t, -0.05, 0.05),
}


def get(name):
    if callable(name):
        return name
    if isinstance(name, str) and name in _INITIALIZERS:
        return _INITIALIZERS[name]
    raise ValueError(f"Unknown initializer: {name!r}. Known initializers: {sorted(_INITIALIZERS)}")


