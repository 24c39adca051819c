"""nc.save / nc.load: state dicts (name -> tensor or array) in numpy's .npz format.

No pickle: arrays only, loaded with allow_pickle=False, so an untrusted file cannot run code.
The file is written to a temporary name in the same folder and renamed over the target, so a
crash mid-save leaves the previous file intact.
"""
import os
import tempfile
import zipfile

import numpy as np

from ._core import Tensor

__all__ = ["save", "load", "atomic_write"]


def atomic_write(path, write):
    """Call write(file_object) on a temporary file next to `path`, then rename it onto `path`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save(obj, path):
    """Save a mapping of names to tensors/arrays (a state dict) to `path`."""
    if not isinstance(obj, dict):
        raise TypeError(f"nc.save expects a dict of name -> tensor (a state_dict), got {type(obj).__name__}")
    arrays = {}
    for k, v in obj.items():
        if not isinstance(k, str):
            raise TypeError(f"nc.save: keys must be strings, got {k!r}")
        arrays[k] = v.detach().contiguous().numpy() if isinstance(v, Tensor) else np.asarray(v)
        if arrays[k].dtype == object:
            raise TypeError(f"nc.save: value for {k!r} is not numeric array data")
    atomic_write(path, lambda f: np.savez(f, **arrays))


def load(path):
    """Load a dict of name -> tensor saved by nc.save."""
    from ._tensor import tensor
    try:
        with np.load(os.fspath(path), allow_pickle=False) as data:
            return {k: tensor(data[k]) for k in data.files}
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"nc.load: {path!r} is not a valid neurocore/npz file ({exc})") from None
