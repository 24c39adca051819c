"""Gradient-mode switches. The graph and the backward pass themselves live in the C++ core."""
import functools

from . import _core

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "backward"]


class _GradMode:
    _mode = True

    def __enter__(self):
        self._prev = _core.is_grad_enabled()
        _core.set_grad_enabled(self._mode)
        return self

    def __exit__(self, *exc):
        _core.set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


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

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = _core.is_grad_enabled()
        _core.set_grad_enabled(self._mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _core.set_grad_enabled(self._prev)
        return False


def backward(tensors, grad_tensors=None, retain_graph=False):
    """Backward from several roots at once (gradients are summed into the leaves)."""
    from ._tensor import ones_like
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    grads = []
    for t, g in zip(tensors, grad_tensors):
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got shape {t.shape}")
            g = ones_like(t)
        grads.append(g)
    _core._backward(tensors, grads, retain_graph)
