"""One layer of neurons trained by (mini-batch) gradient descent with nc.nn and nc.optim: the shared fit loop."""
import math
import warnings

from .. import _core
from .. import nn, optim
from ._base import ConvergenceWarning, Estimator, NoImprovement, check_number, check_X, nc_dtype, rng_from

__all__ = []


class GradientLinearModel(Estimator):
    """Base of LogisticRegression, SoftmaxRegression and LinearRegression: an ``nn.Linear`` layer (weights
    start at zero) trained by ``optim.SGD`` on ``loss(batch) + l2 / 2 * ||W||^2`` (the bias is not penalised).

    Each epoch visits the samples once in batches of ``batch_size`` (None: all samples, i.e. plain gradient
    descent, one step per epoch), reshuffled every epoch when ``shuffle``. The epoch loss is the sample-weighted
    mean of the batch losses, each taken before its step. Stopping follows scikit-learn (MLPClassifier): an epoch
    whose loss is not below the best so far minus ``tol`` counts as no improvement, and ``n_iter_no_change`` of
    them in a row stop training; ``tol=None`` runs exactly ``max_iter`` epochs. Reaching ``max_iter`` with a
    ``tol`` set warns (ConvergenceWarning).

    Subclasses give ``_encode_targets(y, n_samples, dtype)`` -> (numpy targets, number of outputs), ``_loss(out, t)``
    (the batch's mean loss) and ``_store(coef, intercept)``.
    """

    def __init__(self, learning_rate=0.1, max_iter=1000, batch_size=None, tol=1e-4, l2=0.0, shuffle=True,
                 random_state=None, fit_intercept=True, n_iter_no_change=5):
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.tol = tol
        self.l2 = l2
        self.shuffle = shuffle
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.n_iter_no_change = n_iter_no_change

    def _validate_params(self):
        check_number("learning_rate", self.learning_rate, low=0, low_open=True)
        check_number("max_iter", self.max_iter, low=1, integer=True)
        check_number("batch_size", self.batch_size, low=1, integer=True, allow_none=True)
        check_number("tol", self.tol, low=0, allow_none=True)
        check_number("l2", self.l2, low=0)
        check_number("n_iter_no_change", self.n_iter_no_change, low=1, integer=True)

    def fit(self, X, y):
        """Train on X (n_samples, n_features) and y; returns self. ``loss_curve_`` holds each epoch's loss."""
        self._validate_params()
        X = check_X(X)
        n, n_features = X.shape
        targets, n_out = self._encode_targets(y, n, X.dtype)
        dt = nc_dtype(X)
        layer = nn.Linear(n_features, n_out, bias=self.fit_intercept, dtype=dt)
        nn.init.zeros_(layer.weight)
        if layer.bias is not None:
            nn.init.zeros_(layer.bias)
        opt = optim.SGD(layer.parameters(), lr=self.learning_rate)
        xs, ts = _core.from_numpy(X), _core.from_numpy(targets)
        batch = n if self.batch_size is None else min(self.batch_size, n)
        rng = rng_from(self.random_state)
        rule = NoImprovement(self.tol, self.n_iter_no_change)
        self.loss_curve_ = []
        for epoch in range(self.max_iter):
            order = _core.from_numpy(rng.permutation(n)) if self.shuffle and batch < n else None
            total = 0.0
            for start in range(0, n, batch):
                if order is None:
                    xb, tb = xs[start:start + batch], ts[start:start + batch]
                else:
                    idx = order[start:start + batch]
                    xb, tb = xs.index_select(0, idx), ts.index_select(0, idx)
                loss = self._loss(layer(xb), tb)
                if self.l2:
                    loss = loss + (0.5 * self.l2) * (layer.weight * layer.weight).sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * xb.shape[0]
            epoch_loss = total / n
            self.loss_curve_.append(epoch_loss)
            if not math.isfinite(epoch_loss):
                self._diverged(f"became {epoch_loss} at epoch {epoch + 1}")
            if rule.update(epoch_loss):
                break
        if self.loss_curve_[-1] > 10 * self.loss_curve_[0]:
            # Stopped because the loss kept growing (by far more than mini-batch noise): gradient descent diverged.
            self._diverged(f"grew from {self.loss_curve_[0]:.4g} to {self.loss_curve_[-1]:.4g}")
        self.n_iter_ = len(self.loss_curve_)
        self.n_features_in_ = n_features
        coef = layer.weight.detach().numpy().copy()
        intercept = layer.bias.detach().numpy().copy() if layer.bias is not None else coef[:, 0] * 0
        self._store(coef, intercept)
        if self.tol is not None and self.n_iter_ == self.max_iter:
            warnings.warn(f"{type(self).__name__}: maximum number of iterations ({self.max_iter} epochs) reached "
                          "before the loss stopped improving; consider increasing max_iter or learning_rate.",
                          ConvergenceWarning, stacklevel=2)
        return self

    def _diverged(self, what):
        raise ValueError(f"{type(self).__name__}: the loss {what}: gradient descent diverged, the learning_rate "
                         f"({self.learning_rate}) is too large for this data (try a smaller one, or scale the "
                         "features)")
