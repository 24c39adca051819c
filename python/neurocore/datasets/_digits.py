"""The 8x8 handwritten digits data set (UCI), shipped with the package."""
from __future__ import annotations

import functools
import gzip
import os
from typing import Any, Literal, overload

import numpy as np

from .. import _core
from .._core import Tensor

__all__ = ["load_digits", "Bunch"]

_DATA = os.path.join(os.path.dirname(__file__), "data", "digits.csv.gz")

DESCR = """Optical Recognition of Handwritten Digits (8x8), the test set of the UCI data set
---------------------------------------------------------------------------------------

1,797 images of handwritten digits, 10 classes (0-9), about 180 per class.
Each image is 8x8 pixels with integer values 0..16: 32x32 binary bitmaps were divided into
non-overlapping 4x4 blocks and the "on" pixels counted in each block (NIST preprocessing).
43 writers: 30 contributed to the UCI training set, 13 others to this test set.

Creators: E. Alpaydin and C. Kaynak, Bogazici University, 1998.
Source: UCI Machine Learning Repository, "Optical Recognition of Handwritten Digits",
https://doi.org/10.24432/C50P49 -- license CC BY 4.0.
Reference: E. Alpaydin, C. Kaynak (1998), Cascading Classifiers, Kybernetika 34(4).
The file is the copy scikit-learn distributes (sklearn/datasets/data/digits.csv.gz).
"""


class Bunch(dict[str, Any]):
    """A dict whose keys are also attributes (``d.data`` is ``d["data"]``)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __dir__(self) -> list[str]:
        return list(self.keys())


@functools.lru_cache(maxsize=1)
def _read() -> np.ndarray[Any, Any]:
    with gzip.open(_DATA, "rt") as f:
        raw: np.ndarray[Any, Any] = np.loadtxt(f, delimiter=",", dtype=np.int64)
    raw.setflags(write=False)
    return raw


@overload
def load_digits(return_X_y: Literal[False] = False) -> Bunch: ...  # noqa: N803


@overload
def load_digits(return_X_y: Literal[True]) -> tuple[Tensor, Tensor]: ...  # noqa: N803


def load_digits(return_X_y: bool = False) -> Bunch | tuple[Tensor, Tensor]:  # noqa: N803 - scikit-learn's argument name
    """The 8x8 handwritten digits (1,797 samples, 10 classes), as in scikit-learn.

    Returns a Bunch with ``data`` (1797, 64) float32 pixel values 0..16, ``images``
    (1797, 8, 8) float32, ``target`` (1797,) int64 labels 0..9, ``target_names`` (int64 tensor 0..9),
    ``feature_names`` and ``DESCR``; with ``return_X_y=True`` the tuple ``(data, target)``.
    Each call returns new tensors.

    >>> import neurocore as nc
    >>> X, y = nc.datasets.load_digits(return_X_y=True)
    >>> X.shape, y.shape, X.dtype == nc.float32, y.dtype == nc.int64
    ((1797, 64), (1797,), True, True)
    """
    raw = _read()
    pixels = np.ascontiguousarray(raw[:, :64], dtype=np.float32)
    data = _core.from_numpy(pixels)
    target = _core.from_numpy(np.ascontiguousarray(raw[:, 64]))
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        images=data.reshape(-1, 8, 8),
        target_names=_core.from_numpy(np.arange(10, dtype=np.int64)),
        feature_names=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
        DESCR=DESCR,
    )
