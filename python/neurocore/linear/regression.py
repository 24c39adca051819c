"""Linear regression as one linear neuron per target (identity activation, mean squared error), trained by
gradient descent."""
import numpy as np

from ..nn import functional as F
from ._base import check_targets
from ._gd import GradientLinearModel

__all__ = ["LinearRegression"]


class LinearRegression(GradientLinearModel):
    """Least-squares linear regression y = x . w + b, learnt by gradient descent on the mean squared error with
    nc.nn / nc.optim (a linear neuron, the ADALINE / Widrow-Hoff rule when batch_size=1). Unlike
    scikit-learn's LinearRegression (a direct least-squares solve) it approaches the least-squares solution
    step by step; with well-scaled features and enough epochs it gets there.

    Objective: mean over samples of sum over targets of (x . w + b - y)^2 + l2 / 2 * ||W||^2 (l2 > 0: ridge).
    Parameters and stopping: see the package docstring. ``score`` is the coefficient of determination R^2.
    Attributes: ``coef_`` (n_features,) for a 1-D y, (n_targets, n_features) for a 2-D y; ``intercept_`` (a
    float, or (n_targets,)); ``n_iter_``, ``loss_curve_``, ``n_features_in_``.

    >>> import neurocore as nc
    >>> X = [[0.0], [1.0], [2.0], [3.0]]
    >>> reg = nc.linear.LinearRegression(learning_rate=0.1, max_iter=2000, tol=1e-12).fit(X, [1.0, 3.0, 5.0, 7.0])
    >>> [round(float(c), 3) for c in reg.coef_], round(reg.intercept_, 3)
    ([2.0], 1.0)
    >>> reg.predict([[10.0]]).round(2).tolist(), reg.score(X, [1.0, 3.0, 5.0, 7.0]) > 0.9999
    ([21.0], True)
    """

    def _encode_targets(self, y, n, dtype):
        y = check_targets(y, n)
        self._single_target = y.ndim == 1
        y2 = y.reshape(n, -1).astype(dtype)
        return np.ascontiguousarray(y2), y2.shape[1]

    def _loss(self, out, targets):
        return F.mse_loss(out, targets, reduction="sum") / out.shape[0]

    def _store(self, coef, intercept):
        if self._single_target:
            self.coef_, self.intercept_ = coef[0], float(intercept[0])
        else:
            self.coef_, self.intercept_ = coef, intercept

    def predict(self, X):
        """x . w + b for each sample: (n_samples,) or (n_samples, n_targets)."""
        out = self._scores(X)
        return out[:, 0] if self.coef_.ndim == 1 else out

    def score(self, X, y):
        """R^2 = 1 - sum (y - y_pred)^2 / sum (y - mean y)^2, averaged over targets (scikit-learn's r2_score)."""
        pred = self.predict(X)
        y = check_targets(y, pred.shape[0])
        y2, p2 = y.reshape(len(y), -1), pred.reshape(len(y), -1)
        if y2.shape != p2.shape:
            raise ValueError(f"y has shape {y.shape}, but the model predicts {p2.shape[1]} target(s) per sample")
        ss_res = ((y2 - p2) ** 2).sum(axis=0)
        ss_tot = ((y2 - y2.mean(axis=0)) ** 2).sum(axis=0)
        # A constant target: R^2 is 1 for a perfect fit, else 0 (scikit-learn's force_finite).
        safe = np.where(ss_tot > 0, ss_tot, 1.0)
        r2 = np.where(ss_tot > 0, 1.0 - ss_res / safe, np.where(ss_res == 0, 1.0, 0.0))
        return float(r2.mean())
