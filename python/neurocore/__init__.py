"""neurocore: a deep-learning library with a C++ core.

>>> import neurocore as nc
>>> x = nc.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad.tolist()
[[2.0, 4.0], [6.0, 8.0]]
"""
from ._loader import preload_openblas as _preload

_preload()

from . import _core  # noqa: E402
from ._core import (  # noqa: E402
    Tensor, DType as dtype, from_numpy, manual_seed, initial_seed, randperm,
    set_num_threads, get_num_threads, is_grad_enabled, cat, stack, where,
)
from ._tensor import (  # noqa: E402
    float32, float64, int64, bool_, long, double, tensor, as_tensor, zeros, ones, full, empty, arange,
    linspace, eye, rand, randn, randint, zeros_like, ones_like, full_like, empty_like, rand_like,
    randn_like, randint_like, is_tensor,
)
from ._functions import *  # noqa: E402,F401,F403
from . import _functions  # noqa: E402
from .autograd import no_grad, enable_grad, set_grad_enabled  # noqa: E402
from . import autograd, nn, optim, data, datasets, utils  # noqa: E402
from .serialization import save, load  # noqa: E402
from . import keras  # noqa: E402
from . import linear  # noqa: E402

bool = bool_  # noqa: A001 - nc.bool, like torch.bool
__version__ = "0.1.0"

__all__ = [
    "Tensor", "dtype", "float32", "float64", "int64", "bool", "long", "double",
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange", "linspace", "eye",
    "rand", "randn", "randint", "randperm", "zeros_like", "ones_like", "full_like", "empty_like",
    "rand_like", "randn_like", "randint_like", "is_tensor",
    "manual_seed", "initial_seed", "set_num_threads", "get_num_threads",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "cat", "stack", "where", "save", "load",
    "autograd", "nn", "optim", "data", "datasets", "utils", "keras", "linear",
]
__all__ += _functions.__all__  # in this form mypy sees the re-exported math functions too
