"""Tensor creation, dtype inference, numpy interop, conversions, printing, random numbers, views
and strides, and the thread-count switch. Expected values come from numpy."""
import numpy as np
import pytest

import neurocore as nc

F32, F64, I64, BOOL = nc.float32, nc.float64, nc.int64, nc.bool
NP_OF = {F32: np.float32, F64: np.float64, I64: np.int64, BOOL: np.bool_}


def check(t, expected, dtype=None):
    expected = np.asarray(expected)
    assert tuple(t.shape) == expected.shape
    if dtype is not None:
        assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), expected)


# ---------------------------------------------------------------- creation

@pytest.mark.parametrize("size", [(), (0,), (3,), (2, 3), (2, 1, 4)])
def test_zeros_ones_full_empty(size):
    check(nc.zeros(*size), np.zeros(size, np.float32), F32)
    check(nc.zeros(size), np.zeros(size, np.float32), F32)  # a tuple works too
    check(nc.ones(size, dtype=nc.float64), np.ones(size), F64)
    check(nc.ones(*size, dtype=nc.int64), np.ones(size, np.int64), I64)
    check(nc.full(size, 2.5), np.full(size, 2.5, np.float32), F32)
    check(nc.full(size, 7), np.full(size, 7, np.int64), I64)  # an int fill gives int64, like PyTorch
    check(nc.full(size, True), np.full(size, True), BOOL)
    check(nc.full(size, 3, dtype=nc.float64), np.full(size, 3.0), F64)
    e = nc.empty(*size, dtype=nc.float64)
    assert tuple(e.shape) == size and e.dtype == F64


def test_zeros_with_list_size_and_requires_grad():
    t = nc.zeros([2, 3], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.shape == (2, 3)


@pytest.mark.parametrize("args,kwargs", [((5,), {}), ((2, 9), {}), ((1, 10, 3), {}), ((10, 1, -3), {}),
                                         ((0.0, 1.0, 0.1), {}), ((-1, 1, 0.25), {}), ((3,), {"dtype": nc.float64}),
                                         ((0,), {}), ((2.5,), {})])
def test_arange(args, kwargs):
    t = nc.arange(*args, **kwargs)
    all_int = all(isinstance(a, int) for a in args)
    dtype = kwargs.get("dtype", I64 if all_int else F32)
    expected = np.arange(*args, dtype=NP_OF[dtype])
    assert t.dtype == dtype
    assert tuple(t.shape) == expected.shape
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("start,end,steps", [(0, 1, 5), (-2.5, 2.5, 11), (1, 1, 3), (3, -3, 4), (0, 1, 1), (0, 1, 0)])
def test_linspace(start, end, steps):
    t = nc.linspace(start, end, steps, dtype=nc.float64)
    expected = np.linspace(start, end, steps)
    assert t.dtype == F64 and tuple(t.shape) == expected.shape
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-14, atol=1e-14)
    if steps > 1:
        assert t.numpy()[-1] == end  # the end point is exact
    t32 = nc.linspace(start, end, steps)
    assert t32.dtype == F32
    np.testing.assert_allclose(t32.numpy(), expected.astype(np.float32), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n,m", [(3, None), (2, 4), (4, 2), (0, None), (1, 1)])
def test_eye(n, m):
    check(nc.eye(n, m), np.eye(n, m, dtype=np.float32), F32)
    check(nc.eye(n, m, dtype=nc.int64), np.eye(n, m, dtype=np.int64), I64)
    check(nc.eye(n, m, dtype=nc.bool), np.eye(n, m, dtype=np.bool_), BOOL)


@pytest.mark.parametrize("dtype", [F32, F64, I64, BOOL])
def test_like_functions_keep_shape_and_dtype(dtype):
    base = nc.tensor(np.zeros((2, 3), dtype=NP_OF[dtype]))
    check(nc.zeros_like(base), np.zeros((2, 3), NP_OF[dtype]), dtype)
    check(nc.ones_like(base), np.ones((2, 3), NP_OF[dtype]), dtype)
    check(nc.full_like(base, 1), np.full((2, 3), 1, NP_OF[dtype]), dtype)
    e = nc.empty_like(base)
    assert e.shape == (2, 3) and e.dtype == dtype
    check(nc.zeros_like(base, dtype=nc.float64), np.zeros((2, 3)), F64)
    if dtype in (F32, F64):
        r = nc.rand_like(base)
        assert r.shape == (2, 3) and r.dtype == dtype
        r = nc.randn_like(base)
        assert r.shape == (2, 3) and r.dtype == dtype
    if dtype == I64:
        r = nc.randint_like(base, 5)
        assert r.shape == (2, 3) and r.dtype == I64
        assert ((r.numpy() >= 0) & (r.numpy() < 5)).all()


# ---------------------------------------------------------------- dtype inference and nc.tensor

@pytest.mark.parametrize("data,dtype,np_dtype", [
    (1.5, F32, np.float32), ([1.0, 2.0], F32, np.float32), ([[1, 2], [3, 4]], I64, np.int64), (7, I64, np.int64),
    ([True, False], BOOL, np.bool_), (True, BOOL, np.bool_), ([1, 2.5], F32, np.float32),
    (np.array([1.0, 2.0]), F64, np.float64), (np.array([1.0], np.float32), F32, np.float32),
    (np.array([1, 2], np.int32), I64, np.int64), (np.array([1, 2], np.uint8), I64, np.int64),
    (np.array([True]), BOOL, np.bool_), (np.float64(2.0), F64, np.float64), (np.float32(2.0), F32, np.float32),
    (np.int32(3), I64, np.int64), ([], F32, np.float32),
])
def test_tensor_dtype_inference(data, dtype, np_dtype):
    t = nc.tensor(data)
    assert t.dtype == dtype
    expected = np.asarray(data).astype(np_dtype)
    assert tuple(t.shape) == expected.shape
    np.testing.assert_array_equal(t.numpy(), expected)


def test_tensor_explicit_dtype_and_copy():
    t = nc.tensor([1, 2, 3], dtype=nc.float64)
    check(t, np.array([1.0, 2.0, 3.0]), F64)
    check(nc.tensor([1.7, -1.7], dtype=nc.int64), np.array([1.7, -1.7]).astype(np.int64), I64)  # truncation
    check(nc.tensor([0.0, 2.0], dtype="bool"), np.array([False, True]), BOOL)
    a = np.array([1.0, 2.0])
    t = nc.tensor(a)
    a[0] = 99  # nc.tensor copies
    assert t.tolist() == [1.0, 2.0]
    u = nc.tensor(t)  # and copies tensors too
    assert u.dtype == F64 and u.tolist() == [1.0, 2.0]
    assert u._storage_id() != t._storage_id()
    assert nc.tensor([1.0], requires_grad=True).requires_grad


def test_tensor_int_overflow_raises():
    assert nc.tensor(2**63 - 1).item() == 2**63 - 1
    with pytest.raises(OverflowError, match="int64"):
        nc.tensor(2**63)  # numpy makes this uint64; it must not wrap to -2**63
    with pytest.raises(OverflowError, match="int64"):
        nc.tensor(np.array([2**64 - 1], np.uint64))


def test_as_tensor_returns_the_same_tensor():
    t = nc.ones(3)
    assert nc.as_tensor(t) is t
    assert nc.as_tensor(t, dtype=nc.float64).dtype == F64


# ---------------------------------------------------------------- numpy interop

@pytest.mark.parametrize("np_dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_from_numpy_shares_memory(np_dtype):
    a = np.zeros((2, 3), dtype=np_dtype)
    t = nc.from_numpy(a)
    assert t.dtype == {np.float32: F32, np.float64: F64, np.int64: I64, np.bool_: BOOL}[np_dtype]
    assert t.shape == (2, 3)
    a[1, 2] = 1  # numpy -> tensor
    assert t[1, 2].item() == 1
    t[0, 1] = 1  # tensor -> numpy
    assert a[0, 1] == 1
    t.fill_(1)
    assert (a == 1).all()
    assert np.shares_memory(t.numpy(), a)


def test_from_numpy_keeps_the_array_alive():
    t = nc.from_numpy(np.arange(5.0))
    import gc
    gc.collect()
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_from_numpy_zero_dim_and_empty():
    check(nc.from_numpy(np.array(3.5)), np.array(3.5), F64)
    check(nc.from_numpy(np.zeros((0, 4), np.float32)), np.zeros((0, 4), np.float32), F32)


@pytest.mark.parametrize("arr", [np.zeros((4, 4))[:, ::2], np.zeros((3, 4)).T, np.zeros(10)[::3]])
def test_from_numpy_rejects_non_contiguous(arr):
    with pytest.raises(ValueError, match="C-contiguous"):
        nc.from_numpy(arr)


@pytest.mark.parametrize("arr,name", [(np.zeros(3, np.int32), "int32"), (np.zeros(3, np.complex64), "complex64"),
                                      (np.zeros(3, np.float16), "float16"), (np.array(["a"]), "str|<U1")])
def test_from_numpy_rejects_unsupported_dtypes(arr, name):
    with pytest.raises(TypeError, match=f"unsupported array dtype ({name})"):
        nc.from_numpy(arr)


def test_numpy_and_asarray_are_zero_copy():
    t = nc.arange(6, dtype=nc.float64).reshape(2, 3)
    a = t.numpy()
    assert a.dtype == np.float64 and a.shape == (2, 3)
    a[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    b = np.asarray(t)
    assert np.shares_memory(a, b)
    b[1, 2] = -1.0
    assert t[1, 2].item() == -1.0
    # A transposed view comes out as a strided numpy view of the same memory.
    tt = t.t()
    assert np.shares_memory(tt.numpy(), a)
    np.testing.assert_array_equal(tt.numpy(), a.T)
    # np.array(t) with a dtype converts
    assert np.asarray(t, dtype=np.float32).dtype == np.float32


def test_numpy_of_requires_grad_tensor_raises():
    t = nc.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(t)
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 1.0])


def test_numpy_arithmetic_with_tensors():
    a = np.array([1.0, 2.0], np.float32)
    t = nc.tensor([3.0, 4.0])
    out = a + t  # numpy defers to Tensor.__radd__
    assert isinstance(out, nc.Tensor) and out.dtype == F32
    np.testing.assert_array_equal(out.numpy(), [4.0, 6.0])
    out = t * np.array([2.0, 3.0])  # a float64 array next to a float32 tensor keeps float32
    np.testing.assert_array_equal(out.numpy(), [6.0, 12.0])


# ---------------------------------------------------------------- item, tolist, conversions

def test_item_and_tolist():
    assert nc.tensor(2.5).item() == 2.5 and isinstance(nc.tensor(2.5).item(), float)
    assert nc.tensor([7]).item() == 7 and isinstance(nc.tensor([7]).item(), int)
    assert nc.tensor([[True]]).item() is True
    assert nc.tensor(np.float64(0.1)).item() == 0.1
    assert nc.tensor(0.1).item() == np.float32(0.1).item()
    assert nc.tensor(np.array(0.1)).item() == 0.1
    assert nc.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert nc.tensor([[1.5], [2.5]]).tolist() == [[1.5], [2.5]]
    assert nc.tensor(3).tolist() == 3
    assert nc.tensor([[1, 2], [3, 4]]).t().tolist() == [[1, 3], [2, 4]]
    assert nc.tensor([True, False]).tolist() == [True, False]
    with pytest.raises(ValueError, match=r"\(2,\)"):
        nc.tensor([1.0, 2.0]).item()


@pytest.mark.parametrize("src", [np.array([-1.7, 0.0, 0.4, 2.9]), np.array([-3, 0, 5]), np.array([True, False])])
@pytest.mark.parametrize("dst", [F32, F64, I64, BOOL])
def test_to_dtype(src, dst):
    t = nc.tensor(src)
    out = t.to(dst)
    assert out.dtype == dst and out.shape == t.shape
    np.testing.assert_array_equal(out.numpy(), np.asarray(t.numpy()).astype(NP_OF[dst]))


def test_conversion_shorthands():
    t = nc.tensor([1.5, -2.5], dtype=nc.float64)
    assert t.float().dtype == F32 and t.double().dtype == F64 and t.long().dtype == I64 and t.bool().dtype == BOOL
    assert t.long().tolist() == [1, -2]
    assert t.to("float32").dtype == F32
    assert t.to(np.float32).dtype == F32
    assert t.to(t.dtype) is t or t.to(t.dtype).tolist() == t.tolist()
    assert float(nc.tensor(2.5)) == 2.5
    assert int(nc.tensor(7)) == 7 and int(nc.tensor([3.9])) == 3
    assert [10, 20, 30][nc.tensor(1)] == 20  # __index__
    assert bool(nc.tensor([1.0])) and not bool(nc.tensor(0))
    assert f"{nc.tensor(1.23456):.2f}" == "1.23"


def test_dtype_objects():
    assert F32.is_floating_point and F64.is_floating_point
    assert not I64.is_floating_point and not BOOL.is_floating_point
    assert (F32.itemsize, F64.itemsize, I64.itemsize, BOOL.itemsize) == (4, 8, 8, 1)
    assert nc.long == I64 and nc.double == F64
    assert nc.ones(2).element_size() == 4


# ---------------------------------------------------------------- printing

def test_repr_is_readable():
    assert repr(nc.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(nc.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(nc.tensor([True, False])) == "tensor([ True, False])"
    assert repr(nc.tensor(2.5)) == "tensor(2.5000)" or repr(nc.tensor(2.5)) == "tensor(2.5)"
    r = repr(nc.tensor([1.5, 2.0], dtype=nc.float64))
    assert r.startswith("tensor([1.5") and r.endswith(", dtype=neurocore.float64)") and "<" not in r, r
    assert repr(nc.zeros(0)) == "tensor([], dtype=neurocore.float32)"
    assert repr(nc.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert "grad_fn=<" in repr(nc.ones(2, requires_grad=True) * 2)
    big = repr(nc.zeros(10000))
    assert "..." in big and len(big) < 200  # summarised
    assert str(nc.tensor([[1, 2], [3, 4]])) == "tensor([[1, 2],\n        [3, 4]])"


def test_dtype_repr():
    assert repr(nc.float32) == "neurocore.float32"
    assert str(nc.int64) == "neurocore.int64"


# ---------------------------------------------------------------- random numbers

@pytest.mark.parametrize("draw", [lambda: nc.rand(5, 4), lambda: nc.randn(100), lambda: nc.rand(3, dtype=nc.float64),
                                  lambda: nc.randint(0, 10, (20,)), lambda: nc.randperm(50)])
def test_manual_seed_reproducibility(draw):
    nc.manual_seed(123)
    a = draw().numpy().copy()
    b = draw().numpy().copy()
    nc.manual_seed(123)
    a2 = draw().numpy().copy()
    b2 = draw().numpy().copy()
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)
    assert not np.array_equal(a, b)  # the stream moves on between draws
    nc.manual_seed(124)
    assert not np.array_equal(draw().numpy(), a)
    assert nc.initial_seed() == 124


def test_random_values_do_not_depend_on_thread_count():
    prev = nc.get_num_threads()
    try:
        nc.set_num_threads(1)
        nc.manual_seed(7)
        a = nc.randn(200_000).numpy().copy()
        nc.set_num_threads(2)
        nc.manual_seed(7)
        b = nc.randn(200_000).numpy().copy()
    finally:
        nc.set_num_threads(prev)
    np.testing.assert_array_equal(a, b)


def test_randn_and_rand_statistics():
    # n = 200000 draws: the standard error of the mean is 1/sqrt(n) = 0.0022 (randn) and 0.00065 (rand);
    # bounds below are ~5 standard errors.
    nc.manual_seed(0)
    x = nc.randn(200_000, dtype=nc.float64).numpy()
    assert abs(x.mean()) < 0.012
    assert abs(x.std() - 1.0) < 0.01
    assert abs((np.abs(x) < 1).mean() - 0.6827) < 0.005  # the shape of the distribution, not just moments
    u = nc.rand(200_000).numpy()
    assert u.dtype == np.float32
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.004
    assert abs(u.var() - 1 / 12) < 0.002
    hist = np.histogram(u, bins=10, range=(0, 1))[0]
    assert (np.abs(hist - 20_000) < 800).all()  # ~ 5.6 standard deviations of a binomial(200000, 0.1)


def test_randint_and_randperm_values():
    nc.manual_seed(1)
    r = nc.randint(-3, 4, (5000,))
    assert r.dtype == I64
    vals = r.numpy()
    assert vals.min() == -3 and vals.max() == 3
    assert set(np.unique(vals)) == set(range(-3, 4))
    r2 = nc.randint(5, (2, 3))
    assert r2.shape == (2, 3) and ((r2.numpy() >= 0) & (r2.numpy() < 5)).all()
    p = nc.randperm(100)
    assert p.dtype == I64
    np.testing.assert_array_equal(np.sort(p.numpy()), np.arange(100))
    assert nc.randperm(0).shape == (0,)
    # Every position is roughly uniform over the values (a biased shuffle fails this).
    counts = np.zeros((4, 4))
    for _ in range(2000):
        q = nc.randperm(4).numpy()
        counts[np.arange(4), q] += 1
    assert (np.abs(counts - 500) < 110).all(), counts


# ---------------------------------------------------------------- views, strides, storage

def test_strides_and_contiguity():
    t = nc.arange(24).reshape(2, 3, 4)
    assert t.stride() == (12, 4, 1) and t.is_contiguous()
    assert t.stride(1) == 4 and t.stride(-1) == 1
    p = t.permute(2, 0, 1)
    assert p.stride() == (1, 12, 4) and not p.is_contiguous()
    s = t[:, ::2, 1:]
    assert s.shape == (2, 2, 3) and s.stride() == (12, 8, 1)
    e = nc.ones(3, 1).expand(3, 5)
    assert e.stride() == (1, 0)
    assert nc.zeros(3, 1).t().is_contiguous()  # size-1 dims do not matter
    assert t.size() == (2, 3, 4) and t.size(-1) == 4 and t.dim() == 3 and t.ndim == 3 and len(t) == 2
    assert t.numel() == 24


def test_views_share_storage():
    t = nc.arange(12, dtype=nc.float32).reshape(3, 4)
    sid = t._storage_id()
    for v in (t.view(4, 3), t.reshape(12), t.t(), t[1], t[:, 1:3], t.unsqueeze(0), t.permute(1, 0), t.flatten(),
              t[None], t[..., 0], t.detach(), t.view(2, 2, 3).squeeze()):
        assert v._storage_id() == sid
    v = t.t()
    v[0, 1] = 100.0  # write through a transposed view
    assert t[1, 0].item() == 100.0
    s = t[:, ::2]
    s.fill_(-1.0)
    np.testing.assert_array_equal(t.numpy()[:, ::2], -1.0)
    np.testing.assert_array_equal(t.numpy()[:, 1::2], [[1, 3], [5, 7], [9, 11]])


def test_reshape_of_non_contiguous_copies_and_view_refuses():
    t = nc.arange(12).reshape(3, 4)
    tt = t.t()
    r = tt.reshape(12)
    np.testing.assert_array_equal(r.numpy(), np.arange(12).reshape(3, 4).T.reshape(12))
    assert r._storage_id() != t._storage_id()
    with pytest.raises(RuntimeError, match="reshape"):
        tt.view(12)
    # ...but a view that only splits a dim of a strided tensor is fine.
    v = tt.view(2, 2, 3)
    np.testing.assert_array_equal(v.numpy(), np.arange(12).reshape(3, 4).T.reshape(2, 2, 3))
    assert v._storage_id() == t._storage_id()
    c = tt.contiguous()
    assert c.is_contiguous() and c._storage_id() != t._storage_id()
    assert t.contiguous() is t


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 3), (2, 0, 3)])
def test_empty_tensors_are_contiguous(shape):
    # A tensor with no elements is trivially contiguous, however it was made.
    for t in (nc.zeros(*shape), nc.tensor(np.zeros(shape)), nc.from_numpy(np.zeros(shape)), nc.zeros(*shape).clone(),
              nc.zeros(*shape).detach()):
        assert t.is_contiguous(), (shape, t.stride())
        assert t.contiguous() is t


def test_clone_does_not_share():
    t = nc.ones(3)
    c = t.clone()
    c.fill_(2.0)
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_inplace_ops_write_through():
    t = nc.zeros(2, 3)
    t += 1
    t *= nc.tensor([1.0, 2.0, 3.0])
    t -= 0.5
    t /= 2
    np.testing.assert_array_equal(t.numpy(), ((np.zeros((2, 3)) + 1) * [1, 2, 3] - 0.5) / 2)
    t.add_(nc.ones(3), alpha=2.0)
    t.mul_(2).sub_(1).clamp_(0, 5)
    np.testing.assert_allclose(t.numpy(), np.clip((((np.zeros((2, 3)) + 1) * [1, 2, 3] - 0.5) / 2 + 2) * 2 - 1, 0, 5))
    t.zero_()
    assert t.sum().item() == 0


# ---------------------------------------------------------------- threads

def test_set_and_get_num_threads():
    prev = nc.get_num_threads()
    try:
        nc.set_num_threads(1)
        assert nc.get_num_threads() == 1
        x = np.random.default_rng(0).uniform(-1, 1, 300_000).astype(np.float32)
        s1 = nc.from_numpy(x).sum().item()
        m1 = (nc.from_numpy(x[:90_000].reshape(300, 300)) @ nc.from_numpy(x[:90_000].reshape(300, 300))).numpy()
        nc.set_num_threads(2)
        assert nc.get_num_threads() == 2
        s2 = nc.from_numpy(x).sum().item()
        m2 = (nc.from_numpy(x[:90_000].reshape(300, 300)) @ nc.from_numpy(x[:90_000].reshape(300, 300))).numpy()
    finally:
        nc.set_num_threads(prev)
    exact = np.sum(x.astype(np.float64))
    # float32 output of a double accumulation: one rounding of the ~O(300) result -> 1e-6 relative.
    np.testing.assert_allclose([s1, s2], [exact, exact], rtol=1e-5)
    ref = x[:90_000].reshape(300, 300).astype(np.float64) @ x[:90_000].reshape(300, 300).astype(np.float64)
    np.testing.assert_allclose(m1, ref, rtol=1e-4, atol=1e-3)  # k = 300: k * eps * sum|ab| ~ 300*1.2e-7*100
    np.testing.assert_allclose(m2, ref, rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="positive"):
        nc.set_num_threads(0)
