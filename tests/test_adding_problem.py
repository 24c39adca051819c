"""The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): each input is a sequence of 50 pairs
(value ~ U(0, 1), marker), exactly two markers are 1, and the target is the sum of the two marked values.
Predicting the mean scores MSE = Var(u1 + u2) = 2/12 ~ 0.17; an LSTM(32) + Linear(32, 1) trained with Adam
must get below 0.01 on held-out sequences. It needs memory over up to 50 steps, so a bug in backward through
time (or in the forget-gate path) shows up here as a model stuck at ~0.17."""
import numpy as np

import neurocore as nc

T = 50


def make_batch(rng, n):
    values = rng.uniform(0.0, 1.0, size=(n, T))
    markers = np.zeros((n, T))
    pos = np.argsort(rng.random((n, T)), axis=1)[:, :2]     # two distinct positions per sequence
    np.put_along_axis(markers, pos, 1.0, axis=1)
    x = np.stack([values, markers], axis=2).astype(np.float32)           # (n, T, 2)
    y = (values * markers).sum(axis=1, keepdims=True).astype(np.float32)  # (n, 1)
    return nc.tensor(x), nc.tensor(y)


class Adder(nc.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nc.nn.LSTM(2, 32, batch_first=True)
        self.fc = nc.nn.Linear(32, 1)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[0])


def test_adding_problem_lstm_reaches_mse_below_0_01():
    nc.manual_seed(1)
    rng = np.random.default_rng(1)
    x_test, y_test = make_batch(rng, 1000)
    baseline = ((y_test - y_test.mean()) ** 2).mean().item()
    assert 0.14 < baseline < 0.2          # the mean predictor's MSE (~1/6)
    net = Adder()
    opt = nc.optim.Adam(net.parameters(), lr=0.01)
    mse = baseline
    for step in range(1, 3001):           # typically done after ~1000-1250 steps (a few seconds)
        x, y = make_batch(rng, 64)
        loss = nc.nn.functional.mse_loss(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 250 == 0:
            with nc.no_grad():
                mse = nc.nn.functional.mse_loss(net(x_test), y_test).item()
            if mse < 0.002:
                break
    print(f"adding problem: test MSE {mse:.5f} after {step} steps (mean predictor {baseline:.3f})")
    assert mse < 0.01
