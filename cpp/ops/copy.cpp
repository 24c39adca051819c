// Copies, dtype conversion and the in-place updates used by optimizers and the engine.
#include "ops/ops.h"

namespace nc {

namespace {
struct ToDtypeBackward : Node {
  DType src;
  explicit ToDtypeBackward(DType s) : src(s) {}
  TensorList apply(TensorList&& g) override { return {to_dtype(g[0], src)}; }
  std::string name() const override { return "ToCopyBackward"; }
};
struct CloneBackward : Node {
  TensorList apply(TensorList&& g) override { return {g[0]}; }
  std::string name() const override { return "CloneBackward"; }
};
}  // namespace

Tensor contiguous_copy(const Tensor& x) {
  Tensor out = empty_like(x);
  copy_kernel(x.device(), out, x);
  return out;
}

Tensor clone(const Tensor& x) {
  Tensor out = contiguous_copy(x);
  if (auto n = make_node<CloneBackward>({&x})) set_history(out, n);
  return out;
}

Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = empty_like(x, dtype);
  copy_kernel(x.device(), out, x);
  if (is_floating(dtype) && is_floating(x.dtype()))
    if (auto n = make_node<ToDtypeBackward>({&x}, x.dtype())) set_history(out, n);
  return out;
}

void copy_(const Tensor& dst, const Tensor& src) {
  dst.storage()->version++;
  Shape b = broadcast_shapes(dst.shape(), src.shape(), "copy_");
  NC_CHECK(b == dst.shape(), ValueError, "copy_: source of shape ", src.shape(),
           " cannot be broadcast to destination shape ", dst.shape());
  copy_kernel(dst.device(), dst, expand(src.detach(), dst.shape()));
}

void fill_(const Tensor& dst, double value) {
  dst.storage()->version++;
  fill_kernel(dst.device(), dst, value);
}

void add_(const Tensor& dst, const Tensor& src, double alpha) {
  dst.storage()->version++;
  Tensor s = src.detach();
  if (alpha != 1.0) s = binary(BinaryOp::Mul, s, scalar_tensor(alpha, src.dtype()));
  if (s.dtype() != dst.dtype()) s = to_dtype(s, dst.dtype());
  binary_kernel(dst.device(), BinaryOp::Add, dst, dst, expand(s, dst.shape()));
}

void binary_(BinaryOp op, const Tensor& dst, const Tensor& src) {
  NC_CHECK(!is_comparison(op), ValueError, "binary_: comparisons have a bool result and cannot be done in place");
  NC_CHECK(!(op == BinaryOp::Div && !is_floating(dst.dtype())), TypeError, "div_: the result of true division is "
           "floating point and cannot be stored in a ", dtype_name(dst.dtype()), " tensor");
  Shape b = broadcast_shapes(dst.shape(), src.shape(), "in-place operation");
  NC_CHECK(b == dst.shape(), ValueError, "in-place operation: result shape ", b, " does not match the tensor's shape ",
           dst.shape());
  NC_CHECK(is_floating(dst.dtype()) || !is_floating(src.dtype()), TypeError, "in-place operation: a ",
           dtype_name(src.dtype()), " operand cannot update a ", dtype_name(dst.dtype()), " tensor");
  dst.storage()->version++;
  Tensor s = src.dtype() == dst.dtype() ? src.detach() : to_dtype(src.detach(), dst.dtype());
  binary_kernel(dst.device(), op, dst, dst, expand(s, dst.shape()));
}

void mul_(const Tensor& dst, double value) {
  dst.storage()->version++;
  binary_kernel(dst.device(), BinaryOp::Mul, dst, dst, expand(scalar_tensor(value, dst.dtype()), dst.shape()));
}

}  // namespace nc
