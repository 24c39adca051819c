"""Recurrent layers with PyTorch's signatures, equations, parameter names and initialisation:
RNN (tanh or relu), LSTM and GRU over whole sequences, and the single-step cells RNNCell, LSTMCell,
GRUCell. PyTorch state dicts load unchanged.

Each layer and direction is one C++ op (``_core.rnn_layer``): the input projection of all time steps
is one GEMM, each step one GEMM plus one fused pass for the gates and cell update, and backward through
time runs in C++ with the activations saved by the forward (Note [RNN layer algorithm] in
cpp/ops/rnn.h). This module only stacks layers and directions.

Equations (gate order as in PyTorch's weight layout, W_ih = [W_i*] stacked by rows)::

    RNN   h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)                  act = tanh or relu
    LSTM  i, f, g, o = sig, sig, tanh, sig (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
          c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
    GRU   r, z = sig(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t-1} + b_h{r,z})
          n = tanh(W_in x_t + b_in + r * (W_hn h_{t-1} + b_hn)),   h_t = (1 - z) * n + z * h_{t-1}
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Union

from .. import _core
from .._core import Tensor
from .._tensor import DTypeLike, float32, rand_like
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_CORE_MODE = {"RNN_TANH": _core.RnnMode.rnn_tanh, "RNN_RELU": _core.RnnMode.rnn_relu,
              "LSTM": _core.RnnMode.lstm, "GRU": _core.RnnMode.gru}
_rnn_layer = _core.rnn_layer
_cat = _core.cat
_stack = _core.stack

# What RNN/GRU return (output, h_n), and LSTM (output, (h_n, c_n)).
RNNOutput = Union[tuple[Tensor, Tensor], tuple[Tensor, tuple[Tensor, Tensor]]]


def _dropout(x: Tensor, p: float) -> Tensor:
    """Inverted dropout in training mode: the library's functional.dropout when it exists, else a mask
    drawn with nc.rand (same distribution: keep each value with probability 1 - p, scale by 1/(1 - p))."""
    if p >= 1:
        return x * 0.0
    from . import functional
    fn = getattr(functional, "dropout", None)
    if fn is not None:
        out: Tensor = fn(x, p=p, training=True)
        return out
    keep = (rand_like(x) >= p).to(x.dtype)
    return x * keep * (1.0 / (1.0 - p))


def _check_size(name: str, what: str, v: int, allow_zero: bool = False) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}: {what} should be of type int, got: {type(v).__name__}")
    if v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name}: {what} must be {'non-negative' if allow_zero else 'greater than zero'}, got {v}")
    return int(v)


def _param_dtype(dtype: DTypeLike | None, name: str) -> _core.DType:
    dt = float32 if dtype is None else _core._parse_dtype(dtype)
    if not dt.is_floating_point:
        raise TypeError(f"{name}: dtype must be floating point, got {dt!r}")
    return dt


def _check_device(device: str | None, name: str) -> None:
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"{name}(device={device!r}): this build of neurocore has no CUDA support")


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters, validation, layer and direction stacking.

    Parameters per layer k (``_reverse`` suffix for the backward direction): ``weight_ih_l{k}``
    (G*hidden_size, input features of the layer), ``weight_hh_l{k}`` (G*hidden_size, hidden_size),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G*hidden_size), with G = 1 (RNN), 4 (LSTM) or 3 (GRU). All are
    drawn from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), like PyTorch.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: str | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        _check_device(device, name)
        if mode not in _GATES:
            raise ValueError(f"{name}: unknown mode {mode!r}; expected one of {sorted(_GATES)}")
        input_size = _check_size(name, "input_size", input_size, allow_zero=True)
        hidden_size = _check_size(name, "hidden_size", hidden_size)
        num_layers = _check_size(name, "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the probability of "
                             f"an element being zeroed, got {dropout!r}")
        if proj_size:
            raise ValueError(f"{name}: proj_size={proj_size} (LSTM with projections) is not supported")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          UserWarning, stacklevel=2)
        dt = _param_dtype(dtype, name)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        gh = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        names: list[list[str]] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                group: list[tuple[str, list[int]]] = [(f"weight_ih{sfx}", [gh, layer_in]),
                                                      (f"weight_hh{sfx}", [gh, hidden_size])]
                if self.bias:
                    group += [(f"bias_ih{sfx}", [gh]), (f"bias_hh{sfx}", [gh])]
                for pname, shape in group:
                    setattr(self, pname, Parameter(_core._empty(shape, dt)))
                names.append([n for n, _ in group])
        self._layer_names = names  # per (layer, direction): [w_ih, w_hh(, b_ih, b_hh)]
        self.reset_parameters()

    @property
    def _flat_weights_names(self) -> list[str]:
        return [n for group in self._layer_names for n in group]

    @property
    def _flat_weights(self) -> list[Parameter | None]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter | None]]:
        """Per layer and direction, the list [weight_ih, weight_hh(, bias_ih, bias_hh)] (PyTorch's)."""
        return [[getattr(self, n) for n in group] for group in self._layer_names]

    def flatten_parameters(self) -> None:
        """No-op (PyTorch uses it to compact cuDNN weights)."""

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _check_state(self, name: str, what: str, s: object, expected: tuple[int, ...]) -> None:
        if not isinstance(s, Tensor):
            raise TypeError(f"{name}: {what} must be a Tensor, got {type(s).__name__}")
        if tuple(s.shape) != expected:
            raise ValueError(f"{name}: expected {what} of shape {expected}, got {tuple(s.shape)}")

    def forward(self, input: Tensor,  # noqa: A002 - PyTorch's argument name
                hx: Tensor | tuple[Tensor, Tensor] | None = None) -> RNNOutput:
        """input (T, B, F), or (B, T, F) with batch_first, or unbatched (T, F); hx: h0, or (h0, c0) for
        LSTM, each (num_layers * num_directions, B, H) (unbatched: without the B dim), or None for zeros.
        Returns (output, h_n), or (output, (h_n, c_n)) for LSTM; output is (T, B, num_directions * H)
        (batch-first or unbatched like the input)."""
        name = type(self).__name__
        lstm = self.mode == "LSTM"
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            layout = "(B, T, F)" if self.batch_first else "(T, B, F)"
            raise ValueError(f"{name}: expected a 3-D input {layout} or a 2-D unbatched input (T, F), got shape "
                             f"{tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                             f"{input.shape[-1]} (input shape {tuple(input.shape)})")
        d = self.__dict__
        w0 = d[self._layer_names[0][0]]
        if input.dtype != w0.dtype:
            raise TypeError(f"{name}: input has dtype {input.dtype!r} but the parameters have {w0.dtype!r}; "
                            f"convert one of them (e.g. module.to({input.dtype!r}))")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        B = x.shape[1]
        dirs = 2 if self.bidirectional else 1
        L, H = self.num_layers, self.hidden_size
        expected = (L * dirs, B, H) if batched else (L * dirs, H)
        h0: Tensor | None = None
        c0: Tensor | None = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h0, c0), got {type(hx).__name__}")
                h0, c0 = hx
                self._check_state(name, "h0", h0, expected)
                self._check_state(name, "c0", c0, expected)
            else:
                if isinstance(hx, (tuple, list)):
                    raise TypeError(f"{name}: hx must be a Tensor (h0), got {type(hx).__name__}")
                h0 = hx
                self._check_state(name, "h0", h0, expected)
            if not batched and h0 is not None:  # (h0 is set whenever hx is)
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
        mode = _CORE_MODE[self.mode]
        p = self.dropout if self.training else 0.0
        hs: list[Tensor] = []
        cs: list[Tensor] = []
        layer_input = x
        for layer in range(L):
            outs: list[Tensor] = []
            for direction in range(dirs):
                k = layer * dirs + direction
                ws = [d[n] for n in self._layer_names[k]]
                b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
                res = _rnn_layer(mode, layer_input, None if h0 is None else h0[k], None if c0 is None else c0[k],
                                 ws[0], ws[1], b_ih, b_hh, direction == 1)
                outs.append(res[0])
                hs.append(res[1])
                if lstm:
                    cs.append(res[2])  # type: ignore[misc]  # LSTM layers return (output, h_n, c_n)
            layer_input = outs[0] if dirs == 1 else _cat(outs, 2)
            if p > 0 and layer < L - 1:
                layer_input = _dropout(layer_input, p)
        output = layer_input
        h_n = _stack(hs, 0)
        c_n = _stack(cs, 0) if lstm else None
        if not batched:
            output = output.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if c_n is not None else (output, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu), stacked and optionally
    bidirectional. Arguments, shapes and parameter names are PyTorch's (see RNNBase.forward).

    >>> import neurocore as nc
    >>> rnn = nc.nn.RNN(10, 20, num_layers=2)
    >>> out, h_n = rnn(nc.randn(5, 3, 10))
    >>> out.shape, h_n.shape
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: str | None = None, dtype: DTypeLike | None = None) -> None:
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; select from 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity  # plain attribute, set before Module.__init__ on purpose
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997; PyTorch's formulation and gate order i, f, g, o).

    Returns (output, (h_n, c_n)); hx is (h0, c0) or None.

    >>> import neurocore as nc
    >>> lstm = nc.nn.LSTM(8, 16, batch_first=True, bidirectional=True)
    >>> out, (h_n, c_n) = lstm(nc.randn(4, 7, 8))
    >>> out.shape, h_n.shape, c_n.shape
    ((4, 7, 32), (2, 4, 16), (2, 4, 16))
    >>> lstm.weight_ih_l0.shape, lstm.weight_hh_l0_reverse.shape
    ((64, 8), (64, 16))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device: str | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al. 2014), PyTorch's formulation: gate order r, z, n, and
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) (the reset gate multiplies the recurrent term with its bias).

    >>> import neurocore as nc
    >>> gru = nc.nn.GRU(3, 5)
    >>> out, h_n = gru(nc.randn(6, 3))      # unbatched (T, F)
    >>> out.shape, h_n.shape
    ((6, 5), (1, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: str | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)


class RNNCellBase(Module):
    """One time step of a recurrent layer; parameters weight_ih (G*hidden_size, input_size), weight_hh
    (G*hidden_size, hidden_size), bias_ih, bias_hh (G*hidden_size), all U(-1/sqrt(H), 1/sqrt(H)). The step
    is the same C++ op as the layers', run over a sequence of length 1."""

    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: str | None = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        _check_device(device, name)
        self.input_size = _check_size(name, "input_size", input_size, allow_zero=True)
        self.hidden_size = _check_size(name, "hidden_size", hidden_size)
        self.bias = bool(bias)
        dt = _param_dtype(dtype, name)
        gh = _GATES[self._mode] * hidden_size
        self.weight_ih = Parameter(_core._empty([gh, input_size], dt))
        self.weight_hh = Parameter(_core._empty([gh, hidden_size], dt))
        if self.bias:
            self.bias_ih = Parameter(_core._empty([gh], dt))
            self.bias_hh = Parameter(_core._empty([gh], dt))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _step(self, input: Tensor, states: list[tuple[str, Any]]) -> tuple[Tensor, ...]:  # noqa: A002
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: expected input to be 1-D (F,) or 2-D (B, F), got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has inconsistent input_size: got {input.shape[-1]}, expected "
                             f"{self.input_size} (input shape {tuple(input.shape)})")
        if input.dtype != self.weight_ih.dtype:
            raise TypeError(f"{name}: input has dtype {input.dtype!r} but the parameters have "
                            f"{self.weight_ih.dtype!r}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        ss: list[Tensor | None] = []
        for what, s in states:
            if s is not None:
                if not isinstance(s, Tensor):
                    raise TypeError(f"{name}: {what} must be a Tensor, got {type(s).__name__}")
                if tuple(s.shape) != expected:
                    raise ValueError(f"{name}: expected {what} of shape {expected}, got {tuple(s.shape)}")
                if not batched:
                    s = s.unsqueeze(0)
            ss.append(s)
        h0 = ss[0]
        c0 = ss[1] if len(ss) > 1 else None
        res = _rnn_layer(_CORE_MODE[self._mode], x.unsqueeze(0), h0, c0, self.weight_ih, self.weight_hh,
                         self.bias_ih, self.bias_hh, False)
        outs: tuple[Tensor, ...] = res[1:]
        if not batched:
            outs = tuple(o.squeeze(0) for o in outs)
        return outs

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). input (B, F) or (F,); hx (B, H) or None (zeros).

    >>> import neurocore as nc
    >>> cell = nc.nn.RNNCell(4, 6)
    >>> cell(nc.randn(3, 4)).shape
    (3, 6)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: str | None = None, dtype: DTypeLike | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; select from 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        self._mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return self._step(input, [("hx", hx)])[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c'); hx is (h, c) or None (zeros).

    >>> import neurocore as nc
    >>> cell = nc.nn.LSTMCell(4, 6)
    >>> h, c = cell(nc.randn(3, 4))
    >>> h.shape, c.shape
    ((3, 6), (3, 6))
    """

    _mode = "LSTM"

    def forward(self, input: Tensor,  # noqa: A002
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        if hx is None:
            return self._lstm_step(input, None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c), got {type(hx).__name__}")
        return self._lstm_step(input, hx[0], hx[1])

    def _lstm_step(self, input: Tensor, h0: Tensor | None, c0: Tensor | None) -> tuple[Tensor, Tensor]:  # noqa: A002
        h, c = self._step(input, [("h", h0), ("c", c0)])
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step (PyTorch's equations, see GRU): returns h'.

    >>> import neurocore as nc
    >>> nc.nn.GRUCell(4, 6)(nc.randn(4)).shape
    (6,)
    """

    _mode = "GRU"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        return self._step(input, [("hx", hx)])[0]
