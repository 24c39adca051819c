"""t[idx] against numpy's a[idx] for basic and advanced index expressions, gradients through them
(numpy's np.add.at gives the expected scatter-add), out-of-range errors, and __setitem__."""
import numpy as np
import pytest

import neurocore as nc

A = np.arange(3 * 4 * 5, dtype=np.float64).reshape(3, 4, 5) * 0.5 - 7.0
B = np.arange(24, dtype=np.int64).reshape(4, 6)


class _I:
    """_I[...] returns the index expression itself, so cases read like real indexing."""
    def __getitem__(self, idx):
        return idx


I = _I()

INDICES = [
    I[0], I[-1], I[2, 3], I[1, -2, 4], I[-3, 0, -5],
    I[:], I[1:], I[:2], I[::2], I[1::2], I[-2:], I[0:3:2], I[5:], I[1:1],
    I[:, 1:3], I[:, :, ::3], I[1:, ::2, 1:4:2], I[0, :, 2], I[:, -1], I[-1, 1:3, ::2],
    I[None], I[:, None], I[None, 0, None, 1:3], I[..., None], I[1, None, ..., None, 2],
    I[...], I[..., 0], I[..., 1:3], I[0, ...], I[1, ..., 2], I[:, ..., -1],
    I[[0, 2]], I[[2, 0, 0]], I[[-1, 0]], I[np.array([1, 2])], I[np.array([[0, 1], [2, 2]])],
    I[[0, 1], [2, 3]], I[[0, 2], [1, 1], [4, 0]], I[[[0], [2]], [1, 3]],
    I[:, [0, 3]], I[:, :, [4, 0, 1]], I[1:, [0, 2]], I[[0, 2], 1:3], I[..., [1, 1]],
    I[0, :, [1, 2]], I[[0, 1], :, [2, 3]], I[:, [0, 1], [1, 2]], I[1, [0, 3], 2:4], I[None, [0, 1]],
    I[[0, 2], None, [1, 2]], I[np.array([], dtype=np.int64)], I[[1]],
    # integers next to index arrays are advanced indices too (they decide where the new dims go)
    I[:, 0, [1, 2]], I[[1, 2], 0], I[0, None, [1, 2]], I[..., 0, [1, 3]], I[1, ..., [0, 4]], I[2, [[0], [1]], 1:3],
]

MASKS = [
    lambda a: a > 0, lambda a: a[:, :, 0] > -3, lambda a: a[:, 0, 0] > -5, lambda a: np.zeros(a.shape, bool),
    lambda a: np.ones(a.shape[:1], bool), lambda a: (a > 0) & (a < 10),
]


def _ids(cases):
    return [repr(c) for c in cases]


def check(t, expected):
    expected = np.asarray(expected)
    assert tuple(t.shape) == expected.shape, f"shape {tuple(t.shape)} != numpy {expected.shape}"
    assert t.dtype == {np.dtype(np.float64): nc.float64, np.dtype(np.int64): nc.int64,
                       np.dtype(np.float32): nc.float32, np.dtype(np.bool_): nc.bool}[expected.dtype]
    np.testing.assert_array_equal(t.numpy(), expected)


@pytest.mark.parametrize("idx", INDICES, ids=_ids(INDICES))
def test_getitem_matches_numpy(idx):
    check(nc.tensor(A)[idx], A[idx])


@pytest.mark.parametrize("idx", INDICES, ids=_ids(INDICES))
def test_getitem_with_tensor_indices(idx):
    """The same index expressions with integer lists/arrays given as int64 tensors."""
    conv = tuple(nc.tensor(np.asarray(i)) if isinstance(i, (list, np.ndarray)) else i
                 for i in (idx if isinstance(idx, tuple) else (idx,)))
    check(nc.tensor(A)[conv], A[idx])


@pytest.mark.parametrize("k", range(len(MASKS)))
def test_boolean_mask_matches_numpy(k):
    mask = MASKS[k](A)
    check(nc.tensor(A)[nc.tensor(mask)], A[mask])
    check(nc.tensor(A)[mask], A[mask])  # a numpy mask works too


def test_mixed_masks_and_slices():
    t = nc.tensor(A)
    m = A[0, :, 0] > -6  # over dim 1
    check(t[:, nc.tensor(m)], A[:, m])
    check(t[1, nc.tensor(m)], A[1, m])
    m2 = A[0] > -5  # over dims (1, 2)
    check(t[:, nc.tensor(m2)], A[:, m2])
    m3 = np.array([True, False, True])
    check(t[nc.tensor(m3), 1:3], A[m3, 1:3])
    check(t[m3, :, [0, 4]], A[m3, :, [0, 4]])
    check(t[t > 0], A[A > 0])  # the canonical form


def test_int_and_bool_tensors_index_too():
    b = nc.tensor(B)
    check(b[1], B[1])
    check(b[:, [5, 0]], B[:, [5, 0]])
    check(b[b % 2 == 0] if hasattr(b, "__mod__") else b[nc.tensor(B % 2 == 0)], B[B % 2 == 0])
    check(nc.tensor(B > 10)[1:3], (B > 10)[1:3])
    check(b[nc.tensor(1)], B[1])  # a 0-d integer tensor is an integer index


def test_basic_indexing_returns_views():
    t = nc.tensor(A)
    for idx in (I[0], I[1:, ::2], I[None, 1], I[..., 2]):
        assert t[idx]._storage_id() == t._storage_id()
    assert t[[0, 1]]._storage_id() != t._storage_id()  # advanced indexing copies


def test_0d_and_1d_edge_cases():
    s = nc.tensor(3.5)
    check(s[None], np.array(3.5, np.float32)[None])
    check(s[...], np.array(3.5, np.float32)[...])
    v = nc.tensor([1.0, 2.0, 3.0])
    check(v[-1], np.array([1.0, 2.0, 3.0], np.float32)[-1])
    check(v[1:10], np.array([2.0, 3.0], np.float32))
    check(v[-10:2], np.array([1.0, 2.0], np.float32))
    assert v[2].item() == 3.0
    assert [x.item() for x in v] == [1.0, 2.0, 3.0]  # iteration


# ---------------------------------------------------------------- gradients

GRAD_INDICES = [I[1], I[:, 1:3], I[1:, ::2, 1:4:2], I[None, 0, None, 1:3], I[..., 2], I[[2, 0, 0]],
                I[[0, 1], [2, 3]], I[:, [0, 3, 0]], I[1:, [0, 2]], I[0, :, [1, 2, 1]], I[[0, 0], :, [2, 2]],
                I[:, [0, 1], [1, 1]]]


@pytest.mark.parametrize("idx", GRAD_INDICES, ids=_ids(GRAD_INDICES))
def test_gradient_through_indexing(idx):
    x = nc.tensor(A, requires_grad=True)
    out = x[idx]
    g = np.random.default_rng(0).standard_normal(out.shape)
    (out * nc.tensor(g)).sum().backward()
    expected = np.zeros(A.shape)
    np.add.at(expected, idx, g)  # repeated indices add up
    assert x.grad.shape == A.shape
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-15, atol=0)


def test_gradient_through_boolean_mask():
    x = nc.tensor(A, requires_grad=True)
    mask = A[:, :, 0] > -3
    out = x[nc.tensor(mask)]
    g = np.random.default_rng(1).standard_normal(out.shape)
    (out * nc.tensor(g)).sum().backward()
    expected = np.zeros(A.shape)
    expected[mask] = g
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_gradcheck_through_indexing():
    x = nc.tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    assert nc.utils.gradcheck(lambda t: t[[0, 2, 2], 1:] * t[1:, [3, 0, 0]].sum(), (x,))
    assert nc.utils.gradcheck(lambda t: t[t.detach() > 0].exp(), (x,))


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("idx,pattern", [
    (I[3], r"index 3 is out of bounds for dimension 0 with size 3"),
    (I[-4], r"index -4 is out of bounds for dimension 0 with size 3"),
    (I[0, 4], r"index 4 is out of bounds for dimension 1 with size 4"),
    (I[:, :, 5], r"index 5 is out of bounds for dimension 2 with size 5"),
    (I[[0, 3]], r"index 3 is out of bounds for dimension 0 with size 3"),
    (I[:, [-5]], r"index -5 is out of bounds for dimension 1 with size 4"),
    (I[0, 0, 0, 0], r"too many indices for tensor of dimension 3"),
    (I[..., ...], r"single ellipsis"),
    (I[[0], [0], [0], [0]], r"too many indices"),
])
def test_index_errors(idx, pattern):
    with pytest.raises(IndexError, match=pattern):
        nc.tensor(A)[idx]


def test_bad_index_types():
    t = nc.tensor(A)
    with pytest.raises(IndexError, match="integer or bool"):
        t[np.array([0.5])]
    with pytest.raises(IndexError, match="unsupported index type"):
        t["a"]
    with pytest.raises(IndexError, match="mask"):
        t[nc.tensor(np.ones((2, 4), bool))]  # mask shape does not match
    with pytest.raises(ValueError, match="step"):
        t[::-1]


# ---------------------------------------------------------------- __setitem__

SET_CASES = [
    (I[1], 5.0), (I[:, 0], -1.0), (I[0, 1:3], np.array([[1, 2, 3, 4, 5]] * 2, np.float64)), (I[..., 2], 7.0),
    (I[1::2, ::2], np.array([9.0, 8.0, 7.0, 6.0, 5.0])), (I[A > 0], 0.0), (I[[0, 2]], 3.0), (I[[0, 2], [1, 3]], -2.0),
    (I[:, [1, 2]], np.arange(5, dtype=np.float64)), (I[-1, -1, -1], 100.0), (I[None, 0], 1.0),
]


@pytest.mark.parametrize("idx,value", SET_CASES, ids=_ids([c[0] for c in SET_CASES]))
def test_setitem_matches_numpy(idx, value):
    a = A.copy()
    t = nc.tensor(A)
    a[idx] = value
    t[idx] = nc.tensor(value) if isinstance(value, np.ndarray) else value
    np.testing.assert_array_equal(t.numpy(), a)


def test_setitem_on_view_and_with_tensor_value():
    t = nc.tensor(A)
    v = t[1]
    v[0] = nc.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    a = A.copy()
    a[1, 0] = [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(t.numpy(), a)
    b = nc.tensor(B)
    b[b > 20] = 0
    bb = B.copy()
    bb[bb > 20] = 0
    np.testing.assert_array_equal(b.numpy(), bb)


def test_setitem_on_tensor_requiring_grad_raises():
    x = nc.tensor(A, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x[0] = 1.0
    with nc.no_grad():
        x[0] = 1.0
    assert (x.detach().numpy()[0] == 1.0).all()


def test_setitem_shape_mismatch_raises():
    t = nc.tensor(A)
    with pytest.raises(ValueError, match=r"\(3,\).*\(4, 5\)|\(4, 5\).*\(3,\)"):
        t[0] = nc.ones(3)
