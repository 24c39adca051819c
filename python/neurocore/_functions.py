"""Module-level math functions (nc.exp(x), nc.sum(x, dim), ...), each the matching Tensor method."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _core
from ._core import Tensor
from ._tensor import as_tensor

_METHODS_1 = ["neg", "abs", "sign", "square", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "log1p",
              "expm1", "relu", "sigmoid", "tanh", "logical_not", "t", "contiguous", "clone", "detach", "nonzero",
              "numel"]
_METHODS_N = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
              "logical_and", "logical_or", "logical_xor", "matmul", "clamp", "clip", "sum", "mean", "prod", "amax",
              "amin", "any", "all", "argmax", "argmin", "max", "min", "var", "std", "reshape", "flatten", "squeeze",
              "unsqueeze", "transpose", "permute", "softmax", "log_softmax", "index_select"]


def _make(name: str) -> Callable[..., Any]:
    method = getattr(Tensor, name)

    def fn(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's argument name
        if not isinstance(input, Tensor):
            input = as_tensor(input)
        return method(input, *args, **kwargs)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"nc.{name}(input, ...) is input.{name}(...)."
    return fn


if TYPE_CHECKING:
    # What mypy sees: each function is the Tensor method it forwards to (the runtime versions below also
    # accept array-likes for `input`; the declared types ask for a Tensor, like PyTorch's).
    neg = Tensor.neg
    abs = Tensor.abs
    sign = Tensor.sign
    square = Tensor.square
    exp = Tensor.exp
    log = Tensor.log
    sqrt = Tensor.sqrt
    rsqrt = Tensor.rsqrt
    reciprocal = Tensor.reciprocal
    sin = Tensor.sin
    cos = Tensor.cos
    log1p = Tensor.log1p
    expm1 = Tensor.expm1
    relu = Tensor.relu
    sigmoid = Tensor.sigmoid
    tanh = Tensor.tanh
    logical_not = Tensor.logical_not
    t = Tensor.t
    contiguous = Tensor.contiguous
    clone = Tensor.clone
    detach = Tensor.detach
    nonzero = Tensor.nonzero
    numel = Tensor.numel
    add = Tensor.add
    sub = Tensor.sub
    mul = Tensor.mul
    div = Tensor.div
    pow = Tensor.pow
    maximum = Tensor.maximum
    minimum = Tensor.minimum
    eq = Tensor.eq
    ne = Tensor.ne
    lt = Tensor.lt
    le = Tensor.le
    gt = Tensor.gt
    ge = Tensor.ge
    logical_and = Tensor.logical_and
    logical_or = Tensor.logical_or
    logical_xor = Tensor.logical_xor
    matmul = Tensor.matmul
    clamp = Tensor.clamp
    clip = Tensor.clip
    sum = Tensor.sum
    mean = Tensor.mean
    prod = Tensor.prod
    amax = Tensor.amax
    amin = Tensor.amin
    any = Tensor.any
    all = Tensor.all
    argmax = Tensor.argmax
    argmin = Tensor.argmin
    max = Tensor.max
    min = Tensor.min
    var = Tensor.var
    std = Tensor.std
    reshape = Tensor.reshape
    flatten = Tensor.flatten
    squeeze = Tensor.squeeze
    unsqueeze = Tensor.unsqueeze
    transpose = Tensor.transpose
    permute = Tensor.permute
    softmax = Tensor.softmax
    log_softmax = Tensor.log_softmax
    index_select = Tensor.index_select
else:
    for _n in _METHODS_1 + _METHODS_N:
        globals()[_n] = _make(_n)

negative = neg
multiply = mul
divide = div
subtract = sub
true_divide = div


def dot(a: Tensor, b: Tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return _core.Tensor.matmul(a, b)


mm = matmul
bmm = matmul

# Spelled out (not _METHODS_1 + _METHODS_N + ...) so that mypy knows what `from ._functions import *` exports.
__all__ = ["neg", "abs", "sign", "square", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "log1p",
           "expm1", "relu", "sigmoid", "tanh", "logical_not", "t", "contiguous", "clone", "detach", "nonzero",
           "numel", "add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
           "logical_and", "logical_or", "logical_xor", "matmul", "clamp", "clip", "sum", "mean", "prod", "amax",
           "amin", "any", "all", "argmax", "argmin", "max", "min", "var", "std", "reshape", "flatten", "squeeze",
           "unsqueeze", "transpose", "permute", "softmax", "log_softmax", "index_select", "negative", "multiply",
           "divide", "subtract", "true_divide", "dot", "mm", "bmm"]
