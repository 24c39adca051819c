"""Argument helpers shared by the Embedding and recurrent layers: the layer dtype, and a clear error for Keras
options these layers do not implement."""
from ... import _core
from ..._tensor import float32


def layer_dtype(dtype, layer_name):
    """The floating dtype a layer keeps its weights in: float32 (default) or float64."""
    if dtype is None:
        return float32
    try:
        dt = _core._parse_dtype(dtype)
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"{layer_name}: dtype must be 'float32' or 'float64', got {dtype!r}") from e
    if not dt.is_floating_point:
        raise ValueError(f"{layer_name}: dtype must be 'float32' or 'float64', got {dtype!r}")
    return dt


def reject(layer_name, option, value, why):
    """Raise NotImplementedError for a Keras option these layers cannot honour."""
    raise NotImplementedError(f"{layer_name}: {option}={value!r} is not supported ({why})")
