"""Keras Embedding layer over nc.nn.Embedding: integer ids (N, ...) -> vectors (N, ..., output_dim)."""
import numpy as np

from ... import nn
from ..._core import Tensor
from ..._tensor import int64, tensor
from .. import initializers, regularizers
from ._weight_args import reject
from .base import Layer

__all__ = ["Embedding"]


def _as_ids(inputs):
    """Token ids as an int64 tensor; float ids are truncated, as Keras casts them to int."""
    if not isinstance(inputs, Tensor):
        a = np.asarray(inputs)
        if a.dtype == object or a.dtype.kind not in "biuf":
            raise TypeError(f"Embedding: token ids must be a numeric array or tensor, got dtype {a.dtype}")
        return tensor(np.ascontiguousarray(a, dtype=np.int64))
    return inputs if inputs.dtype == int64 else inputs.to(int64)


class Embedding(Layer):
    """Turns token ids into dense vectors: ``output[..., :] = embeddings[ids[...]]`` (Keras' Embedding).

    ``embeddings`` is (input_dim, output_dim), Keras' layout and nn.Embedding's alike; ids must lie in
    [0, input_dim) (others raise IndexError). Only the rows of the ids in a batch receive gradient.
    With ``mask_zero=True`` id 0 is padding: the output carries the mask ``ids != 0`` (as Keras does, in the
    tensor's ``_keras_mask``), and a recurrent layer that receives it skips those steps. Layers in between
    that support masking (Dropout, Dense, normalization, ...) pass it on; others drop it with a warning.

    >>> import numpy as np
    >>> from neurocore.keras.layers import Embedding
    >>> emb = Embedding(10, 4)
    >>> emb(np.array([[1, 2, 3], [4, 5, 0]])).shape
    (2, 3, 4)
    >>> emb.count_params()
    40
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, **kwargs):
        super().__init__(**kwargs)
        for what, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"Received an invalid value for argument `{what}`, expected a positive integer. "
                                 f"Received: {what}={v!r}")
        if embeddings_constraint is not None:
            reject("Embedding", "embeddings_constraint", embeddings_constraint,
                   "weight constraints are not implemented")
        if weights is not None:
            reject("Embedding", "weights", "...", "call set_weights([matrix]) after building instead")
        if lora_rank is not None:
            reject("Embedding", "lora_rank", lora_rank, "LoRA is not implemented")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.mask_zero = bool(mask_zero)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.supports_masking = self.mask_zero  # as Keras

    def _build(self, input_shape):
        self.module = nn.Embedding(self.input_dim, self.output_dim, dtype=self._dtype)
        # Keras' layout and nn's coincide here: (input_dim, output_dim), fans (input_dim, output_dim).
        initializers.initialize_(self.module.weight, self.embeddings_initializer,
                                 (self.input_dim, self.output_dim))
        self._regularized = [] if self.embeddings_regularizer is None else \
            [(self.embeddings_regularizer, self.module.weight)]

    @property
    def embeddings(self):
        """The (input_dim, output_dim) weight (built layers only)."""
        return self.module.weight

    def compute_mask(self, inputs, mask=None):
        """``ids != 0`` as a bool tensor when ``mask_zero``, else None (Keras' rule)."""
        if not self.mask_zero:
            return None
        return _as_ids(inputs).ne(0)

    def forward(self, inputs):
        ids = _as_ids(inputs)
        if ids.ndim < 1:
            raise ValueError(f'Layer "{self.name}" (Embedding) expects ids with a batch axis, got a scalar')
        if not self.built:
            self.build(tuple(ids.shape[1:]))
        return self.call(ids)

    def call(self, inputs):
        ids = _as_ids(inputs)
        try:
            out = self.module(ids)
        except IndexError as e:
            raise IndexError(f'Layer "{self.name}" (Embedding, input_dim={self.input_dim}): {e}') from None
        if self.mask_zero:
            out._keras_mask = ids.ne(0)
        return out

    def build(self, input_shape):
        # The table does not depend on the input shape: any number of id axes works once built, as in Keras.
        if not self.built:
            super().build(input_shape)
        return tuple(int(d) for d in input_shape) + (self.output_dim,)
