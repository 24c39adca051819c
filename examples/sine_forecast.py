"""One-step-ahead forecasting of a noisy sine series with a GRU (many-to-one regression).

The series is x_t = sin(2 pi t / 50) + 0.5 sin(2 pi t / 17) + noise, noise ~ N(0, 0.1^2). Windows of 40 past
values predict the next one; the first 80% of the series trains, the last 20% tests. Prints the test MSE next
to two references: repeating the last value, and the noise variance 0.01 (the best any forecaster can do).

    python examples/sine_forecast.py [--epochs 30] [--cell gru|lstm|rnn] [--seed 0]
"""
import argparse
import time

import numpy as np

import neurocore as nc
import neurocore.nn as nn
import neurocore.nn.functional as F

WINDOW = 40
NOISE = 0.1


def make_series(n, rng):
    t = np.arange(n)
    clean = np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 17)
    return (clean + NOISE * rng.standard_normal(n)).astype(np.float32)


def windows(series):
    """(N, WINDOW, 1) inputs and (N, 1) next values."""
    idx = np.arange(WINDOW)[None, :] + np.arange(len(series) - WINDOW)[:, None]
    return series[idx][:, :, None], series[WINDOW:, None]


class Forecaster(nn.Module):
    def __init__(self, cell="gru", hidden=32):
        super().__init__()
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[cell]
        self.rnn = rnn(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):                  # x (B, WINDOW, 1)
        out, _ = self.rnn(x)
        return self.head(out[:, -1])       # the last step's output: (B, 1)


def main(epochs=30, cell="gru", seed=0, n=3000, batch_size=64, lr=5e-3, verbose=True):
    nc.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, y = windows(make_series(n, rng))
    split = int(0.8 * len(x))
    x_train, y_train = nc.tensor(x[:split]), nc.tensor(y[:split])
    x_test, y_test = nc.tensor(x[split:]), nc.tensor(y[split:])
    model = Forecaster(cell)
    opt = nc.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for epoch in range(epochs):
        perm = nc.randperm(split)
        for i in range(0, split, batch_size):
            idx = perm[i:i + batch_size]
            loss = F.mse_loss(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if verbose and (epoch + 1) % 5 == 0:
            with nc.no_grad():
                print(f"epoch {epoch + 1}: test MSE {F.mse_loss(model(x_test), y_test).item():.4f}")
    train_time = time.perf_counter() - start
    with nc.no_grad():
        mse = F.mse_loss(model(x_test), y_test).item()
    naive = float(np.mean((x[split:, -1, 0] - y[split:, 0]) ** 2))
    if verbose:
        print(f"test MSE {mse:.4f}  (repeat-last-value {naive:.4f}, noise floor {NOISE ** 2:.4f}); "
              f"{cell.upper()} trained in {train_time:.1f} s")
    return mse, naive


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--cell", choices=["gru", "lstm", "rnn"], default="gru")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    main(epochs=args.epochs, cell=args.cell, seed=args.seed)
