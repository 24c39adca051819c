"""Autograd behaviour: accumulation, explicit output gradients, grad mode, detach, graph retention,
graphs where a tensor is used more than once, gradients through views / indexing / cat / stack /
expand / broadcasting, and the dtype of gradients. Expected gradients are worked out by hand in numpy."""
import numpy as np
import pytest

import neurocore as nc
import reference as R

F32, F64 = nc.float32, nc.float64


def leaf(a, dtype=F64):
    return nc.tensor(np.asarray(a, dtype=np.float64), dtype=dtype, requires_grad=True)


RNG = np.random.default_rng(0)
A = RNG.uniform(-2, 2, (3, 4))
W = RNG.uniform(-2, 2, (3, 4))


# ---------------------------------------------------------------- basics

def test_leaf_and_non_leaf_properties():
    x = leaf(A)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None and x.requires_grad
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    z = nc.ones(2)
    assert z.is_leaf and not z.requires_grad and (z * 2).grad_fn is None
    assert x.grad is None


def test_gradients_accumulate_across_backward_calls():
    x = leaf(A)
    (x * nc.tensor(W)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), W)
    (x * nc.tensor(W)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * W)
    g = x.grad
    (x.square()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * W + 2 * A, rtol=1e-15)
    assert x.grad is g or np.shares_memory(g.numpy(), x.grad.numpy())  # accumulated in place
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(A.shape, 3.0))


def test_zeroing_grad_in_place_then_accumulating():
    x = leaf(A)
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(A.shape, 5.0))


def test_backward_with_explicit_gradient_for_non_scalar():
    x = leaf(A)
    y = x * x
    g = RNG.standard_normal(A.shape)
    y.backward(nc.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), 2 * A * g, rtol=1e-15)
    # A float32 gradient for a float64 output is converted.
    x2 = leaf(A)
    (x2 * 3).backward(nc.tensor(g.astype(np.float32)))
    assert x2.grad.dtype == F64
    np.testing.assert_allclose(x2.grad.numpy(), 3 * g.astype(np.float32).astype(np.float64), rtol=1e-15)
    # gradient= keyword
    x3 = leaf(A)
    (x3 * 1.0).backward(gradient=nc.tensor(g))
    np.testing.assert_array_equal(x3.grad.numpy(), g)


def test_backward_on_scalar_shaped_one_element_tensor():
    x = leaf([2.0])
    (x * 3).backward()  # shape (1,) has one element: implicit gradient of 1
    np.testing.assert_array_equal(x.grad.numpy(), [3.0])


def test_non_scalar_backward_without_gradient_raises():
    x = leaf(A)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"\(3, 4\)"):
        y.backward()
    with pytest.raises(RuntimeError, match="scalar"):
        nc.autograd.backward([y])


def test_backward_gradient_of_wrong_shape_raises():
    x = leaf(A)
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(3, 4\)"):
        (x * 2).backward(nc.ones(4, 3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        nc.ones(2).sum().backward()


def test_autograd_backward_several_roots():
    x = leaf(A)
    a = (x * 2).sum()
    b = (x * x).sum()
    nc.autograd.backward([a, b])
    np.testing.assert_allclose(x.grad.numpy(), 2 + 2 * A, rtol=1e-15)


def test_only_tensors_that_require_grad_get_gradients():
    x = leaf(A)
    c = nc.tensor(W)
    (x * c).sum().backward()
    assert c.grad is None and x.grad is not None


def test_non_leaf_grad_is_not_kept_unless_retained():
    x = leaf(A)
    y = x * 2
    z = (y * y).sum()
    y.retain_grad()
    z.backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * (2 * A), rtol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), 8 * A, rtol=1e-15)
    x2 = leaf(A)
    y2 = x2 * 2
    (y2 * y2).sum().backward()
    assert y2.grad is None


# ---------------------------------------------------------------- grad mode

def test_no_grad_context_manager():
    x = leaf(A)
    assert nc.is_grad_enabled()
    with nc.no_grad():
        assert not nc.is_grad_enabled()
        y = x * 2
        z = x.exp().sum()
    assert nc.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert not z.requires_grad
    np.testing.assert_array_equal(y.numpy(), 2 * A)


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(KeyError):
        with nc.no_grad():
            raise KeyError("boom")
    assert nc.is_grad_enabled()


def test_no_grad_decorator_and_nesting():
    x = leaf(A)

    @nc.no_grad()
    def f(t):
        assert not nc.is_grad_enabled()
        return t * 3

    y = f(x)
    assert not y.requires_grad
    assert nc.is_grad_enabled()
    assert f.__name__ == "f"
    with nc.no_grad():
        with nc.enable_grad():
            assert nc.is_grad_enabled()
            u = x * 2
        assert not nc.is_grad_enabled()
    assert u.requires_grad
    with nc.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert nc.is_grad_enabled()


def test_detach():
    x = leaf(A)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert d._storage_id() == y._storage_id()
    z = (d * x).sum()  # gradient flows only through x
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * A)


def test_requires_grad_():
    x = nc.tensor(A)
    assert not x.requires_grad
    assert x.requires_grad_() is x
    assert x.requires_grad
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(A.shape, 2.0))
    x.requires_grad_(False)
    assert not (x * 2).requires_grad
    x.requires_grad = True
    assert x.requires_grad
    with pytest.raises(RuntimeError, match="floating"):
        nc.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        (leaf(A) * 2).requires_grad_(False)


# ---------------------------------------------------------------- graph retention

def test_retain_graph_allows_a_second_backward():
    x = leaf(A)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(g1, np.exp(A) * (1 + A), rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1, rtol=1e-14)


def test_second_backward_without_retain_graph_raises():
    x = leaf(A)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_second_backward_through_shared_subgraph_raises():
    x = leaf(A)
    h = x.sigmoid()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 2).sum().backward()


# ---------------------------------------------------------------- graph shapes

def test_diamond_graph():
    # x -> a = x^2, b = exp(x) -> c = a * b -> sum. dc/dx = 2x e^x + x^2 e^x
    x = leaf(A)
    a = x * x
    b = x.exp()
    (a * b).sum().backward()
    # float64: a few roundings per term; atol for the points where 2x + x^2 nearly cancels
    np.testing.assert_allclose(x.grad.numpy(), (2 * A + A * A) * np.exp(A), rtol=1e-13, atol=1e-15)


def test_tensor_used_twice_in_one_op():
    x = leaf(A)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * A, rtol=1e-15)
    y = leaf(A)
    (y + y + y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), np.full(A.shape, 3.0))
    z = leaf(A)
    (z - z).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), np.zeros(A.shape))
    u = leaf(A[0])
    (u @ u).backward()
    np.testing.assert_allclose(u.grad.numpy(), 2 * A[0], rtol=1e-15)


def test_deep_chain_and_wide_fan_out():
    x = leaf(A)
    y = x
    for _ in range(200):
        y = y * 1.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(A.shape, 1.01 ** 200), rtol=1e-12)
    x2 = leaf(A)
    total = sum((x2 * float(k)).sum() for k in range(50))
    total.backward()
    np.testing.assert_allclose(x2.grad.numpy(), np.full(A.shape, sum(range(50))), rtol=1e-15)


def test_two_leaves_through_matmul_and_broadcast_add():
    x = leaf(A)                       # (3, 4)
    w = leaf(W.T)                     # (4, 3)
    b = leaf(np.array([0.5, -1.0, 2.0]))  # (3,)
    g = RNG.standard_normal((3, 3))
    ((x @ w + b) * nc.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g @ W, rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), A.T @ g, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(0), rtol=1e-12)


# ---------------------------------------------------------------- gradients through views and friends

def _grad_of(fn, a, g_shape_fn=None, seed=1):
    """x.grad for sum(fn(x) * g) with a random g; returns (grad, g)."""
    x = leaf(a)
    out = fn(x)
    g = np.random.default_rng(seed).standard_normal(out.shape)
    (out * nc.tensor(g)).sum().backward()
    return x.grad.numpy(), g


def test_gradient_through_views():
    cases = [
        (lambda t: t.t(), lambda g: g.T),
        (lambda t: t.reshape(2, 6), lambda g: g.reshape(3, 4)),
        (lambda t: t.view(12), lambda g: g.reshape(3, 4)),
        (lambda t: t.permute(1, 0).reshape(-1), lambda g: g.reshape(4, 3).T),
        (lambda t: t.unsqueeze(1).squeeze(1), lambda g: g),
        (lambda t: t.flatten(), lambda g: g.reshape(3, 4)),
        (lambda t: t.transpose(0, 1).contiguous(), lambda g: g.T),
    ]
    for fn, back in cases:
        grad, g = _grad_of(fn, A)
        np.testing.assert_array_equal(grad, back(g))


def test_gradient_through_slices_and_select():
    grad, g = _grad_of(lambda t: t[1:, ::2], A)
    expected = np.zeros(A.shape)
    expected[1:, ::2] = g
    np.testing.assert_array_equal(grad, expected)
    grad, g = _grad_of(lambda t: t[-1], A)
    expected = np.zeros(A.shape)
    expected[-1] = g
    np.testing.assert_array_equal(grad, expected)
    # Two overlapping reads of the same leaf add up.
    x = leaf(A)
    (x[0] * 2 + x[:, 0].sum() + x[0:2, 0:2].sum()).sum().backward()
    expected = np.zeros(A.shape)
    expected[0] += 2
    expected[:, 0] += 4  # x[:, 0].sum() is broadcast over x[0]'s 4 elements
    expected[0:2, 0:2] += 4
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_gradient_through_advanced_indexing_with_repeats():
    idx = np.array([0, 2, 0, 0])
    grad, g = _grad_of(lambda t: t[idx], A)
    expected = np.zeros(A.shape)
    np.add.at(expected, idx, g)
    np.testing.assert_array_equal(grad, expected)
    mask = A > 0
    grad, g = _grad_of(lambda t: t[nc.tensor(mask)], A)
    expected = np.zeros(A.shape)
    expected[mask] = g
    np.testing.assert_array_equal(grad, expected)


def test_gradient_through_cat_and_stack():
    x, y = leaf(A), leaf(W[:2])
    out = nc.cat([x, y, x], 0)
    g = RNG.standard_normal(out.shape)
    (out * nc.tensor(g)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), g[:3] + g[5:])
    np.testing.assert_array_equal(y.grad.numpy(), g[3:5])
    x, y = leaf(A), leaf(W)
    out = nc.stack([x, y], 1)  # (3, 2, 4)
    g = RNG.standard_normal(out.shape)
    (out * nc.tensor(g)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), g[:, 0])
    np.testing.assert_array_equal(y.grad.numpy(), g[:, 1])
    # Only some inputs need gradients.
    x = leaf(A)
    out = nc.cat([nc.tensor(W), x], 1)
    (out * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(A.shape, 2.0))


def test_gradient_through_expand_and_broadcasting():
    grad, g = _grad_of(lambda t: t.expand(2, 3, 4), A)
    np.testing.assert_allclose(grad, g.sum(0), rtol=1e-14)
    col = RNG.uniform(-1, 1, (3, 1))
    grad, g = _grad_of(lambda t: t.expand(3, 5), col)
    np.testing.assert_allclose(grad, g.sum(1, keepdims=True), rtol=1e-14)
    # Broadcasting in binary ops: each input's gradient is summed over its broadcast dims.
    a, b = leaf(RNG.uniform(-1, 1, (2, 1, 4))), leaf(RNG.uniform(-1, 1, (3, 1)))
    out = a * b  # (2, 3, 4)
    g = RNG.standard_normal(out.shape)
    (out * nc.tensor(g)).sum().backward()
    an, bn = a.detach().numpy(), b.detach().numpy()
    np.testing.assert_allclose(a.grad.numpy(), (g * bn).sum(1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(b.grad.numpy(), (g * an).sum((0, 2))[:, None], rtol=1e-13)
    s = leaf(1.5)  # 0-d with a matrix
    (s * nc.tensor(A)).sum().backward()
    assert s.grad.shape == ()
    np.testing.assert_allclose(s.grad.item(), A.sum(), rtol=1e-14)


def test_gradient_through_reductions_with_keepdim_and_max_ties():
    grad, g = _grad_of(lambda t: t.sum(1, keepdim=True), A)
    np.testing.assert_array_equal(grad, np.broadcast_to(g, A.shape))
    grad, g = _grad_of(lambda t: t.mean((0, 1)), A)
    np.testing.assert_allclose(grad, np.full(A.shape, g / A.size), rtol=1e-15)
    # max over a dim: the whole gradient goes to the (first) arg max; amax splits it over ties.
    ties = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]])
    grad, g = _grad_of(lambda t: t.max(1).values, ties)
    np.testing.assert_array_equal(grad, [[0, g[0], 0], [g[1], 0, 0]])
    grad, g = _grad_of(lambda t: t.amax(1), ties)
    np.testing.assert_array_equal(grad, [[0, g[0] / 2, g[0] / 2], [g[1], 0, 0]])


def test_gradient_through_where_and_clamp():
    cond = A > 0
    x, y = leaf(A), leaf(W)
    out = nc.where(nc.tensor(cond), x, y)
    g = RNG.standard_normal(out.shape)
    (out * nc.tensor(g)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(cond, g, 0))
    np.testing.assert_array_equal(y.grad.numpy(), np.where(cond, 0, g))
    x = leaf(np.array([-2.0, -0.5, 0.5, 2.0]))
    x.clamp(-1, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 0])


def test_gradient_through_softmax_cross_entropy():
    # d/dz cross_entropy(z, t) (mean over N) = (softmax(z) - onehot(t)) / N
    z = RNG.standard_normal((5, 4))
    t = np.array([0, 3, 1, 1, 2])
    x = leaf(z)
    nc._core.cross_entropy(x, nc.tensor(t)).backward()
    onehot = np.eye(4)[t]
    np.testing.assert_allclose(x.grad.numpy(), (R.softmax(z, 1) - onehot) / 5, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- dtypes of gradients

@pytest.mark.parametrize("dtype", [F32, F64])
def test_grad_dtype_matches_leaf(dtype):
    x = leaf(A, dtype)
    (x * 2).sum().backward()
    assert x.grad.dtype == dtype and x.grad.shape == x.shape
    assert not x.grad.requires_grad


def test_grad_dtype_with_mixed_precision():
    x32 = leaf(A, F32)
    y64 = leaf(W, F64)
    out = x32 * y64
    assert out.dtype == F64
    out.sum().backward()
    assert x32.grad.dtype == F32 and y64.grad.dtype == F64
    np.testing.assert_allclose(x32.grad.numpy(), W.astype(np.float32), rtol=1e-7)
    np.testing.assert_allclose(y64.grad.numpy(), A.astype(np.float32).astype(np.float64), rtol=1e-15)
    x = leaf(A, F32)
    x.to(nc.float64).exp().sum().backward()
    assert x.grad.dtype == F32
    np.testing.assert_allclose(x.grad.numpy(), np.exp(A.astype(np.float32).astype(np.float64)), rtol=1e-6)
    x = leaf(A, F64)
    (x.float() * 2).sum().backward()
    assert x.grad.dtype == F64
    np.testing.assert_array_equal(x.grad.numpy(), np.full(A.shape, 2.0))


def test_integer_ops_do_not_track_gradients():
    x = leaf(A)
    idx = x.argmax(1)
    assert idx.dtype == nc.int64 and not idx.requires_grad
    c = x > 0
    assert c.dtype == nc.bool and not c.requires_grad


def test_inplace_on_leaf_that_requires_grad_raises():
    x = leaf(A)
    with pytest.raises(RuntimeError, match="in-place"):
        x += 1
    with pytest.raises(RuntimeError, match="in-place"):
        x.fill_(0)
    with nc.no_grad():
        x += 1  # allowed without grad tracking (optimizer updates)
    np.testing.assert_array_equal(x.detach().numpy(), A + 1)


def test_modifying_a_saved_tensor_in_place_is_detected():
    x = leaf(A)
    h = x * 2
    y = (h * h).sum()  # saves h
    with nc.no_grad():
        h += 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_softmax_of_0d_tensor_is_differentiable():
    x = nc.tensor(0.7, dtype=nc.float64, requires_grad=True)
    for f in (lambda t: t.softmax(0), lambda t: t.log_softmax(-1)):
        y = f(x)
        assert y.requires_grad, "softmax of a 0-d tensor dropped the graph"
        assert nc.utils.gradcheck(f, (x,))


# ---------------------------------------------------------------- gradcheck itself

def test_gradcheck_catches_a_wrong_gradient():
    # relu at exactly 0: the analytic derivative is 0 but the central difference sees 1/2.
    x = nc.tensor([0.0, 1.0], dtype=nc.float64, requires_grad=True)
    with pytest.raises(nc.utils.GradcheckError, match="index \\(0,\\)"):
        nc.utils.gradcheck(lambda t: t.relu(), (x,))
    assert nc.utils.gradcheck(lambda t: t.relu(), (x,), raise_exception=False) is False
    # std of one element: the analytic gradient is NaN, the numerical one 0 -- a mismatch, not a pass.
    y = nc.tensor([1.5], dtype=nc.float64, requires_grad=True)
    with pytest.raises(nc.utils.GradcheckError):
        nc.utils.gradcheck(lambda t: t.std(unbiased=False), (y,))


def test_gradcheck_requires_float64():
    with pytest.raises(ValueError, match="float64"):
        nc.utils.gradcheck(lambda t: t * 2, (nc.ones(2, requires_grad=True),))
