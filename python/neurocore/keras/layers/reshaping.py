"""Keras reshaping layers: Reshape, Permute, RepeatVector, ZeroPadding1D/2D, UpSampling1D/2D and
Cropping1D/2D, as tensor views and the core's cat (shapes exclude the batch axis, data is channels-last)."""
import math
import numbers

from ... import _core
from ..._tensor import zeros
from .base import Layer, _check_channels_last, _check_ndim

__all__ = ["Reshape", "Permute", "RepeatVector", "ZeroPadding1D", "ZeroPadding2D", "UpSampling1D", "UpSampling2D",
           "Cropping1D", "Cropping2D"]


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _pairs(value, n, name):
    """Keras' padding/cropping argument: an int (same both sides, every axis), n ints (same both sides) or n
    (before, after) pairs -> n pairs of non-negative ints."""
    if _is_int(value):
        pairs = ((int(value),) * 2,) * n
    elif n == 1 and isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        pairs = (tuple(int(v) for v in value),)
    elif isinstance(value, (tuple, list)) and len(value) == n and all(_is_int(v) for v in value):
        pairs = tuple((int(v), int(v)) for v in value)
    elif isinstance(value, (tuple, list)) and len(value) == n and all(
            isinstance(p, (tuple, list)) and len(p) == 2 and all(_is_int(v) for v in p) for p in value):
        pairs = tuple(tuple(int(v) for v in p) for p in value)
    else:
        raise ValueError(f"`{name}` should be an int, a tuple of {n} ints or a tuple of {n} tuples of 2 ints. "
                         f"Received: {name}={value!r}")
    if any(v < 0 for p in pairs for v in p):
        raise ValueError(f"`{name}` must be non-negative. Received: {name}={value!r}")
    return pairs


def _zero_pad(x, axis, before, after):
    if not (before or after):
        return x
    parts = []
    for size in (before, None, after):
        if size is None:
            parts.append(x)
        elif size:
            shape = list(x.shape)
            shape[axis] = size
            parts.append(zeros(*shape, dtype=x.dtype))
    return _core.cat(parts, axis)


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (batch axis excluded); one entry may be -1 (inferred).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import Reshape
    >>> Reshape((3, -1))(nc.zeros(2, 12)).shape
    (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target = tuple(target_shape)
        except TypeError:
            raise ValueError(f"Reshape: target_shape must be a tuple of ints, got {target_shape!r}") from None
        if not all(_is_int(d) and (d > 0 or d == -1) for d in target):
            raise ValueError(f"Reshape: target_shape entries must be positive ints or -1, got {target_shape!r}")
        if sum(d == -1 for d in target) > 1:
            raise ValueError(f"Reshape: target_shape can only have one unknown (-1) dimension, got {target_shape!r}")
        self.target_shape = tuple(int(d) for d in target)

    def _check_input(self, input_shape):
        size, known = math.prod(input_shape), math.prod(d for d in self.target_shape if d != -1)
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(f"The total size of the output must be unchanged: cannot reshape an input of shape "
                             f"{(None,) + tuple(input_shape)} ({size} values per sample) to target_shape="
                             f"{self.target_shape}")

    def call(self, x):
        return x.reshape(x.shape[0], *self.target_shape)


class Permute(Layer):
    """Permutes the non-batch axes: ``dims`` is a permutation of 1..rank (1 is the first axis after the batch).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import Permute
    >>> Permute((2, 1))(nc.zeros(4, 10, 64)).shape
    (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={dims!r}")
        self.dims = tuple(int(d) for d in dims)

    def _check_input(self, input_shape):
        _check_ndim(self, input_shape, len(self.dims) + 1)

    def call(self, x):
        return x.permute(0, *self.dims)


class RepeatVector(Layer):
    """Repeats each (features,) sample ``n`` times: (N, F) -> (N, n, F).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import RepeatVector
    >>> RepeatVector(3)(nc.tensor([[1.0, 2.0]])).tolist()
    [[[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(n) or n <= 0:
            raise ValueError(f"Expected an integer value for `n` greater than 0. Received: n={n!r}")
        self.n = int(n)

    def _check_input(self, input_shape):
        _check_ndim(self, input_shape, 2)

    def call(self, x):
        return x.unsqueeze(1).expand(x.shape[0], self.n, x.shape[1]).contiguous()


class _ZeroPadding(Layer):
    rank = 2

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _check_channels_last(self, data_format)
        self.padding = _pairs(padding, self.rank, "padding")

    def _check_input(self, input_shape):
        _check_ndim(self, input_shape, self.rank + 2)

    def call(self, x):
        for axis, (before, after) in enumerate(self.padding, start=1):
            x = _zero_pad(x, axis, before, after)
        return x


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros before/after the time axis of (N, T, C): ``padding`` an int or (before, after)."""
    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Adds rows/columns of zeros around (N, H, W, C) images: ``padding`` an int, (rows, cols) symmetric, or
    ((top, bottom), (left, right)).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import ZeroPadding2D
    >>> ZeroPadding2D(((1, 0), (2, 1)))(nc.ones(1, 2, 2, 3)).shape
    (1, 3, 5, 3)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(Layer):
    rank = 2

    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _check_channels_last(self, data_format)
        self.cropping = _pairs(cropping, self.rank, "cropping")

    def _check_input(self, input_shape):
        _check_ndim(self, input_shape, self.rank + 2)
        for size, (before, after) in zip(input_shape, self.cropping):
            if before + after >= size:
                raise ValueError(f'Layer "{self.name}": cropping={self.cropping} leaves nothing of an input of '
                                 f"shape {(None,) + tuple(input_shape)}")

    def call(self, x):
        index = (slice(None),) + tuple(slice(b, x.shape[i + 1] - a) for i, (b, a) in enumerate(self.cropping))
        return x[index]


class Cropping1D(_Cropping):
    """Removes cells before/after the time axis of (N, T, C): ``cropping`` an int or (before, after)."""
    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Removes rows/columns from the borders of (N, H, W, C): an int, (rows, cols) or ((top, bottom),
    (left, right))."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class _UpSampling(Layer):
    rank = 2

    def _check_input(self, input_shape):
        _check_ndim(self, input_shape, self.rank + 2)

    def call(self, x):
        # Nearest neighbour: each cell becomes a size[0] x size[1] block (a broadcast view, then one copy).
        n, c = x.shape[0], x.shape[-1]
        spatial = x.shape[1:-1]
        view, expanded, out = [n], [n], [n]
        for d, s in zip(spatial, self.size):
            view += [d, 1]
            expanded += [d, s]
            out.append(d * s)
        return x.reshape(*view, c).expand(*expanded, c).reshape(*out, c)


class UpSampling1D(_UpSampling):
    """Repeats each time step ``size`` times: (N, T, C) -> (N, T * size, C)."""
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(size) or size <= 0:
            raise ValueError(f"UpSampling1D: size must be a positive int, got {size!r}")
        self.size = (int(size),)


class UpSampling2D(_UpSampling):
    """Nearest-neighbour upsampling of (N, H, W, C) by ``size`` = (rows, cols) (or one int for both).

    >>> import neurocore as nc
    >>> from neurocore.keras.layers import UpSampling2D
    >>> UpSampling2D(2)(nc.tensor([[[[1.0], [2.0]]]])).tolist()
    [[[[1.0], [1.0], [2.0], [2.0]], [[1.0], [1.0], [2.0], [2.0]]]]
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        _check_channels_last(self, data_format)
        if interpolation != "nearest":
            raise ValueError(f"UpSampling2D: only interpolation='nearest' is supported, got {interpolation!r}")
        size = (size, size) if _is_int(size) else tuple(size)
        if len(size) != 2 or not all(_is_int(s) and s > 0 for s in size):
            raise ValueError(f"UpSampling2D: size must be a positive int or a tuple of 2 positive ints, got {size!r}")
        self.size = tuple(int(s) for s in size)
