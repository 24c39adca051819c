"""Sentiment of short generated reviews: Embedding -> LSTM -> Linear on the final hidden state.

The reviews come from templates ("the acting was not very good at all", "i really loved this film", ...).
The label is the sentiment word's polarity, flipped by a negation ("not", "never", "hardly") that may stand
a few words before it, so a bag of words cannot solve it: the model must read the sentence in order.
The text pipeline is nc.data's Tokenizer -> texts_to_sequences -> pad_sequences (Keras's). Prints the test
accuracy (typically 99-100% after a few seconds of training).

    python examples/sentiment_lstm.py [--epochs 8] [--hidden 64] [--seed 0]
"""
import argparse
import time

import numpy as np

import neurocore as nc
import neurocore.nn as nn
import neurocore.nn.functional as F
from neurocore.data import Tokenizer, pad_sequences

POSITIVE = ["good", "great", "excellent", "wonderful", "enjoyable", "brilliant", "fun", "moving", "superb", "charming"]
NEGATIVE = ["bad", "awful", "boring", "terrible", "dull", "poor", "weak", "messy", "tedious", "forgettable"]
SUBJECTS = ["the movie", "this film", "the plot", "the acting", "the story", "the ending", "the soundtrack",
            "the director's work", "the cast", "the script"]
VERBS = ["was", "is", "felt", "seemed", "looked"]
INTENSIFIERS = ["", "", "very", "really", "quite", "so", "truly", "rather"]
NEGATIONS = ["not", "never", "hardly", "not at all"]
ENDINGS = ["", "", "", "at all", "to me", "overall", "in the end", "if you ask me", "honestly"]
OPENERS = ["", "", "", "well", "frankly", "i think", "in my opinion", "to be honest"]


def make_review(rng):
    """One review and its label (1 = positive)."""
    positive_word = rng.random() < 0.5
    negated = rng.random() < 0.5
    word = rng.choice(POSITIVE if positive_word else NEGATIVE)
    parts = [rng.choice(OPENERS), rng.choice(SUBJECTS), rng.choice(VERBS)]
    if negated:
        parts.append(rng.choice(NEGATIONS))
    parts += [rng.choice(INTENSIFIERS), word, rng.choice(ENDINGS)]
    text = " ".join(p for p in parts if p)
    return text, int(positive_word != negated)


def make_dataset(n, rng):
    texts, labels = zip(*(make_review(rng) for _ in range(n)))
    return list(texts), np.array(labels, dtype=np.int64)


class SentimentLSTM(nn.Module):
    def __init__(self, vocab_size, embed_dim=32, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 2)

    def forward(self, ids):                     # ids (B, T), left-padded with 0
        _, (h_n, _) = self.lstm(self.embed(ids))
        return self.head(h_n[-1])               # the last layer's final state: (B, 2) logits


def main(epochs=8, hidden=64, seed=0, n_train=2000, n_test=1000, batch_size=64, lr=5e-3, verbose=True):
    nc.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_texts, y_train = make_dataset(n_train, rng)
    test_texts, y_test = make_dataset(n_test, rng)

    tok = Tokenizer()
    tok.fit_on_texts(train_texts)
    maxlen = max(len(tok.split(t)) for t in train_texts)
    # Left padding (Keras's default): the final hidden state comes right after the last real word.
    x_train = nc.tensor(pad_sequences(tok.texts_to_sequences(train_texts), maxlen=maxlen))
    x_test = nc.tensor(pad_sequences(tok.texts_to_sequences(test_texts), maxlen=maxlen))
    y_train, y_test = nc.tensor(y_train), nc.tensor(y_test)
    if verbose:
        print(f"vocabulary {tok.vocab_size} ids, sequences padded to {maxlen}; e.g. {train_texts[0]!r} -> "
              f"{x_train[0].tolist()} (label {y_train[0].item()})")

    model = SentimentLSTM(tok.vocab_size, hidden=hidden)
    opt = nc.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for epoch in range(epochs):
        perm = nc.randperm(n_train)
        total = 0.0
        for i in range(0, n_train, batch_size):
            idx = perm[i:i + batch_size]
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if verbose:
            print(f"epoch {epoch + 1}: train loss {total / n_train:.4f}")
    train_time = time.perf_counter() - start
    model.eval()
    with nc.no_grad():
        acc = (model(x_test).argmax(1) == y_test).float().mean().item()
    if verbose:
        print(f"test accuracy {acc:.4f} ({n_test} reviews), training time {train_time:.1f} s")
        for text in ["the movie was not good", "the acting was hardly boring", "honestly the plot was superb",
                     "the ending was not at all fun"]:
            ids = nc.tensor(pad_sequences(tok.texts_to_sequences([text]), maxlen=maxlen))
            with nc.no_grad():
                p = F.softmax(model(ids), dim=1)[0, 1].item()
            print(f"  {text!r}: P(positive) = {p:.3f}")
    return acc


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    main(epochs=args.epochs, hidden=args.hidden, seed=args.seed)
