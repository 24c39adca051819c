"""Module-level math functions (nc.exp(x), nc.sum(x, dim), ...), each the matching Tensor method."""
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


def _make(name):
    method = getattr(Tensor, name)

    def fn(input, *args, **kwargs):  # noqa: A002 - PyTorch's argument name
        if not isinstance(input, Tensor):
            input = as_tensor(input)
        return method(input, *args, **kwargs)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"nc.{name}(input, ...) is input.{name}(...)."
    return fn


for _n in _METHODS_1 + _METHODS_N:
    globals()[_n] = _make(_n)

negative = globals()["neg"]
multiply = globals()["mul"]
divide = globals()["div"]
subtract = globals()["sub"]
true_divide = globals()["div"]


def dot(a, b):
    """Inner product of two 1-D tensors."""
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return _core.Tensor.matmul(a, b)


mm = globals()["matmul"]
bmm = globals()["matmul"]

__all__ = _METHODS_1 + _METHODS_N + ["negative", "multiply", "divide", "subtract", "true_divide", "dot", "mm", "bmm"]
