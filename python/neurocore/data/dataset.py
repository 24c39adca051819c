"""Datasets: indexable collections of samples."""
from __future__ import annotations

from typing import Any

from .._core import Tensor

__all__ = ["Dataset", "TensorDataset"]


class Dataset:
    """Base class: subclasses implement ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """Samples are rows of the given tensors: ``ds[i] == (t[i] for t in tensors)``.

    All tensors must have the same size in dim 0. ``DataLoader`` batches a TensorDataset with
    one ``index_select`` (or slice) per tensor instead of stacking samples.

    >>> import neurocore as nc
    >>> ds = nc.data.TensorDataset(nc.zeros(5, 2), nc.arange(5))
    >>> len(ds), ds[3][1].item()
    (5, 3)
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, expected a Tensor")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; tensors need a sample dimension")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes}; they must all be equal")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]
