"""Rosenblatt's perceptron with scikit-learn's interface (sklearn.linear_model.Perceptron)."""
import warnings

import numpy as np

from .. import _core
from .._tensor import zeros
from ..autograd import no_grad
from ._base import (ConvergenceWarning, Estimator, NoImprovement, check_labels, check_number, check_X, nc_dtype,
                    rng_from)

__all__ = ["Perceptron"]


class Perceptron(Estimator):
    """A single threshold neuron trained with Rosenblatt's (1958) perceptron learning rule.

    For each training sample (x_i, y_i), y_i in {-1, +1}, in turn: if y_i * (w . x_i + b) <= 0 (a mistake; a
    score of exactly 0 counts as one) then ``w += eta0 * y_i * x_i`` and ``b += eta0 * y_i``. Weights start at
    zero. This is scikit-learn's Perceptron (SGD on the loss max(0, -y f(x)) with a constant learning rate): the
    same parameters, attributes and stopping rule.

    Several classes are learnt one-vs-rest: one neuron per class, trained on "this class (+1) or not (-1)";
    ``predict`` picks the class with the largest score. Two classes use one neuron whose positive side is
    ``classes_[1]``.

    Stopping (scikit-learn's rule): the loss of an epoch is the sum over its samples of max(0, -y f(x)), each
    taken before that sample's update. An epoch whose loss is not below the best epoch loss so far minus
    ``tol * n_samples`` counts as no improvement; ``n_iter_no_change`` such epochs in a row stop that neuron.
    ``tol=None`` runs exactly ``max_iter`` epochs. Stopping at ``max_iter`` with a ``tol`` set warns
    (ConvergenceWarning), as scikit-learn does.

    The perceptron convergence theorem (Novikoff 1962) guarantees a finite number of mistakes when the classes
    are linearly separable; when they are not (XOR: Minsky & Papert 1969) it never stops making them.
    ``separated_`` tells whether the final weights put every training sample strictly on its side, and
    ``mistakes_`` lists the updates made in each epoch.

    Parameters: ``eta0`` learning rate (> 0), ``max_iter`` epochs at most, ``tol`` (None or >= 0),
    ``shuffle`` the samples each epoch, ``random_state`` seed of that shuffling (scikit-learn's default 0),
    ``fit_intercept`` learn b (else b = 0), ``n_iter_no_change`` epochs without improvement before stopping.

    Attributes after ``fit``: ``coef_`` (1 or n_classes, n_features), ``intercept_`` (1 or n_classes,),
    ``classes_``, ``n_iter_`` (epochs run; the most over the one-vs-rest neurons), ``n_features_in_``,
    ``mistakes_`` (list: updates per epoch, summed over neurons), ``separated_`` (bool).

    >>> import neurocore as nc
    >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> p = nc.linear.Perceptron(shuffle=False).fit(X, [0, 0, 0, 1])     # logical AND
    >>> p.predict(X).tolist(), p.score(X, [0, 0, 0, 1])
    ([0, 0, 0, 1], 1.0)
    >>> p.coef_.tolist(), p.intercept_.tolist(), p.separated_
    ([[3.0, 2.0]], [-4.0], True)
    >>> xor = nc.linear.Perceptron(shuffle=False, tol=None, max_iter=100).fit(X, [0, 1, 1, 0])
    >>> xor.separated_, xor.score(X, [0, 1, 1, 0]) < 1, min(xor.mistakes_) > 0   # not linearly separable
    (False, True, True)
    """

    def __init__(self, eta0=1.0, max_iter=1000, tol=1e-3, shuffle=True, random_state=0, fit_intercept=True,
                 n_iter_no_change=5):
        self.eta0 = eta0
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.n_iter_no_change = n_iter_no_change

    def _validate_params(self):
        check_number("eta0", self.eta0, low=0, low_open=True)
        check_number("max_iter", self.max_iter, low=1, integer=True)
        check_number("tol", self.tol, low=0, allow_none=True)
        check_number("n_iter_no_change", self.n_iter_no_change, low=1, integer=True)

    def fit(self, X, y):
        """Learn the weights from X (n_samples, n_features) and class labels y (n_samples,); returns self."""
        self._validate_params()
        X = check_X(X)
        classes, encoded = check_labels(y, X.shape[0])
        n, n_features = X.shape
        # Targets in {-1, +1}: one column for two classes (positive = classes_[1]), else one per class.
        n_out = 1 if len(classes) == 2 else len(classes)
        signs = -np.ones((n, n_out), dtype=X.dtype)
        if n_out == 1:
            signs[encoded == 1, 0] = 1.0
        else:
            signs[np.arange(n), encoded] = 1.0
        dt = nc_dtype(X)
        rows = list(_core.from_numpy(X))
        targets = list(_core.from_numpy(signs))
        w = zeros(n_out, n_features, dtype=dt)
        b = zeros(n_out, dtype=dt)
        active = np.ones(n_out, dtype=bool)
        n_iter = np.full(n_out, self.max_iter)
        rules = [NoImprovement(None if self.tol is None else self.tol * n, self.n_iter_no_change)
                 for _ in range(n_out)]
        rng = rng_from(self.random_state)
        eta0 = float(self.eta0)
        mistakes_per_epoch = []
        with no_grad():
            for epoch in range(self.max_iter):
                order = rng.permutation(n) if self.shuffle else range(n)
                loss = zeros(n_out, dtype=dt)
                mistakes = zeros(n_out, dtype=dt)
                live = _core.from_numpy(active.astype(X.dtype))   # stopped neurons make no more updates
                for i in order:
                    x, t = rows[i], targets[i]
                    margin = w.matmul(x).add_(b).mul_(t)          # y_i * f(x_i), one per neuron
                    loss.add_(margin.neg().clamp_(min=0.0))       # max(0, -y f(x)) before the update
                    miss = (margin <= 0).to(dt).mul_(live)
                    mistakes.add_(miss)
                    step = miss.mul_(t).mul_(eta0)                # eta0 * y_i on a mistake, else 0
                    w.add_(step.unsqueeze(1) * x.unsqueeze(0))
                    if self.fit_intercept:
                        b.add_(step)
                mistakes_per_epoch.append(int(round(float(mistakes.sum().item()))))
                for k, epoch_loss in enumerate(loss.numpy()):
                    if active[k] and rules[k].update(float(epoch_loss)):
                        active[k] = False
                        n_iter[k] = epoch + 1
                if not active.any():
                    break
        self.coef_ = w.numpy().copy()
        self.intercept_ = b.numpy().copy()
        self.classes_ = classes
        self.n_features_in_ = n_features
        self.n_iter_ = int(n_iter.max())
        self.mistakes_ = mistakes_per_epoch
        self.separated_ = bool((self._scores(X) * signs > 0).all())
        if self.tol is not None and self.n_iter_ == self.max_iter:
            warnings.warn(f"Maximum number of iteration reached before convergence ({self.max_iter} epochs). "
                          "Consider increasing max_iter to improve the fit.", ConvergenceWarning, stacklevel=2)
        return self

    def decision_function(self, X):
        """Scores w . x + b: shape (n_samples,) for two classes (positive: classes_[1]), else
        (n_samples, n_classes)."""
        scores = self._scores(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X):
        """The predicted class label of each sample."""
        scores = self._scores(X)
        if scores.shape[1] == 1:
            return self.classes_[(scores[:, 0] > 0).astype(np.int64)]
        return self.classes_[scores.argmax(axis=1)]

    def score(self, X, y):
        """Mean accuracy of ``predict(X)`` against y."""
        return _accuracy(self, X, y)


def _accuracy(model, X, y):
    pred = model.predict(X)
    y = np.asarray(y.detach().numpy() if isinstance(y, _core.Tensor) else y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.shape != pred.shape:
        raise ValueError(f"y has shape {y.shape}, but X gives {pred.shape[0]} predictions")
    return float(np.mean(pred == y))
