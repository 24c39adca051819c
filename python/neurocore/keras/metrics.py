"""Keras metrics: stateful objects (``reset_state``, ``update_state(y_true, y_pred)``, ``result()``) whose
batch values are computed with nc ops; the training loop resets them each epoch and reads ``result()``."""
from .losses import BinaryCrossentropy, SparseCategoricalCrossentropy

__all__ = ["Metric", "MeanMetricWrapper", "get"]


class Metric:
    """Base of stateful metrics: accumulate with ``update_state`` over batches, read with ``result``."""

    def __init__(self, name=None):
        self.name = name or type(self).__name__.lower()
        self.reset_state()

    def reset_state(self):
        raise NotImplementedError

    def update_state(self, y_true, y_pred):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError


class MeanMetricWrapper(Metric):
    """Sample-weighted mean over batches of a per-batch mean ``fn(y_true, y_pred)``."""

    def __init__(self, fn, name=None):
        self.fn = fn
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def reset_state(self):
        self.total = 0.0
        self.count = 0

    def update_state(self, y_true, y_pred):
        n = y_pred.shape[0] if y_pred.ndim else 1
        self.total += float(self.fn(y_true, y_pred).item()) * n
        self.count += n

    def result(self):
        return self.total / self.count if self.count else 0.0


def sparse_categorical_accuracy(y_true, y_pred):
    return (y_pred.argmax(-1) == y_true.reshape(-1).long()).float().mean()


def categorical_accuracy(y_true, y_pred):
    return (y_pred.argmax(-1) == y_true.argmax(-1)).float().mean()


def binary_accuracy(y_true, y_pred, threshold=0.5):
    return ((y_pred > threshold).float() == y_true.reshape(y_pred.shape).float()).float().mean()


def mean_absolute_error(y_true, y_pred):
    return (y_pred - y_true.reshape(y_pred.shape).type_as(y_pred)).abs().mean()


def mean_squared_error(y_true, y_pred):
    return (y_pred - y_true.reshape(y_pred.shape).type_as(y_pred)).square().mean()


_BY_NAME = {
    "sparse_categorical_accuracy": sparse_categorical_accuracy, "categorical_accuracy": categorical_accuracy,
    "binary_accuracy": binary_accuracy, "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
}


def get(identifier, loss, y_true_shape, y_pred_shape):
    """A fresh Metric object for a metric identifier (name, Metric instance or function). "accuracy"/"acc" picks binary, sparse or categorical accuracy like Keras:
    binary for a binary_crossentropy loss or one output unit, sparse when y_true has no class axis (or one of
    size 1), categorical otherwise."""
    if isinstance(identifier, Metric):
        identifier.reset_state()
        return identifier
    if callable(identifier) and not isinstance(identifier, str):
        return MeanMetricWrapper(identifier)
    if identifier in ("accuracy", "acc"):
        if isinstance(loss, BinaryCrossentropy) or y_pred_shape[-1] == 1:
            return MeanMetricWrapper(binary_accuracy, identifier)
        if isinstance(loss, SparseCategoricalCrossentropy) or len(y_true_shape) == len(y_pred_shape) - 1 or \
                (len(y_true_shape) == len(y_pred_shape) and y_true_shape[-1] == 1):
            return MeanMetricWrapper(sparse_categorical_accuracy, identifier)
        return MeanMetricWrapper(categorical_accuracy, identifier)
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return MeanMetricWrapper(_BY_NAME[identifier], identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}. Known metrics: "
                     f"{['accuracy'] + sorted(_BY_NAME)}")
