"""Recurrent layers and Embedding: outputs, final states and every gradient against the step-by-step numpy
reference (reference_rnn.py) for RNN (tanh, relu), LSTM and GRU in all layouts; gradcheck; cells; module
defaults, dropout, a many-to-many tagger that must learn, and bad input."""
import math

import numpy as np
import pytest

import neurocore as nc
from reference_rnn import GATES, cell_backward, cell_forward, rnn_backward, rnn_forward

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
T, B, F, H = 5, 3, 4, 5


def make_module(mode, dtype, **kw):
    if mode == "RNN_TANH":
        return nc.nn.RNN(F, H, dtype=dtype, **kw)
    if mode == "RNN_RELU":
        return nc.nn.RNN(F, H, nonlinearity="relu", dtype=dtype, **kw)
    return getattr(nc.nn, mode)(F, H, dtype=dtype, **kw)


def set_params(module, rng, bias=True, scale=0.8):
    """Random parameters (by default larger than the default init, so gates leave their linear range); returns
    them as float64 numpy arrays per (layer, direction): (w_ih, w_hh, b_ih, b_hh)."""
    groups = []
    for names in module.all_weights:
        arrs = []
        for p in names:
            a = rng.uniform(-scale, scale, size=p.shape)
            with nc.no_grad():
                p.copy_(nc.tensor(a).to(p.dtype))
            arrs.append(p.detach().numpy().astype(np.float64))  # float32 rounding included
        if not bias:
            gh = arrs[0].shape[0]
            arrs += [np.zeros(gh), np.zeros(gh)]
        groups.append(tuple(arrs))
    return groups


def module_grads(module):
    out = []
    for names in module.all_weights:
        out.append([p.grad.numpy().astype(np.float64) for p in names])
    return out


@pytest.mark.parametrize("dtype", [nc.float64, nc.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "h0"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
@pytest.mark.parametrize("layers_dirs", [(1, False), (1, True), (2, False), (2, True)],
                         ids=["1layer", "1layer_bidir", "2layers", "2layers_bidir"])
@pytest.mark.parametrize("mode", MODES)
def test_matches_reference(mode, layers_dirs, batch_first, with_state, dtype):
    num_layers, bidir = layers_dirs
    D = 2 if bidir else 1
    rng = np.random.default_rng(abs(hash((mode, layers_dirs, batch_first, with_state))) % 2**32)
    nc.manual_seed(0)
    m = make_module(mode, dtype, num_layers=num_layers, bidirectional=bidir, batch_first=batch_first)
    params = set_params(m, rng)
    npdt = np.float64 if dtype == nc.float64 else np.float32
    x = rng.standard_normal((T, B, F)).astype(npdt)
    h0 = rng.standard_normal((num_layers * D, B, H)).astype(npdt)
    c0 = rng.standard_normal((num_layers * D, B, H)).astype(npdt)
    lstm = mode == "LSTM"

    X = nc.tensor(np.ascontiguousarray(x.transpose(1, 0, 2)) if batch_first else x, requires_grad=True)
    H0 = nc.tensor(h0, requires_grad=True)
    C0 = nc.tensor(c0, requires_grad=True)
    hx = ((H0, C0) if lstm else H0) if with_state else None
    out, hn = m(X, hx)
    if lstm:
        hn, cn = hn

    zeros = np.zeros_like(h0, dtype=np.float64)
    ref_out, ref_h, ref_c, tape = rnn_forward(mode, x.astype(np.float64),
                                              h0.astype(np.float64) if with_state else zeros,
                                              c0.astype(np.float64) if with_state else zeros, params, num_layers, bidir)
    exp_out = ref_out.transpose(1, 0, 2) if batch_first else ref_out
    assert out.shape == exp_out.shape and out.dtype == dtype
    assert hn.shape == (num_layers * D, B, H)
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == nc.float64 else dict(rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(out.detach().numpy(), exp_out, **tol)
    np.testing.assert_allclose(hn.detach().numpy(), ref_h, **tol)
    if lstm:
        assert cn.shape == (num_layers * D, B, H)
        np.testing.assert_allclose(cn.detach().numpy(), ref_c, **tol)

    # Random weights on every output (all-ones would hide sign errors that cancel).
    w_out = rng.standard_normal(exp_out.shape)
    w_h = rng.standard_normal(ref_h.shape)
    w_c = rng.standard_normal(ref_h.shape) if lstm else np.zeros(ref_h.shape)
    loss = (out * nc.tensor(w_out).to(dtype)).sum() + (hn * nc.tensor(w_h).to(dtype)).sum()
    if lstm:
        loss = loss + (cn * nc.tensor(w_c).to(dtype)).sum()
    loss.backward()
    dout = w_out.transpose(1, 0, 2) if batch_first else w_out
    dx, dh0, dc0, dparams = rnn_backward(mode, dout, w_h, w_c, params, num_layers, bidir, tape)
    gtol = dict(rtol=1e-10, atol=1e-10) if dtype == nc.float64 else dict(rtol=2e-4, atol=1e-4)
    np.testing.assert_allclose(X.grad.numpy(), dx.transpose(1, 0, 2) if batch_first else dx, **gtol)
    if with_state:
        np.testing.assert_allclose(H0.grad.numpy(), dh0, **gtol)
        if lstm:
            np.testing.assert_allclose(C0.grad.numpy(), dc0, **gtol)
    else:
        assert H0.grad is None
    for k, (got, exp) in enumerate(zip(module_grads(m), dparams)):
        for name, g, e in zip(m._layer_names[k], got, exp):
            np.testing.assert_allclose(g, e, err_msg=name, **gtol)


@pytest.mark.parametrize("mode", MODES)
def test_larger_shapes_threads_and_blocking(mode):
    """Shapes that exercise the kernels' edges: a batch split between threads with a partial row tile (37 rows),
    hidden sizes that are not a multiple of the vector panel, GEMMs with several k-blocks, batch_first."""
    rng = np.random.default_rng(21)
    Tl, Bl, Fl, Hl = 20, 37, 19, 70
    m = getattr(nc.nn, "RNN" if mode.startswith("RNN") else mode)(
        Fl, Hl, bidirectional=True, batch_first=True, dtype=nc.float64,
        **({"nonlinearity": "relu" if mode == "RNN_RELU" else "tanh"} if mode.startswith("RNN") else {}))
    params = set_params(m, rng, scale=2 / math.sqrt(Hl))  # not chaotic: rounding differences stay small
    x = rng.standard_normal((Tl, Bl, Fl))
    h0 = rng.standard_normal((2, Bl, Hl))
    X = nc.tensor(np.ascontiguousarray(x.transpose(1, 0, 2)), requires_grad=True)
    H0 = nc.tensor(h0, requires_grad=True)
    hx = (H0, nc.tensor(h0 * 0.3)) if mode == "LSTM" else H0
    ref_out, ref_h, _, tape = rnn_forward(mode, x, h0, h0 * 0.3, params, 1, True)
    prev = nc.get_num_threads()
    for threads in (1, 2):
        nc.set_num_threads(threads)
        try:
            out, hn = m(X, hx)
        finally:
            nc.set_num_threads(prev)
        hn = hn[0] if mode == "LSTM" else hn
        np.testing.assert_allclose(out.detach().numpy(), ref_out.transpose(1, 0, 2), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(hn.detach().numpy(), ref_h, rtol=1e-10, atol=1e-10)
    w_out = rng.standard_normal(ref_out.shape)
    ((out * nc.tensor(w_out.transpose(1, 0, 2))).sum() + hn.sum()).backward()
    dx, dh0, _, dparams = rnn_backward(mode, w_out, np.ones_like(ref_h), np.zeros_like(ref_h), params, 1, True, tape)
    np.testing.assert_allclose(X.grad.numpy(), dx.transpose(1, 0, 2), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(H0.grad.numpy(), dh0, rtol=1e-10, atol=1e-10)
    for k, (got, exp) in enumerate(zip(module_grads(m), dparams)):
        for name, g, e in zip(m._layer_names[k], got, exp):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("mode", MODES)
def test_float32_larger_shapes_against_float64_reference(mode):
    """float32 through the same kernel edges as the float64 test above (partial row tiles and vector panels, the
    backward step GEMM's K = G*H over more than one k-block), 1 and 2 threads, inference and training forward,
    against the float64 reference within float32 tolerance."""
    rng = np.random.default_rng(23)
    Tl, Bl, Fl, Hl = 12, 37, 19, 70
    kw = {"nonlinearity": "relu" if mode == "RNN_RELU" else "tanh"} if mode.startswith("RNN") else {}
    m = getattr(nc.nn, "RNN" if mode.startswith("RNN") else mode)(Fl, Hl, bidirectional=True, **kw)
    params = set_params(m, rng, scale=2 / math.sqrt(Hl))
    x = rng.standard_normal((Tl, Bl, Fl)).astype(np.float32)
    h0 = rng.standard_normal((2, Bl, Hl)).astype(np.float32)
    X, H0 = nc.tensor(x, requires_grad=True), nc.tensor(h0, requires_grad=True)
    hx = (H0, nc.tensor(h0 * 0.3)) if mode == "LSTM" else H0
    ref_out, ref_h, _, tape = rnn_forward(mode, x.astype(np.float64), h0.astype(np.float64),
                                          h0.astype(np.float64) * 0.3, params, 1, True)
    prev = nc.get_num_threads()
    for threads in (1, 2):
        nc.set_num_threads(threads)
        try:
            with nc.no_grad():
                inference = m(X, hx)[0].numpy()
            out, hn = m(X, hx)
        finally:
            nc.set_num_threads(prev)
        hn = hn[0] if mode == "LSTM" else hn
        assert out.dtype == nc.float32
        np.testing.assert_array_equal(inference, out.detach().numpy())
        np.testing.assert_allclose(out.detach().numpy(), ref_out, rtol=1e-4, atol=2e-5)
        np.testing.assert_allclose(hn.detach().numpy(), ref_h, rtol=1e-4, atol=2e-5)
    w_out = rng.standard_normal(ref_out.shape)
    ((out * nc.tensor(w_out.astype(np.float32))).sum() + hn.sum()).backward()
    dx, dh0, _, dparams = rnn_backward(mode, w_out, np.ones_like(ref_h), np.zeros_like(ref_h), params, 1, True, tape)
    np.testing.assert_allclose(X.grad.numpy(), dx, rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(H0.grad.numpy(), dh0, rtol=2e-4, atol=2e-4)
    for k, (got, exp) in enumerate(zip(module_grads(m), dparams)):
        for name, g, e in zip(m._layer_names[k], got, exp):
            np.testing.assert_allclose(g, e, rtol=2e-4, atol=5e-4, err_msg=name)


@pytest.mark.parametrize("mode", MODES)
def test_frozen_input_side_gradients(mode):
    """Backward skips what is not needed (dX when the input needs no gradient, dW_ih and the biases when frozen)
    and still gets dW_hh and dh0 right."""
    rng = np.random.default_rng(5)
    m = make_module(mode, nc.float64)
    params = set_params(m, rng)
    m.weight_ih_l0.requires_grad = False
    m.bias_ih_l0.requires_grad = False
    m.bias_hh_l0.requires_grad = False
    x, h0 = rng.standard_normal((T, B, F)), rng.standard_normal((1, B, H))
    X, H0 = nc.tensor(x), nc.tensor(h0, requires_grad=True)
    out = m(X, (H0, nc.zeros(1, B, H, dtype=nc.float64)) if mode == "LSTM" else H0)[0]
    w = rng.standard_normal((T, B, H))
    (out * nc.tensor(w)).sum().backward()
    _, _, _, tape = rnn_forward(mode, x, h0, np.zeros_like(h0), params, 1, False)
    _, dh0, _, dparams = rnn_backward(mode, w, np.zeros_like(h0), np.zeros_like(h0), params, 1, False, tape)
    assert X.grad is None and m.weight_ih_l0.grad is None and m.bias_hh_l0.grad is None
    np.testing.assert_allclose(m.weight_hh_l0.grad.numpy(), dparams[0][1], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(H0.grad.numpy(), dh0, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_empty_batch(mode):
    """A batch of 0 sequences gives empty outputs and zero weight gradients, as in PyTorch (it used to crash)."""
    m = make_module(mode, nc.float32, num_layers=2, bidirectional=True)
    X = nc.zeros(T, 0, F, requires_grad=True)
    out, hn = m(X)
    hn = hn[0] if mode == "LSTM" else hn
    assert out.shape == (T, 0, 2 * H) and hn.shape == (4, 0, H)
    out.sum().backward()
    assert X.grad.shape == (T, 0, F)
    for p in m.parameters():
        assert p.grad.shape == p.shape and not p.grad.numpy().any()


@pytest.mark.parametrize("mode", MODES)
def test_no_bias_and_unbatched(mode):
    rng = np.random.default_rng(7)
    m = make_module(mode, nc.float64, bias=False, bidirectional=True)
    assert [n for n, _ in m.named_parameters()] == ["weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse",
                                                     "weight_hh_l0_reverse"]
    params = set_params(m, rng, bias=False)
    x = rng.standard_normal((T, F))
    h0 = rng.standard_normal((2, H))
    hx = (nc.tensor(h0), nc.tensor(h0 * 0.5)) if mode == "LSTM" else nc.tensor(h0)
    X = nc.tensor(x, requires_grad=True)
    out, hn = m(X, hx)
    if mode == "LSTM":
        hn, cn = hn
        assert cn.shape == (2, H)
    assert out.shape == (T, 2 * H) and hn.shape == (2, H)
    c0 = (h0 * 0.5)[:, None] if mode == "LSTM" else None
    ref_out, ref_h, ref_c, tape = rnn_forward(mode, x[:, None], h0[:, None], c0, params, 1, True)
    np.testing.assert_allclose(out.detach().numpy(), ref_out[:, 0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(hn.detach().numpy(), ref_h[:, 0], rtol=1e-10, atol=1e-10)
    out.sum().backward()
    dx, *_ = rnn_backward(mode, np.ones_like(ref_out), np.zeros_like(ref_h), np.zeros_like(ref_h), params, 1, True,
                          tape)
    np.testing.assert_allclose(X.grad.numpy(), dx[:, 0], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck(mode):
    rng = np.random.default_rng(11)
    m = make_module(mode, nc.float64, num_layers=2, bidirectional=True)
    set_params(m, rng)
    x = nc.tensor(rng.standard_normal((3, 2, F)), requires_grad=True)
    h0 = nc.tensor(rng.standard_normal((4, 2, H)), requires_grad=True)
    c0 = nc.tensor(rng.standard_normal((4, 2, H)), requires_grad=True)
    params = list(m.parameters())

    def fn(x, h0, c0, *ps):
        out, hn = m(x, (h0, c0) if mode == "LSTM" else h0)
        return (out, *hn) if mode == "LSTM" else (out, hn)
    inputs = [x, h0, c0] if mode == "LSTM" else [x, h0]
    # Parameters are inputs too: gradcheck perturbs them in place, the module reads them on each call.
    if mode == "LSTM":
        assert nc.utils.gradcheck(fn, inputs + params)
    else:
        assert nc.utils.gradcheck(lambda x, h0, *ps: fn(x, h0, None, *ps), inputs + params)


@pytest.mark.parametrize("mode", MODES)
def test_cells_match_reference(mode):
    rng = np.random.default_rng(5)
    if mode.startswith("RNN"):
        cell = nc.nn.RNNCell(F, H, nonlinearity="tanh" if mode == "RNN_TANH" else "relu", dtype=nc.float64)
    else:
        cell = getattr(nc.nn, mode + "Cell")(F, H, dtype=nc.float64)
    assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert cell.weight_ih.shape == (GATES[mode] * H, F)
    ps = []
    for p in cell.parameters():
        a = rng.uniform(-0.8, 0.8, size=p.shape)
        with nc.no_grad():
            p.copy_(nc.tensor(a))
        ps.append(a)
    x = rng.standard_normal((B, F))
    h = rng.standard_normal((B, H))
    c = rng.standard_normal((B, H))
    X, Hx, Cx = (nc.tensor(v, requires_grad=True) for v in (x, h, c))
    if mode == "LSTM":
        h1, c1 = cell(X, (Hx, Cx))
    else:
        h1, c1 = cell(X, Hx), None
    ref_h, ref_c, cache = cell_forward(mode, x, h, c if mode == "LSTM" else None, *ps)
    np.testing.assert_allclose(h1.detach().numpy(), ref_h, rtol=1e-12, atol=1e-12)
    wh = rng.standard_normal((B, H))
    wc = rng.standard_normal((B, H))
    loss = (h1 * nc.tensor(wh)).sum()
    if mode == "LSTM":
        np.testing.assert_allclose(c1.detach().numpy(), ref_c, rtol=1e-12, atol=1e-12)
        loss = loss + (c1 * nc.tensor(wc)).sum()
    loss.backward()
    dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh = cell_backward(wh, wc if mode == "LSTM" else None, cache)
    pairs = [(X.grad, dx), (Hx.grad, dh), (cell.weight_ih.grad, dw_ih), (cell.weight_hh.grad, dw_hh),
             (cell.bias_ih.grad, db_ih), (cell.bias_hh.grad, db_hh)] + ([(Cx.grad, dc)] if mode == "LSTM" else [])
    for got, exp in pairs:
        np.testing.assert_allclose(got.numpy(), exp, rtol=1e-11, atol=1e-11)
    # Unbatched input and default (zero) state.
    out = cell(nc.tensor(x[0]))
    h_only = out[0] if mode == "LSTM" else out
    ref0, _, _ = cell_forward(mode, x[:1], np.zeros((1, H)), np.zeros((1, H)), *ps)
    assert h_only.shape == (H,)
    np.testing.assert_allclose(h_only.detach().numpy(), ref0[0], rtol=1e-12, atol=1e-12)


def test_cell_stepping_equals_layer():
    """Running LSTMCell over a sequence gives the LSTM layer's outputs (same parameters)."""
    rng = np.random.default_rng(2)
    lstm = nc.nn.LSTM(F, H, dtype=nc.float64)
    cell = nc.nn.LSTMCell(F, H, dtype=nc.float64)
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = nc.tensor(rng.standard_normal((T, B, F)))
    out, (hn, cn) = lstm(x)
    h = c = nc.zeros(B, H, dtype=nc.float64)
    for t in range(T):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(h.detach().numpy(), out[t].detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), cn[0].detach().numpy(), rtol=1e-12, atol=1e-12)


def test_float32_long_sequence_stays_close_to_float64():
    """The float32 fast sigmoid/tanh keep 200 steps of LSTM and GRU close to float64."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 4, 8))
    for cls in (nc.nn.LSTM, nc.nn.GRU):
        m64 = cls(8, 16, dtype=nc.float64)
        m32 = cls(8, 16)
        m32.load_state_dict({k: v.to(nc.float32) for k, v in m64.state_dict().items()})
        o64 = m64(nc.tensor(x))[0].detach().numpy()
        o32 = m32(nc.tensor(x.astype(np.float32)))[0].detach().numpy()
        assert np.abs(o64 - o32).max() < 1e-4


def test_parameter_names_shapes_and_init():
    nc.manual_seed(0)
    lstm = nc.nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    expected = []
    for layer, fin in ((0, 10), (1, 40)):
        for sfx in ("", "_reverse"):
            expected += [(f"weight_ih_l{layer}{sfx}", (80, fin)), (f"weight_hh_l{layer}{sfx}", (80, 20)),
                         (f"bias_ih_l{layer}{sfx}", (80,)), (f"bias_hh_l{layer}{sfx}", (80,))]
    assert [(n, tuple(p.shape)) for n, p in lstm.named_parameters()] == expected
    assert list(lstm.state_dict()) == [n for n, _ in expected]
    bound = 1 / math.sqrt(20)
    allv = np.concatenate([p.detach().numpy().ravel() for p in lstm.parameters()])
    assert allv.min() >= -bound and allv.max() <= bound
    assert allv.min() < -0.9 * bound and allv.max() > 0.9 * bound   # really uniform over the whole range
    assert abs(allv.mean()) < 0.01
    gru = nc.nn.GRU(3, 7)
    assert gru.weight_ih_l0.shape == (21, 3) and gru.bias_hh_l0.shape == (21,)
    rnn = nc.nn.RNN(3, 7, 3, "relu")
    assert rnn.nonlinearity == "relu" and rnn.weight_hh_l2.shape == (7, 7)
    assert repr(lstm) == "LSTM(10, 20, num_layers=2, bidirectional=True)"
    assert repr(rnn) == "RNN(3, 7, num_layers=3, nonlinearity='relu')"


def test_loads_pytorch_state_dict_and_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    for cls in ("LSTM", "GRU", "RNN"):
        tm = getattr(torch.nn, cls)(F, H, num_layers=2, bidirectional=True, batch_first=True).double()
        m = getattr(nc.nn, cls)(F, H, num_layers=2, bidirectional=True, batch_first=True, dtype=nc.float64)
        m.load_state_dict({k: nc.tensor(v.numpy()) for k, v in tm.state_dict().items()})
        x = rng.standard_normal((B, T, F))
        with torch.no_grad():
            ref = tm(torch.tensor(x))
        got = m(nc.tensor(x))
        np.testing.assert_allclose(got[0].detach().numpy(), ref[0].numpy(), rtol=1e-12, atol=1e-12)
        ref_h = ref[1][0] if cls == "LSTM" else ref[1]
        got_h = got[1][0] if cls == "LSTM" else got[1]
        np.testing.assert_allclose(got_h.detach().numpy(), ref_h.numpy(), rtol=1e-12, atol=1e-12)


def test_inter_layer_dropout():
    nc.manual_seed(0)
    rng = np.random.default_rng(0)
    x = nc.tensor(rng.standard_normal((6, 4, F)).astype(np.float32))
    m = nc.nn.GRU(F, H, num_layers=3, dropout=0.5)
    ref = nc.nn.GRU(F, H, num_layers=3)
    ref.load_state_dict(m.state_dict())
    m.train()
    a = m(x)[0].detach().numpy()
    b = m(x)[0].detach().numpy()
    assert not np.allclose(a, b)                      # a fresh mask per call
    assert not np.allclose(a, ref(x)[0].detach().numpy())
    m.eval()
    np.testing.assert_allclose(m(x)[0].detach().numpy(), ref(x)[0].detach().numpy(), rtol=1e-6, atol=1e-7)
    # Gradients flow through the dropout masks.
    m.train()
    out, _ = m(x)
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nc.nn.LSTM(F, H, dropout=0.2)


def test_many_to_one_gradient_only_through_h_n():
    """A classifier on h_n alone: the node gets no output gradient, only the final-state one."""
    rng = np.random.default_rng(9)
    m = nc.nn.LSTM(F, H, dtype=nc.float64)
    params = set_params(m, rng)
    x = rng.standard_normal((T, B, F))
    X = nc.tensor(x, requires_grad=True)
    _, (hn, _) = m(X)
    w = rng.standard_normal((1, B, H))
    (hn * nc.tensor(w)).sum().backward()
    ref_out, ref_h, ref_c, tape = rnn_forward("LSTM", x, np.zeros((1, B, H)), np.zeros((1, B, H)), params, 1, False)
    dx, _, _, dparams = rnn_backward("LSTM", np.zeros_like(ref_out), w, np.zeros_like(w), params, 1, False, tape)
    np.testing.assert_allclose(X.grad.numpy(), dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.weight_hh_l0.grad.numpy(), dparams[0][1], rtol=1e-10, atol=1e-12)


def test_no_grad_forward_matches_and_builds_no_graph():
    rng = np.random.default_rng(1)
    x = nc.tensor(rng.standard_normal((7, 2, F)))
    for mode in MODES:
        m = make_module(mode, nc.float64, num_layers=2, bidirectional=True)
        with nc.no_grad():
            a = m(x)
        b = m(x)
        assert a[0].grad_fn is None and not a[0].requires_grad and b[0].requires_grad
        np.testing.assert_array_equal(a[0].numpy(), b[0].detach().numpy())


def test_to_float64_and_back():
    m = nc.nn.GRU(F, H)
    m.double()
    assert m.weight_ih_l0.dtype == nc.float64
    assert m(nc.zeros(2, 1, F, dtype=nc.float64))[0].dtype == nc.float64


# ---- Embedding

def test_embedding_forward_backward_and_padding():
    nc.manual_seed(0)
    emb = nc.nn.Embedding(10, 4, padding_idx=2)
    w0 = emb.weight.detach().numpy().copy()
    assert np.all(w0[2] == 0)
    ids = np.array([[1, 2, 3, 1], [9, 0, 2, 2]])
    out = emb(nc.tensor(ids))
    assert out.shape == (2, 4, 4)
    np.testing.assert_array_equal(out.detach().numpy(), w0[ids])
    g = np.random.default_rng(0).standard_normal((2, 4, 4)).astype(np.float32)
    out.backward(nc.tensor(g))
    exp = np.zeros((10, 4), np.float32)
    np.add.at(exp, ids, g)
    exp[2] = 0                        # the padding row gets no gradient
    np.testing.assert_allclose(emb.weight.grad.numpy(), exp, rtol=1e-6)
    # A non-zero padding row is still returned by forward (PyTorch), but not trained.
    with nc.no_grad():
        emb.weight[2] = nc.ones(4)
    np.testing.assert_array_equal(emb(nc.tensor([2])).detach().numpy(), np.ones((1, 4)))
    assert emb.padding_idx == 2 and nc.nn.Embedding(5, 2, padding_idx=-1).padding_idx == 4
    assert repr(emb) == "Embedding(10, 4, padding_idx=2)"


def test_embedding_init_and_from_pretrained():
    nc.manual_seed(1)
    w = nc.nn.Embedding(2000, 50).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    pre = nc.tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2))
    emb = nc.nn.Embedding.from_pretrained(pre)
    assert not emb.weight.requires_grad
    assert emb(nc.tensor([2, 0])).tolist() == [[4.0, 5.0], [0.0, 1.0]]
    assert nc.nn.functional.embedding(nc.tensor([1]), pre).tolist() == [[2.0, 3.0]]


def test_embedding_gradcheck_repeated_ids():
    w = nc.tensor(np.random.default_rng(0).standard_normal((6, 3)), requires_grad=True)
    ids = nc.tensor([[0, 5, 5], [1, 0, 3]])
    assert nc.utils.gradcheck(lambda w: nc.nn.functional.embedding(ids, w), [w])


# ---- many-to-many learning

def test_tagger_learns_to_copy_previous_token():
    """Embedding -> LSTM -> Linear per step: output token t-1 at step t (class 0 at t = 0)."""
    nc.manual_seed(0)
    rng = np.random.default_rng(0)
    V, L = 8, 12

    class Tagger(nc.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nc.nn.Embedding(V, 16)
            self.rnn = nc.nn.LSTM(16, 32, batch_first=True)
            self.out = nc.nn.Linear(32, V)

        def forward(self, ids):
            h, _ = self.rnn(self.emb(ids))
            return self.out(h)

    def batch(n):
        x = rng.integers(1, V, size=(n, L))
        y = np.concatenate([np.zeros((n, 1), np.int64), x[:, :-1]], axis=1)
        return nc.tensor(x), nc.tensor(y)

    net = Tagger()
    opt = nc.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(150):
        x, y = batch(32)
        loss = nc.nn.functional.cross_entropy(net(x).reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, y = batch(256)
    with nc.no_grad():
        pred = net(x).argmax(-1)
    acc = (pred == y).float().mean().item()
    assert acc > 0.97, acc


# ---- bad input

@pytest.mark.parametrize("call, exc, match", [
    (lambda: nc.nn.LSTM(4, 5)(nc.zeros(2, 3, 4, 1)), ValueError, r"3-D input \(T, B, F\).*got shape \(2, 3, 4, 1\)"),
    (lambda: nc.nn.GRU(4, 5, batch_first=True)(nc.zeros(4)), ValueError, r"\(B, T, F\)"),
    (lambda: nc.nn.LSTM(4, 5)(nc.zeros(2, 3, 6)), ValueError, "Expected 4, got 6"),
    (lambda: nc.nn.GRU(4, 5, num_layers=2)(nc.zeros(2, 3, 4), nc.zeros(1, 3, 5)), ValueError,
     r"expected h0 of shape \(2, 3, 5\), got \(1, 3, 5\)"),
    (lambda: nc.nn.LSTM(4, 5, bidirectional=True)(nc.zeros(2, 3, 4), (nc.zeros(2, 3, 5), nc.zeros(2, 4, 5))),
     ValueError, r"expected c0 of shape \(2, 3, 5\), got \(2, 4, 5\)"),
    (lambda: nc.nn.RNN(4, 5)(nc.zeros(2, 4), nc.zeros(1, 3, 5)), ValueError, r"expected h0 of shape \(1, 5\)"),
    (lambda: nc.nn.LSTM(4, 5)(nc.zeros(2, 3, 4), nc.zeros(1, 3, 5)), TypeError, r"tuple \(h0, c0\)"),
    (lambda: nc.nn.LSTM(4, 5)(nc.zeros(2, 3, 4, dtype=nc.float64)), TypeError, "dtype"),
    (lambda: nc.nn.LSTM(4, 5)(nc.zeros(0, 3, 4)), ValueError, "sequence length must be at least 1"),
    (lambda: nc.nn.RNN(4, 5, nonlinearity="sigmoid"), ValueError, "nonlinearity"),
    (lambda: nc.nn.LSTM(4, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nc.nn.GRU(4, 5, num_layers=2, dropout=1.5), ValueError, r"range \[0, 1\]"),
    (lambda: nc.nn.LSTM(4, 5, proj_size=2), ValueError, "proj_size"),
    (lambda: nc.nn.LSTMCell(4, 5)(nc.zeros(3, 6)), ValueError, "got 6, expected 4"),
    (lambda: nc.nn.GRUCell(4, 5)(nc.zeros(3, 4), nc.zeros(2, 5)), ValueError, r"expected hx of shape \(3, 5\)"),
    (lambda: nc.nn.Embedding(10, 3)(nc.tensor([1, 12])), IndexError, "token id 12 .* num_embeddings=10"),
    (lambda: nc.nn.Embedding(10, 3)(nc.tensor([-1])), IndexError, "token id -1 .* num_embeddings=10"),
    (lambda: nc.nn.Embedding(10, 3)(nc.tensor([1.0])), TypeError, "int64"),
    (lambda: nc.nn.Embedding(10, 3, padding_idx=10), ValueError, "padding_idx"),
    (lambda: nc._core.rnn_layer(nc._core.RnnMode.lstm, nc.zeros(2, 3, 4), None, None, nc.zeros(20, 4),
                                nc.zeros(20, 4), None, None), ValueError,
     r"weight_hh must have shape \(4\*hidden_size, hidden_size\) = \(16, 4\), got \(20, 4\)"),
    (lambda: nc._core.rnn_layer(nc._core.RnnMode.gru, nc.zeros(2, 3, 4), None, None, nc.zeros(15, 3),
                                nc.zeros(15, 5), None, None), ValueError, r"has 4 features; weight_ih must have shape"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("name", ["neurocore.nn.rnn", "neurocore.nn.embedding"])
def test_docstring_examples(name):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ---- the examples reach their stated numbers

def _example(name):
    import importlib
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def test_example_sentiment_lstm():
    acc = _example("sentiment_lstm").main(verbose=False)
    assert acc >= 0.97, acc


def test_example_sine_forecast():
    mse, naive = _example("sine_forecast").main(epochs=15, verbose=False)
    assert mse < 0.025 and mse < 0.6 * naive, (mse, naive)
