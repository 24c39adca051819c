"""Compare analytic gradients with central finite differences (in float64)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _core
from ..autograd import no_grad
from .._core import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the numerical one."""


def _scalarize(out: Any, weights: Sequence[Tensor | None]) -> Tensor:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    total: Tensor | None = None
    for o, w in zip(outs, weights):
        if o is None or not o.dtype.is_floating_point:
            continue
        term = (o * w).sum()
        total = term if total is None else total + term
    if total is None:  # e.g. fn returned only integer tensors: nothing to differentiate
        raise ValueError("gradcheck: fn returned no floating-point tensor to differentiate")
    return total


def gradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, seed: int | None = 0) -> bool:
    """Check d(sum(fn(*inputs) * w))/d(input) against central differences, for every input that
    requires grad, with a random weight w (all-ones weights hide bugs such as a wrong sign that
    cancels out). Inputs should be float64. Returns True, or raises GradcheckError naming the
    input and element with the worst mismatch (or returns False when raise_exception=False).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != _core.DType.float64:
            raise ValueError(f"gradcheck: input {i} is {x.dtype!r}; use float64 inputs for a meaningful check")
    rng = np.random.default_rng(seed)
    with_grad = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not with_grad:
        raise ValueError("gradcheck: no input requires grad")

    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    weights = [None if o is None else _core.from_numpy(rng.standard_normal(o.shape)).to(o.dtype) for o in outs]
    for i in with_grad:
        inputs[i].grad = None
    total = _scalarize(out, weights)
    total.backward()
    analytic = {i: (inputs[i].grad.numpy().copy() if inputs[i].grad is not None else np.zeros(inputs[i].shape))
                for i in with_grad}

    # (excess over tolerance, input, index, numerical, analytic) of the worst element so far
    worst: tuple[float, int | None, tuple[Any, ...], float, float] = (0.0, None, (), 0.0, 0.0)
    with _core_no_grad():
        for i in with_grad:
            x = inputs[i]
            data = x.detach()._numpy_view()  # shares memory: perturb in place
            if x.numel() and not x.is_contiguous():  # an empty input has nothing to perturb
                raise ValueError("gradcheck: inputs must be contiguous")
            numeric = np.zeros(x.shape)
            flat = data.reshape(-1)
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + eps
                fp = _scalarize(fn(*inputs), weights).item()
                flat[k] = orig - eps
                fm = _scalarize(fn(*inputs), weights).item()
                flat[k] = orig
                numeric.reshape(-1)[k] = (fp - fm) / (2 * eps)
            diff = np.abs(numeric - analytic[i])
            tol = atol + rtol * np.abs(numeric)
            bad = diff - tol
            # A NaN on one side only is a mismatch (NaN compares false and would otherwise pass).
            bad = np.where(np.isnan(numeric) != np.isnan(analytic[i]), np.inf, np.nan_to_num(bad, nan=0.0))
            if bad.size and bad.max() > worst[0]:
                k = int(bad.argmax())
                worst = (float(bad.max()), i, np.unravel_index(k, x.shape), numeric.reshape(-1)[k],
                         analytic[i].reshape(-1)[k])
    if worst[1] is not None:
        _, bad_input, idx, num, ana = worst
        msg = (f"gradcheck: gradient of input {bad_input} at index {tuple(int(v) for v in idx)} is {ana:.8g} "
               f"(analytic) but {num:.8g} (numerical); |diff| = {abs(ana - num):.3g} > atol + rtol*|numerical|")
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True


_core_no_grad = no_grad
