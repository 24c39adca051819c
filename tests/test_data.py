"""data.TensorDataset / DataLoader (batching, drop_last, reproducible shuffling, the general
collate path) and the datasets (digits, XOR, spirals)."""
import gzip
import os

import numpy as np
import pytest

import neurocore as nc
from neurocore.data import DataLoader, Dataset, TensorDataset


def make_ds(n=10):
    X = nc.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = nc.arange(n)
    return TensorDataset(X, y), X, y


def test_tensor_dataset():
    ds, X, y = make_ds(5)
    assert len(ds) == 5
    x3, y3 = ds[3]
    assert x3.tolist() == [9.0, 10.0, 11.0] and y3.item() == 3
    with pytest.raises(ValueError, match=r"Size mismatch between tensors: first dimensions are \[5, 4\]"):
        TensorDataset(nc.zeros(5, 2), nc.zeros(4))
    with pytest.raises(TypeError, match="expected a Tensor"):
        TensorDataset(np.zeros(3))


@pytest.mark.parametrize("n,bs,drop_last,sizes", [(10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]),
                                                  (10, 5, True, [5, 5]), (10, 20, False, [10]),
                                                  (10, 20, True, []), (10, 1, False, [1] * 10)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_batch_sizes_and_len(n, bs, drop_last, sizes, shuffle):
    ds, X, y = make_ds(n)
    loader = DataLoader(ds, batch_size=bs, shuffle=shuffle, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes) == len(batches)
    assert [b[1].shape[0] for b in batches] == sizes
    for xb, yb in batches:
        assert xb.shape == (yb.shape[0], 3) and xb.dtype == nc.float32 and yb.dtype == nc.int64
        # rows stay paired with their labels
        np.testing.assert_array_equal(xb.numpy(), np.arange(n * 3, dtype=np.float32).reshape(n, 3)[yb.numpy()])
    if not shuffle and batches:
        assert np.concatenate([b[1].numpy() for b in batches]).tolist() == list(range(sum(sizes)))


def test_shuffle_covers_every_sample_once_and_is_reproducible():
    ds, X, y = make_ds(23)
    loader = DataLoader(ds, batch_size=4, shuffle=True)
    nc.manual_seed(123)
    epoch1 = np.concatenate([b[1].numpy() for b in loader])
    epoch2 = np.concatenate([b[1].numpy() for b in loader])
    assert sorted(epoch1.tolist()) == list(range(23)) and sorted(epoch2.tolist()) == list(range(23))
    assert epoch1.tolist() != epoch2.tolist()  # a new order each epoch
    assert epoch1.tolist() != list(range(23))
    nc.manual_seed(123)
    again = np.concatenate([b[1].numpy() for b in loader])
    np.testing.assert_array_equal(epoch1, again)
    # drop_last with shuffling: every batch full, no sample twice.
    seen = np.concatenate([b[1].numpy() for b in DataLoader(ds, batch_size=4, shuffle=True, drop_last=True)])
    assert len(seen) == 20 and len(set(seen.tolist())) == 20


def test_fast_path_uses_one_index_select_per_tensor(monkeypatch):
    ds, X, y = make_ds(10)
    calls = []
    real = nc.Tensor.index_select
    monkeypatch.setattr(nc.Tensor, "index_select", lambda self, d, i: (calls.append(i.shape), real(self, d, i))[1])
    batches = list(DataLoader(ds, batch_size=4, shuffle=True))
    assert calls == [(4,), (4,), (4,), (4,), (2,), (2,)]  # 3 batches x 2 tensors
    assert len(batches) == 3
    calls.clear()
    list(DataLoader(ds, batch_size=4))  # unshuffled: slices, no gather
    assert calls == []


class Squares(Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {"x": nc.full((2,), float(i)), "i": i, "sq": np.array([i * i], dtype=np.float64)}


def test_general_dataset_collates_samples():
    loader = DataLoader(Squares(), batch_size=3)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    b = batches[0]
    assert b["x"].shape == (3, 2) and b["x"].tolist() == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
    assert b["i"].dtype == nc.int64 and b["i"].tolist() == [0, 1, 2]
    assert b["sq"].dtype == nc.float64 and b["sq"].tolist() == [[0.0], [1.0], [4.0]]
    assert batches[-1]["i"].tolist() == [6]
    nc.manual_seed(5)
    got = sorted(i for b in DataLoader(Squares(), batch_size=2, shuffle=True) for i in b["i"].tolist())
    assert got == list(range(7))
    assert [s["i"] for s in DataLoader(Squares(), batch_size=None)] == list(range(7))
    custom = DataLoader(Squares(), batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(custom) == [4, 3]


def test_dataloader_bad_input():
    ds, _, _ = make_ds(4)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            DataLoader(ds, batch_size=bad)


# ---------------------------------------------------------------- datasets

def _raw_digits():
    path = os.path.join(os.path.dirname(nc.datasets.__file__), "data", "digits.csv.gz")
    with gzip.open(path, "rt") as f:
        return np.array([[int(v) for v in line.split(",")] for line in f if line.strip()])


def test_load_digits():
    d = nc.datasets.load_digits()
    assert d.data.shape == (1797, 64) and d.data.dtype == nc.float32
    assert d.images.shape == (1797, 8, 8) and d.images.dtype == nc.float32
    assert d.target.shape == (1797,) and d.target.dtype == nc.int64
    assert d.target_names.tolist() == list(range(10))
    assert "Alpaydin" in d.DESCR and "CC BY 4.0" in d.DESCR
    data, target = d.data.numpy(), d.target.numpy()
    assert data.min() == 0 and data.max() == 16 and np.all(data == np.round(data))
    counts = np.bincount(target, minlength=10)
    assert counts.sum() == 1797 and len(counts) == 10 and counts.min() >= 170  # ~180 per class
    np.testing.assert_array_equal(d.images.numpy().reshape(1797, 64), data)
    raw = _raw_digits()  # an independent parse of the shipped file
    np.testing.assert_array_equal(data, raw[:, :64])
    np.testing.assert_array_equal(target, raw[:, 64])
    X, y = nc.datasets.load_digits(return_X_y=True)
    np.testing.assert_array_equal(X.numpy(), data)
    np.testing.assert_array_equal(y.numpy(), target)
    X[0, 0] = 99.0  # each call gives new tensors
    assert nc.datasets.load_digits().data[0, 0].item() == 0.0


def test_make_xor():
    X, y = nc.datasets.make_xor()
    assert X.dtype == nc.float32 and y.dtype == nc.int64
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    Xn, yn = nc.datasets.make_xor(400, noise=0.1, random_state=0)
    assert Xn.shape == (400, 2) and yn.shape == (400,)
    corners = X.numpy()[np.arange(400) % 4]
    resid = Xn.numpy() - corners
    assert 0.08 < resid.std() < 0.12 and abs(resid.mean()) < 0.02
    np.testing.assert_array_equal(yn.numpy(), np.logical_xor(corners[:, 0], corners[:, 1]).astype(np.int64))
    Xa, _ = nc.datasets.make_xor(400, noise=0.1, random_state=0)
    np.testing.assert_array_equal(Xa.numpy(), Xn.numpy())
    with pytest.raises(ValueError, match="n_samples"):
        nc.datasets.make_xor(0)
    with pytest.raises(ValueError, match="noise"):
        nc.datasets.make_xor(8, noise=-1.0)


def test_make_spirals():
    X, y = nc.datasets.make_spirals(201, noise=0.0)
    assert X.shape == (201, 2) and X.dtype == nc.float32 and y.dtype == nc.int64
    assert np.bincount(y.numpy()).tolist() == [101, 100]
    x = X.numpy().astype(np.float64)
    r = np.hypot(x[:, 0], x[:, 1])
    for k in range(2):
        n_k = int((y.numpy() == k).sum())
        t = (np.arange(n_k) + 1.0) / n_k
        np.testing.assert_allclose(r[y.numpy() == k], t, rtol=1e-6, atol=1e-6)
        # The two arms are the same curve rotated by pi (interleaved).
        ang = np.unwrap(np.arctan2(x[y.numpy() == k, 1], x[y.numpy() == k, 0]))
        np.testing.assert_allclose(np.diff(ang), 2 * np.pi / n_k, rtol=1e-4)
        np.testing.assert_allclose(np.mod(ang[0] - 2 * np.pi * t[0] - np.pi * k, 2 * np.pi), 0, atol=1e-5)
    X3, y3 = nc.datasets.make_spirals(90, n_classes=3, noise=0.05, random_state=1)
    assert np.bincount(y3.numpy()).tolist() == [30, 30, 30]
    X3b, _ = nc.datasets.make_spirals(90, n_classes=3, noise=0.05, random_state=1)
    np.testing.assert_array_equal(X3.numpy(), X3b.numpy())
    assert np.abs(X3.numpy()).max() < 1.5
