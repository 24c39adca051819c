"""Parameter initialisation, in place and without recording gradients (PyTorch's torch.nn.init).

Every function fills ``tensor`` in place from the global generator (see ``nc.manual_seed``) and
returns it.
"""
import math

from .. import _core

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "kaiming_uniform_",
           "xavier_uniform_"]


class _NoGrad:
    __slots__ = ("prev",)

    def __enter__(self):
        self.prev = _core.is_grad_enabled()
        _core.set_grad_enabled(False)

    def __exit__(self, *exc):
        _core.set_grad_enabled(self.prev)
        return False


def calculate_gain(nonlinearity, param=None):
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


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel): in * prod(kernel), out * prod(kernel)."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
                         f"(got shape {tuple(tensor.shape)})")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with draws from U(a, b)."""
    with _NoGrad():
        return tensor.uniform_(a, b)


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with draws from N(mean, std^2)."""
    with _NoGrad():
        return tensor.normal_(mean, std)


def constant_(tensor, val):
    """Fill with ``val``."""
    with _NoGrad():
        return tensor.fill_(val)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
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


def xavier_uniform_(tensor, gain=1.0):
    """Glorot initialisation: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    Ref: Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward networks".
    """
    if tensor.numel() == 0:
        return tensor
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a)
