"""Keras losses by name, computed with nc ops. Without ``from_logits`` they take probabilities, clamped to
[eps, 1 - eps] (eps = 1e-7, Keras' backend epsilon) before the log."""
from ..nn import functional as F

__all__ = ["Loss", "SparseCategoricalCrossentropy", "CategoricalCrossentropy", "BinaryCrossentropy",
           "MeanSquaredError", "MeanAbsoluteError", "get", "EPSILON"]

EPSILON = 1e-7


class Loss:
    name = "loss"

    def __call__(self, y_true, y_pred):
        return self.call(y_true, y_pred)


class SparseCategoricalCrossentropy(Loss):
    """y_true integer classes (N,) or (N, 1); y_pred (N, C) probabilities (or logits)."""
    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        if y_true.ndim == y_pred.ndim:
            y_true = y_true.reshape(-1)
        y_true = y_true.long()
        if self.from_logits:
            return F.cross_entropy(y_pred, y_true)
        # Keras renormalises the probabilities to sum 1, then clips and logs.
        p = y_pred / y_pred.sum(-1, keepdim=True)
        return F.nll_loss(p.clamp(EPSILON, 1 - EPSILON).log(), y_true)


class CategoricalCrossentropy(Loss):
    """y_true one-hot (N, C); y_pred (N, C) probabilities (or logits)."""
    name = "categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        if self.from_logits:
            logp = F.log_softmax(y_pred, dim=-1)
        else:
            p = y_pred / y_pred.sum(-1, keepdim=True)
            logp = p.clamp(EPSILON, 1 - EPSILON).log()
        return -(y_true * logp).sum(-1).mean()


class BinaryCrossentropy(Loss):
    """y_true 0/1 with y_pred's shape; y_pred probabilities (or logits)."""
    name = "binary_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        y_true = y_true.reshape(y_pred.shape).type_as(y_pred)
        if self.from_logits:
            return F.binary_cross_entropy_with_logits(y_pred, y_true)
        return F.binary_cross_entropy(y_pred.clamp(EPSILON, 1 - EPSILON), y_true)


class MeanSquaredError(Loss):
    name = "mean_squared_error"

    def call(self, y_true, y_pred):
        return F.mse_loss(y_pred, y_true.reshape(y_pred.shape).type_as(y_pred))


class MeanAbsoluteError(Loss):
    name = "mean_absolute_error"

    def call(self, y_true, y_pred):
        return F.l1_loss(y_pred, y_true.reshape(y_pred.shape).type_as(y_pred))


_BY_NAME = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
}


def get(identifier):
    """A loss callable (y_true, y_pred) -> scalar tensor from a Keras name, a Loss or a callable."""
    if isinstance(identifier, str):
        if identifier in _BY_NAME:
            return _BY_NAME[identifier]()
    elif callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Known losses: {sorted(_BY_NAME)}")
