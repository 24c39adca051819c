"""DataLoader: iterate over a dataset in (optionally shuffled) mini-batches."""
from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from .. import _core
from .._core import Tensor
from .dataset import TensorDataset

__all__ = ["DataLoader", "default_collate"]


class _SampleSource(Protocol):
    """What DataLoader needs of a dataset: a length and samples by index (a Dataset, a list, ...)."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int, /) -> Any: ...


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch: tensors are stacked along a new dim 0, numbers and
    numpy arrays become tensors, and tuples, lists and dicts are collated field by field.

    >>> import neurocore as nc
    >>> x, y = nc.data.default_collate([(nc.zeros(2), 0), (nc.ones(2), 1)])
    >>> x.shape, y.tolist()
    ((2, 2), [0, 1])
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _core.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        return _core.from_numpy(np.ascontiguousarray(np.stack(batch)))
    if isinstance(elem, bool):
        return _core.from_numpy(np.array(batch, dtype=np.bool_))
    if isinstance(elem, numbers.Integral):
        return _core.from_numpy(np.array(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return _core.from_numpy(np.array(batch, dtype=np.float64))
    if isinstance(elem, dict):
        return {k: default_collate([s[k] for s in batch]) for k in elem}
    if isinstance(elem, (tuple, list)):
        n = len(elem)
        if any(len(s) != n for s in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(field)) for field in zip(*batch)]
    if isinstance(elem, (str, bytes)):
        return list(batch)
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


class DataLoader:
    """Mini-batches over ``dataset``, ``len(loader)`` per epoch.

    ``shuffle=True`` draws a new order each epoch with ``nc.randperm`` (so ``nc.manual_seed``
    makes it reproducible). ``drop_last=True`` drops a final short batch. ``batch_size=None``
    yields single samples. Batches are lists with one entry per field of a sample (like PyTorch).

    A ``TensorDataset`` takes a fast path: each batch is one ``index_select`` per tensor on the
    permutation (or, without shuffling, a slice of each tensor: a view sharing the dataset's
    memory). Other datasets are indexed sample by sample and merged by ``collate_fn``.

    >>> import neurocore as nc
    >>> ds = nc.data.TensorDataset(nc.arange(10).reshape(5, 2), nc.arange(5))
    >>> [y.tolist() for x, y in nc.data.DataLoader(ds, batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, dataset: _SampleSource, batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False, collate_fn: Callable[[list[Any]], Any] | None = None) -> None:
        if batch_size is not None and (not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value or None, but got batch_size={batch_size!r}")
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self._fast = isinstance(dataset, TensorDataset) and collate_fn is None and batch_size is not None

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        bs = self.batch_size
        order = _core.randperm(n) if self.shuffle else None
        if self._fast and bs is not None:  # (_fast implies a batch size and a TensorDataset)
            assert isinstance(self.dataset, TensorDataset)
            tensors = self.dataset.tensors
            stop = n - n % bs if self.drop_last else n
            for start in range(0, stop, bs):
                end = min(start + bs, n)
                if order is None:
                    yield [t._slice(0, start, end, 1) for t in tensors]
                else:
                    idx = order._slice(0, start, end, 1)
                    yield [t.index_select(0, idx) for t in tensors]
            return
        indices: Sequence[int] = order.tolist() if order is not None else range(n)
        if bs is None:
            for i in indices:
                yield self.dataset[i]
            return
        collate = self.collate_fn or default_collate
        stop = n - n % bs if self.drop_last else n
        for start in range(0, stop, bs):
            yield collate([self.dataset[i] for i in indices[start:min(start + bs, n)]])
