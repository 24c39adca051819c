"""Gradient clipping and weight penalties (PyTorch's torch.nn.utils clipping functions).

>>> import neurocore as nc
>>> w = nc.nn.Parameter(nc.zeros(2))
>>> w.grad = nc.tensor([3.0, 4.0])
>>> nc.nn.utils.clip_grad_norm_([w], max_norm=1.0).item()
5.0
>>> [round(v, 4) for v in w.grad.tolist()]
[0.6, 0.8]
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Union

from .. import _core
from ..autograd import no_grad
from .._core import Tensor
from .._tensor import zeros

__all__ = ["clip_grad_norm_", "clip_grad_value_", "l1_penalty", "l2_penalty"]


_NoGrad = no_grad

_Params = Union[Tensor, Iterable[Tensor]]  # one tensor or an iterable of them (e.g. model.parameters())


def _as_list(parameters: _Params) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _grads(parameters: _Params) -> list[Tensor]:
    return [g for g in (p.grad for p in _as_list(parameters)) if g is not None]


def _vector_norm(g: Tensor, norm_type: float) -> Tensor:
    """||g||_norm_type as a 0-d tensor of g's dtype (inf: max |g|, -inf: min |g|, 0: count of non-zeros)."""
    if g.numel() == 0:
        return zeros((), dtype=g.dtype)
    a = g.abs()
    if norm_type == math.inf:
        return a.amax()
    if norm_type == -math.inf:
        return a.amin()
    if norm_type == 0:
        return a.ne(0).to(g.dtype).sum()
    if norm_type == 1:
        return a.sum()
    if norm_type == 2:
        return (a * a).sum().sqrt()
    return a.pow(norm_type).sum().pow(1.0 / norm_type)


def clip_grad_norm_(parameters: _Params, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    r"""Scale the gradients of ``parameters`` in place so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type`` norm of all gradients taken together as one vector (``inf``
    for the largest absolute value). Every gradient is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``. Parameters without a gradient are ignored.
    Returns the total norm before clipping, as a 0-d tensor (0.0 when no parameter has a gradient).

    Non-finite gradients: with ``error_if_nonfinite=True`` a NaN or infinite total norm raises
    RuntimeError and leaves the gradients alone. With ``False`` (the default, as in PyTorch) the
    returned norm is nan (any NaN) or inf, and the gradients are still multiplied by the clip
    coefficient: a NaN norm makes every gradient NaN; an infinite norm gives the coefficient 0, so
    finite entries become 0 and infinite entries become NaN (0 * inf). Check the returned norm (or
    use error_if_nonfinite) when that matters, e.g. to skip the step. ``foreach`` is accepted for
    PyTorch compatibility and ignored.
    """
    grads = _grads(parameters)
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not grads:
        return zeros(())
    with _NoGrad():
        if len(grads) == 1:
            total = _vector_norm(grads[0], norm_type)
        else:
            norms = [_vector_norm(g, norm_type) for g in grads]
            dtype = norms[0].dtype
            total = _vector_norm(_core.stack([n.to(dtype) for n in norms], 0), norm_type)
        value = total.item()
        if error_if_nonfinite and (math.isnan(value) or math.isinf(value)):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                               "so it cannot be clipped. To disable this error and scale the gradients by the "
                               "non-finite norm anyway, set `error_if_nonfinite=False`")
        coef = max_norm / (value + 1e-6)
        if not coef >= 1.0:  # also when coef is nan
            for g in grads:
                g.mul_(coef)
    return total


def clip_grad_value_(parameters: _Params, clip_value: float) -> None:
    """Clamp every gradient of ``parameters`` in place to [-clip_value, clip_value]; returns None."""
    clip_value = float(clip_value)
    with _NoGrad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


def _penalty(params: _Params, fn: Callable[[Tensor], Tensor], name: str) -> Tensor:
    plist = _as_list(params)
    if not plist:
        raise ValueError(f"{name}: got no parameters")
    total: Tensor | None = None
    for p in plist:
        term = fn(p).sum()
        total = term if total is None else total + term
    assert total is not None  # plist is not empty
    return total


def l1_penalty(params: _Params) -> Tensor:
    """sum over the parameters of sum |w|, a differentiable 0-d tensor (add ``lam * l1_penalty(...)``
    to the loss for L1 regularisation; its gradient is lam * sign(w)).

    >>> import neurocore as nc
    >>> nc.nn.utils.l1_penalty([nc.tensor([1.0, -2.0]), nc.tensor([[3.0]])]).item()
    6.0
    """
    return _penalty(params, lambda p: p.abs(), "l1_penalty")


def l2_penalty(params: _Params) -> Tensor:
    """sum over the parameters of sum w^2, a differentiable 0-d tensor (its gradient is 2 w; note
    that SGD's weight_decay=wd equals adding (wd / 2) * l2_penalty to the loss).

    >>> import neurocore as nc
    >>> nc.nn.utils.l2_penalty([nc.tensor([1.0, -2.0]), nc.tensor([[3.0]])]).item()
    14.0
    """
    return _penalty(params, lambda p: p * p, "l2_penalty")
