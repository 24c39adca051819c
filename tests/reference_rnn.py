"""Step-by-step numpy reference for RNN (tanh / relu), LSTM and GRU, forward and backward through time.

Slow and obvious on purpose: one time step at a time, every gate written out as in PyTorch's documentation
(gate order i, f, g, o for LSTM and r, z, n for GRU, GRU's n = tanh(W_in x + b_in + r * (W_hn h + b_hn))),
and backward by the chain rule applied to those same lines in reverse. float64 throughout.
"""
import numpy as np

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def cell_forward(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step. x (B, F), h and c (B, H). Returns (h_new, c_new, cache); c is None except for LSTM."""
    H = w_hh.shape[1]
    gi = x @ w_ih.T + b_ih            # (B, G*H): input side of every gate
    gh = h @ w_hh.T + b_hh            # (B, G*H): recurrent side
    if mode in ("RNN_TANH", "RNN_RELU"):
        a = gi + gh
        h_new = np.tanh(a) if mode == "RNN_TANH" else np.maximum(a, 0.0)
        return h_new, None, (mode, x, h, c, w_ih, w_hh, a, h_new)
    if mode == "LSTM":
        i = sigmoid(gi[:, 0 * H:1 * H] + gh[:, 0 * H:1 * H])
        f = sigmoid(gi[:, 1 * H:2 * H] + gh[:, 1 * H:2 * H])
        g = np.tanh(gi[:, 2 * H:3 * H] + gh[:, 2 * H:3 * H])
        o = sigmoid(gi[:, 3 * H:4 * H] + gh[:, 3 * H:4 * H])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        return h_new, c_new, (mode, x, h, c, w_ih, w_hh, (i, f, g, o), c_new)
    if mode == "GRU":
        r = sigmoid(gi[:, 0 * H:1 * H] + gh[:, 0 * H:1 * H])
        z = sigmoid(gi[:, 1 * H:2 * H] + gh[:, 1 * H:2 * H])
        hn = gh[:, 2 * H:3 * H]       # W_hn h + b_hn
        n = np.tanh(gi[:, 2 * H:3 * H] + r * hn)
        h_new = (1.0 - z) * n + z * h
        return h_new, None, (mode, x, h, c, w_ih, w_hh, (r, z, n, hn), None)
    raise ValueError(mode)


def cell_backward(dh_new, dc_new, cache):
    """Gradients of one step given dL/dh_new and (LSTM) dL/dc_new.
    Returns (dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh)."""
    mode, x, h, c, w_ih, w_hh = cache[:6]
    dc = None
    if mode in ("RNN_TANH", "RNN_RELU"):
        a, h_new = cache[6], cache[7]
        da = dh_new * (1.0 - h_new ** 2) if mode == "RNN_TANH" else dh_new * (a > 0)
        dgi = dgh = da
    elif mode == "LSTM":
        (i, f, g, o), c_new = cache[6], cache[7]
        tc = np.tanh(c_new)
        do = dh_new * tc
        dct = dc_new + dh_new * o * (1.0 - tc ** 2)
        di, df, dg = dct * g, dct * c, dct * i
        dc = dct * f
        dgi = dgh = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)
    else:  # GRU
        r, z, n, hn = cache[6]
        dn = dh_new * (1.0 - z)
        dz = dh_new * (h - n)
        dan = dn * (1.0 - n ** 2)      # through tanh
        dr = dan * hn
        dar = dr * r * (1 - r)
        daz = dz * z * (1 - z)
        dgi = np.concatenate([dar, daz, dan], axis=1)
        dgh = np.concatenate([dar, daz, dan * r], axis=1)
    dx = dgi @ w_ih
    dh = dgh @ w_hh
    if mode == "GRU":
        dh = dh + dh_new * z
    return dx, dh, dc, dgi.T @ x, dgh.T @ h, dgi.sum(0), dgh.sum(0)


def layer_forward(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """One layer, one direction. x (T, B, F). Returns (y (T, B, H), h_n, c_n, caches)."""
    T = x.shape[0]
    h, c = h0, c0
    ys, caches = [None] * T, []
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h, c, cache = cell_forward(mode, x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        ys[t] = h
        caches.append((t, cache))
    return np.stack(ys), h, c, caches


def layer_backward(dy, dh_n, dc_n, caches, x_shape, params):
    """Reverse of layer_forward. Returns (dx, dh0, dc0, [dw_ih, dw_hh, db_ih, db_hh])."""
    dx = np.zeros(x_shape)
    grads = [np.zeros_like(p) for p in params]
    dh, dc = dh_n, dc_n
    for t, cache in reversed(caches):
        dxt, dh, dc_prev, *dp = cell_backward(dh + dy[t], dc, cache)
        dc = dc_prev
        dx[t] = dxt
        for g, d in zip(grads, dp):
            g += d
    return dx, dh, dc, grads


def rnn_forward(mode, x, h0, c0, params, num_layers, bidirectional):
    """The stacked (and optionally bidirectional) network on time-major x (T, B, F).

    params[k] = (w_ih, w_hh, b_ih, b_hh) for layer k // D, direction k % D (D = 2 if bidirectional).
    h0, c0: (L*D, B, H) arrays (zeros when the caller has none). Returns (output, h_n, c_n, tape)."""
    D = 2 if bidirectional else 1
    layer_in = x
    hs, cs, tape = [], [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            y, h, c, caches = layer_forward(mode, layer_in, h0[k], c0[k] if mode == "LSTM" else None, *params[k],
                                            reverse=d == 1)
            outs.append(y)
            hs.append(h)
            cs.append(c if mode == "LSTM" else np.zeros_like(h))
            tape.append((k, caches, layer_in.shape))
        layer_in = np.concatenate(outs, axis=2)
    return layer_in, np.stack(hs), np.stack(cs), tape


def rnn_backward(mode, dout, dh_n, dc_n, params, num_layers, bidirectional, tape):
    """Gradients of sum(output * dout) + sum(h_n * dh_n) (+ sum(c_n * dc_n)) w.r.t. x, h0, c0 and params."""
    D = 2 if bidirectional else 1
    H = params[0][1].shape[1]
    dparams = [None] * len(params)
    dh0 = np.zeros_like(dh_n)
    dc0 = np.zeros_like(dh_n)
    d_layer_out = dout
    by_k = {k: (caches, shape) for k, caches, shape in tape}
    for layer in reversed(range(num_layers)):
        d_in = None
        for d in range(D):
            k = layer * D + d
            caches, shape = by_k[k]
            dy = d_layer_out[:, :, d * H:(d + 1) * H]
            dx, dh, dc, grads = layer_backward(dy, dh_n[k], dc_n[k] if mode == "LSTM" else None, caches, shape,
                                               params[k])
            dh0[k] = dh
            if mode == "LSTM":
                dc0[k] = dc
            dparams[k] = grads
            d_in = dx if d_in is None else d_in + dx
        d_layer_out = d_in
    return d_layer_out, dh0, dc0, dparams
