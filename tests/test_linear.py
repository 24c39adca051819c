"""nc.linear: Perceptron (Rosenblatt's rule), LogisticRegression, SoftmaxRegression, LinearRegression."""
import doctest
import importlib
import math
import warnings

import numpy as np
import pytest

import neurocore as nc
from neurocore.linear import (ConvergenceWarning, LinearRegression, LogisticRegression, NotFittedError, Perceptron,
                              SoftmaxRegression)

GATE_X = [[0, 0], [0, 1], [1, 0], [1, 1]]
GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": [1, 1, 1, 0], "NOR": [1, 0, 0, 0], "XOR": [0, 1, 1, 0]}


def _reference_perceptron(X, signs, eta0=1.0, tol=1e-3, max_iter=1000, patience=5, intercept=True):
    """Plain-Python perceptron rule with scikit-learn's stopping rule, one binary problem, samples in order.
    Returns (w, b, epochs, mistakes per epoch)."""
    n, n_features = len(X), len(X[0])
    w, b = [0.0] * n_features, 0.0
    best, bad, mistakes = math.inf, 0, []
    for epoch in range(max_iter):
        loss, wrong = 0.0, 0
        for i in range(n):
            f = sum(wj * xj for wj, xj in zip(w, X[i])) + b
            if signs[i] * f <= 0:
                loss += -signs[i] * f
                wrong += 1
                w = [wj + eta0 * signs[i] * xj for wj, xj in zip(w, X[i])]
                b += eta0 * signs[i] if intercept else 0.0
        mistakes.append(wrong)
        if tol is not None:
            bad = bad + 1 if loss > best - tol * n else 0
            best = min(best, loss)
            if bad >= patience:
                return w, b, epoch + 1, mistakes
    return w, b, max_iter, mistakes


# ----------------------------------------------------------------------------- Perceptron: logic gates

def test_perceptron_and_hand_run():
    # Rosenblatt's rule by hand, eta0 = 1, w = (0, 0), b = 0, samples in order, mistake when y f(x) <= 0:
    # epoch 1: (0,0) y=-1 f=0 -> b=-1;  (1,1) y=+1 f=-1 -> w=(1,1) b=0                       2 mistakes, loss 1
    # epoch 2: (0,0) f=0 -> b=-1;  (0,1) f=0 -> w=(1,0) b=-2;  (1,1) f=-1 -> w=(2,1) b=-1       3, loss 1
    # epoch 3: (0,1) f=0 -> w=(2,0) b=-2;  (1,0) f=0 -> w=(1,0) b=-3;  (1,1) f=-2 -> w=(2,1) b=-2   3, loss 2
    # epoch 4: (1,0) f=0 -> w=(1,1) b=-3;  (1,1) f=-1 -> w=(2,2) b=-2                         2, loss 1
    # epoch 5: (0,1) f=0 -> w=(2,1) b=-3;  (1,1) f=0 -> w=(3,2) b=-2                          2, loss 0
    # epoch 6: (0,1) f=0 -> w=(3,1) b=-3;  (1,0) f=0 -> w=(2,1) b=-4;  (1,1) f=-1 -> w=(3,2) b=-3   3, loss 1
    # epoch 7: (1,0) f=0 -> w=(2,2) b=-4;  (1,1) f=0 -> w=(3,3) b=-3                          2, loss 0
    # epoch 8: (0,1) f=0 -> w=(3,2) b=-4                                                      1, loss 0
    # epochs 9, 10: no mistake, loss 0.
    # Stopping (tol * n = 0.004): the loss fails to beat the best (1, then 0 from epoch 5) in epochs 2, 3, 4 and
    # 6, 7, 8, 9, 10: the fifth such epoch in a row is epoch 10.
    p = Perceptron(shuffle=False).fit(GATE_X, GATES["AND"])
    np.testing.assert_array_equal(p.coef_, [[3.0, 2.0]])
    np.testing.assert_array_equal(p.intercept_, [-4.0])
    assert p.n_iter_ == 10
    assert p.mistakes_ == [2, 3, 3, 2, 2, 3, 2, 1, 0, 0]
    assert p.separated_ is True
    np.testing.assert_array_equal(p.classes_, [0, 1])
    np.testing.assert_array_equal(p.predict(GATE_X), GATES["AND"])
    np.testing.assert_array_equal(p.decision_function(GATE_X), [-4.0, -2.0, -1.0, 1.0])
    assert p.score(GATE_X, GATES["AND"]) == 1.0


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND", "NOR"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("eta0", [1.0, 0.25])
def test_perceptron_learns_gate_like_reference(gate, dtype, eta0):
    X = np.array(GATE_X, dtype=dtype)
    y = np.array(GATES[gate])
    p = Perceptron(shuffle=False, eta0=eta0).fit(X, y)
    w, b, epochs, mistakes = _reference_perceptron(GATE_X, [1 if v == 1 else -1 for v in y], eta0=eta0)
    assert p.coef_.dtype == dtype and p.coef_.shape == (1, 2) and p.intercept_.shape == (1,)
    np.testing.assert_array_equal(p.coef_[0], w)
    assert p.intercept_[0] == b
    assert p.n_iter_ == epochs and p.mistakes_ == mistakes
    assert p.score(X, y) == 1.0 and p.separated_


def test_perceptron_xor_is_not_linearly_separable():
    X, y = GATE_X, GATES["XOR"]
    p = Perceptron(shuffle=False, tol=None, max_iter=1000).fit(X, y)
    assert p.n_iter_ == 1000
    assert p.score(X, y) <= 0.75            # no line gets more than 3 of the 4 XOR points right
    assert not p.separated_
    assert len(p.mistakes_) == 1000 and min(p.mistakes_) > 0   # it never stops making mistakes
    # With the default tol the loss stops improving and training ends early, still not separated.
    q = Perceptron(random_state=1).fit(X, y)
    assert q.n_iter_ < q.max_iter and not q.separated_ and q.score(X, y) < 1.0


def test_perceptron_warns_when_max_iter_reached():
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        p = Perceptron(max_iter=3).fit(GATE_X, GATES["XOR"])   # the rule needs >= 6 epochs to stop
    assert p.n_iter_ == 3


def test_perceptron_shuffle_is_seeded():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = (X @ [1.0, -2.0, 0.5] + 0.3 > 0).astype(int)
    a = Perceptron(random_state=7).fit(X, y)
    b = Perceptron(random_state=7).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.n_iter_ == b.n_iter_
    # The samples' order matters: shuffled runs differ from the one in order.
    c = Perceptron(shuffle=False).fit(X, y)
    assert not np.array_equal(a.coef_, c.coef_)


def test_perceptron_labels_keep_their_type():
    p = Perceptron(shuffle=False).fit(GATE_X, ["off", "off", "off", "on"])
    assert p.predict([[1, 1], [0, 1]]).tolist() == ["on", "off"]
    assert p.score(GATE_X, ["off", "off", "off", "on"]) == 1.0


def test_perceptron_without_intercept():
    # Through the origin only: AND cannot be separated, but "x0 > x1" can.
    X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [1.0, 2.0]])
    y = [1, 0, 1, 0]
    p = Perceptron(fit_intercept=False, shuffle=False).fit(X, y)
    assert p.intercept_.tolist() == [0.0]
    w, _, epochs, _ = _reference_perceptron(X.tolist(), [1, -1, 1, -1], intercept=False)
    np.testing.assert_array_equal(p.coef_[0], w)
    assert p.n_iter_ == epochs
    assert p.score(X, y) == 1.0
    assert not Perceptron(fit_intercept=False, tol=None, max_iter=50).fit(GATE_X, GATES["AND"]).separated_


def test_perceptron_multiclass_one_vs_rest_matches_reference():
    # Three well separated blobs in 2-D; each one-vs-rest neuron follows the rule on its own (and stops on its
    # own), with the samples in the same order.
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 4.0], [4.0, -2.0], [-4.0, -2.0]])
    X = np.concatenate([c + rng.standard_normal((10, 2)) for c in centres])
    y = np.repeat([10, 20, 30], 10)
    p = Perceptron(shuffle=False).fit(X, y)
    assert p.coef_.shape == (3, 2) and p.intercept_.shape == (3,)
    np.testing.assert_array_equal(p.classes_, [10, 20, 30])
    epochs = []
    for k, label in enumerate([10, 20, 30]):
        w, b, e, _ = _reference_perceptron(X.tolist(), [1 if v == label else -1 for v in y])
        np.testing.assert_allclose(p.coef_[k], w, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(p.intercept_[k], b, rtol=1e-12, atol=1e-12)
        epochs.append(e)
    assert p.n_iter_ == max(epochs)
    scores = p.decision_function(X)
    assert scores.shape == (30, 3)
    np.testing.assert_allclose(scores, X @ p.coef_.T + p.intercept_, rtol=1e-12)
    np.testing.assert_array_equal(p.predict(X), p.classes_[scores.argmax(1)])
    assert p.score(X, y) == 1.0


def _digits_split(seed=0):
    X, y = nc.datasets.load_digits(return_X_y=True)
    X, y = X.numpy() / 16.0, y.numpy()
    train, test = np.split(np.random.default_rng(seed).permutation(len(y)), [1437])
    return X[train], y[train], X[test], y[test]


def test_perceptron_digits():
    X_train, y_train, X_test, y_test = _digits_split()
    p = Perceptron().fit(X_train, y_train)
    assert p.coef_.shape == (10, 64) and p.coef_.dtype == np.float32   # float32 input trains in float32
    assert p.score(X_test, y_test) >= 0.9


# ----------------------------------------------------------------------------- a hidden layer solves XOR

def test_two_layer_network_learns_xor():
    nc.manual_seed(0)
    net = nc.nn.Sequential(nc.nn.Linear(2, 4), nc.nn.Tanh(), nc.nn.Linear(4, 1))
    opt = nc.optim.Adam(net.parameters(), lr=0.05)
    x = nc.tensor(GATE_X, dtype=nc.float32)
    y = nc.tensor([[v] for v in GATES["XOR"]], dtype=nc.float32)
    for _ in range(500):
        opt.zero_grad()
        loss = nc.nn.functional.binary_cross_entropy_with_logits(net(x), y)
        loss.backward()
        opt.step()
    with nc.no_grad():
        pred = (net(x).numpy()[:, 0] > 0).astype(int)
    assert pred.tolist() == GATES["XOR"]
    assert loss.item() < 0.05


# ----------------------------------------------------------------------------- gradient-descent models

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _numpy_gd(X, T, grad_and_loss, lr, steps, l2, batch=None):
    """Gradient descent from zero weights over batches in order; returns (W, b, per-epoch mean losses)."""
    n = len(X)
    batch = batch or n
    W, b = np.zeros((T.shape[1], X.shape[1])), np.zeros(T.shape[1])
    losses = []
    for _ in range(steps):
        total = 0.0
        for s in range(0, n, batch):
            xb, tb = X[s:s + batch], T[s:s + batch]
            loss, dz = grad_and_loss(xb @ W.T + b, tb)     # dz: d(mean loss) / d logits
            total += (loss + 0.5 * l2 * (W ** 2).sum()) * len(xb)
            W, b = W - lr * (dz.T @ xb + l2 * W), b - lr * dz.sum(0)
        losses.append(total / n)
    return W, b, losses


def _logloss(z, t):
    p = _sigmoid(z)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / len(z), (p - t) / len(z)


def _softmax_ce(z, t):
    e = np.exp(z - z.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    return -np.log(p[np.arange(len(z)), t.argmax(1)]).mean(), (p - t) / len(z)


@pytest.mark.parametrize("batch", [None, 16])
@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_logistic_regression_matches_numpy_gradient_descent(batch, l2):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((50, 3))
    y = (X @ [1.5, -1.0, 0.5] + 0.3 * rng.standard_normal(50) > 0).astype(int)
    clf = LogisticRegression(learning_rate=0.5, max_iter=20, tol=None, l2=l2, batch_size=batch, shuffle=False)
    clf.fit(X, y)
    W, b, losses = _numpy_gd(X, y[:, None].astype(float), _logloss, 0.5, 20, l2, batch)
    assert clf.n_iter_ == 20 and clf.coef_.shape == (1, 3) and clf.coef_.dtype == np.float64
    np.testing.assert_allclose(clf.loss_curve_, losses, rtol=1e-10)
    np.testing.assert_allclose(clf.coef_, W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.intercept_, b, rtol=1e-10, atol=1e-12)
    z = X @ W[0] + b[0]
    np.testing.assert_allclose(clf.decision_function(X), z, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X), np.stack([1 - _sigmoid(z), _sigmoid(z)], 1), rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(X), (z > 0).astype(int))


def test_logistic_regression_one_vs_rest_matches_numpy():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 2))
    y = rng.integers(0, 3, size=40)
    clf = LogisticRegression(learning_rate=0.3, max_iter=15, tol=None).fit(X, y)
    onehot = np.eye(3)[y]
    W, b, losses = _numpy_gd(X, onehot, _logloss, 0.3, 15, 0.0)
    np.testing.assert_allclose(clf.loss_curve_, losses, rtol=1e-10)
    np.testing.assert_allclose(clf.coef_, W, rtol=1e-10, atol=1e-12)
    p = _sigmoid(X @ W.T + b)
    np.testing.assert_allclose(clf.predict_proba(X), p / p.sum(1, keepdims=True), rtol=1e-10)


def test_softmax_regression_matches_numpy():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((45, 4))
    y = rng.integers(0, 3, size=45)
    clf = SoftmaxRegression(learning_rate=0.4, max_iter=12, tol=None, l2=0.01).fit(X, y)
    W, b, losses = _numpy_gd(X, np.eye(3)[y], _softmax_ce, 0.4, 12, 0.01)
    np.testing.assert_allclose(clf.loss_curve_, losses, rtol=1e-10)
    np.testing.assert_allclose(clf.coef_, W, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.intercept_, b, rtol=1e-10, atol=1e-12)
    z = X @ W.T + b
    e = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), e / e.sum(1, keepdims=True), rtol=1e-10)


def test_softmax_regression_digits():
    X_train, y_train, X_test, y_test = _digits_split()
    clf = SoftmaxRegression(learning_rate=0.5, batch_size=64, max_iter=50, tol=None, random_state=0)
    clf.fit(X_train, y_train)
    assert clf.coef_.shape == (10, 64) and clf.intercept_.shape == (10,)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] / 5
    acc = clf.score(X_test, y_test)
    assert acc >= 0.95, acc      # 0.98 measured
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)


def test_linear_regression_reaches_least_squares():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((200, 3))
    y = X @ [2.0, -1.0, 0.5] + 3.0 + 0.1 * rng.standard_normal(200)
    reg = LinearRegression(learning_rate=0.2, max_iter=5000, tol=1e-14).fit(X, y)
    A = np.hstack([X, np.ones((200, 1))])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    assert reg.coef_.shape == (3,) and isinstance(reg.intercept_, float)
    np.testing.assert_allclose(reg.coef_, sol[:3], atol=1e-6)
    assert abs(reg.intercept_ - sol[3]) < 1e-6
    assert reg.n_iter_ < 5000
    pred = reg.predict(X)
    np.testing.assert_allclose(pred, X @ reg.coef_ + reg.intercept_, rtol=1e-12)
    r2 = 1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert reg.score(X, y) == pytest.approx(r2, rel=1e-12) and r2 > 0.99


def test_linear_regression_two_targets_float32():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((100, 2)).astype(np.float32)
    Y = np.stack([X @ [1.0, 2.0] - 1.0, X @ [-3.0, 0.5] + 2.0], 1).astype(np.float32)
    reg = LinearRegression(learning_rate=0.2, max_iter=2000, tol=1e-9).fit(nc.tensor(X), nc.tensor(Y))
    assert reg.coef_.shape == (2, 2) and reg.intercept_.shape == (2,) and reg.coef_.dtype == np.float32
    np.testing.assert_allclose(reg.coef_, [[1.0, 2.0], [-3.0, 0.5]], atol=1e-4)
    np.testing.assert_allclose(reg.intercept_, [-1.0, 2.0], atol=1e-4)
    assert reg.predict(X).shape == (100, 2)
    assert reg.score(X, Y) > 0.9999


def test_linear_regression_l2_is_ridge():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((80, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.2 * rng.standard_normal(80)
    l2 = 0.5
    reg = LinearRegression(learning_rate=0.1, max_iter=5000, tol=1e-14, l2=l2, fit_intercept=False).fit(X, y)
    # Minimiser of mean (Xw - y)^2 + l2/2 |w|^2:  (2 X^T X / n + l2 I) w = 2 X^T y / n
    n = len(X)
    w = np.linalg.solve(2 * X.T @ X / n + l2 * np.eye(3), 2 * X.T @ y / n)
    np.testing.assert_allclose(reg.coef_, w, atol=1e-6)
    assert reg.intercept_ == 0.0


def test_gradient_model_stopping_rule():
    # tol: stops once the loss has not improved by tol for n_iter_no_change epochs in a row.
    X = [[-1.5], [-0.5], [0.5], [1.5]]
    clf = LogisticRegression(learning_rate=1.0, tol=1e-3, n_iter_no_change=3).fit(X, [0, 0, 1, 1])
    curve = clf.loss_curve_
    assert clf.n_iter_ == len(curve) < 1000
    best = [min(curve[:i + 1]) for i in range(len(curve))]
    tail = [curve[i] > best[i - 1] - 1e-3 for i in range(len(curve) - 3, len(curve))]
    assert all(tail)
    assert not (curve[-4] > best[-5] - 1e-3)   # the run of bad epochs is exactly 3 long
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        LogisticRegression(max_iter=3).fit(X, [0, 0, 1, 1])


# ----------------------------------------------------------------------------- interface and bad input

def test_params_and_repr():
    p = Perceptron(eta0=0.5, tol=None)
    assert repr(p) == "Perceptron(eta0=0.5, tol=None)"
    assert p.get_params()["eta0"] == 0.5
    p.set_params(max_iter=7)
    assert p.max_iter == 7
    with pytest.raises(ValueError, match="Invalid parameter 'bogus'"):
        p.set_params(bogus=1)
    assert repr(LinearRegression()) == "LinearRegression()"


@pytest.mark.parametrize("Model", [Perceptron, LogisticRegression, SoftmaxRegression, LinearRegression])
def test_predict_before_fit(Model):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Model().predict([[0.0, 1.0]])
    assert issubclass(NotFittedError, ValueError)


@pytest.mark.parametrize("Model", [Perceptron, LogisticRegression, SoftmaxRegression, LinearRegression])
def test_bad_X(Model):
    m = Model()
    with pytest.raises(ValueError, match="Expected a 2-D array.*reshape"):
        m.fit([0.0, 1.0, 2.0], [0, 1, 0])
    with pytest.raises(ValueError, match="contains NaN"):
        m.fit([[0.0], [np.nan], [1.0]], [0, 1, 0])
    with pytest.raises(ValueError, match="contains infinity"):
        m.fit([[0.0], [np.inf], [1.0]], [0, 1, 0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples: X has 3, y has 2"):
        m.fit([[0.0], [1.0], [2.0]], [0, 1])
    with pytest.raises(ValueError, match="0 samples"):
        m.fit(np.zeros((0, 2)), [])
    with pytest.raises(ValueError, match="must hold numbers"):
        m.fit([["a"], ["b"]], [0, 1])
    m.fit([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [0, 1, 1, 0])
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 2 features"):
        m.predict([[0.0, 1.0, 2.0]])


@pytest.mark.parametrize("Model", [Perceptron, LogisticRegression, SoftmaxRegression])
def test_bad_labels(Model):
    X = [[0.0], [1.0], [2.0]]
    with pytest.raises(ValueError, match="greater than one; got 1 class"):
        Model().fit(X, [1, 1, 1])
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        Model().fit(X, [0.5, 1.0, 2.0])
    with pytest.raises(ValueError, match="y contains NaN"):
        Model().fit(X, [0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="1-D array of class labels"):
        Model().fit(X, [[0, 1], [1, 0], [0, 1]])


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"eta0": 0.0}, ValueError, "eta0 must be > 0"),
    ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
    ({"max_iter": 2.5}, TypeError, "max_iter must be an int"),
    ({"tol": -1.0}, ValueError, "tol must be >= 0"),
    ({"n_iter_no_change": 0}, ValueError, "n_iter_no_change must be >= 1"),
    ({"random_state": "seed"}, ValueError, "random_state must be None, an int"),
])
def test_perceptron_bad_params(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Perceptron(**kwargs).fit(GATE_X, GATES["AND"])


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"learning_rate": -0.1}, ValueError, "learning_rate must be > 0"),
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
    ({"l2": -1.0}, ValueError, "l2 must be >= 0"),
    ({"tol": "small"}, TypeError, "tol must be a real number or None"),
])
def test_gradient_model_bad_params(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        LogisticRegression(**kwargs).fit(GATE_X, GATES["AND"])


def test_divergence_is_reported():
    X = np.array([[1e3], [2e3], [3e3]])
    with pytest.raises(ValueError, match="learning_rate .* too large"):
        LinearRegression(learning_rate=10.0, max_iter=200).fit(X, [1.0, 2.0, 3.0])


def test_noise_target_is_not_mistaken_for_divergence():
    # Zero weights are already optimal for a target independent of X: later epochs only wobble by mini-batch
    # noise around the first epoch's loss, which must not read as divergence.
    rng = np.random.default_rng(8)
    y = rng.standard_normal(64)
    y -= y.mean()
    X = rng.standard_normal((64, 2))
    X -= X.mean(0)
    X -= np.outer(y, y @ X) / (y @ y)        # columns orthogonal to y: w = 0, b = 0 is the least-squares fit
    grew = 0
    for seed in range(6):
        reg = LinearRegression(learning_rate=0.05, batch_size=8, random_state=seed).fit(X, y)
        grew += reg.loss_curve_[-1] > reg.loss_curve_[0]
        assert reg.n_iter_ < 1000 and abs(reg.score(X, y)) < 0.05
    assert grew > 0          # the case this test is about did occur


def test_score_checks_y_shape():
    reg = LinearRegression(max_iter=50, tol=None).fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        reg.score([[0.0], [1.0]], [0.0, 1.0, 2.0])
    p = Perceptron().fit(GATE_X, GATES["OR"])
    with pytest.raises(ValueError, match="gives 4 predictions"):
        p.score(GATE_X, [0, 1, 1])


def test_no_warning_on_converged_fits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Perceptron().fit(GATE_X, GATES["OR"])
        LogisticRegression(learning_rate=1.0).fit([[-1.0], [-0.5], [0.5], [1.0]], [0, 0, 1, 1])


@pytest.mark.parametrize("module", ["neurocore.linear", "neurocore.linear.perceptron", "neurocore.linear.logistic",
                                    "neurocore.linear.regression"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
