"""Parameter initialisation, in place and without recording gradients (PyTorch's torch.nn.init).

Every function fills ``tensor`` in place from the global generator (see ``nc.manual_seed``) and
returns it.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _core
from .._core import Tensor
from ..autograd import no_grad
from .._tensor import float64 as _float64, randn as _randn

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "zeros_", "ones_", "eye_",
           "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_", "lecun_normal_",
           "orthogonal_"]


_NoGrad = no_grad


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for an activation (PyTorch's table).

    linear, conv*, sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu: sqrt(2 / (1 + slope^2)) with
    slope ``param`` (default 0.01); selu: 3/4.

    >>> import neurocore as nc
    >>> round(nc.nn.init.calculate_gain("relu"), 6)
    1.414214
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel): in * prod(kernel), out * prod(kernel)."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
                         f"(got shape {tuple(tensor.shape)})")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with draws from U(a, b)."""
    with _NoGrad():
        return tensor.uniform_(a, b)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    with _NoGrad():
        return tensor.normal_(mean, std)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    with _NoGrad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He initialisation: U(-bound, bound) with bound = gain * sqrt(3 / fan).

    gain = calculate_gain(nonlinearity, a); fan is fan_in or fan_out (``mode``).
    Ref: He et al. 2015, "Delving Deep into Rectifiers". nn.Linear's default is
    ``kaiming_uniform_(w, a=sqrt(5))``, which gives bound = 1 / sqrt(fan_in).
    """
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot initialisation: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Ref: Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward networks".
    """
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a)


def _normal_draws(shape: tuple[int, ...]) -> np.ndarray[Any, Any]:
    """Standard normal draws from the global generator, as a float64 numpy array."""
    return _randn(*shape, dtype=_float64).numpy()


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot initialisation: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Ref: Glorot & Bengio 2010.
    """
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He initialisation: N(0, std^2) with std = gain / sqrt(fan).

    gain = calculate_gain(nonlinearity, a); fan is fan_in (keeps the forward pass's variance) or
    fan_out (the backward pass's), chosen by ``mode``. Ref: He et al. 2015.

    >>> import neurocore as nc
    >>> w = nc.nn.init.kaiming_normal_(nc.empty(256, 400), mode="fan_in", nonlinearity="relu")
    >>> abs(w.std().item() - (2 / 400) ** 0.5) < 0.002
    True
    """
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def lecun_normal_(tensor: Tensor) -> Tensor:
    """LeCun initialisation: N(0, 1 / fan_in), the same as ``kaiming_normal_(t, nonlinearity="linear")``;
    the recommended start for SELU networks. Ref: LeCun et al. 1998, "Efficient BackProp";
    Klambauer et al. 2017 (SELU). (Keras's lecun_normal draws from a truncated normal instead.)
    """
    if tensor.numel() == 0:
        return tensor
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, 1.0 / math.sqrt(fan_in))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0) -> Tensor:
    """Fill with draws from N(mean, std^2) conditioned on [a, b] (bounds in absolute units, as in
    PyTorch): draws outside are redrawn until all lie inside. Needs a < b and [a, b] not far in the tail.
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    if std < 0:
        raise ValueError(f"trunc_normal_: std must be non-negative, got {std}")
    n = tensor.numel()
    if n == 0:
        return tensor
    out = np.empty(n, dtype=np.float64)
    todo = np.arange(n)
    for _ in range(1000):
        draw = _normal_draws((len(todo),)) * std + mean
        ok = (draw >= a) & (draw <= b)
        out[todo[ok]] = draw[ok]
        todo = todo[~ok]
        if len(todo) == 0:
            break
    else:
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds too little of N({mean}, {std}^2)")
    with _NoGrad():
        return tensor.copy_(_core.from_numpy(out.reshape(tuple(tensor.shape))))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the diagonal, also when not square)."""
    if tensor.dim() != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported (got shape {tuple(tensor.shape)})")
    with _NoGrad():
        return tensor.copy_(_core.from_numpy(np.eye(tensor.shape[0], tensor.shape[1])))


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain``: the tensor viewed as (rows, cols) with
    rows = shape[0] gets orthonormal rows (rows <= cols) or columns (rows > cols).

    Q comes from the QR factorisation of a matrix of standard normal draws, with the signs of R's
    diagonal folded into Q so that Q is uniformly (Haar) distributed. Ref: Saxe et al. 2014.

    >>> import neurocore as nc
    >>> q = nc.nn.init.orthogonal_(nc.empty(4, 3)).numpy()
    >>> bool(abs(q.T @ q - __import__("numpy").eye(3)).max() < 1e-5)
    True
    """
    if tensor.dim() < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported (got shape {tuple(tensor.shape)})")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _normal_draws((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    d = np.sign(np.diag(r))
    d[d == 0] = 1.0
    q = q * d
    if rows < cols:
        q = q.T
    with _NoGrad():
        return tensor.copy_(_core.from_numpy(np.ascontiguousarray(q * gain).reshape(tuple(tensor.shape))))
