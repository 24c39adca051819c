"""Tensor creation and the parts of the Tensor API that are plain orchestration (printing,
indexing, list conversion). All arithmetic goes to the C++ core."""
from __future__ import annotations

import builtins
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, Union, cast

import numpy as np

from . import _core
from ._core import Tensor

float32 = _core.DType.float32
float64 = _core.DType.float64
int64 = _core.DType.int64
bool_ = _core.DType.bool
long = int64
double = float64

_DEFAULT_FLOAT = float32
# What nc.tensor(..., dtype=...) accepts: a DType, a name ("float32"), a numpy dtype or scalar type.
DTypeLike = Union[_core.DType, str, type, "np.dtype[Any]"]
ShapeArg = Union[int, Sequence[int]]  # one entry of *size: an int, or the whole shape as a tuple/list

_NP_OF: dict[_core.DType, type[np.generic]] = {
    float32: np.float32, float64: np.float64, int64: np.int64, bool_: np.bool_}


def _dtype(d: DTypeLike | None) -> _core.DType | None:
    return None if d is None else _core._parse_dtype(d)


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


def _to_numpy_for_tensor(data: Any, dtype: _core.DType | None) -> np.ndarray[Any, Any]:
    """numpy array (owned, C-contiguous) with the dtype a new tensor from `data` should have."""
    if isinstance(data, Tensor):
        arr = data.detach()._numpy_view()
        src_dtype = data.dtype
    else:
        arr = np.asarray(data)
        src_dtype = None
    target: type[np.generic]
    if dtype is not None:
        target = _NP_OF[dtype]
    elif src_dtype is not None:
        target = _NP_OF[src_dtype]
    elif arr.dtype.kind == "f":
        # Python floats and lists default to float32 (like PyTorch); numpy float64 (arrays and
        # scalars such as np.float64(1.0)) stays float64.
        target = np.float64 if (isinstance(data, (np.ndarray, np.generic)) and arr.dtype == np.float64) else np.float32
    elif arr.dtype.kind in "iu":
        if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise OverflowError(f"value {arr.max()} does not fit in int64")  # would wrap around silently
        target = np.int64
    elif arr.dtype.kind == "b":
        target = np.bool_
    elif arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(f"cannot build a tensor from {type(data).__name__} data of dtype {arr.dtype} "
                        "(nested lists must be rectangular and hold numbers)")
    else:
        raise TypeError(f"unsupported data dtype {arr.dtype}; neurocore supports float32, float64, int64 and bool")
    return np.array(arr, dtype=target, order="C", copy=True)


def tensor(data: Any, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (a number, nested list, numpy array or tensor).

    >>> import neurocore as nc
    >>> nc.tensor([[1, 2], [3, 4]]).dtype
    neurocore.int64
    >>> nc.tensor([0.5, 1.5]).dtype
    neurocore.float32
    """
    try:
        arr = _to_numpy_for_tensor(data, _dtype(dtype))
    except ValueError as exc:
        raise ValueError(f"cannot build a tensor from ragged nested sequences: {exc}") from None
    t = _core.from_numpy(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data: Any, dtype: DTypeLike | None = None) -> Tensor:
    """`data` itself when it already is a tensor of that dtype, else a new tensor."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == _dtype(dtype)):
        return data
    return tensor(data, dtype=dtype)


def _shape(size: Sequence[Any]) -> list[int]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if not isinstance(s, numbers.Integral):
            raise TypeError(f"sizes must be integers, got {s!r} in {tuple(size)}")
        out.append(int(s))
    return out


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size: ShapeArg, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return _finish(_core._full(_shape(size), 0.0, _dtype(dtype) or _DEFAULT_FLOAT), requires_grad)


def ones(*size: ShapeArg, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return _finish(_core._full(_shape(size), 1.0, _dtype(dtype) or _DEFAULT_FLOAT), requires_grad)


def full(size: ShapeArg, fill_value: float, dtype: DTypeLike | None = None,
         requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = bool_ if isinstance(fill_value, bool) else (
            int64 if isinstance(fill_value, numbers.Integral) else _DEFAULT_FLOAT)
    return _finish(_core._full(_shape((size,)), float(fill_value), _core._parse_dtype(dtype)), requires_grad)


def empty(*size: ShapeArg, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return _finish(_core._empty(_shape(size), _dtype(dtype) or _DEFAULT_FLOAT), requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: DTypeLike | None = None,
           requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive) by step; int64 when all are integers."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = int64 if ints else _DEFAULT_FLOAT
    return _finish(_core._arange(float(start), float(end), float(step), _core._parse_dtype(dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: DTypeLike | None = None,
             requires_grad: bool = False) -> Tensor:
    return _finish(_core._linspace(float(start), float(end), int(steps), _dtype(dtype) or _DEFAULT_FLOAT),
                   requires_grad)


def eye(n: int, m: int | None = None, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return _finish(_core._eye(int(n), int(n if m is None else m), _dtype(dtype) or _DEFAULT_FLOAT), requires_grad)


def rand(*size: ShapeArg, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) draws from the global generator (see nc.manual_seed)."""
    return _finish(_core._rand(_shape(size), _dtype(dtype) or _DEFAULT_FLOAT), requires_grad)


def randn(*size: ShapeArg, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """Standard normal draws from the global generator (see nc.manual_seed)."""
    return _finish(_core._randn(_shape(size), _dtype(dtype) or _DEFAULT_FLOAT), requires_grad)


def randint(low: int, high: int | tuple[int, ...] | list[int] | None = None, size: Sequence[int] | None = None,
            dtype: DTypeLike | None = None) -> Tensor:
    """Integers in [low, high). ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: expected randint(low, high, size) or randint(high, size) with size a tuple")
        size = high
        high = low
        low = 0
    if high is None or isinstance(high, (tuple, list)):
        raise TypeError(f"randint: high must be an integer when size is given, got {high!r}")
    return _core._randint(int(low), int(high), _shape((size,)), _dtype(dtype) or int64)


def zeros_like(t: Tensor, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: float, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return empty(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randint_like(t: Tensor, low: int, high: int | None = None, dtype: DTypeLike | None = None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape, dtype=dtype or t.dtype)


# ---------------------------------------------------------------- Tensor methods written in Python

def _repr(self: Tensor) -> str:
    arr = self.detach().contiguous()._numpy_view()
    suffix: list[str] = []
    if self.dtype not in (float32, int64, bool_) or self.numel() == 0:
        suffix.append(f"dtype={self.dtype!r}")
    if self.grad_fn is not None:
        suffix.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        suffix.append("requires_grad=True")
    if arr.dtype.kind == "f":
        body = np.array2string(arr, separator=", ", prefix="tensor(", floatmode="maxprec_equal", precision=4,
                               threshold=1000, edgeitems=3)
        if "." not in body and "e" not in body and "nan" not in body and "inf" not in body and arr.size:
            body = np.array2string(arr, separator=", ", prefix="tensor(", formatter={"float": lambda v: f"{v:.0f}."},
                                   threshold=1000, edgeitems=3)
    else:
        body = np.array2string(arr, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3)
    if self.numel() == 0:
        body = "[]"
    extra = "".join(", " + s for s in suffix)
    return f"tensor({body}{extra})"


def _tolist(self: Tensor) -> Any:
    return self.detach().contiguous()._numpy_view().tolist()


def _array(self: Tensor, dtype: Any = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
    if self.requires_grad:
        raise RuntimeError("can't convert a tensor that requires grad to numpy; use tensor.detach().numpy()")
    arr = self.contiguous()._numpy_view()
    if dtype is not None and np.dtype(dtype) != arr.dtype:
        converted: np.ndarray[Any, Any] = arr.astype(dtype)
        return converted
    if copy:
        copied: np.ndarray[Any, Any] = arr.copy()
        return copied
    return arr


class return_types(NamedTuple):  # noqa: N801 - the name PyTorch prints for max/min(dim) results
    """(values, indices) of ``t.max(dim)`` / ``t.min(dim)``."""
    values: Tensor
    indices: Tensor


_ReturnMinMax = return_types


def _max(self: Tensor, dim: Tensor | int | None = None, keepdim: bool = False) -> Tensor | return_types:
    """Largest value; with `dim`, a (values, indices) pair along that dim."""
    if dim is None:
        return self.amax()
    if isinstance(dim, Tensor):
        return self.maximum(dim)
    return _ReturnMinMax(*self._max_dim(int(dim), bool(keepdim), True))


def _min(self: Tensor, dim: Tensor | int | None = None, keepdim: bool = False) -> Tensor | return_types:
    if dim is None:
        return self.amin()
    if isinstance(dim, Tensor):
        return self.minimum(dim)
    return _ReturnMinMax(*self._max_dim(int(dim), bool(keepdim), False))


def _var_args(unbiased: bool, correction: float | None) -> float:
    if correction is not None:
        return float(correction)
    return 1.0 if unbiased else 0.0


def _var(self: Tensor, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *,
         correction: float | None = None) -> Tensor:
    """Variance; unbiased (N - 1) by default like PyTorch; correction=0 gives the biased one."""
    return Tensor._var_core(self, dim, _var_args(unbiased, correction), keepdim)


def _std(self: Tensor, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *,
         correction: float | None = None) -> Tensor:
    return Tensor._var_core(self, dim, _var_args(unbiased, correction), keepdim).sqrt()


def _is_index_array(obj: object) -> bool:
    return isinstance(obj, (Tensor, np.ndarray, list)) or (
        isinstance(obj, tuple) is False and hasattr(obj, "__array__") and not isinstance(obj, (int, float)))


def _index_tensor(obj: Any) -> Tensor:
    if isinstance(obj, Tensor):
        t = obj
    else:
        arr = np.asarray(obj)
        if arr.dtype.kind == "b":
            t = _core.from_numpy(np.ascontiguousarray(arr))
        elif arr.dtype.kind in "iu" or arr.size == 0:
            t = _core.from_numpy(np.ascontiguousarray(arr, dtype=np.int64))
        else:
            raise IndexError(f"tensors used as indices must be integer or bool, got dtype {arr.dtype}")
    if t.dtype not in (int64, bool_):
        raise IndexError(f"tensors used as indices must be int64 or bool, got {t.dtype!r}")
    return t


def _getitem(self: Tensor, index: Any) -> Tensor:
    """Basic indexing (ints, slices with positive steps, None, ...) gives views; integer and
    boolean arrays give copies (with gradients flowing back to the selected elements)."""
    if not isinstance(index, tuple):
        index = (index,)
    consumed = 0
    for it in index:
        if it is None or it is Ellipsis:
            continue
        if isinstance(it, (Tensor, np.ndarray)) and _index_tensor(it).dtype == bool_:
            consumed += it.ndim
        else:
            consumed += 1
    if consumed > self.ndim:
        raise IndexError(f"too many indices for tensor of dimension {self.ndim} (got {consumed})")
    has_array = any(not isinstance(it, bool) and _is_index_array(it) for it in index)
    out = self
    dim = 0
    src = 0  # the dim of self the next index applies to (error messages name it)
    advanced: list[tuple[int, Tensor, int]] = []  # (dim in `out`, index tensor, dim in self)
    seen_ellipsis = False
    for it in index:
        if it is None:
            out = out.unsqueeze(dim)
            dim += 1
        elif it is Ellipsis:
            if seen_ellipsis:
                raise IndexError("an index can only have a single ellipsis ('...')")
            seen_ellipsis = True
            dim += self.ndim - consumed
            src += self.ndim - consumed
        elif isinstance(it, bool):
            raise IndexError("indexing with a Python bool is not supported; use a bool tensor")
        elif isinstance(it, numbers.Integral):
            size = out.shape[dim]
            i = int(it)
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {src} with size {size}")
            if has_array:
                # Next to index arrays an integer is an advanced index too (numpy's rule): it counts
                # when deciding where the indexed dims go, e.g. a[0, :, [1, 2]] has shape (2, a.shape[1]).
                advanced.append((dim, _core.from_numpy(np.array(i, dtype=np.int64)), src))
                dim += 1
            else:
                out = out._select(dim, i)
            src += 1
        elif isinstance(it, slice):
            start, stop, step = it.indices(out.shape[dim])
            if step <= 0:
                raise ValueError(f"slice step must be positive, got {step}")
            out = out._slice(dim, start, max(stop, start), step)
            dim += 1
            src += 1
        elif _is_index_array(it):
            t = _index_tensor(it)
            advanced.append((dim, t, src))
            dim += t.ndim if t.dtype == bool_ else 1
            src += t.ndim if t.dtype == bool_ else 1
        else:
            raise IndexError(f"unsupported index type {type(it).__name__}: only integers, slices, None, "
                             "..., and integer or bool arrays are valid indices")
    if not advanced:
        return out
    return _advanced(out, advanced)


def _advanced(out: Tensor, advanced: list[tuple[int, Tensor, int]]) -> Tensor:
    # A single boolean mask: select along the dims it covers.
    if len(advanced) == 1 and advanced[0][1].dtype == bool_:
        d, mask, _ = advanced[0]
        moved = out.permute(*([*range(d, d + mask.ndim)] + [i for i in range(out.ndim) if not d <= i < d + mask.ndim]))
        res = moved._masked_select(mask)
        if d == 0:
            return res
        return res.permute(*(list(range(1, d + 1)) + [0] + list(range(d + 1, res.ndim))))
    # Integer arrays (bool masks become their nonzero coordinates), broadcast together.
    dims: list[int] = []
    idxs: list[Tensor] = []
    srcs: list[int] = []
    for d, t, s in advanced:
        if t.dtype == bool_:
            nz = t.nonzero()
            for k in range(t.ndim):
                dims.append(d + k)
                srcs.append(s + k)
                idxs.append(nz[:, k])
        else:
            dims.append(d)
            srcs.append(s)
            idxs.append(t)
    shape = np.broadcast_shapes(*[tuple(t.shape) for t in idxs])
    consecutive = dims == list(range(dims[0], dims[0] + len(dims)))
    front = dims[0] if consecutive else 0
    order = (list(range(dims[0])) + dims + [i for i in range(dims[-1] + 1, out.ndim)]) if consecutive else (
        dims + [i for i in range(out.ndim) if i not in dims])
    moved = out.permute(*order)
    sizes = [out.shape[d] for d in dims]
    linear: Tensor | None = None
    for t, size, s in zip(idxs, sizes, srcs):
        t = t.expand(*shape)
        if t.numel() and (t.amin().item() < -size or t.amax().item() >= size):
            bad = t.amax().item() if t.amax().item() >= size else t.amin().item()
            raise IndexError(f"index {bad} is out of bounds for dimension {s} with size {size}")
        t = where(t < 0, t + size, t)
        linear = t if linear is None else linear * size + t
    assert linear is not None  # `advanced` is never empty here
    n_adv = len(dims)
    flat_shape = list(moved.shape[:front]) + [-1] + list(moved.shape[front + n_adv:])
    flat = moved.reshape(*flat_shape)
    picked = flat.index_select(front, linear.reshape(-1))
    final = list(moved.shape[:front]) + list(shape) + list(moved.shape[front + n_adv:])
    return picked.reshape(*final)


def _setitem(self: Tensor, index: Any, value: Any) -> None:
    """Assignment into a view (basic indices) or by mask/integer arrays; never recorded by autograd."""
    if self.requires_grad and _core.is_grad_enabled():
        raise RuntimeError("in-place assignment into a tensor that requires grad; wrap it in nc.no_grad()")
    idx = index if isinstance(index, tuple) else (index,)
    if not any(_is_index_array(i) for i in idx):
        target = _getitem(self, index)
        target.copy_(value)
        return
    if len(idx) == 1 and _index_tensor(idx[0]).dtype == bool_:
        mask = _index_tensor(idx[0])
        if tuple(mask.shape) != tuple(self.shape[:mask.ndim]):
            raise IndexError(f"boolean mask of shape {tuple(mask.shape)} does not match tensor shape {self.shape}")
        m = mask.reshape(*(list(mask.shape) + [1] * (self.ndim - mask.ndim)))
        if isinstance(value, Tensor) and value.ndim > 0 and value.numel() != 1:
            raise NotImplementedError("mask assignment from a tensor of several values is not supported yet; "
                                      "assign a scalar")
        self.copy_(where(m, value, self))
        return
    # Integer arrays: write element by element through a flat view (orchestration, small sizes).
    flat_idx = _getitem(arange(self.numel()).reshape(*self.shape), index)
    vals = as_tensor(value, dtype=self.dtype).expand(*flat_idx.shape) if not isinstance(value, numbers.Number) \
        else full(flat_idx.shape, cast(float, value), dtype=self.dtype)  # full() applies float()
    arr = self._numpy_view().reshape(-1) if self.is_contiguous() else None
    if arr is None:
        raise NotImplementedError("integer-array assignment needs a contiguous tensor")
    arr[flat_idx.numpy().reshape(-1)] = vals.contiguous().numpy().reshape(-1)


def _iter(self: Tensor) -> Iterator[Tensor]:
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    for i in range(self.shape[0]):
        yield self._select(0, i)


def _float(self: Tensor) -> float:
    return builtins.float(self.item())


def _int(self: Tensor) -> int:
    return builtins.int(self.item())


def _index(self: Tensor) -> int:
    if self.dtype not in (int64, bool_) or self.numel() != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return builtins.int(self.item())


def _format(self: Tensor, spec: str) -> str:
    if self.numel() == 1 and self.ndim == 0:
        return format(self.item(), spec)
    return format(repr(self), spec)


def _deepcopy(self: Tensor, memo: dict[int, Any]) -> Tensor:
    if id(self) in memo:
        done: Tensor = memo[id(self)]
        return done
    new = self.detach().clone()
    if self.requires_grad:
        new.requires_grad_(True)
    memo[id(self)] = new
    return new


def _reduce(self: Tensor) -> tuple[Callable[[np.ndarray[Any, Any], bool], Tensor], tuple[np.ndarray[Any, Any], bool]]:
    # Pickling (multiprocessing, copy): rebuilt from a numpy copy. neurocore's own file formats
    # never use pickle (see serialization.py).
    return (_rebuild, (self.detach().contiguous().numpy().copy(), self.requires_grad))


def _rebuild(arr: np.ndarray[Any, Any], requires_grad: bool) -> Tensor:
    return tensor(arr, dtype=_core._parse_dtype(arr.dtype.name), requires_grad=requires_grad)


def _dtype_repr(self: _core.DType) -> str:
    return f"neurocore.{self.name}"


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    return self.to(other.dtype)


def _expand_as(self: Tensor, other: Tensor) -> Tensor:
    return self.expand(*other.shape)


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    return self.view(*other.shape)


def _reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return self.reshape(*other.shape)


def _is_floating_point(self: Tensor) -> bool:
    return self.dtype.is_floating_point


def _masked_fill(self: Tensor, mask: Any, value: Any) -> Tensor:
    return where(mask, value, self)


# Installed with setattr: _core.pyi already declares these methods with their final signatures, and
# mypy rejects assigning to a declared method. The dict is built first, so _var_core is the C++ var.
_PY_METHODS: dict[str, object] = {
    "__deepcopy__": _deepcopy, "__reduce__": _reduce, "_var_core": Tensor.var, "__repr__": _repr,
    "__str__": _repr, "__format__": _format, "tolist": _tolist, "__array__": _array,
    "__array_priority__": 1000,  # numpy defers `array op tensor` to our reflected operators
    "max": _max, "min": _min, "var": _var, "std": _std, "__getitem__": _getitem, "__setitem__": _setitem,
    "__iter__": _iter, "__float__": _float, "__int__": _int, "__index__": _index, "type_as": _type_as,
    "expand_as": _expand_as, "view_as": _view_as, "reshape_as": _reshape_as,
    "is_floating_point": _is_floating_point, "masked_fill": _masked_fill, "ndimension": Tensor.dim,
    "nelement": Tensor.numel,
}
setattr(_core.DType, "__repr__", _dtype_repr)
setattr(_core.DType, "__str__", _dtype_repr)
for _name, _method in _PY_METHODS.items():
    setattr(Tensor, _name, _method)

def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's argument names
    return _core.where(condition, input, other)
