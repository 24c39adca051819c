"""Turn the x / y given to fit, evaluate and predict into lists of numpy arrays, one per model input / output.

x and y may be one array (one input / output), a list or tuple in the model's order, or a dict keyed by input /
output name; arrays may be numpy arrays, nested Python lists or neurocore tensors.
"""
import math

import numpy as np

from .. import _core

__all__ = []


def to_numpy(a, what):
    if isinstance(a, _core.Tensor):
        a = a.detach().numpy()
    try:
        a = np.asarray(a)
    except Exception as e:  # noqa: BLE001 - numpy raises many kinds
        raise ValueError(f"{what} must be a numpy array or a tensor, got {type(a).__name__}") from e
    if a.dtype == object:
        raise ValueError(f"{what} must be a numeric array, got dtype object (ragged or mixed data?)")
    if a.ndim < 1:
        raise ValueError(f"{what} must have a batch axis, got a scalar")
    return a


def as_input(a, dtype="float32"):
    """Model inputs: float data in the input's float dtype, integer/bool data as int64 where the input is one."""
    if dtype in ("int64", "int32"):
        target = np.int64
    elif dtype == "bool":
        target = np.bool_
    elif dtype == "float64":
        target = np.float64
    else:
        target = np.float32
    return a if a.dtype == target and a.flags.c_contiguous else np.ascontiguousarray(a, dtype=target)


def as_target(a):
    """Targets: integer/bool labels as int64 (class indices), everything else float32."""
    if np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_:
        return np.ascontiguousarray(a, dtype=np.int64)
    return np.ascontiguousarray(a, dtype=np.float32)


def split_by_keys(data, keys, what, optional=()):
    """``data`` as a list with one entry per key (None where a key in ``optional`` has no data)."""
    n = len(keys)
    if isinstance(data, dict):
        missing = [k for k in keys if k not in data and k not in optional]
        if missing:
            raise ValueError(f"Missing data for {what} {missing[0]!r}. You passed a data dictionary with keys "
                             f"{list(data)}. Expected the following keys: {list(keys)}")
        unknown = [k for k in data if k not in keys]
        if unknown:
            raise ValueError(f"{what} data has keys {unknown} that match no model {what}; the model's {what} "
                             f"names are {list(keys)}")
        return [data.get(k) for k in keys]
    if n == 1:
        if isinstance(data, (list, tuple)) and len(data) == 1 and isinstance(data[0], (np.ndarray, _core.Tensor)):
            return [data[0]]
        return [data]
    if isinstance(data, (list, tuple)) and len(data) == n:
        return list(data)
    got = f"a {type(data).__name__} of length {len(data)}" if isinstance(data, (list, tuple)) else \
        f"a single {type(data).__name__}"
    raise ValueError(f"The model has {n} {what}s {list(keys)}: pass {what} data as a list of {n} arrays or as a "
                     f"dict keyed by {what} name; got {got}")


def adjust_rank(a, shape, index, model_name):
    """Keras' input rank fix-up: squeeze a trailing size-1 axis or add one where the input expects it; then
    check the shape."""
    if shape is None:
        return a
    if a.ndim == len(shape) + 2 and a.shape[-1] == 1:
        a = a.reshape(a.shape[:-1])
    elif a.ndim == len(shape) and len(shape) > 0 and shape[-1] == 1:
        a = a.reshape(a.shape + (1,))
    if tuple(a.shape[1:]) != tuple(shape):
        raise ValueError(f'Input {index} of layer "{model_name}" is incompatible with the layer: expected shape='
                         f"{(None,) + tuple(shape)}, found shape={(None,) + tuple(a.shape[1:])}")
    return a


def check_cardinality(xs, ys):
    sizes_x = [a.shape[0] for a in xs if a is not None]
    sizes_y = [a.shape[0] for a in ys if a is not None] if ys is not None else []
    sizes = sizes_x + sizes_y
    if len(set(sizes)) > 1:
        msg = "Data cardinality is ambiguous: x sizes: " + ", ".join(map(str, sizes_x))
        if sizes_y:
            msg += ", y sizes: " + ", ".join(map(str, sizes_y))
        raise ValueError(msg + ". Make sure all arrays contain the same number of samples.")
    if not sizes or sizes[0] == 0:
        raise ValueError("x must have a batch axis with at least one sample")
    return sizes[0]


def split_validation(arrays, fraction, n):
    """Keras' validation_split: the last ``fraction`` of the samples (before any shuffling)."""
    at = int(math.ceil(n * (1.0 - fraction)))
    if at == 0 or at == n:
        raise ValueError(f"validation_split={fraction} leaves no training or validation samples out of {n}")
    return [None if a is None else a[:at] for a in arrays], [None if a is None else a[at:] for a in arrays]
