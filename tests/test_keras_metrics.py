"""nc.keras metrics against plain numpy references: counts for Precision/Recall, an obvious per-threshold
loop for AUC (and closeness to the exact rank-based AUC), means for the accuracy/error metrics, and the
epoch values fit() reports (they accumulate counts over the epoch, not batch means)."""
import numpy as np
import pytest

from neurocore.keras import Sequential, metrics, optimizers
from neurocore.keras.layers import Dense

EPS = 1e-7


def batches(seed, n_batches=4, shape=(25,), positive_rate=0.4):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_batches):
        y_true = (rng.random(shape) < positive_rate).astype(np.float32)
        y_pred = rng.random(shape).astype(np.float32)
        y_pred[rng.random(shape) < 0.1] = 0.5  # exactly on the default threshold: not positive
        out.append((y_true, y_pred))
    return out


def ref_counts(y_true, y_pred, t):
    pos, pred = y_true != 0, y_pred > np.float32(t)
    return (np.sum(pos & pred), np.sum(~pos & pred), np.sum(~pos & ~pred), np.sum(pos & ~pred))


def ref_auc(y_true, y_pred, num_thresholds=200, curve="ROC"):
    """Keras' threshold method written out: counts at each threshold, then trapezoids (ROC) or Davis & Goadrich's
    interpolation of precision between neighbouring thresholds (PR)."""
    thresholds = [-EPS] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + EPS]
    counts = [ref_counts(y_true, y_pred, t) for t in thresholds]
    area = 0.0
    for (tp0, fp0, tn0, fn0), (tp1, fp1, tn1, fn1) in zip(counts[:-1], counts[1:]):
        if curve == "ROC":
            rec0 = tp0 / (tp0 + fn0) if tp0 + fn0 else 0.0
            rec1 = tp1 / (tp1 + fn1) if tp1 + fn1 else 0.0
            fpr0 = fp0 / (fp0 + tn0) if fp0 + tn0 else 0.0
            fpr1 = fp1 / (fp1 + tn1) if fp1 + tn1 else 0.0
            area += (fpr0 - fpr1) * (rec0 + rec1) / 2
        else:
            p0, p1 = tp0 + fp0, tp1 + fp1
            dtp, dp = tp0 - tp1, p0 - p1
            if dp <= 0 or tp1 + fn1 <= 0:
                continue
            slope = dtp / dp
            intercept = tp1 - slope * p1
            log_ratio = np.log(p0 / p1) if p0 > 0 and p1 > 0 else 0.0
            area += slope * (dtp + intercept * log_ratio) / (tp1 + fn1)
    return area


def exact_roc_auc(y_true, y_pred):
    """Probability that a random positive scores above a random negative (ties count half)."""
    pos, neg = y_pred[y_true != 0], y_pred[y_true == 0]
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return (greater + 0.5 * ties) / (len(pos) * len(neg))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_precision_recall_accumulate_counts(dtype):
    data = batches(0)
    p, r = metrics.Precision(), metrics.Recall()
    for y_true, y_pred in data:
        p.update_state(y_true, y_pred.astype(dtype))
        r.update_state(y_true, y_pred.astype(dtype))
    y_true = np.concatenate([b[0] for b in data])
    y_pred = np.concatenate([b[1] for b in data])
    tp, fp, _, fn = ref_counts(y_true, y_pred, 0.5)
    assert p.result() == pytest.approx(tp / (tp + fp), abs=1e-12)
    assert r.result() == pytest.approx(tp / (tp + fn), abs=1e-12)
    assert p.name == "precision" and r.name == "recall"


def test_precision_recall_several_thresholds_class_id_and_multilabel():
    rng = np.random.default_rng(3)
    y_true = (rng.random((40, 3)) < 0.5).astype(np.float32)
    y_pred = rng.random((40, 3)).astype(np.float32)
    thresholds = [0.2, 0.5, 0.7]
    p = metrics.Precision(thresholds=thresholds)
    p.update_state(y_true, y_pred)
    want = []
    for t in thresholds:
        tp, fp, _, _ = ref_counts(y_true, y_pred, t)  # multi-label: every element counts
        want.append(tp / (tp + fp))
    np.testing.assert_allclose(p.result(), want, rtol=1e-12)
    r = metrics.Recall(class_id=2)
    r.update_state(y_true, y_pred)
    tp, _, _, fn = ref_counts(y_true[:, 2], y_pred[:, 2], 0.5)
    assert r.result() == pytest.approx(tp / (tp + fn))
    # Evenly spaced thresholds take the bucketed route: same answer as comparing one by one.
    even = metrics.Recall(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0])
    even.update_state(y_true, y_pred)
    want = [ref_counts(y_true, y_pred, t) for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
    np.testing.assert_allclose(even.result(), [tp / (tp + fn) if tp + fn else 0.0 for tp, _, _, fn in want])


def test_precision_is_zero_when_nothing_is_predicted_positive():
    p = metrics.Precision()
    p.update_state(np.array([1, 1, 0]), np.array([0.1, 0.2, 0.3]))
    assert p.result() == 0.0
    p.reset_state()
    p.update_state(np.array([1, 0]), np.array([0.9, 0.9]))
    assert p.result() == 0.5


@pytest.mark.parametrize("num_thresholds", [200, 7])
@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_auc_matches_threshold_reference(curve, num_thresholds):
    data = batches(1, n_batches=3, shape=(30,))
    auc = metrics.AUC(num_thresholds=num_thresholds, curve=curve)
    for y_true, y_pred in data:
        y_pred = y_pred.copy()
        y_pred[:3] = [0.0, 1.0, 1 / 6]  # the ends and a grid point of the 7-threshold grid
        auc.update_state(y_true, y_pred)
    y_true = np.concatenate([b[0] for b in data])
    y_pred = np.concatenate([np.concatenate([[0.0, 1.0, 1 / 6], b[1][3:]]).astype(np.float32) for b in data])
    assert auc.result() == pytest.approx(ref_auc(y_true, y_pred, num_thresholds, curve), abs=1e-9)


def test_auc_is_close_to_the_exact_rank_auc():
    rng = np.random.default_rng(7)
    y_true = (rng.random(2000) < 0.3).astype(np.float32)
    scores = np.clip(0.5 + 0.25 * (y_true - 0.5) + 0.2 * rng.normal(size=2000), 0, 1).astype(np.float32)
    exact = exact_roc_auc(y_true, scores)
    coarse, fine = metrics.AUC(num_thresholds=20), metrics.AUC(num_thresholds=2000)
    for m in (coarse, fine):
        for i in range(0, 2000, 256):
            m.update_state(y_true[i:i + 256], scores[i:i + 256])
    assert 0.7 < exact < 0.95
    assert abs(fine.result() - exact) < 1e-3
    assert abs(coarse.result() - exact) < 0.02
    assert abs(fine.result() - exact) < abs(coarse.result() - exact)


def test_auc_summation_methods_bracket_the_interpolation():
    y_true, y_pred = batches(5, n_batches=1, shape=(200,))[0]
    values = {}
    for method in ("minoring", "interpolation", "majoring"):
        m = metrics.AUC(num_thresholds=11, summation_method=method)
        m.update_state(y_true, y_pred)
        values[method] = m.result()
    assert values["minoring"] <= values["interpolation"] <= values["majoring"]
    assert values["interpolation"] == pytest.approx((values["minoring"] + values["majoring"]) / 2, abs=1e-12)


def test_auc_from_logits_multilabel_and_given_thresholds():
    rng = np.random.default_rng(11)
    y_true = (rng.random((60, 3)) < 0.5).astype(np.float32)
    logits = rng.normal(size=(60, 3)).astype(np.float32) * 3
    probs = (1 / (1 + np.exp(-logits.astype(np.float64)))).astype(np.float32)
    a, b = metrics.AUC(from_logits=True), metrics.AUC()
    a.update_state(y_true, logits)
    b.update_state(y_true, probs)
    assert a.result() == pytest.approx(b.result(), abs=1e-12)
    multi = metrics.AUC(multi_label=True)
    multi.update_state(y_true, probs)
    per_label = [ref_auc(y_true[:, j], probs[:, j]) for j in range(3)]
    assert multi.result() == pytest.approx(np.mean(per_label), abs=1e-9)
    weighted = metrics.AUC(multi_label=True, label_weights=[1.0, 2.0, 0.5])
    weighted.update_state(y_true, probs)
    assert weighted.result() == pytest.approx(np.dot(per_label, [1, 2, 0.5]) / 3.5, abs=1e-9)
    given = metrics.AUC(thresholds=[0.9, 0.1, 0.5])  # sorted, then -eps and 1+eps added at the ends
    assert given.thresholds == [-EPS, 0.1, 0.5, 0.9, 1 + EPS] and given.num_thresholds == 5
    given.update_state(y_true, probs)
    counts = [ref_counts(y_true, probs, t) for t in given.thresholds]
    rec = [tp / (tp + fn) for tp, fp, tn, fn in counts]
    fpr = [fp / (fp + tn) for tp, fp, tn, fn in counts]
    want = sum((fpr[i] - fpr[i + 1]) * (rec[i] + rec[i + 1]) / 2 for i in range(4))
    assert given.result() == pytest.approx(want, abs=1e-12)


def test_metric_bad_arguments_raise():
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="DET")
    with pytest.raises(ValueError, match="summation_method"):
        metrics.AUC(summation_method="simpson")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=1.5)
    with pytest.raises(ValueError, match="same number of elements"):
        metrics.Recall().update_state(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="rank 2"):
        metrics.AUC(multi_label=True).update_state(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        metrics.get("precisionn", None, (4,), (4, 1))


def test_mean_metric_classes_match_numpy():
    rng = np.random.default_rng(2)
    parts = [(rng.integers(0, 4, size=n), rng.random((n, 4)).astype(np.float32)) for n in (5, 9, 3)]
    y = np.concatenate([p[0] for p in parts])
    p = np.concatenate([p[1] for p in parts])
    onehot = np.eye(4, dtype=np.float32)[y]
    cases = {
        "SparseCategoricalAccuracy": (lambda i: parts[i][0], np.mean(p.argmax(1) == y)),
        "CategoricalAccuracy": (lambda i: np.eye(4, dtype=np.float32)[parts[i][0]], np.mean(p.argmax(1) == y)),
        "BinaryAccuracy": (lambda i: np.eye(4, dtype=np.float32)[parts[i][0]], np.mean((p > 0.5) == onehot)),
        "MeanAbsoluteError": (lambda i: np.eye(4, dtype=np.float32)[parts[i][0]], np.mean(np.abs(p - onehot))),
        "MeanSquaredError": (lambda i: np.eye(4, dtype=np.float32)[parts[i][0]], np.mean((p - onehot) ** 2)),
        "RootMeanSquaredError": (lambda i: np.eye(4, dtype=np.float32)[parts[i][0]],
                                 np.sqrt(np.mean((p - onehot) ** 2))),
    }
    for name, (target, want) in cases.items():
        m = getattr(metrics, name)()
        for i in range(3):
            m.update_state(target(i), parts[i][1])
        assert m.result() == pytest.approx(want, rel=1e-6), name
    acc = metrics.Accuracy()
    acc.update_state(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.5, 3.0, 0.0]))
    assert acc.result() == 0.5 and acc.name == "accuracy"


def test_metric_directions_for_callbacks():
    assert metrics.AUC()._direction == "up" and metrics.Precision()._direction == "up"
    assert metrics.get("accuracy", None, (4,), (4, 3))._direction == "up"
    assert metrics.get("mae", None, (4, 1), (4, 1))._direction == "down"
    assert metrics.RootMeanSquaredError()._direction == "down"
    assert metrics.MeanMetricWrapper(lambda t, p: (p - p).mean(), "custom")._direction is None


def test_fit_epoch_metrics_equal_metrics_of_whole_epoch():
    """With a zero learning rate the model is fixed, so the epoch's batch outputs equal predict(x): the reported
    precision/recall/AUC must be those of all 50 predictions (batches of 7 do not divide 50)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = (x[:, 0] + 0.7 * rng.normal(size=50) > 0).astype(np.float32)
    xv = rng.normal(size=(23, 3)).astype(np.float32)
    yv = (xv[:, 0] > 0).astype(np.float32)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy",
                  metrics=["accuracy", "precision", "recall", "auc"])
    history = model.fit(x, y, batch_size=7, epochs=2, shuffle=False, verbose=0, validation_data=(xv, yv))
    for prefix, xs, ys in (("", x, y), ("val_", xv, yv)):
        pred = model.predict(xs, verbose=0)[:, 0]
        tp, fp, _, fn = ref_counts(ys, pred, 0.5)
        want = {"accuracy": np.mean((pred > 0.5) == (ys == 1)), "precision": tp / (tp + fp),
                "recall": tp / (tp + fn), "auc": ref_auc(ys, pred)}
        for name, value in want.items():
            assert history.history[prefix + name] == pytest.approx([value, value], abs=1e-7), prefix + name
    # A mean of per-batch AUCs would differ: the accumulation is what the assertion above checks.
    pred = model.predict(x, verbose=0)[:, 0]
    batch_aucs = []
    for i in range(0, 50, 7):
        if 0 < y[i:i + 7].sum() < len(y[i:i + 7]):
            batch_aucs.append(ref_auc(y[i:i + 7], pred[i:i + 7]))
    assert abs(np.mean(batch_aucs) - history.history["auc"][0]) > 1e-3


def test_metric_config_round_trip():
    for m in (metrics.AUC(num_thresholds=50, curve="PR", name="prauc", from_logits=True),
              metrics.Precision(thresholds=[0.3, 0.6], name="p2"), metrics.BinaryAccuracy(threshold=0.7),
              metrics.MeanAbsoluteError(name="m")):
        again = type(m).from_config(m.get_config())
        assert again.get_config() == m.get_config()


def test_module_doctests():
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module("neurocore.keras.metrics"), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
