"""Keras metrics: stateful objects (``reset_state``, ``update_state(y_true, y_pred)``, ``result()``) that the
training loop resets each epoch and reads with ``result()``.

Mean metrics (accuracies, errors) keep a sample-weighted running mean of per-batch values computed with nc ops.
Confusion metrics (Precision, Recall, AUC) keep counts of true/false positives/negatives per threshold, so an
epoch's value is the metric of all the epoch's predictions, not a mean of batch values. ``_direction`` ("up" or
"down") tells callbacks in mode "auto" whether larger is better.

>>> import numpy as np
>>> p = Precision()
>>> p.update_state(np.array([1, 0, 1, 1]), np.array([0.9, 0.8, 0.2, 0.7]))
>>> round(p.result(), 4)  # predicted positive: 0.9, 0.8, 0.7; of those, 2 are positives
0.6667
"""
import numpy as np

from .. import _core
from .losses import BinaryCrossentropy, SparseCategoricalCrossentropy

__all__ = ["Metric", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "MeanAbsoluteError", "MeanSquaredError", "RootMeanSquaredError",
           "Precision", "Recall", "AUC", "get", "accuracy", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "mean_absolute_error", "mean_squared_error"]

EPSILON = 1e-7  # Keras' backend epsilon: AUC's outermost thresholds are -eps and 1 + eps


class Metric:
    """Base of stateful metrics: accumulate with ``update_state`` over batches, read with ``result``."""

    _direction = None

    def __init__(self, name=None):
        self.name = name or type(self).__name__.lower()
        self.reset_state()

    def reset_state(self):
        raise NotImplementedError

    def update_state(self, y_true, y_pred):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _to_numpy(a):
    if isinstance(a, _core.Tensor):
        return a.detach().numpy()
    return np.asarray(a)


def _as_tensor(a, like=None):
    if isinstance(a, _core.Tensor):
        return a
    from .._tensor import tensor
    a = np.asarray(a)
    if like is None and a.dtype.kind == "f":
        a = a.astype(np.float32)
    return tensor(np.ascontiguousarray(a))


# ---------------------------------------------------------------------------------------------- mean metrics

def sparse_categorical_accuracy(y_true, y_pred):
    return (y_pred.argmax(-1) == y_true.reshape(-1).long()).float().mean()


def categorical_accuracy(y_true, y_pred):
    return (y_pred.argmax(-1) == y_true.argmax(-1)).float().mean()


def binary_accuracy(y_true, y_pred, threshold=0.5):
    return ((y_pred > threshold).float() == y_true.reshape(y_pred.shape).float()).float().mean()


def accuracy(y_true, y_pred):
    """Exact equality of y_pred and y_true (Keras' ``Accuracy``, not the "accuracy" string of compile)."""
    return (y_pred.float() == y_true.reshape(y_pred.shape).float()).float().mean()


def mean_absolute_error(y_true, y_pred):
    return (y_pred - y_true.reshape(y_pred.shape).type_as(y_pred)).abs().mean()


def mean_squared_error(y_true, y_pred):
    return (y_pred - y_true.reshape(y_pred.shape).type_as(y_pred)).square().mean()


_UP = (sparse_categorical_accuracy, categorical_accuracy, binary_accuracy, accuracy)
_DOWN = (mean_absolute_error, mean_squared_error)


class MeanMetricWrapper(Metric):
    """Sample-weighted mean over batches of a per-batch mean ``fn(y_true, y_pred)`` (nc tensors in, a scalar
    tensor out). ``fn`` may be a registered name such as "mae"."""

    def __init__(self, fn, name=None):
        if isinstance(fn, str):
            if not callable(_BY_NAME.get(fn)) or isinstance(_BY_NAME.get(fn), type):
                raise ValueError(f"Unknown metric function {fn!r}")
            fn = _BY_NAME[fn]
        self.fn = fn
        if fn in _UP:
            self._direction = "up"
        elif fn in _DOWN:
            self._direction = "down"
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def reset_state(self):
        self.total = 0.0
        self.count = 0

    def update_state(self, y_true, y_pred):
        y_true, y_pred = _as_tensor(y_true, like=y_pred), _as_tensor(y_pred)
        n = y_pred.shape[0] if y_pred.ndim else 1
        self.total += float(self.fn(y_true, y_pred).item()) * n
        self.count += n

    def result(self):
        return self.total / self.count if self.count else 0.0

    def get_config(self):
        return {"fn": self.fn, "name": self.name}


def _wrapper_class(fn, default_name, doc):
    class Wrapped(MeanMetricWrapper):
        __doc__ = doc

        def __init__(self, name=None):
            super().__init__(fn, name or default_name)

        def get_config(self):
            return {"name": self.name}

    Wrapped.__name__ = Wrapped.__qualname__ = "".join(p.capitalize() for p in default_name.split("_"))
    return Wrapped


Accuracy = _wrapper_class(accuracy, "accuracy", "Fraction of predictions exactly equal to the labels.")
CategoricalAccuracy = _wrapper_class(categorical_accuracy, "categorical_accuracy",
                                     "Fraction of samples whose arg-max prediction is the one-hot label's class.")
SparseCategoricalAccuracy = _wrapper_class(sparse_categorical_accuracy, "sparse_categorical_accuracy",
                                           "Fraction of samples whose arg-max prediction is the integer label.")
MeanAbsoluteError = _wrapper_class(mean_absolute_error, "mean_absolute_error", "Mean of |y_pred - y_true|.")
MeanSquaredError = _wrapper_class(mean_squared_error, "mean_squared_error", "Mean of (y_pred - y_true)^2.")


class BinaryAccuracy(MeanMetricWrapper):
    """Fraction of predictions on the same side of ``threshold`` as the 0/1 labels (``y_pred > threshold``)."""

    def __init__(self, name="binary_accuracy", threshold=0.5):
        self.threshold = float(threshold)
        super().__init__(lambda y_true, y_pred: binary_accuracy(y_true, y_pred, self.threshold), name)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "threshold": self.threshold}


class RootMeanSquaredError(Metric):
    """sqrt(mean of (y_pred - y_true)^2 over every element seen)."""

    _direction = "down"

    def __init__(self, name="root_mean_squared_error"):
        super().__init__(name)

    def reset_state(self):
        self.total = 0.0
        self.count = 0

    def update_state(self, y_true, y_pred):
        y_true, y_pred = _as_tensor(y_true, like=y_pred), _as_tensor(y_pred)
        self.total += float((y_pred - y_true.reshape(y_pred.shape).type_as(y_pred)).square().sum().item())
        self.count += y_pred.numel()

    def result(self):
        return float(np.sqrt(self.total / self.count)) if self.count else 0.0


# ---------------------------------------------------------------------------------------------- confusion metrics

def _evenly_spaced(thresholds):
    """Keras' test for thresholds it may bucket instead of compare one by one: i / (n - 1) for i = 0..n-1."""
    n = len(thresholds)
    if n < 3:
        return False
    expected = np.arange(n, dtype=np.float32) / np.float32(n - 1)
    return bool(np.allclose(np.asarray(thresholds, dtype=np.float32), expected))


def _confusion_counts(y_true, y_pred, thresholds, evenly, with_epsilon=False, multi_label=False):
    """(tp, fp, tn, fn), each of shape (T,) (or (T, L) per label), counting ``y_pred > threshold[t]`` as
    predicted positive and nonzero ``y_true`` as positive. ``evenly``: Keras' bucketed route for thresholds
    i/(T-1), with predictions clipped to [0, 1] (float32 arithmetic like Keras, so boundaries agree)."""
    y_pred = y_pred.astype(np.float32, copy=False)
    positive = y_true != 0
    if not multi_label:
        y_pred, positive = y_pred.reshape(-1, 1), positive.reshape(-1, 1)
    n_thr = len(thresholds)
    pos_f = positive.astype(np.float64)
    if evenly:
        clipped = np.clip(y_pred, np.float32(0.0), np.float32(1.0))
        bucket = np.ceil(clipped * np.float32(n_thr - 1)).astype(np.int64) - 1
        if with_epsilon:
            bucket = np.maximum(bucket, 0)
        # A prediction in bucket b exceeds thresholds 0..b: count per bucket, then cumulative sums from the top.
        tp = np.zeros((n_thr, y_pred.shape[1]))
        fp = np.zeros((n_thr, y_pred.shape[1]))
        for label in range(y_pred.shape[1]):
            b = bucket[:, label]
            keep = b >= 0
            tp[:, label] = np.bincount(b[keep], weights=pos_f[keep, label], minlength=n_thr)[:n_thr]
            fp[:, label] = np.bincount(b[keep], weights=1.0 - pos_f[keep, label], minlength=n_thr)[:n_thr]
        tp = np.cumsum(tp[::-1], axis=0)[::-1]
        fp = np.cumsum(fp[::-1], axis=0)[::-1]
    else:
        thr = np.asarray(thresholds, dtype=np.float32).reshape(-1, 1, 1)
        above = y_pred[None] > thr  # (T, N, L)
        tp = (above & positive[None]).sum(axis=1).astype(np.float64)
        fp = (above & ~positive[None]).sum(axis=1).astype(np.float64)
    total_pos = pos_f.sum(axis=0)
    total_neg = y_pred.shape[0] - total_pos
    tn, fn = total_neg - fp, total_pos - tp
    if not multi_label:
        tp, fp, tn, fn = tp[:, 0], fp[:, 0], tn[:, 0], fn[:, 0]
    return tp, fp, tn, fn


def _divide_no_nan(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = np.zeros(np.broadcast(a, b).shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


def _check_same_size(y_true, y_pred, what):
    if y_true.size != y_pred.size:
        raise ValueError(f"{what}: y_true and y_pred must have the same number of elements, got shapes "
                         f"{y_true.shape} and {y_pred.shape}")


class _ThresholdMetric(Metric):
    """Precision/Recall: counts at one or more thresholds (default 0.5), optionally for one class column."""

    _direction = "up"

    def __init__(self, thresholds=None, class_id=None, name=None):
        if thresholds is None:
            thresholds = 0.5
        self._single = np.ndim(thresholds) == 0
        values = [float(thresholds)] if self._single else [float(t) for t in thresholds]
        for t in values:
            if not 0.0 <= t <= 1.0:
                raise ValueError(f"Threshold values must be in [0, 1]. Received: {values}")
        self.thresholds = values
        self.class_id = class_id
        self._evenly = _evenly_spaced(values)
        super().__init__(name)

    def reset_state(self):
        n = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(n), np.zeros(n)
        self.true_negatives, self.false_negatives = np.zeros(n), np.zeros(n)

    def update_state(self, y_true, y_pred):
        y_true, y_pred = _to_numpy(y_true), _to_numpy(y_pred)
        _check_same_size(y_true, y_pred, self.name)
        y_true = y_true.reshape(y_pred.shape)
        if self.class_id is not None:
            if y_pred.ndim < 2:
                raise ValueError("When class_id is provided, y_pred must be a 2D array with shape (num_samples, "
                                 f"num_classes), found shape: {y_pred.shape}")
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        tp, fp, tn, fn = _confusion_counts(y_true, y_pred, self.thresholds, self._evenly)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _finish(self, values):
        return float(values[0]) if self._single else [float(v) for v in values]

    def get_config(self):
        return {"thresholds": self.thresholds[0] if self._single else list(self.thresholds),
                "class_id": self.class_id, "name": self.name}


class Precision(_ThresholdMetric):
    """tp / (tp + fp) over everything seen, predicting positive when ``y_pred > threshold`` (default 0.5;
    a list of thresholds gives a list of values). Binary and multi-label data alike (all elements count);
    ``class_id`` restricts it to one column. 0 when nothing was predicted positive, as in Keras."""

    def __init__(self, thresholds=None, class_id=None, name="precision"):
        super().__init__(thresholds, class_id, name)

    def result(self):
        return self._finish(_divide_no_nan(self.true_positives, self.true_positives + self.false_positives))


class Recall(_ThresholdMetric):
    """tp / (tp + fn) over everything seen, predicting positive when ``y_pred > threshold`` (default 0.5)."""

    def __init__(self, thresholds=None, class_id=None, name="recall"):
        super().__init__(thresholds, class_id, name)

    def result(self):
        return self._finish(_divide_no_nan(self.true_positives, self.true_positives + self.false_negatives))


class AUC(Metric):
    """Area under the ROC or precision-recall curve, approximated from counts at ``num_thresholds`` thresholds
    (Keras' method): thresholds -eps, 1/(n-1), ..., (n-2)/(n-1), 1+eps (or ``thresholds`` given, plus the two
    ends). ``summation_method`` "interpolation" uses the trapezoidal rule for ROC and Davis & Goadrich's
    interpolation for PR (Keras' ``interpolate_pr_auc``); "minoring"/"majoring" take left/right Riemann sums.
    ``from_logits`` applies a sigmoid first. ``multi_label=True`` computes one AUC per column of a (N, L)
    y_pred and averages them (weighted by ``label_weights`` if given); otherwise all elements are pooled."""

    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name="auc",
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        curve_u, method_l = str(curve).upper(), str(summation_method).lower()
        if curve_u not in ("ROC", "PR"):
            raise ValueError(f'Invalid `curve` argument value "{curve}". Expected one of: ["ROC", "PR"]')
        if method_l not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f'Invalid `summation_method` argument value "{summation_method}". Expected one of: '
                             '["interpolation", "minoring", "majoring"]')
        self._given_thresholds = None if thresholds is None else sorted(float(t) for t in thresholds)
        if thresholds is not None:
            inner = self._given_thresholds
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_spaced([0.0] + inner + [1.0])
        else:
            if int(num_thresholds) <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
            self._evenly = True
        self._thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        self.curve, self.summation_method = curve_u, method_l
        self.multi_label = bool(multi_label)
        if num_labels is not None and not self.multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, dtype=np.float64)
        self.from_logits = from_logits
        super().__init__(name)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def reset_state(self):
        shape = (self.num_thresholds,) if not self.multi_label else (self.num_thresholds, self.num_labels or 0)
        self.true_positives, self.false_positives = np.zeros(shape), np.zeros(shape)
        self.true_negatives, self.false_negatives = np.zeros(shape), np.zeros(shape)

    def update_state(self, y_true, y_pred):
        y_true, y_pred = _to_numpy(y_true), _to_numpy(y_pred).astype(np.float32)
        _check_same_size(y_true, y_pred, self.name)
        y_true = y_true.reshape(y_pred.shape)
        if self.from_logits:
            y_pred = (1.0 / (1.0 + np.exp(-y_pred.astype(np.float64)))).astype(np.float32)
        if self.multi_label:
            if y_pred.ndim != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {y_pred.ndim}. "
                                 f"Full shape received for `y_pred`: {y_pred.shape}")
            if self.true_positives.shape[1] == 0:
                self.num_labels = y_pred.shape[1]
                self.reset_state()
            elif self.true_positives.shape[1] != y_pred.shape[1]:
                raise ValueError(f"{self.name}: expected {self.true_positives.shape[1]} labels, got y_pred of "
                                 f"shape {y_pred.shape}")
        elif self.label_weights is not None:
            raise ValueError("label_weights are supported with multi_label=True only in this implementation")
        tp, fp, tn, fn = _confusion_counts(y_true, y_pred, self._thresholds, self._evenly, with_epsilon=True,
                                           multi_label=self.multi_label)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _average_labels(self, by_label):
        if not self.multi_label:
            return float(by_label)
        if self.label_weights is None:
            return float(np.mean(by_label))
        return float(_divide_no_nan(np.sum(by_label * self.label_weights), np.sum(self.label_weights)))

    def _interpolate_pr_auc(self):
        # Davis & Goadrich 2006: precision is interpolated between thresholds along the line tp = slope * p + c.
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        n = self.num_thresholds
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:n - 1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:n - 1], np.maximum(p[1:], 0)), 1.0)
        increment = _divide_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return self._average_labels(np.sum(increment, axis=0))

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:n - 1], y[1:])
        else:
            heights = np.maximum(y[:n - 1], y[1:])
        return self._average_labels(np.sum((x[:n - 1] - x[1:]) * heights, axis=0))

    def get_config(self):
        return {"num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "name": self.name, "thresholds": self._given_thresholds,
                "multi_label": self.multi_label, "num_labels": self.num_labels,
                "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
                "from_logits": self.from_logits}


# ---------------------------------------------------------------------------------------------- lookup

# Names accepted in compile(metrics=[...]): functions are wrapped in MeanMetricWrapper, classes instantiated.
_BY_NAME = {
    "sparse_categorical_accuracy": sparse_categorical_accuracy, "categorical_accuracy": categorical_accuracy,
    "binary_accuracy": binary_accuracy, "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "rmse": RootMeanSquaredError, "root_mean_squared_error": RootMeanSquaredError,
    "precision": Precision, "recall": Recall, "auc": AUC,
}


def get(identifier, loss, y_true_shape, y_pred_shape):
    """A fresh Metric object for a metric identifier (name, Metric instance or function). "accuracy"/"acc"
    picks binary, sparse or categorical accuracy like Keras: binary for a binary_crossentropy loss or one output
    unit, sparse when y_true has no class axis (or one of size 1), categorical otherwise. "precision", "recall"
    and "auc" give Precision(), Recall() and AUC() named as given."""
    if isinstance(identifier, Metric):
        identifier.reset_state()
        return identifier
    if callable(identifier) and not isinstance(identifier, str):
        if isinstance(identifier, type) and issubclass(identifier, Metric):
            return identifier()
        return MeanMetricWrapper(identifier)
    if identifier in ("accuracy", "acc"):
        if isinstance(loss, BinaryCrossentropy) or y_pred_shape[-1] == 1:
            return MeanMetricWrapper(binary_accuracy, identifier)
        if isinstance(loss, SparseCategoricalCrossentropy) or len(y_true_shape) == len(y_pred_shape) - 1 or \
                (len(y_true_shape) == len(y_pred_shape) and y_true_shape[-1] == 1):
            return MeanMetricWrapper(sparse_categorical_accuracy, identifier)
        return MeanMetricWrapper(categorical_accuracy, identifier)
    if isinstance(identifier, str) and identifier in _BY_NAME:
        found = _BY_NAME[identifier]
        if isinstance(found, type):
            return found(name=identifier)
        return MeanMetricWrapper(found, identifier)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}. Known metrics: "
                     f"{['accuracy'] + sorted(_BY_NAME)}")
