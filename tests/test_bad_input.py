"""Bad input raises the right Python exception, with a message naming the shapes / values involved."""
import os
import subprocess
import sys

import numpy as np
import pytest

import neurocore as nc

ones = nc.ones


CASES = [
    # (id, callable, exception type, regex the message must match)
    # ---- shapes that do not broadcast / align
    ("add_shapes", lambda: ones(2, 3) + ones(4), ValueError, r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
    ("mul_shapes_3d", lambda: ones(2, 3, 4) * ones(2, 5, 4), ValueError, r"\(2, 3, 4\) and \(2, 5, 4\)"),
    ("compare_shapes", lambda: ones(3) < ones(2), ValueError, r"\(3,\) and \(2,\)"),
    ("where_shapes", lambda: nc.where(ones(3) > 0, ones(3), ones(2)), ValueError, r"\(3,\).*\(2,\)"),
    ("matmul_2d", lambda: ones(2, 3) @ ones(4, 5), ValueError, r"\(2, 3\) and \(4, 5\).*3 != 4"),
    ("matmul_1d", lambda: ones(3) @ ones(4), ValueError, r"\(3,\) and \(4,\)"),
    ("matmul_2d_1d", lambda: ones(2, 3) @ ones(4), ValueError, r"3 != 4"),
    ("matmul_batch", lambda: ones(2, 3, 4) @ ones(3, 4, 5), ValueError, r"\(2,\) and \(3,\)"),
    ("matmul_0d", lambda: nc.tensor(2.0) @ ones(2), ValueError, r"at least 1 dimension"),
    ("dot_2d", lambda: nc.dot(ones(2, 2), ones(2)), ValueError, r"1-D.*\(2, 2\)"),
    # ---- dtypes
    ("tensor_of_strings", lambda: nc.tensor(["a", "b"]), TypeError, r"<U1|str"),
    ("tensor_of_complex", lambda: nc.tensor([1 + 2j]), TypeError, r"complex128"),
    ("tensor_of_objects", lambda: nc.tensor([{}, 1]), TypeError, r"object"),
    ("tensor_ragged", lambda: nc.tensor([[1, 2], [3]]), ValueError, r"ragged"),
    ("from_numpy_int32", lambda: nc.from_numpy(np.zeros(3, np.int32)), TypeError, r"int32"),
    ("from_numpy_complex", lambda: nc.from_numpy(np.zeros(3, np.complex128)), TypeError, r"complex128"),
    ("from_numpy_float16", lambda: nc.from_numpy(np.zeros(3, np.float16)), TypeError, r"float16"),
    ("zeros_float16", lambda: nc.zeros(2, dtype="float16"), TypeError, r"float16"),
    ("to_int32", lambda: ones(2).to(np.int32), TypeError, r"int32"),
    ("matmul_int", lambda: nc.tensor([[1, 2]]) @ nc.tensor([[3], [4]]), TypeError, r"int64"),
    ("matmul_bool", lambda: nc.matmul(nc.tensor([True]), nc.tensor([True])), TypeError, r"bool"),
    ("requires_grad_int", lambda: nc.tensor([1, 2], requires_grad=True), RuntimeError, r"floating.*int64"),
    ("index_select_float_index", lambda: ones(3).index_select(0, nc.tensor([0.0])), TypeError, r"int64.*float32"),
    ("inplace_int_from_float", lambda: nc.tensor([1, 2]).__iadd__(1.5), TypeError, r"float32.*int64"),
    ("add_string", lambda: ones(2) + "a", TypeError, r"str"),
    ("nll_float_target", lambda: nc._core.nll_loss(ones(2, 3), ones(2)), TypeError, r"int64.*float32"),
    ("bce_int_input", lambda: nc._core.pointwise_loss(nc._core.LossOp.mse, nc.tensor([1]), nc.tensor([1]), 0.0,
                                                      "mean", "mse_loss"), TypeError, r"int64"),
    # ---- dims out of range
    ("sum_dim", lambda: ones(2, 3).sum(dim=5), IndexError, r"dimension 5 is out of range.*2 dimension"),
    ("sum_neg_dim", lambda: ones(2, 3).sum(dim=-3), IndexError, r"dimension -3 is out of range"),
    ("sum_dim_tuple", lambda: ones(2, 3).sum(dim=(0, 2)), IndexError, r"dimension 2"),
    ("sum_repeated_dim", lambda: ones(2, 3).sum(dim=(1, -1)), ValueError, r"dimension 1 appears more than once"),
    ("mean_dim", lambda: ones(2).mean(1), IndexError, r"dimension 1"),
    ("max_dim", lambda: ones(2, 3).max(dim=2), IndexError, r"dimension 2"),
    ("argmax_dim", lambda: ones(2, 3).argmax(dim=-4), IndexError, r"dimension -4"),
    ("softmax_dim", lambda: ones(2, 3).softmax(3), IndexError, r"dimension 3"),
    ("transpose_dim", lambda: ones(2, 3).transpose(0, 2), IndexError, r"dimension 2"),
    ("unsqueeze_dim", lambda: ones(2, 3).unsqueeze(4), IndexError, r"dimension 4"),
    ("cat_dim", lambda: nc.cat([ones(2), ones(2)], 1), IndexError, r"dimension 1"),
    ("permute_dims", lambda: ones(2, 3).permute(0, 0), ValueError, r"repeats"),
    ("permute_count", lambda: ones(2, 3).permute(0, 1, 2), ValueError, r"expected 2 dims.*\(2, 3\)"),
    ("flatten_order", lambda: ones(2, 3, 4).flatten(2, 1), ValueError, r"start_dim 2.*end_dim 1"),
    # ---- shapes
    ("reshape_size", lambda: ones(2, 3).reshape(4, 4), ValueError, r"shape \(4, 4\) is invalid for input of size 6"),
    ("reshape_infer", lambda: ones(2, 3).reshape(-1, 4), ValueError, r"\(-1, 4\) is invalid for input of size 6"),
    ("reshape_two_minus_one", lambda: ones(6).reshape(-1, -1), ValueError, r"only one dimension can be -1"),
    ("view_non_contiguous", lambda: ones(2, 3).t().view(6), RuntimeError, r"view.*reshape"),
    ("expand_size", lambda: ones(2, 3).expand(4, 3), ValueError, r"size 2 of dimension 0 must match 4"),
    ("expand_fewer_dims", lambda: ones(2, 3).expand(3), ValueError, r"fewer dimensions"),
    ("cat_shapes", lambda: nc.cat([ones(2, 3), ones(2, 4)], 0), ValueError, r"tensor 1 has shape \(2, 4\).*\(2, 3\)"),
    ("cat_ndims", lambda: nc.cat([ones(2, 3), ones(3)]), ValueError, r"\(3,\) and \(2, 3\)"),
    ("cat_empty_list", lambda: nc.cat([]), ValueError, r"non-empty"),
    ("stack_shapes", lambda: nc.stack([ones(2), ones(3)]), ValueError, r"\(3,\).*\(2,\)"),
    ("negative_size", lambda: nc.zeros(2, -1), ValueError, r"negative dimension.*\(2, -1\)"),
    ("float_size", lambda: nc.zeros(2.5), TypeError, r"integers.*2.5"),
    ("inplace_broadcast_grows", lambda: ones(3).__iadd__(ones(2, 3)), ValueError, r"\(2, 3\).*\(3,\)"),
    ("copy_shape", lambda: ones(3).copy_(ones(2)), ValueError, r"\(3,\) and \(2,\)"),
    ("mse_shapes", lambda: nc._core.pointwise_loss(nc._core.LossOp.mse, ones(3), ones(4), 0.0, "mean", "mse_loss"),
     ValueError, r"mse_loss: input shape \(3,\) and target shape \(4,\)"),
    ("ce_target_shape", lambda: nc._core.cross_entropy(ones(4, 3), nc.tensor([0, 1])), ValueError,
     r"\(4, 3\).*\(4,\).*\(2,\)"),
    ("linear_features", lambda: nc._core.linear(ones(2, 3), ones(4, 5)), ValueError, r"3 features.*expects 5"),
    # ---- values
    ("item_many", lambda: ones(2, 2).item(), ValueError, r"\(2, 2\)"),
    ("bool_many", lambda: bool(ones(3)), ValueError, r"3 elements is ambiguous"),
    ("clamp_order", lambda: ones(2).clamp(2.0, 1.0), ValueError, r"min 2 is greater than max 1"),
    ("clamp_none", lambda: ones(2).clamp(), ValueError, r"at least one of min and max"),
    ("arange_zero_step", lambda: nc.arange(0, 5, 0), ValueError, r"step must be nonzero"),
    ("arange_direction", lambda: nc.arange(0, 5, -1), ValueError, r"step -1 points away"),
    ("linspace_steps", lambda: nc.linspace(0, 1, -2), ValueError, r"-2"),
    ("eye_negative", lambda: nc.eye(-1), ValueError, r"-1"),
    ("randint_range", lambda: nc.randint(5, 5, (2,)), ValueError, r"low=5, high=5"),
    ("randperm_negative", lambda: nc.randperm(-3), ValueError, r"-3"),
    ("set_num_threads", lambda: nc.set_num_threads(0), ValueError, r"got 0"),
    ("ce_target_range", lambda: nc._core.cross_entropy(ones(2, 3), nc.tensor([0, 3])), IndexError,
     r"target 3 is out of bounds for 3 classes"),
    ("nll_negative_target", lambda: nc._core.nll_loss(ones(2, 3), nc.tensor([-1, 0])), IndexError, r"target -1"),
    ("bce_not_probability", lambda: nc._core.binary_cross_entropy(nc.tensor([0.5, 1.5]), nc.tensor([0.0, 1.0])),
     ValueError, r"\[0.5, 1.5\]"),
    ("bad_reduction", lambda: nc._core.cross_entropy(ones(2, 3), nc.tensor([0, 1]), reduction="avg"), ValueError,
     r"'avg'"),
    ("amax_empty", lambda: nc.zeros(0).amax(), ValueError, r"empty.*\(0,\)"),
    ("index_select_range", lambda: ones(3).index_select(0, nc.tensor([3])), IndexError,
     r"index 3 is out of bounds for dimension 0 with size 3"),
    # ---- indexing
    ("index_int", lambda: ones(2, 3)[2], IndexError, r"index 2 is out of bounds for dimension 0 with size 2"),
    ("index_second_dim", lambda: ones(2, 3)[:, -4], IndexError, r"index -4 is out of bounds for dimension 1 with size 3"),
    ("index_array", lambda: ones(2, 3)[[0, 5]], IndexError, r"index 5 is out of bounds"),
    ("index_too_many", lambda: ones(2)[0, 0], IndexError, r"too many indices.*dimension 1"),
    ("index_0d", lambda: nc.tensor(1.0)[0], IndexError, r"too many indices|0-d"),
    ("len_0d", lambda: len(nc.tensor(1.0)), TypeError, r"0-d"),
    ("iter_0d", lambda: list(nc.tensor(1.0)), TypeError, r"0-d"),
    # ---- autograd
    ("backward_non_scalar", lambda: (ones(2, 3, requires_grad=True) * 2).backward(), RuntimeError,
     r"scalar outputs.*\(2, 3\)"),
    ("backward_grad_shape", lambda: (ones(2, requires_grad=True) * 2).backward(ones(3)), ValueError,
     r"\(3,\).*\(2,\)"),
    ("backward_no_grad", lambda: ones(2).sum().backward(), RuntimeError, r"does not require grad"),
    ("grad_wrong_shape", lambda: setattr(ones(2, requires_grad=True), "grad", ones(3)), ValueError,
     r"\(3,\).*\(2,\)"),
    ("numpy_requires_grad", lambda: ones(2, requires_grad=True).numpy(), RuntimeError, r"detach"),
    ("inplace_leaf", lambda: ones(2, requires_grad=True).add_(1), RuntimeError, r"in-place"),
    ("retain_grad_no_grad", lambda: ones(2).retain_grad(), RuntimeError, r"does not require grad"),
    ("gradcheck_float32", lambda: nc.utils.gradcheck(lambda t: t, (ones(2, requires_grad=True),)), ValueError,
     r"float64"),
    # ---- numpy interop
    ("from_numpy_transposed", lambda: nc.from_numpy(np.zeros((2, 3)).T), ValueError, r"C-contiguous.*strides"),
    ("from_numpy_strided", lambda: nc.from_numpy(np.zeros(6)[::2]), ValueError, r"C-contiguous"),
    ("from_numpy_byteorder", lambda: nc.from_numpy(np.zeros(3, dtype=">f8")), ValueError, r"byte order"),
    ("from_numpy_not_array", lambda: nc.from_numpy([1.0, 2.0]), TypeError, r"ndarray"),
]


@pytest.mark.parametrize("fn,exc,pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()


def test_errors_from_cpp_say_where():
    # NC_CHECK appends [file.cpp:line] so a failure can be traced to its check.
    with pytest.raises(ValueError, match=r"\[\w+\.cpp:\d+\]"):
        ones(2, 3) + ones(4)


def test_failed_op_leaves_grad_mode_and_inputs_alone():
    x = ones(2, 3, requires_grad=True)
    with pytest.raises(ValueError):
        x @ ones(4, 5)
    with pytest.raises(RuntimeError):
        (x * 2).backward()
    assert nc.is_grad_enabled()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


# Inputs that once crashed the interpreter (segfault): each runs in a fresh interpreter so a crash fails
# this test instead of taking the whole pytest run down. The snippet must raise one of the expected types.
CRASH_CASES = [
    ("cat_0d", "nc.cat([nc.tensor(1.0), nc.tensor(2.0)])", "(ValueError, RuntimeError)", r"0-d|zero-dim"),
    ("cat_0d_first", "nc.cat([nc.tensor(1.0), nc.ones(2)])", "(ValueError, RuntimeError)", r"0-d|zero-dim|dims"),
    ("size_overflow", "nc.ones(2**31, 2**31)", "(ValueError, RuntimeError, MemoryError)", r"2147483648|memory|large"),
    ("eye_huge", "nc.eye(2**40)", "(ValueError, RuntimeError, MemoryError)", r"1099511627776|memory|large"),
    ("randperm_huge", "nc.randperm(2**62)", "(ValueError, RuntimeError, MemoryError)", r"4611686018427387904|memory|large"),
]


@pytest.mark.parametrize("code,excs,pattern", [c[1:] for c in CRASH_CASES], ids=[c[0] for c in CRASH_CASES])
def test_bad_input_does_not_crash(code, excs, pattern):
    script = (f"import re, neurocore as nc\n"
              f"try:\n    {code}\nexcept {excs} as e:\n"
              f"    assert re.search({pattern!r}, str(e)), str(e)\n    print('raised', type(e).__name__)\n"
              f"else:\n    raise SystemExit('no exception')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, f"exit status {proc.returncode} (-11/139: segfault)\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.startswith("raised")
