"""nc.save / nc.load: round trips, damaged and hostile files (ValueError, never a crash or a silent change),
atomic replacement."""
import io
import os
import zipfile

import numpy as np
import pytest

import neurocore as nc
from neurocore import serialization


def _state():
    rng = np.random.default_rng(0)
    return {"weight": nc.tensor(rng.normal(size=(5, 3)).astype(np.float32)),
            "bias": nc.tensor(rng.normal(size=(3,))),  # float64
            "steps": np.array([7, 8], dtype=np.int64),
            "fortran": np.asfortranarray(rng.normal(size=(3, 4)).astype(np.float32))}


def _assert_same(loaded, state):
    assert sorted(loaded) == sorted(state)
    for k, v in state.items():
        want = v.numpy() if isinstance(v, nc.Tensor) else np.asarray(v)
        got = loaded[k].numpy()
        assert got.dtype == want.dtype and got.shape == want.shape, k
        np.testing.assert_array_equal(got, want)


def test_round_trip_and_numpy_compatibility(tmp_path):
    state = _state()
    nc.save(state, tmp_path / "s.npz")
    _assert_same(nc.load(tmp_path / "s.npz"), state)
    with np.load(tmp_path / "s.npz", allow_pickle=False) as data:  # a standard .npz file
        np.testing.assert_array_equal(data["steps"], [7, 8])


def test_byte_flips_raise_or_change_nothing(tmp_path):
    state = _state()
    path = tmp_path / "s.npz"
    nc.save(state, path)
    data = path.read_bytes()
    rng = np.random.default_rng(99)
    raised = 0
    for _ in range(200):
        corrupt = bytearray(data)
        for pos in rng.choice(len(data), size=rng.integers(1, 4), replace=False):
            corrupt[pos] ^= int(rng.integers(1, 256))
        path.write_bytes(bytes(corrupt))
        try:
            loaded = nc.load(path)
        except ValueError:
            raised += 1
            continue
        _assert_same(loaded, state)
    assert raised > 150


def test_truncated_files_raise_value_error(tmp_path):
    path = tmp_path / "s.npz"
    nc.save(_state(), path)
    data = path.read_bytes()
    for n in sorted(set(np.random.default_rng(3).integers(0, len(data), size=100).tolist()) | {0, len(data) - 1}):
        path.write_bytes(data[:n])
        with pytest.raises(ValueError, match="not a valid|damaged"):
            nc.load(path)


def test_hostile_members_are_refused(tmp_path):
    path = tmp_path / "s.npz"
    buf = io.BytesIO()
    np.save(buf, np.array([object()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("evil.npy", buf.getvalue())
    with pytest.raises(ValueError, match="not a plain numeric dtype"):
        nc.load(path)
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2 ** 40,)})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("huge.npy", header.getvalue() + b"\0" * 8)
    with pytest.raises(ValueError, match="header says shape"):
        nc.load(path)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("notes.txt", b"hello")
    with pytest.raises(ValueError, match="is not an .npy array"):
        nc.load(path)
    np.save(tmp_path / "plain.npy", np.zeros(3))  # a lone .npy is not a state dict
    with pytest.raises(ValueError, match="not a valid"):
        nc.load(tmp_path / "plain.npy")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nc.load(tmp_path / "missing.npz")


def test_failed_save_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    path = tmp_path / "s.npz"
    state = _state()
    nc.save(state, path)

    real_npy_bytes = serialization.npy_bytes
    calls = []

    def npy_bytes_then_disk_full(array):
        calls.append(1)
        if len(calls) == 2:  # the first member is already in the temporary file
            raise OSError("disk full (simulated)")
        return real_npy_bytes(array)

    monkeypatch.setattr(serialization, "npy_bytes", npy_bytes_then_disk_full)
    with pytest.raises(OSError, match="disk full"):
        nc.save({"other": np.zeros(2), "more": np.ones(3)}, path)
    assert os.listdir(tmp_path) == ["s.npz"]
    _assert_same(nc.load(path), state)


def test_atomic_write_keeps_existing_permissions(tmp_path):
    path = tmp_path / "s.npz"
    nc.save({"a": np.zeros(1)}, path)
    os.chmod(path, 0o604)
    nc.save({"a": np.ones(1)}, path)
    assert path.stat().st_mode & 0o777 == 0o604


def test_save_keys_that_are_numpy_savez_keywords(tmp_path):
    # np.savez(**arrays) would read these keys as its own flags; nc.save must store them as arrays.
    state = {"allow_pickle": nc.tensor([1.0, 2.0]), "file": nc.tensor([3.0]), "args": nc.tensor([[4.0]])}
    path = tmp_path / "kw.npz"
    nc.save(state, path)
    back = nc.load(path)
    assert sorted(back) == sorted(state)
    for k, v in state.items():
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())
    with np.load(path, allow_pickle=False) as npz:  # still a plain .npz
        np.testing.assert_array_equal(npz["allow_pickle"], [1.0, 2.0])
