"""Keras weight initializers as objects (``GlorotUniform(seed=1)``), by name (``get("he_normal")``) or by config.

An initializer draws values for a shape given in **Keras layout** (Dense kernel (in, units), Conv2D kernel
(kh, kw, in, filters)), computing fans as Keras does: fan_in = prod(shape[:-1]), fan_out = prod(shape[:-2]) *
shape[-1] (for a 1-D shape both are shape[0]). Two ways to call one:

* ``init(shape, dtype=None)`` returns a new tensor of that Keras-layout shape (Keras' API);
* ``init(weight)`` fills an nn weight in place; the weight is read as nn layout (out, in, *kernel), which is
  the Keras kernel (*kernel, in, out) transposed, so fans (and Orthogonal/Identity structure) follow Keras.

A seeded initializer gives the same values on every call (as Keras 3); an unseeded one draws from the global
generator, so ``nc.manual_seed`` makes it reproducible.

>>> import neurocore as nc
>>> from neurocore.keras import initializers
>>> w = initializers.GlorotUniform(seed=3)((4, 2))
>>> w.shape, bool((w.abs() <= (6 / (4 + 2)) ** 0.5).all().item())
((4, 2), True)
>>> bool((w == initializers.GlorotUniform(seed=3)((4, 2))).all().item())
True
>>> initializers.get("he_normal").get_config()
{'seed': None}
"""
import math
import numbers

import numpy as np

from .. import _core
from .._tensor import randint, tensor
from ..autograd import no_grad
from ._identifiers import Configurable, get_object, serialize_object

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
           "LecunUniform", "Orthogonal", "Identity", "get", "serialize", "compute_fans", "initialize_"]


def compute_fans(shape):
    """(fan_in, fan_out) of a Keras-layout weight shape, as Keras computes them."""
    shape = tuple(int(d) for d in shape)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise ValueError(f"seed must be None or a non-negative int, got {seed!r}")
    return None if seed is None else int(seed)


def _nn_to_keras_shape(shape):
    # nn (out, in, *kernel) -> Keras (*kernel, in, out)
    return tuple(shape) if len(shape) < 2 else tuple(shape[2:]) + (shape[1], shape[0])


def _keras_to_nn(values):
    n = values.ndim
    if n < 2:
        return values
    return values.transpose((n - 1, n - 2) + tuple(range(n - 2)))


class Initializer(Configurable):
    """Base class. Subclasses implement ``_values(shape, rng)`` -> float64 numpy array in Keras layout."""

    _random = False

    def _values(self, shape, rng):
        raise NotImplementedError

    def _rng(self):
        seed = getattr(self, "seed", None)
        if seed is None:  # a fresh stream seeded from the global generator (nc.manual_seed governs it)
            seed = [int(v) for v in randint(0, 2 ** 31 - 1, (2,)).tolist()]
        return np.random.default_rng(seed)

    def values(self, shape):
        """float64 numpy values for a Keras-layout shape."""
        shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in shape):
            raise ValueError(f"{type(self).__name__}: shape must have non-negative sizes, got {shape}")
        out = np.asarray(self._values(shape, self._rng() if self._random else None), dtype=np.float64)
        return np.broadcast_to(out, shape) if out.shape != shape else out

    def __call__(self, shape, dtype=None):
        if isinstance(shape, _core.Tensor):
            weight = shape
            values = _keras_to_nn(self.values(_nn_to_keras_shape(weight.shape)))
            with no_grad():
                weight.copy_(tensor(np.ascontiguousarray(values), dtype=weight.dtype))
            return weight
        return tensor(np.ascontiguousarray(self.values(shape)), dtype=dtype or "float32")


class Constant(Initializer):
    """Every value equals ``value``."""

    def __init__(self, value=0.0):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"Constant: value must be a number, got {value!r}")
        self.value = value

    def _values(self, shape, rng):
        return np.full(shape, float(self.value))

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    """All zeros."""

    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    """All ones."""

    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class RandomNormal(Initializer):
    """Draws from N(mean, stddev^2)."""
    _random = True

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, _check_seed(seed)

    def _values(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class RandomUniform(Initializer):
    """Draws from U(minval, maxval)."""
    _random = True

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, _check_seed(seed)

    def _values(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)

    def get_config(self):
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


def _truncated_normal(rng, shape, mean, stddev):
    """N(0, 1) draws redrawn until inside (-2, 2) (Keras cuts at two standard deviations), then scaled."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) >= 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) >= 2
    return out * stddev + mean


class TruncatedNormal(Initializer):
    """N(mean, stddev^2) with draws further than two stddev from the mean redrawn."""
    _random = True

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, _check_seed(seed)

    def _values(self, shape, rng):
        return _truncated_normal(rng, shape, self.mean, self.stddev)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class VarianceScaling(Initializer):
    """Variance ``scale / fan`` (fan_in, fan_out or their mean): a truncated normal (stddev corrected for the
    cut: sqrt(scale/fan) / .8796...), an untruncated normal, or U(-sqrt(3 scale/fan), +sqrt(3 scale/fan)).
    Ref: Glorot & Bengio 2010; He et al. 2015; Keras' VarianceScaling."""
    _random = True

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if not scale > 0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of 'fan_in', 'fan_out', 'fan_avg'")
        dist = str(distribution).lower()
        dist = "truncated_normal" if dist == "normal" else dist
        if dist not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}. Please use one of 'uniform', "
                             f"'truncated_normal', 'untruncated_normal'")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, dist, _check_seed(seed)

    def _values(self, shape, rng):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "truncated_normal":
            return _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / 0.87962566103423978)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(variance), shape)
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, shape)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode, "distribution": self.distribution}


class _FixedVarianceScaling(VarianceScaling):
    _args = ()

    def __init__(self, seed=None):
        super().__init__(*self._args, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010)."""
    _args = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with variance 2 / (fan_in + fan_out)."""
    _args = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with variance 2 / fan_in (He et al. 2015)."""
    _args = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """U(-limit, limit), limit = sqrt(6 / fan_in)."""
    _args = (2.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with variance 1 / fan_in (LeCun et al. 1998)."""
    _args = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """U(-limit, limit), limit = sqrt(3 / fan_in)."""
    _args = (1.0, "fan_in", "uniform")


class Orthogonal(Initializer):
    """``gain`` times a (semi-)orthogonal matrix: the shape viewed as (prod(shape[:-1]), shape[-1]) gets
    orthonormal columns (or rows, when wider than tall), from the QR factorisation of normal draws with R's
    diagonal signs folded in (Saxe et al. 2014)."""
    _random = True

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, _check_seed(seed)

    def _values(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. Received: shape={shape} "
                             f"of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; ones on the diagonal when not square)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def _values(self, shape, rng):
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. Received: "
                             f"shape={shape} of rank {len(shape)}.")
        return self.gain * np.eye(*shape)

    def get_config(self):
        return {"gain": self.gain}


_CLASSES = {c.__name__: c for c in (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
                                    VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform,
                                    LecunNormal, LecunUniform, Orthogonal, Identity)}
_NAMES = {
    "zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
    "random_normal": RandomNormal, "normal": RandomNormal, "random_uniform": RandomUniform,
    "uniform": RandomUniform, "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_normal": HeNormal,
    "he_uniform": HeUniform, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal, "identity": Identity, **_CLASSES,
}


def get(identifier):
    """An initializer from a name ("glorot_uniform" or "GlorotUniform"), an Initializer object or class, a
    ``{"class_name": ..., "config": {...}}`` dict, or a callable ``f(shape, dtype=None)`` (returned as is)."""
    return get_object(identifier, "initializer", Initializer, _NAMES, _CLASSES,
                      sorted(k for k in _NAMES if k.islower()))


def serialize(initializer):
    """``{"class_name": ..., "config": ...}`` of an Initializer (None stays None)."""
    return serialize_object(initializer, "initializer", Initializer)


def initialize_(weight, initializer, keras_shape=None, from_keras=None):
    """Fill the nn tensor ``weight`` with ``initializer``'s values for ``keras_shape`` (default: the weight's
    own shape), mapped to nn layout by ``from_keras``. A plain callable is called Keras' way,
    ``f(keras_shape, dtype=None)``, and must return an array of that shape."""
    shape = tuple(weight.shape) if keras_shape is None else tuple(int(d) for d in keras_shape)
    if isinstance(initializer, Initializer):
        values = initializer.values(shape)
    else:
        values = initializer(shape, dtype=None)
        if isinstance(values, _core.Tensor):
            values = values.detach().numpy()
        values = np.asarray(values, dtype=np.float64)
        if values.shape != shape:
            raise ValueError(f"initializer {initializer!r} returned shape {values.shape}, expected {shape}")
    if from_keras is not None:
        values = from_keras(values)
    with no_grad():
        weight.copy_(tensor(np.ascontiguousarray(values), dtype=weight.dtype))
    return weight
