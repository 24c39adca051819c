"""Keras recurrent layers SimpleRNN, LSTM, GRU and the Bidirectional wrapper, over nc.nn's recurrent modules.

Each layer keeps its kernel and recurrent kernel in an nn.RNN / nn.LSTM / nn.GRU (batch_first, PyTorch layout)
and runs the sequence through the fused C++ op those modules run per layer and direction
(``_core.rnn_layer``: one GEMM for all input projections, one fused pass per step, backward through time in C++).
There is no second implementation of the recurrences here; this file maps Keras' arguments, weight layout,
masking and output conventions onto that op.

Note [Keras recurrent weight layout]
Keras stores kernel (F, G*units) and recurrent_kernel (units, G*units): the transposes of nn's weight_ih and
weight_hh. Gate blocks: LSTM i, f, c, o (= nn's i, f, g, o); GRU z, r, h (nn's r, z, n: the first two swap);
SimpleRNN has one block. Keras' LSTM and SimpleRNN have ONE bias (G*units,): it is nn's bias_ih, and bias_hh
becomes a zero buffer (the op takes both biases or neither), so it is no weight, gets no gradient, and parameter
counts match Keras (LSTM: 4u(F+u+1)). Keras' GRU (reset_after=True) has bias (2, 3u): row 0 the input bias, row 1
the recurrent bias that the reset gate multiplies (PyTorch's formulation too). The nn.GRU (made with bias=False)
gets it as one (2, 3u) parameter ``bias_l0`` in nn's gate order, whose rows go to the op as bias_ih and bias_hh.

Note [Masked steps]
Keras skips a masked step: the state carries over and the output repeats the previous output (zeros before
the first valid step; zeros at every masked step with zero_output_for_mask, which Bidirectional sets when
returning sequences). Skipping steps equals running the recurrence over each sample's valid steps only, so the
samples are grouped by their number of valid steps; each group's steps are gathered (a differentiable row
gather), run through the fused op, and the outputs and final states are gathered back to their places.
"""
import numpy as np

from ... import _core, nn
from ..._core import Tensor
from ..._tensor import ones, tensor, zeros
from ...autograd import no_grad
from ...nn import functional as F
from .. import activations, initializers, regularizers
from ._weight_args import reject
from .base import Layer, _check_ndim

__all__ = ["SimpleRNN", "LSTM", "GRU", "Bidirectional"]

_rnn_layer = _core.rnn_layer
_cat = _core.cat


def _gather_rows(table, rows):
    """table (R, D) -> (*rows.shape, D); differentiable in table (the embedding lookup op)."""
    return _core.embedding(table, tensor(np.ascontiguousarray(rows, dtype=np.int64)), None)


def _reversed(n):
    return tensor(np.arange(n - 1, -1, -1, dtype=np.int64))


def _activation_name(activation):
    """'tanh', 'sigmoid', 'relu' or 'linear' for those activations given by name or as the nc function, else
    the name Keras would serialize."""
    fn = activations.get(activation)  # unknown names raise ValueError here
    if fn is None:
        return "linear"
    for name in ("tanh", "sigmoid", "relu"):
        if fn is activations.get(name):
            return name
    return activations.serialize(activation)


class _SequenceLayer(Layer):
    """A layer over (batch, timesteps, features) whose call may return a list (return_state, merge_mode=None;
    build() then returns a list of output shapes). The time axis may change between calls, as in Keras; the
    feature axis may not. They consume the input mask and set the output's mask themselves."""

    supports_masking = True
    _autocast = False  # _as_sequences casts (numpy inputs too)

    def compute_mask(self, inputs, mask=None):
        return None

    def build(self, input_shape):
        input_shape = tuple(int(d) for d in input_shape)
        if not self.built:
            output_shape = super().build(input_shape)
            self._fix_input_axes({-1: input_shape[-1]}, ndim=3)
            return output_shape
        self._check_fixed_axes((None,) + input_shape)
        return self.compute_output_shape(input_shape)

    @staticmethod
    def _outputs(outs):
        return list(outs) if len(outs) > 1 else outs[0]

    def _as_sequences(self, inputs):
        """inputs as a 3-D tensor of the layer's float dtype (Keras casts inputs to the compute dtype)."""
        if not isinstance(inputs, Tensor):
            a = np.asarray(inputs)
            if a.dtype == object or a.dtype.kind not in "biuf":
                raise TypeError(f'Layer "{self.name}" ({type(self).__name__}) expects a numeric array or tensor, '
                                f"got dtype {a.dtype}")
            inputs = tensor(np.ascontiguousarray(a, dtype=np.float64 if a.dtype == np.float64 else np.float32))
        _check_ndim(self, tuple(inputs.shape[1:]) if inputs.ndim else (), 3)
        dt = self._compute_dtype()
        return inputs if inputs.dtype == dt else inputs.to(dt)

    def _check_input(self, input_shape):
        _check_ndim(self, input_shape, 3)


class _RNN(_SequenceLayer):
    """Shared machinery of SimpleRNN, LSTM and GRU (arguments, weights, masking, outputs)."""

    _nn_class = None
    _gates = 1
    _state_names = ("h",)
    _gate_perm = False  # True for GRU: Keras' gate blocks z, r, h are nn's r, z, n

    def __init__(self, units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                 bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
                 kernel_constraint, recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed,
                 return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask=False,
                 **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, "
                             f"got {units!r}.")
        for what, v in (("kernel_constraint", kernel_constraint), ("recurrent_constraint", recurrent_constraint),
                        ("bias_constraint", bias_constraint)):
            if v is not None:
                reject(cls, what, v, "weight constraints are not implemented")
        if activity_regularizer is not None:
            reject(cls, "activity_regularizer", activity_regularizer, "activity regularization is not implemented")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.floating)) or not 0 <= dropout < 1:
            raise ValueError(f"{cls}: dropout must be a number in [0, 1), got {dropout!r}")
        if recurrent_dropout:
            reject(cls, "recurrent_dropout", recurrent_dropout,
                   "the fused recurrence applies no mask to the recurrent state; use dropout (on the inputs)")
        if stateful:
            reject(cls, "stateful", stateful, "pass the final states back with initial_state=... instead")
        if seed is not None and dropout:
            reject(cls, "seed", seed, "dropout draws from the global generator; seed it with nc.manual_seed")
        self.units = int(units)
        self.activation = _activation_name(activation)
        self.recurrent_activation = None if recurrent_activation is None else _activation_name(recurrent_activation)
        self._check_activations()
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = float(dropout)
        self.recurrent_dropout = 0.0
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)  # a speed option in Keras; the fused op computes the same numbers either way
        self.zero_output_for_mask = bool(zero_output_for_mask)

    def _check_activations(self):
        cls = type(self).__name__
        if self.activation != "tanh":
            reject(cls, "activation", self.activation, "the fused kernel computes tanh")
        if self.recurrent_activation != "sigmoid":
            reject(cls, "recurrent_activation", self.recurrent_activation, "the fused kernel computes sigmoid")

    # ------------------------------------------------------------------ weights

    def compute_output_shape(self, input_shape):
        out = (input_shape[0], self.units) if self.return_sequences else (self.units,)
        return [out] + [(self.units,)] * len(self._state_names) if self.return_state else out

    def _make_module(self, features):
        return self._nn_class(features, self.units, bias=self.use_bias, batch_first=True, dtype=self._dtype)

    def _build(self, input_shape):
        features = input_shape[-1]
        self.module = m = self._make_module(features)
        g = self._gates * self.units
        initializers.initialize_(m.weight_ih_l0, self.kernel_initializer, (features, g), self._from_keras_matrix)
        initializers.initialize_(m.weight_hh_l0, self.recurrent_initializer, (self.units, g),
                                 self._from_keras_matrix)
        if self.use_bias:
            self._make_bias()
        self._regularized = []
        for reg, w, view in ((self.kernel_regularizer, m.weight_ih_l0, self._keras_kernel),
                             (self.recurrent_regularizer, m.weight_hh_l0, self._keras_kernel),
                             (self.bias_regularizer, self._bias_weight(), self._keras_bias)):
            if reg is not None and w is not None:
                self._regularized.append((regularizers.in_keras_layout(reg, view), w))

    def _make_bias(self):
        # One Keras bias = nn's bias_ih; bias_hh is replaced by a zero buffer (Note [Keras recurrent weight layout]).
        m = self.module
        zero = zeros(tuple(m.bias_hh_l0.shape), dtype=m.bias_hh_l0.dtype)
        del m.bias_hh_l0
        m.register_buffer("bias_hh_l0", zero, persistent=False)
        initializers.initialize_(m.bias_ih_l0, self.bias_initializer)

    def _bias_weight(self):
        return self.module.bias_ih_l0 if self.use_bias else None

    def _kernel_tensors(self):
        """(weight_ih, weight_hh, bias_ih, bias_hh) as the fused op takes them (no biases without use_bias)."""
        m = self.module
        return (m.weight_ih_l0, m.weight_hh_l0) + (self._op_biases() if self.use_bias else (None, None))

    def _op_biases(self):
        return self.module.bias_ih_l0, self.module.bias_hh_l0

    def _compute_dtype(self):
        return self.module.weight_ih_l0.dtype if self.built else self._dtype

    def _perm(self):
        """Column order between Keras' and nn's gate blocks (GRU: swap the first two; its own inverse)."""
        u = self.units
        return np.r_[u:2 * u, 0:u, 2 * u:3 * u] if self._gate_perm else np.arange(self._gates * u)

    # Layout maps in numpy (get/set_weights, initialisation) and as nc ops (regularizers see Keras' layout).
    def _to_keras_matrix(self, a):
        return np.ascontiguousarray(a.T[:, self._perm()])

    def _from_keras_matrix(self, a):
        return np.ascontiguousarray(np.asarray(a)[:, self._perm()].T)

    def _keras_kernel(self, w):
        return w.t().index_select(1, tensor(self._perm())) if self._gate_perm else w.t()

    def _keras_bias(self, b):
        return b.index_select(b.ndim - 1, tensor(self._perm())) if self._gate_perm else b

    def _keras_bias_shape(self):
        return (self._gates * self.units,)

    def _weight_pairs(self):
        if not self.built:
            return []
        m = self.module
        g = self._gates * self.units

        def matrix_from_keras(rows, what):
            def f(a):
                a = np.asarray(a)
                if a.shape != (rows, g):
                    raise ValueError(f'Layer "{self.name}": {what} must have shape {(rows, g)}, got {a.shape}')
                return self._from_keras_matrix(a)
            return f

        def bias_from_keras(a):
            a = np.asarray(a)
            if a.shape != self._keras_bias_shape():
                raise ValueError(f'Layer "{self.name}": bias must have shape {self._keras_bias_shape()}, got '
                                 f"{a.shape}")
            return np.ascontiguousarray(a[..., self._perm()])

        pairs = [(m.weight_ih_l0, self._to_keras_matrix, matrix_from_keras(m.weight_ih_l0.shape[1], "kernel")),
                 (m.weight_hh_l0, self._to_keras_matrix, matrix_from_keras(self.units, "recurrent_kernel"))]
        if self.use_bias:
            pairs.append((self._bias_weight(), lambda a: np.ascontiguousarray(a[..., self._perm()]),
                          bias_from_keras))
        return pairs

    # ------------------------------------------------------------------ calling

    def forward(self, inputs, initial_state=None, mask=None, training=None):
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)
        x = self._as_sequences(inputs)
        self.build(tuple(x.shape[1:]))  # builds once; later calls check the feature size
        return self.call(x, initial_state=initial_state, mask=mask, training=training)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        dt = self._compute_dtype()
        x = inputs if inputs.dtype == dt else inputs.to(dt)
        n, t, f = x.shape
        states = self._initial_states(initial_state, n, x.dtype)
        if (self.training if training is None else bool(training)) and self.dropout > 0:
            # Keras draws one input mask per sample and feature and uses it at every step.
            x = x * F.dropout(ones((n, 1, f), dtype=x.dtype), p=self.dropout, training=True)
        mask_array = self._mask_array(mask, n, t)
        if mask_array is None or mask_array.all():
            seq, last, final = self._run_unmasked(x, states)
        else:
            seq, last, final = self._run_masked(x, states, mask_array)
        out = seq if self.return_sequences else last
        if mask_array is not None and self.return_sequences:
            out._keras_mask = mask if isinstance(mask, Tensor) else tensor(mask_array)  # Keras passes it on
        return self._outputs([out] + (final if self.return_state else []))

    def _initial_states(self, initial_state, n, dt):
        k = len(self._state_names)
        if initial_state is None:
            return [None] * k
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != k:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}) expects {k} initial state tensor(s) '
                             f"[{', '.join(self._state_names)}], got {len(states)}")
        out = []
        for s, what in zip(states, self._state_names):
            if not isinstance(s, Tensor):
                s = tensor(np.asarray(s, dtype=np.float64))
            if tuple(s.shape) != (n, self.units):
                raise ValueError(f'Layer "{self.name}": initial state {what} must have shape (batch, units) = '
                                 f"{(n, self.units)}, got {tuple(s.shape)}")
            out.append(s if s.dtype == dt else s.to(dt))
        return out

    def _mask_array(self, mask, n, t):
        if mask is None:
            return None
        m = mask.numpy() if isinstance(mask, Tensor) else np.asarray(mask)
        if m.shape != (n, t):
            raise ValueError(f'Layer "{self.name}": mask must have shape (batch, timesteps) = {(n, t)}, got '
                             f"{m.shape}")
        return m.astype(bool)

    def _recurrence(self, x_tbf, states, reverse):
        """The fused op over time-major x (T, B, F): (y (T, B, u), [h_n(, c_n)])."""
        w_ih, w_hh, b_ih, b_hh = self._kernel_tensors()
        c0 = states[1] if len(states) > 1 else None
        res = _rnn_layer(self._core_mode(), x_tbf, states[0], c0, w_ih, w_hh, b_ih, b_hh, reverse)
        return res[0], list(res[1:])

    def _run_unmasked(self, x, states):
        t = x.shape[1]
        # reverse=True walks the sequence from the end with outputs kept at their input positions; Keras'
        # go_backwards returns them in processing order, i.e. reversed.
        y, final = self._recurrence(x.transpose(0, 1), states, self.go_backwards)
        seq = None
        if self.return_sequences:
            if self.go_backwards:
                y = y.index_select(0, _reversed(t))
            seq = y.transpose(0, 1)
        return seq, final[0], final

    def _run_masked(self, x, states, mask):
        """Note [Masked steps]."""
        n, t, f = x.shape
        u, dt = self.units, x.dtype
        proc = mask[:, ::-1] if self.go_backwards else mask  # mask in processing order
        counts = proc.sum(axis=1)
        seen = np.cumsum(proc, axis=1)  # valid steps processed up to each step
        x_rows = x.reshape(n * t, f)
        seq_rows = np.empty((n, t), dtype=np.int64)  # row of the output table each output comes from
        state_rows = np.empty(n, dtype=np.int64)
        y_parts, state_parts = [], [[] for _ in states]
        n_y = n_states = 0
        for length in np.unique(counts[counts > 0]):
            members = np.nonzero(counts == length)[0]
            g = len(members)
            steps = np.nonzero(proc[members])[1].reshape(g, length)
            positions = t - 1 - steps if self.go_backwards else steps
            xg = _gather_rows(x_rows, (members[:, None] * t + positions).T)  # (length, g, F), time-major
            member_ids = tensor(members)
            y, final = self._recurrence(xg, [None if s is None else s.index_select(0, member_ids) for s in states],
                                        False)
            y_parts.append(y.reshape(length * g, u))
            for part, s in zip(state_parts, final):
                part.append(s)
            seq_rows[members] = n_y + (seen[members] - 1) * g + np.arange(g)[:, None]
            state_rows[members] = n_states + np.arange(g)
            n_y += length * g
            n_states += g
        seq_rows[seen == 0] = n_y  # the zero row: no valid step yet
        if self.zero_output_for_mask:
            seq_rows[~proc] = n_y
        table = _cat(y_parts + [zeros((1, u), dtype=dt)], 0)
        seq = _gather_rows(table, seq_rows) if self.return_sequences else None
        last = _gather_rows(table, seq_rows[:, -1])
        empty = np.nonzero(counts == 0)[0]  # samples without a valid step keep their initial states
        state_rows[empty] = n_states + np.arange(len(empty))
        final = []
        for part, s0 in zip(state_parts, states):
            if len(empty):
                part = part + [zeros((len(empty), u), dtype=dt) if s0 is None else s0.index_select(0, tensor(empty))]
            final.append(_gather_rows(_cat(part, 0), state_rows))
        return seq, last, final


class SimpleRNN(_RNN):
    """Fully connected recurrence ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``
    (Keras' SimpleRNN; activation "tanh" or "relu"). Input (N, T, F); output (N, units), or (N, T, units) with
    ``return_sequences``; ``return_state`` adds the final h. Weights in Keras' layout: kernel (F, units),
    recurrent_kernel (units, units), bias (units,).

    >>> import numpy as np
    >>> from neurocore.keras.layers import SimpleRNN
    >>> rnn = SimpleRNN(4, return_sequences=True, return_state=True)
    >>> seq, h = rnn(np.zeros((2, 5, 3), dtype=np.float32))
    >>> seq.shape, h.shape, rnn.count_params()
    ((2, 5, 4), (2, 4), 32)
    """

    _nn_class = nn.RNN

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 seed=None, **kwargs):
        super().__init__(units, activation, None, use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
                         recurrent_dropout, seed, return_sequences, return_state, go_backwards, stateful, unroll,
                         **kwargs)

    def _check_activations(self):
        if self.activation not in ("tanh", "relu"):
            reject("SimpleRNN", "activation", self.activation, "the fused kernel computes tanh or relu")

    def _make_module(self, features):
        return nn.RNN(features, self.units, nonlinearity=self.activation, bias=self.use_bias, batch_first=True,
                      dtype=self._dtype)

    def _core_mode(self):
        return _core.RnnMode.rnn_tanh if self.activation == "tanh" else _core.RnnMode.rnn_relu


class LSTM(_RNN):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), Keras' LSTM::

        i, f, c~, o = sigmoid, sigmoid, tanh, sigmoid (x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)
        c_t = f * c_{t-1} + i * c~,   h_t = o * tanh(c_t)

    Input (N, T, F); output (N, units), or (N, T, units) with ``return_sequences``; ``return_state`` gives
    [output, h, c]; ``initial_state=[h0, c0]``. Weights in Keras' layout and gate order i, f, c, o: kernel
    (F, 4u), recurrent_kernel (u, 4u), bias (4u,), so count_params() = 4u(F + u + 1). ``unit_forget_bias``
    starts the forget-gate bias at 1. Skips masked steps (``mask=`` or an Embedding with mask_zero).

    >>> import numpy as np
    >>> from neurocore.keras.layers import LSTM
    >>> lstm = LSTM(8, return_state=True)
    >>> out, h, c = lstm(np.zeros((4, 6, 3), dtype=np.float32))
    >>> out.shape, h.shape, c.shape, lstm.count_params()
    ((4, 8), (4, 8), (4, 8), 384)
    >>> [w.shape for w in lstm.get_weights()]
    [(3, 32), (8, 32), (32,)]
    """

    _nn_class = nn.LSTM
    _gates = 4
    _state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"Invalid value received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}")
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
                         bias_constraint, dropout, recurrent_dropout, seed, return_sequences, return_state,
                         go_backwards, stateful, unroll, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _make_bias(self):
        super()._make_bias()
        if self.unit_forget_bias:
            with no_grad():
                self.module.bias_ih_l0[self.units:2 * self.units].fill_(1.0)  # gate block 1 = forget (both layouts)

    def _core_mode(self):
        return _core.RnnMode.lstm


class GRU(_RNN):
    """Gated recurrent unit (Cho et al. 2014), Keras' GRU with reset_after=True (the cuDNN/PyTorch form)::

        z, r = sigmoid(x_t @ W_{z,r} + b_{z,r} + h_{t-1} @ U_{z,r} + rb_{z,r})
        h~ = tanh(x_t @ W_h + b_h + r * (h_{t-1} @ U_h + rb_h)),   h_t = z * h_{t-1} + (1 - z) * h~

    Weights in Keras' layout and gate order z, r, h: kernel (F, 3u), recurrent_kernel (u, 3u), bias (2, 3u)
    (input bias, recurrent bias). reset_after=False (the reset gate before the matrix product) has no fused
    kernel and raises NotImplementedError.

    >>> import numpy as np
    >>> from neurocore.keras.layers import GRU
    >>> gru = GRU(5)
    >>> gru(np.zeros((2, 7, 3), dtype=np.float32)).shape, gru.count_params()
    ((2, 5), 150)
    """

    _nn_class = nn.GRU
    _gates = 3
    _gate_perm = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"Invalid value received for argument `use_cudnn`. Expected one of "
                             f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}")
        if not reset_after:
            reject("GRU", "reset_after", reset_after,
                   "the fused kernel applies the reset gate after the recurrent matrix product (reset_after=True)")
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
                         bias_constraint, dropout, recurrent_dropout, seed, return_sequences, return_state,
                         go_backwards, stateful, unroll, **kwargs)
        self.reset_after = True

    def _make_module(self, features):
        # nn.GRU holds the two matrices; the biases are one (2, 3u) parameter registered after them (bias_l0,
        # rows = bias_ih_l0 and bias_hh_l0), since Keras' GRU has one bias weight of that shape.
        return nn.GRU(features, self.units, bias=False, batch_first=True, dtype=self._dtype)

    def _make_bias(self):
        self.module.register_parameter("bias_l0", nn.Parameter(zeros((2, 3 * self.units), dtype=self._dtype)))
        initializers.initialize_(self.module.bias_l0, self.bias_initializer, self._keras_bias_shape(),
                                 lambda a: a[:, self._perm()])

    def _keras_bias_shape(self):
        return (2, 3 * self.units)

    def _bias_weight(self):
        return self.module.bias_l0 if self.use_bias else None

    def _op_biases(self):
        return self.module.bias_l0[0], self.module.bias_l0[1]

    def _core_mode(self):
        return _core.RnnMode.gru


def _deserialize_layer(spec):
    """A layer from a layer object or its {"class_name", "config"} form (class looked up in nc.keras.layers)."""
    if isinstance(spec, Layer):
        return spec
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"Expected a layer or a dict with 'class_name' and 'config', got {spec!r}")
    from .. import layers
    cls = getattr(layers, spec["class_name"], None)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"Unknown layer class {spec['class_name']!r}: not in neurocore.keras.layers")
    return cls.from_config(dict(spec.get("config", {})))


def _copy_layer(layer, **changes):
    """A fresh, unbuilt layer with ``layer``'s configuration and ``changes`` (Keras rebuilds from config)."""
    config = layer.get_config()
    config.update(changes)
    return type(layer).from_config(config)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(_SequenceLayer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges the two
    outputs (Keras' Bidirectional): merge_mode "concat" (default), "sum", "mul", "ave", or None for the list
    [forward output, backward output]. The backward output of ``return_sequences`` is flipped back to input
    order. With ``return_state`` the result is [output(s), forward states..., backward states...];
    ``initial_state`` takes the forward states then the backward ones. Weights: the forward layer's, then the
    backward layer's.

    >>> import numpy as np
    >>> from neurocore.keras.layers import Bidirectional, LSTM
    >>> bi = Bidirectional(LSTM(4, return_sequences=True))
    >>> bi(np.zeros((2, 5, 3), dtype=np.float32)).shape, bi.count_params()
    ((2, 5, 8), 256)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        layer = _deserialize_layer(layer)
        kwargs.setdefault("dtype", getattr(layer, "dtype", None))  # the wrapped layer's dtype unless given
        super().__init__(**kwargs)
        if backward_layer is not None:
            backward_layer = _deserialize_layer(backward_layer)
        for what, l in (("layer", layer), ("backward_layer", backward_layer)):
            if l is not None and not isinstance(l, _RNN):
                raise ValueError(f"Bidirectional: `{what}` must be a recurrent layer (SimpleRNN, LSTM or GRU), got "
                                 f"{type(l).__name__}")
        if merge_mode not in ("sum", "mul", "ave", "concat", None):
            raise ValueError(f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should be one of "
                             '{"sum", "mul", "ave", "concat", None}')
        if weights is not None:
            reject("Bidirectional", "weights", "...", "call set_weights(...) after building instead")
        forward = _copy_layer(layer, name="forward_" + _strip(layer.name, "forward_"))
        if backward_layer is None:
            backward = _copy_layer(layer, name="backward_" + _strip(layer.name, "backward_"), go_backwards=True)
        else:
            backward = backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(f"Forward layer and backward layer should have different `go_backwards` value. Received: "
                             f"forward_layer.go_backwards={forward.go_backwards}, "
                             f"backward_layer.go_backwards={backward.go_backwards}")
        for a in ("return_sequences", "return_state"):
            if getattr(forward, a) != getattr(backward, a):
                raise ValueError(f'Forward layer and backward layer are expected to have the same value for attribute '
                                 f'"{a}", got "{getattr(forward, a)}" for forward layer and "{getattr(backward, a)}" '
                                 "for backward layer")
        for l in (forward, backward):  # as Keras: masked steps output zeros when returning sequences
            l.zero_output_for_mask = l.return_sequences
        self.forward_layer = forward
        self.backward_layer = backward
        self.merge_mode = merge_mode
        self.return_sequences = forward.return_sequences
        self.return_state = forward.return_state
        self.stateful = False

    @classmethod
    def from_config(cls, config):
        """Accepts ``layer``/``backward_layer`` as layers or in their {"class_name", "config"} form."""
        return cls(**dict(config))

    def _compute_dtype(self):
        return self.forward_layer._compute_dtype()

    def _build(self, input_shape):
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)

    def _weight_pairs(self):
        return self.forward_layer._weight_pairs() + self.backward_layer._weight_pairs()

    def compute_output_shape(self, input_shape):
        shapes = self.forward_layer.compute_output_shape(input_shape)
        out, states = (shapes[0], shapes[1:]) if self.return_state else (shapes, [])
        if self.merge_mode == "concat":
            outs = [out[:-1] + (2 * out[-1],)]
        else:
            outs = [out] if self.merge_mode is not None else [out, out]
        all_shapes = outs + states + states
        return all_shapes if len(all_shapes) > 1 else all_shapes[0]

    @property
    def losses(self):
        return self.forward_layer.losses + self.backward_layer.losses + super().losses

    def forward(self, inputs, initial_state=None, mask=None, training=None):
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)
        x = self._as_sequences(inputs)
        self.build(tuple(x.shape[1:]))
        return self.call(x, initial_state=initial_state, mask=mask, training=training)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        forward_states = backward_states = None
        if initial_state is not None:
            states = list(initial_state)
            half = len(states) // 2
            if len(states) % 2:
                raise ValueError(f'Layer "{self.name}" (Bidirectional): initial_state must hold the forward states '
                                 f"then the backward states (an even number), got {len(states)}")
            forward_states, backward_states = states[:half], states[half:]
        y = self.forward_layer(inputs, initial_state=forward_states, mask=mask, training=training)
        y_rev = self.backward_layer(inputs, initial_state=backward_states, mask=mask, training=training)
        states = []
        if self.return_state:
            states = y[1:] + y_rev[1:]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.index_select(1, _reversed(y_rev.shape[1]))
        if self.merge_mode == "concat":
            outs = [_cat([y, y_rev], y.ndim - 1)]
        elif self.merge_mode == "sum":
            outs = [y + y_rev]
        elif self.merge_mode == "ave":
            outs = [(y + y_rev) * 0.5]
        elif self.merge_mode == "mul":
            outs = [y * y_rev]
        else:
            outs = [y, y_rev]
        if mask is not None and self.return_sequences:
            for o in outs:
                o._keras_mask = mask if isinstance(mask, Tensor) else tensor(np.asarray(mask, dtype=bool))
        return self._outputs(outs + states)
