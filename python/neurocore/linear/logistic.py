"""Classifiers made of one layer of neurons: logistic regression (sigmoid + log-loss) and softmax regression
(softmax + categorical cross-entropy), trained by gradient descent."""
import numpy as np

from .. import _core
from ..nn import functional as F
from ._base import check_labels
from ._gd import GradientLinearModel
from .perceptron import _accuracy

__all__ = ["LogisticRegression", "SoftmaxRegression"]


class _Classifier(GradientLinearModel):
    def decision_function(self, X):
        """Scores w . x + b (logits): (n_samples,) for a single neuron, else (n_samples, n_neurons)."""
        scores = self._scores(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The most probable class label of each sample."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def score(self, X, y):
        """Mean accuracy of ``predict(X)`` against y."""
        return _accuracy(self, X, y)

    def _store(self, coef, intercept):
        self.coef_, self.intercept_, self.classes_ = coef, intercept, self._fit_classes


class LogisticRegression(_Classifier):
    """Logistic regression: one sigmoid neuron p(y = classes_[1] | x) = sigmoid(w . x + b), trained by gradient
    descent on the log-loss (binary cross-entropy) with nc.nn / nc.optim.

    With more than two classes it learns one sigmoid neuron per class, one-vs-rest (the log-losses add up, so
    each neuron's gradient is that of its own binary problem), and ``predict_proba`` normalises the neurons'
    probabilities to sum to 1, like scikit-learn's one-vs-rest. For a single softmax layer over the classes use
    SoftmaxRegression.

    Objective: mean over samples of sum over neurons of BCE(sigmoid(w . x + b), y) + l2 / 2 * ||W||^2.
    Parameters and stopping: see the package docstring (learning_rate, max_iter, batch_size=None for full-batch
    gradient descent, tol, l2, shuffle, random_state, fit_intercept, n_iter_no_change).

    Attributes: ``coef_`` (1 or n_classes, n_features), ``intercept_``, ``classes_``, ``n_iter_``,
    ``loss_curve_``, ``n_features_in_``.

    >>> import neurocore as nc
    >>> X = [[-1.5], [-0.5], [0.5], [1.5]]
    >>> clf = nc.linear.LogisticRegression(learning_rate=1.0).fit(X, [0, 0, 1, 1])
    >>> clf.predict([[-1.0], [2.0]]).tolist(), clf.score(X, [0, 0, 1, 1])
    ([0, 1], 1.0)
    >>> clf.predict_proba([[0.0]]).round(6).tolist()        # on the boundary, by symmetry
    [[0.5, 0.5]]
    """

    def _encode_targets(self, y, n, dtype):
        self._fit_classes, encoded = check_labels(y, n)
        k = len(self._fit_classes)
        if k == 2:
            return (encoded == 1).astype(dtype)[:, None], 1
        onehot = np.zeros((n, k), dtype=dtype)
        onehot[np.arange(n), encoded] = 1.0
        return onehot, k

    def _loss(self, logits, targets):
        return F.binary_cross_entropy_with_logits(logits, targets, reduction="sum") / logits.shape[0]

    def predict_proba(self, X):
        """Class probabilities, (n_samples, n_classes); each row sums to 1."""
        p = _core.from_numpy(self._scores(X)).sigmoid()
        if p.shape[1] == 1:
            return _core.cat([1.0 - p, p], 1).numpy()
        return (p / p.sum(1, keepdim=True)).numpy()


class SoftmaxRegression(_Classifier):
    """Softmax (multinomial logistic) regression: one layer of n_classes neurons, p(y = k | x) =
    softmax(W x + b)_k, trained by gradient descent on the categorical cross-entropy with nc.nn / nc.optim.

    Objective: mean over samples of -log p(y | x) + l2 / 2 * ||W||^2. Parameters and stopping: see the package
    docstring. Attributes: ``coef_`` (n_classes, n_features), ``intercept_`` (n_classes,), ``classes_``,
    ``n_iter_``, ``loss_curve_``, ``n_features_in_``.

    >>> import neurocore as nc
    >>> import numpy as np
    >>> X, y = nc.datasets.load_digits(return_X_y=True)
    >>> X, y = X.numpy() / 16.0, y.numpy()
    >>> train, test = np.split(np.random.default_rng(0).permutation(len(y)), [1437])
    >>> clf = nc.linear.SoftmaxRegression(learning_rate=0.5, batch_size=64, max_iter=50, tol=None, random_state=0)
    >>> clf.fit(X[train], y[train]).coef_.shape
    (10, 64)
    >>> clf.score(X[test], y[test]) > 0.95
    True
    """

    def _encode_targets(self, y, n, dtype):
        self._fit_classes, encoded = check_labels(y, n)
        return encoded.astype(np.int64), len(self._fit_classes)

    def _loss(self, logits, targets):
        return F.cross_entropy(logits, targets)

    def predict_proba(self, X):
        """Class probabilities softmax(W x + b), (n_samples, n_classes)."""
        return _core.from_numpy(self._scores(X)).softmax(1).numpy()
