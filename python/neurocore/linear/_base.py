"""Shared pieces of the linear models: input checks, the estimator base, the stopping rule, warnings."""
import inspect
import numbers

import numpy as np

from .. import _core
from .._tensor import float32, float64

__all__ = ["ConvergenceWarning", "NotFittedError"]


class ConvergenceWarning(UserWarning):
    """Training stopped at ``max_iter`` epochs before the stopping rule was met (scikit-learn's warning)."""


class NotFittedError(ValueError, AttributeError):
    """A method that needs a fitted model was called before ``fit`` (scikit-learn's error)."""


# ----------------------------------------------------------------------------- input conversion

def _to_array(a, name):
    """A numpy array from a numpy array, an nc tensor or nested lists; object arrays are refused."""
    if isinstance(a, _core.Tensor):
        return a.detach().numpy()
    try:
        arr = np.asarray(a)
    except Exception as e:  # noqa: BLE001 - ragged lists and the like
        raise ValueError(f"{name} must be an array-like of numbers, got {type(a).__name__}: {e}") from e
    return arr


def check_X(X, name="X"):  # noqa: N802 - scikit-learn's names
    """X as a C-contiguous 2-D float array (float32 stays float32, everything else becomes float64)."""
    X = _to_array(X, name)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
        raise ValueError(f"{name} must hold numbers, got an array of dtype {X.dtype}")
    if np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real, got complex dtype {X.dtype}")
    if X.ndim != 2:
        hint = " Reshape your data with X.reshape(-1, 1) for a single feature or X.reshape(1, -1) for a single " \
               "sample." if X.ndim == 1 else ""
        raise ValueError(f"Expected a 2-D array (n_samples, n_features) for {name}, got {X.ndim}-D with shape "
                         f"{X.shape}.{hint}")
    if X.shape[0] < 1:
        raise ValueError(f"{name} has 0 samples (shape {X.shape}); at least 1 is required")
    if X.shape[1] < 1:
        raise ValueError(f"{name} has 0 features (shape {X.shape}); at least 1 is required")
    X = np.ascontiguousarray(X, dtype=np.float32 if X.dtype == np.float32 else np.float64)
    if np.isnan(X).any():
        raise ValueError(f"Input {name} contains NaN")
    if np.isinf(X).any():
        raise ValueError(f"Input {name} contains infinity")
    return X


def check_labels(y, n_samples):
    """Class labels as a 1-D array of n_samples (a column vector (n, 1) is accepted), with their sorted
    unique values; continuous targets, NaN and a single class are refused."""
    y = _to_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class labels, got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: X has {n_samples}, "
                         f"y has {y.shape[0]}")
    if y.dtype == object:
        raise ValueError("y must hold numbers or strings, got an array of dtype object")
    if np.issubdtype(y.dtype, np.floating):
        if not np.isfinite(y).all():
            raise ValueError("Input y contains NaN or infinity")
        if not np.array_equal(y, np.round(y)):
            raise ValueError("Unknown label type: continuous. A classifier needs discrete class labels; "
                             "use LinearRegression for continuous targets")
    classes, encoded = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"The number of classes has to be greater than one; got {len(classes)} class "
                         f"({classes[0]!r})")
    return classes, encoded.reshape(-1)


def check_targets(y, n_samples):
    """Regression targets as a float array (n,) or (n, n_targets)."""
    y = _to_array(y, "y")
    if y.dtype == object or not (np.issubdtype(y.dtype, np.number) or y.dtype == np.bool_):
        raise ValueError(f"y must hold numbers, got an array of dtype {y.dtype}")
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D (n_samples,) or 2-D (n_samples, n_targets), got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: X has {n_samples}, "
                         f"y has {y.shape[0]}")
    y = y.astype(np.float64)
    if not np.isfinite(y).all():
        raise ValueError("Input y contains NaN or infinity")
    return y


def nc_dtype(X):
    return float32 if X.dtype == np.float32 else float64


def rng_from(random_state):
    """A numpy Generator for shuffling: None (fresh entropy), an int seed, or a Generator/RandomState."""
    if random_state is None or isinstance(random_state, (numbers.Integral, np.integer)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2 ** 31))
    raise ValueError(f"random_state must be None, an int or a numpy Generator, got {random_state!r}")


# ----------------------------------------------------------------------------- parameter checks

def check_number(name, value, low=None, high=None, integer=False, low_open=False, allow_none=False):
    if value is None and allow_none:
        return
    kind = numbers.Integral if integer else numbers.Real
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{name} must be {'an int' if integer else 'a real number'}"
                        f"{' or None' if allow_none else ''}, got {value!r}")
    if (low is not None and (value <= low if low_open else value < low)) or (high is not None and value > high):
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        raise ValueError(f"{name} must be {lo}{' and ' if low is not None and high is not None else ''}"
                         f"{'' if high is None else f'<= {high}'}, got {value!r}")


# ----------------------------------------------------------------------------- stopping rule

class NoImprovement:
    """scikit-learn's stopping rule (SGDClassifier, MLPClassifier): an epoch whose loss is not below the best
    loss so far minus ``tol`` counts as no improvement; ``n_iter_no_change`` such epochs in a row stop training.
    ``tol=None`` never stops. ``update(loss)`` returns True when training should stop."""

    def __init__(self, tol, n_iter_no_change):
        self.tol, self.patience = tol, n_iter_no_change
        self.best = np.inf
        self.count = 0

    def update(self, loss):
        if self.tol is None:
            return False
        self.count = self.count + 1 if loss > self.best - self.tol else 0
        self.best = min(self.best, loss)
        return self.count >= self.patience


# ----------------------------------------------------------------------------- estimator base

class Estimator:
    """get_params / set_params / repr like scikit-learn: parameters are the constructor's arguments, stored
    unchanged as attributes of the same name and checked in ``fit``."""

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"Invalid parameter {key!r} for estimator {type(self).__name__}. "
                                 f"Valid parameters are: {valid}")
            setattr(self, key, value)
        return self

    def __repr__(self):
        sig = inspect.signature(type(self).__init__)
        changed = [f"{name}={getattr(self, name)!r}" for name, p in sig.parameters.items()
                   if name != "self" and p.default is not p.empty and getattr(self, name) is not p.default
                   and getattr(self, name) != p.default]
        return f"{type(self).__name__}({', '.join(changed)})"

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                                 "appropriate arguments before using this estimator.")

    def _check_predict_X(self, X):
        self._check_fitted()
        X = check_X(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return X

    def _scores(self, X):
        """X @ coef_.T + intercept_ through nc ops: (n_samples, n_outputs) numpy array."""
        X = self._check_predict_X(X)
        coef = np.atleast_2d(self.coef_)
        w = _core.from_numpy(np.ascontiguousarray(coef, dtype=X.dtype))
        b = _core.from_numpy(np.ascontiguousarray(np.atleast_1d(self.intercept_), dtype=X.dtype))
        return _core.linear(_core.from_numpy(X), w, b).numpy()
