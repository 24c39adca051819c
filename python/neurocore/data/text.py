"""Sequence tools for text and other token data: one_hot (PyTorch's), pad_sequences (Keras's) and a small
word-level Tokenizer (Keras's Tokenizer with an OOV token), also available as Vocabulary.

>>> import neurocore as nc
>>> tok = nc.data.Tokenizer()
>>> tok.fit_on_texts(["the cat sat", "the dog sat down"])
>>> seqs = tok.texts_to_sequences(["the cat ran"])
>>> seqs
[[2, 4, 1]]
>>> tok.sequences_to_texts(seqs)
['the cat <unk>']
>>> nc.data.pad_sequences(seqs, maxlen=5)
array([[0, 0, 2, 4, 1]])
"""
from __future__ import annotations

import collections
import numbers
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .._core import Tensor
from .._tensor import arange, as_tensor, int64

__all__ = ["one_hot", "pad_sequences", "Tokenizer", "Vocabulary"]


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """(*, ) int64 class ids -> (*, num_classes) int64 with a 1 at each id (torch.nn.functional.one_hot).

    num_classes=-1 uses max(tensor) + 1. Ids must lie in [0, num_classes): others raise IndexError.

    >>> import neurocore as nc
    >>> nc.data.one_hot(nc.tensor([0, 2]), 3).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    if not isinstance(tensor, Tensor):
        tensor = as_tensor(tensor)
    if tensor.dtype != int64:
        raise TypeError(f"one_hot: expected an int64 tensor of class ids, got {tensor.dtype!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"one_hot: num_classes must be an int, got {type(num_classes).__name__}")
    num_classes = int(num_classes)
    if num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be -1 or non-negative, got {num_classes}")
    if tensor.numel() == 0:
        if num_classes == -1:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
    else:
        lo, hi = int(tensor.min().item()), int(tensor.max().item())
        if num_classes == -1:
            num_classes = hi + 1
        if lo < 0:
            raise IndexError(f"one_hot: class id {lo} is negative; ids must lie in [0, {num_classes})")
        if hi >= num_classes:
            raise IndexError(f"one_hot: class id {hi} is out of range for num_classes={num_classes}")
    classes = arange(num_classes, dtype=int64)
    return (tensor.detach().unsqueeze(-1) == classes).to(int64)


def pad_sequences(sequences: Sequence[Any], maxlen: int | None = None, dtype: Any = "int64", padding: str = "pre",
                  truncating: str = "pre", value: Any = 0) -> np.ndarray[Any, Any]:
    """Pad (or truncate) sequences to a common length: Keras's ``pad_sequences``, returning a numpy array
    of shape (len(sequences), maxlen) (or (len(sequences), maxlen, *item_shape) for sequences of arrays),
    like Keras does; ``nc.tensor(result)`` makes a Tensor. The default dtype is int64 (Keras: int32), the
    dtype of token ids here.

    maxlen=None: the length of the longest sequence. Longer sequences lose values from the start
    (truncating="pre") or the end ("post"); shorter ones are filled with ``value`` before (padding="pre")
    or after ("post") their values. Empty sequences become all padding.

    >>> import neurocore as nc
    >>> nc.data.pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post", truncating="post").tolist()
    [[1, 2], [4, 0]]
    """
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be a list of iterables, got {type(sequences).__name__}")
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: padding type "{padding}" not understood (expected "pre" or "post")')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: truncating type "{truncating}" not understood (expected "pre" or "post")')
    seqs, lengths = [], []
    sample_shape = ()
    have_sample_shape = False
    for x in sequences:
        if isinstance(x, Tensor):
            x = x.numpy()
        if not hasattr(x, "__len__"):
            raise ValueError(f"pad_sequences: `sequences` must be a list of iterables; found non-iterable {x!r}")
        arr = np.asarray(x)
        seqs.append(arr)
        lengths.append(len(arr))
        if not have_sample_shape and len(arr):
            sample_shape, have_sample_shape = arr.shape[1:], True
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral) or maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be None or a non-negative int, got {maxlen!r}")
    maxlen = int(maxlen)
    np_dtype = np.dtype(dtype)
    is_str_dtype = np.issubdtype(np_dtype, np.str_) or np_dtype == object
    if isinstance(value, str) and not is_str_dtype:
        raise ValueError(f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s type {type(value)}; "
                         "use dtype=object or a string dtype for string padding")
    out = np.full((len(seqs), maxlen) + tuple(sample_shape), value, dtype=np_dtype)
    for i, s in enumerate(seqs):
        if not len(s) or maxlen == 0:
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if trunc.shape[1:] != tuple(sample_shape):
            raise ValueError(f"pad_sequences: shape of sample {trunc.shape[1:]} of sequence at position {i} is "
                             f"different from expected shape {tuple(sample_shape)}")
        if padding == "post":
            out[i, :len(trunc)] = trunc
        else:
            out[i, -len(trunc):] = trunc
    return out


_WORD = re.compile(r"[^\W\d_]+")


class Tokenizer:
    """Word-level vocabulary and text <-> id conversion, Keras's ``Tokenizer(num_words, oov_token="<unk>")``
    with a simpler splitter: texts are lowercased (``lower=True``) and split into maximal runs of letters
    (anything else separates words).

    ``fit_on_texts`` counts words; ids are assigned by decreasing count (ties: first seen first), starting
    at 2: 0 is reserved for padding and 1 for the out-of-vocabulary token. With ``num_words``, only ids
    below num_words are used (the num_words - 2 most frequent words); other words map to 1.
    ``sequences_to_texts`` maps ids back, 1 and ids >= num_words to the OOV token, and drops padding (0)
    (Keras writes the OOV token for 0).

    Attributes: ``word_index`` (word -> id, including the OOV token), ``index_word`` (id -> word),
    ``word_counts`` (word -> count, in first-seen order), ``document_count``.
    """

    def __init__(self, num_words: int | None = None, oov_token: str = "<unk>", lower: bool = True) -> None:
        if num_words is not None and (isinstance(num_words, bool) or not isinstance(num_words, numbers.Integral)
                                      or num_words < 1):
            raise ValueError(f"Tokenizer: num_words must be None or a positive int, got {num_words!r}")
        if not isinstance(oov_token, str) or not oov_token:
            raise ValueError(f"Tokenizer: oov_token must be a non-empty string, got {oov_token!r}")
        self.num_words = None if num_words is None else int(num_words)
        self.oov_token = oov_token
        self.lower = lower
        self.word_counts: collections.OrderedDict[str, int] = collections.OrderedDict()
        self.document_count = 0
        self.word_index = {oov_token: 1}
        self.index_word = {1: oov_token}

    def split(self, text: str) -> list[str]:
        """The words of one text, as used for fitting and encoding."""
        if not isinstance(text, str):
            raise TypeError(f"Tokenizer: texts must be strings, got {type(text).__name__}")
        return _WORD.findall(text.lower() if self.lower else text)

    def fit_on_texts(self, texts: Iterable[str]) -> None:
        """Count the words of ``texts`` (an iterable of strings) and (re)build the id mapping."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.fit_on_texts: expected an iterable of strings, got a single string "
                            "(wrap it in a list)")
        for text in texts:
            self.document_count += 1
            for w in self.split(text):
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
        ranked = sorted(self.word_counts.items(), key=lambda kv: kv[1], reverse=True)  # stable: ties first-seen
        words = [self.oov_token] + [w for w, _ in ranked if w != self.oov_token]
        self.word_index = {w: i for i, w in enumerate(words, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}

    @property
    def vocab_size(self) -> int:
        """The number of ids in use including padding 0 and OOV 1: the num_embeddings an Embedding needs."""
        n = len(self.word_index) + 1
        return n if self.num_words is None else min(n, self.num_words)

    def __len__(self) -> int:
        return self.vocab_size

    def texts_to_sequences(self, texts: Iterable[str]) -> list[list[int]]:
        """Each text as a list of ids (unknown or out-of-num_words words -> 1)."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.texts_to_sequences: expected an iterable of strings, got a single string "
                            "(wrap it in a list)")
        limit = self.num_words
        out: list[list[int]] = []
        for text in texts:
            seq: list[int] = []
            for w in self.split(text):
                i = self.word_index.get(w, 1)
                seq.append(1 if limit is not None and i >= limit else i)
            out.append(seq)
        return out

    def sequences_to_texts(self, sequences: Iterable[Any]) -> list[str]:
        """Each sequence of ids as a space-joined string (padding 0 dropped, OOV ids -> the OOV token)."""
        limit = self.num_words
        out: list[str] = []
        for seq in sequences:
            if isinstance(seq, Tensor):
                seq = seq.tolist()
            words: list[str] = []
            for i in np.asarray(seq, dtype=np.int64).reshape(-1).tolist():
                if i == 0:
                    continue
                w = self.index_word.get(i)
                if w is None or (limit is not None and i >= limit):
                    w = self.oov_token
                words.append(w)
            out.append(" ".join(words))
        return out

    def __repr__(self) -> str:
        return f"Tokenizer(num_words={self.num_words}, oov_token={self.oov_token!r}, words={len(self.word_index) - 1})"


Vocabulary = Tokenizer
