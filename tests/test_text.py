"""Sequence tools: one_hot (PyTorch's semantics), pad_sequences (Keras's documented behaviour) and the
Tokenizer / Vocabulary (Keras's Tokenizer with oov_token)."""
import numpy as np
import pytest

import neurocore as nc
from neurocore.data import Tokenizer, Vocabulary, one_hot, pad_sequences

# ---- one_hot


def test_one_hot_values_shape_dtype():
    y = one_hot(nc.tensor([0, 2, 1, 2]), 4)
    assert y.dtype == nc.int64 and y.shape == (4, 4)
    np.testing.assert_array_equal(y.numpy(), np.eye(4, dtype=np.int64)[[0, 2, 1, 2]])
    assert one_hot(nc.tensor([3, 1])).shape == (2, 4)          # num_classes=-1: max + 1
    ids = np.array([[0, 1, 4], [2, 2, 3]])
    np.testing.assert_array_equal(one_hot(nc.tensor(ids), 5).numpy(), np.eye(5, dtype=np.int64)[ids])
    assert one_hot(nc.tensor(2), 3).tolist() == [0, 0, 1]        # 0-d input
    assert one_hot(nc.tensor(np.zeros(0, np.int64)), 3).shape == (0, 3)
    assert nc.nn.functional.one_hot is one_hot


@pytest.mark.parametrize("call, exc, match", [
    (lambda: one_hot(nc.tensor([0, 3]), 3), IndexError, "class id 3 is out of range for num_classes=3"),
    (lambda: one_hot(nc.tensor([-1, 0]), 3), IndexError, "class id -1 is negative"),
    (lambda: one_hot(nc.tensor([0.0, 1.0]), 3), TypeError, "int64"),
    (lambda: one_hot(nc.tensor(np.zeros(0, np.int64))), ValueError, "empty"),
    (lambda: one_hot(nc.tensor([1]), -2), ValueError, "num_classes"),
])
def test_one_hot_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---- pad_sequences: the examples of Keras's documentation, then every padding/truncating combination

SEQ = [[1], [2, 3], [4, 5, 6]]


def test_pad_sequences_keras_doc_examples():
    out = pad_sequences(SEQ)
    assert isinstance(out, np.ndarray) and out.dtype == np.int64
    np.testing.assert_array_equal(out, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQ, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQ, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQ, maxlen=2), [[0, 1], [2, 3], [5, 6]])


@pytest.mark.parametrize("padding, truncating, expected", [
    ("pre", "pre", [[0, 1], [2, 3], [5, 6]]),
    ("pre", "post", [[0, 1], [2, 3], [4, 5]]),
    ("post", "pre", [[1, 0], [2, 3], [5, 6]]),
    ("post", "post", [[1, 0], [2, 3], [4, 5]]),
])
def test_pad_sequences_padding_truncating_combinations(padding, truncating, expected):
    np.testing.assert_array_equal(pad_sequences(SEQ, maxlen=2, padding=padding, truncating=truncating), expected)


def test_pad_sequences_more_cases():
    # Longer maxlen than every sequence; empty sequences become all padding.
    np.testing.assert_array_equal(pad_sequences([[1, 2], []], maxlen=4), [[0, 0, 1, 2], [0, 0, 0, 0]])
    np.testing.assert_array_equal(pad_sequences([[1, 2], []], maxlen=4, padding="post"), [[1, 2, 0, 0], [0, 0, 0, 0]])
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    # dtype and float values; numpy arrays, tuples and tensors as sequences.
    out = pad_sequences([np.array([0.5, 1.5]), (2.5,)], dtype="float32", value=-1.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0.5, 1.5], [-1.0, 2.5]])
    np.testing.assert_array_equal(pad_sequences([nc.tensor([7, 8, 9])], maxlen=2), [[8, 9]])
    # Sequences of vectors keep their trailing shape (Keras's sample_shape).
    vec = pad_sequences([[[1, 1], [2, 2]], [[3, 3]]], padding="post")
    assert vec.shape == (2, 2, 2)
    np.testing.assert_array_equal(vec[1], [[3, 3], [0, 0]])
    # String padding needs an object or string dtype, as in Keras.
    np.testing.assert_array_equal(pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>"),
                                  [["<pad>", "a"], ["b", "c"]])
    assert nc.tensor(pad_sequences(SEQ)).dtype == nc.int64


@pytest.mark.parametrize("call, match", [
    (lambda: pad_sequences(SEQ, padding="middle"), 'padding type "middle"'),
    (lambda: pad_sequences(SEQ, truncating="both"), 'truncating type "both"'),
    (lambda: pad_sequences([1, 2]), "list of iterables"),
    (lambda: pad_sequences(SEQ, maxlen=-1), "maxlen"),
    (lambda: pad_sequences(SEQ, value="x"), "not compatible"),
    (lambda: pad_sequences([[[1, 1]], [[1, 1, 1]]]), "shape of sample"),
])
def test_pad_sequences_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- Tokenizer / Vocabulary

TEXTS = ["The cat sat on the mat.", "The dog sat!", "A cat, a dog; the END"]


def test_tokenizer_fit_and_indices():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    # Counts: the 4, cat 2, sat 2, a 2, dog 2, on 1, mat 1, end 1; ties keep first-seen order.
    assert tok.word_index == {"<unk>": 1, "the": 2, "cat": 3, "sat": 4, "dog": 5, "a": 6, "on": 7, "mat": 8, "end": 9}
    assert tok.index_word[1] == "<unk>" and tok.index_word[2] == "the"
    assert tok.word_counts["the"] == 4 and tok.document_count == 3
    assert tok.vocab_size == 10 == len(tok)      # ids 0..9: what Embedding(num_embeddings=...) needs
    assert Vocabulary is Tokenizer


def test_tokenizer_round_trip_and_oov():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    seqs = tok.texts_to_sequences(["the CAT sat on the mat", "a zebra sat"])
    assert seqs == [[2, 3, 4, 7, 2, 8], [6, 1, 4]]
    assert tok.sequences_to_texts(seqs) == ["the cat sat on the mat", "a <unk> sat"]
    # Padding (0) is dropped on the way back, so padded batches round-trip too, also as a tensor.
    padded = pad_sequences(seqs, maxlen=8)
    assert tok.sequences_to_texts(padded) == ["the cat sat on the mat", "a <unk> sat"]
    assert tok.sequences_to_texts(nc.tensor(padded)) == ["the cat sat on the mat", "a <unk> sat"]
    assert tok.sequences_to_texts([[42]]) == ["<unk>"]            # unknown id
    # Splitting: lowercase, any non-letter separates words.
    assert tok.split("Don't stop-me now2day") == ["don", "t", "stop", "me", "now", "day"]


def test_tokenizer_num_words_limit():
    tok = Tokenizer(num_words=5)              # ids 0 (padding), 1 (<unk>), 2..4: the three most frequent words
    tok.fit_on_texts(TEXTS)
    assert tok.texts_to_sequences(["the cat sat dog end"]) == [[2, 3, 4, 1, 1]]
    assert tok.sequences_to_texts([[2, 3, 4, 5, 9]]) == ["the cat sat <unk> <unk>"]
    assert tok.vocab_size == 5
    tok2 = Tokenizer(oov_token="[OOV]", lower=False)
    tok2.fit_on_texts(["Aa aa"])
    assert tok2.word_index == {"[OOV]": 1, "Aa": 2, "aa": 3}


@pytest.mark.parametrize("call, exc", [
    (lambda: Tokenizer(num_words=0), ValueError),
    (lambda: Tokenizer(oov_token=""), ValueError),
    (lambda: Tokenizer().fit_on_texts("just one string"), TypeError),
    (lambda: Tokenizer().fit_on_texts([3]), TypeError),
    (lambda: Tokenizer().texts_to_sequences("abc"), TypeError),
])
def test_tokenizer_bad_input(call, exc):
    with pytest.raises(exc):
        call()


def test_text_pipeline_into_embedding():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    ids = nc.tensor(pad_sequences(tok.texts_to_sequences(TEXTS), maxlen=6, padding="post"))
    emb = nc.nn.Embedding(tok.vocab_size, 3, padding_idx=0)
    assert emb(ids).shape == (3, 6, 3)


def test_docstring_examples():
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module("neurocore.data.text"), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
