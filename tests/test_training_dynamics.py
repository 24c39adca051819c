"""Optimizers on small analytic problems, through autograd: plain gradient descent escaping the
saddle of x^2 - y^2 step by step (exact values), and momentum SGD, Adam and RMSprop finding the
minimum of the Rosenbrock function within a stated number of steps."""
import numpy as np
import pytest

import neurocore as nc
from neurocore import nn


def saddle_descent(steps):
    """SGD(lr=0.1) on f(x, y) = x^2 - y^2 from (2, 3): x <- 0.8 x, y <- 1.2 y per step."""
    w = nn.Parameter(nc.tensor([2.0, 3.0], dtype=nc.float64))
    opt = nc.optim.SGD([w], lr=0.1)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        loss = w[0] * w[0] - w[1] * w[1]
        loss.backward()
        opt.step()
        path.append(w.detach().numpy().copy())
    return np.array(path)


def test_gradient_descent_leaves_the_saddle_along_y():
    path = saddle_descent(100)
    np.testing.assert_allclose(path[0], [1.6, 3.6], rtol=1e-12)
    np.testing.assert_allclose(path[1], [1.28, 4.32], rtol=1e-12)
    x, y = path[-1]
    assert x == pytest.approx(2 * 0.8 ** 100, rel=1e-6)  # ~4.07e-10: x converges to the saddle point
    assert y == pytest.approx(3 * 1.2 ** 100, rel=1e-6)  # ~2.48e8: y runs away (it is a maximum along y)
    assert y == pytest.approx(248_453_923.566, rel=1e-9)
    np.testing.assert_allclose(path[:, 0], 2 * 0.8 ** np.arange(1, 101), rtol=1e-9)
    np.testing.assert_allclose(path[:, 1], 3 * 1.2 ** np.arange(1, 101), rtol=1e-9)


def rosenbrock_distance(make_opt, steps, start=(-1.2, 1.0)):
    """Minimise (1 - x)^2 + 100 (y - x^2)^2 (minimum 0 at (1, 1)) from the classic start (-1.2, 1);
    returns the distance to (1, 1) after each step."""
    w = nn.Parameter(nc.tensor(list(start), dtype=nc.float64))
    opt = make_opt([w])

    def closure():
        opt.zero_grad()
        x, y = w[0], w[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        loss.backward()
        return loss
    dist = []
    for _ in range(steps):
        opt.step(closure)
        dist.append(float(np.hypot(*(w.detach().numpy() - 1.0))))
    return np.array(dist)


# (name, optimizer, steps): settings found to reach (1, 1) within 1e-3 in that many steps (first
# within 1e-3 after about 860, 1800 and 1560 steps respectively, and staying there).
ROSENBROCK = [
    ("SGD(lr=2e-3, momentum=0.9)", lambda p: nc.optim.SGD(p, lr=2e-3, momentum=0.9), 1000),
    ("Adam(lr=0.05)", lambda p: nc.optim.Adam(p, lr=0.05), 2500),
    ("RMSprop(lr=2e-4, momentum=0.95)", lambda p: nc.optim.RMSprop(p, lr=2e-4, momentum=0.95), 2000),
]


@pytest.mark.parametrize("name,make_opt,steps", ROSENBROCK, ids=[r[0] for r in ROSENBROCK])
def test_rosenbrock_minimum_is_reached(name, make_opt, steps):
    dist = rosenbrock_distance(make_opt, steps)
    assert dist[0] > 0.5  # it starts far away
    assert dist[-1] < 1e-3, f"{name}: distance {dist[-1]:.2e} after {steps} steps"
    assert np.all(dist[-100:] < 1e-3)  # and stays close


def test_plain_gradient_descent_is_slow_on_rosenbrock():
    # The same budget without momentum does not get there: the valley is long and flat.
    dist = rosenbrock_distance(lambda p: nc.optim.SGD(p, lr=2e-3), 1000)
    assert dist[-1] > 1e-2
