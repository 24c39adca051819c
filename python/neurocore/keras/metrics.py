"""Keras metrics by name: batch values computed with nc ops, averaged over samples per epoch."""
from .losses import BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy

__all__ = ["get"]


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
    """(name, fn) for a metric. "accuracy"/"acc" picks binary, sparse or categorical accuracy like Keras:
    binary for a binary_crossentropy loss or one output unit, sparse when y_true has no class axis (or one of
    size 1), categorical otherwise."""
    if callable(identifier) and not isinstance(identifier, str):
        return getattr(identifier, "__name__", "metric"), identifier
    if identifier in ("accuracy", "acc"):
        if isinstance(loss, BinaryCrossentropy) or y_pred_shape[-1] == 1:
            return identifier, binary_accuracy
        if isinstance(loss, SparseCategoricalCrossentropy) or len(y_true_shape) == len(y_pred_shape) - 1 or \
                (len(y_true_shape) == len(y_pred_shape) and y_true_shape[-1] == 1):
            return identifier, sparse_categorical_accuracy
        if isinstance(loss, CategoricalCrossentropy):
            return identifier, categorical_accuracy
        return identifier, categorical_accuracy
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return identifier, _BY_NAME[identifier]
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}. Known metrics: "
                     f"{['accuracy'] + sorted(_BY_NAME)}")
