"""Embedding: a lookup table of learnable vectors indexed by token id (PyTorch's nn.Embedding)."""
from __future__ import annotations

import numbers

from .. import _core
from ..autograd import no_grad
from .._core import Tensor
from .._tensor import as_tensor, int64
from . import init
from .module import Module
from .parameter import Parameter
from .rnn import _check_device, _param_dtype
from .._tensor import DTypeLike

__all__ = ["Embedding", "embedding"]


def _padding_index(padding_idx: int | None, num_embeddings: int, name: str) -> int | None:
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
        raise TypeError(f"{name}: padding_idx must be an int or None, got {type(padding_idx).__name__}")
    if not -num_embeddings <= int(padding_idx) < num_embeddings:
        raise ValueError(f"{name}: padding_idx must be within num_embeddings (in [{-num_embeddings}, "
                         f"{num_embeddings})), got {padding_idx}")
    return int(padding_idx) % num_embeddings


def _ids(input: Tensor, name: str) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        input = as_tensor(input)
    if input.dtype != int64:
        raise TypeError(f"{name}: token ids must be an int64 tensor, got {input.dtype!r}")
    return input


def embedding(input: Tensor, weight: Tensor,  # noqa: A002 - PyTorch's argument names
              padding_idx: int | None = None) -> Tensor:
    """weight[input]: rows of weight (num_embeddings, embedding_dim) gathered by the int64 ids in input
    (any shape) -> (*input.shape, embedding_dim). Ids outside [0, num_embeddings) raise IndexError; row
    padding_idx gets no gradient.

    >>> import neurocore as nc
    >>> w = nc.arange(6.0).reshape(3, 2)
    >>> nc.nn.functional.embedding(nc.tensor([[2, 0]]), w).tolist()
    [[[4.0, 5.0], [0.0, 1.0]]]
    """
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                         f"{tuple(weight.shape)}")
    pad = _padding_index(padding_idx, weight.shape[0], "embedding")
    return _core.embedding(weight, _ids(input, "embedding"), pad)


class Embedding(Module):
    """A table of num_embeddings vectors of size embedding_dim; ``emb(ids)`` returns their rows.

    ``weight`` is drawn from N(0, 1); with ``padding_idx`` that row starts at zero and never receives a
    gradient (so it stays whatever it is set to, e.g. zero, under any optimizer without weight decay). Token
    ids outside [0, num_embeddings) raise IndexError naming the id. ``max_norm``, ``scale_grad_by_freq`` and
    ``sparse`` gradients are not supported.

    >>> import neurocore as nc
    >>> emb = nc.nn.Embedding(10, 3, padding_idx=0)
    >>> emb(nc.tensor([[1, 2, 0], [4, 0, 0]])).shape
    (2, 3, 3)
    >>> emb.weight[0].tolist()
    [0.0, 0.0, 0.0]
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Tensor | None = None, _freeze: bool = False, device: str | None = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__()
        _check_device(device, "Embedding")
        for what, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
                raise ValueError(f"Embedding: {what} must be a non-negative int, got {v!r}")
        if max_norm is not None:
            raise ValueError("Embedding: max_norm is not supported")
        if scale_grad_by_freq or sparse:
            raise ValueError("Embedding: scale_grad_by_freq and sparse gradients are not supported")
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        self.padding_idx = _padding_index(padding_idx, self.num_embeddings, "Embedding")
        self.max_norm, self.norm_type = None, norm_type
        self.scale_grad_by_freq, self.sparse = False, False
        if _weight is None:
            self.weight = Parameter(_core._empty([self.num_embeddings, self.embedding_dim],
                                                 _param_dtype(dtype, "Embedding")), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: _weight must have shape ({self.num_embeddings}, {self.embedding_dim}), "
                                 f"got {tuple(_weight.shape)}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """weight ~ N(0, 1), then the padding row (if any) set to zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with _NoGrad():
                self.weight[self.padding_idx].fill_(0.0)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose weight is ``embeddings`` (2-D), frozen by default (PyTorch's)."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape {tuple(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=embeddings, _freeze=freeze)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return _core.embedding(self.weight, _ids(input, "Embedding"), self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


_NoGrad = no_grad
