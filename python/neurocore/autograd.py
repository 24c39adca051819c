"""Gradient-mode switches. The graph and the backward pass themselves live in the C++ core."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar, cast

from . import _core
from ._core import Tensor

_F = TypeVar("_F", bound=Callable[..., Any])
_Self = TypeVar("_Self", bound="_GradMode")

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "backward"]


class _GradMode:
    _mode = True
    _prev: bool

    def __enter__(self: _Self) -> _Self:
        self._prev = _core.is_grad_enabled()
        _core.set_grad_enabled(self._mode)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        _core.set_grad_enabled(self._prev)
        return False

    def __call__(self, fn: _F) -> _F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)
        return cast(_F, wrapper)  # functools.wraps gives wrapper fn's name, doc and signature


class no_grad(_GradMode):
    """Context manager and decorator that turns off graph recording.

    >>> import neurocore as nc
    >>> x = nc.ones(2, requires_grad=True)
    >>> with nc.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    _mode = False


class enable_grad(_GradMode):
    """Context manager and decorator that turns graph recording back on."""
    _mode = True


class set_grad_enabled(_GradMode):
    """``with nc.set_grad_enabled(False): ...`` or a plain call ``nc.set_grad_enabled(False)``."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = _core.is_grad_enabled()
        _core.set_grad_enabled(self._mode)

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        _core.set_grad_enabled(self._prev)
        return False


def backward(tensors: Tensor | list[Tensor] | tuple[Tensor, ...], grad_tensors: Sequence[Tensor | None] | None = None,
             retain_graph: bool = False) -> None:
    """Backward from several roots at once (gradients are summed into the leaves)."""
    from ._tensor import ones_like
    roots = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    if grad_tensors is None:
        grad_tensors = [None] * len(roots)
    grads: list[Tensor] = []
    for t, g in zip(roots, grad_tensors):
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got shape {t.shape}")
            g = ones_like(t)
        grads.append(g)
    _core._backward(roots, grads, retain_graph)
