// Reductions (sum, mean, max, min, argmax, argmin, prod, any, all), var, max along a dim,
// and sum_to (the gradient of broadcasting).
#include <algorithm>
#include <limits>
#include "ops/ops.h"

namespace nc {

namespace {

const char* reduce_name(ReduceOp op) {
  const char* n[] = {"sum", "mean", "max", "min", "argmax", "argmin", "prod", "any", "all"};
  return n[int(op)];
}

// Shape with reduced dims removed (or kept as 1).
Shape reduced_shape(const Shape& s, const std::vector<bool>& red, bool keepdim) {
  Shape out;
  for (size_t d = 0; d < s.size(); ++d) {
    if (!red[d]) out.push_back(s[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

struct SumBackward : Node {
  Shape in_shape, keep_shape;  // keep_shape: output shape with reduced dims as 1
  double scale;                // 1 for sum, 1/R for mean
  SumBackward(Shape in, Shape keep, double s) : in_shape(std::move(in)), keep_shape(std::move(keep)), scale(s) {}
  TensorList apply(TensorList&& g) override {
    Tensor gk = expand(reshape(g[0], keep_shape), in_shape);
    // One pass either way: the broadcasting multiply writes a fresh contiguous tensor.
    return {scale != 1.0 ? mul(gk, scalar_tensor(scale, gk.dtype())) : contiguous_copy(gk)};
  }
  std::string name() const override { return "SumBackward"; }
};

// amax/amin: the gradient goes to the positions equal to the result, split evenly among ties.
struct ExtremumBackward : Node {
  Tensor x, out_keep;
  std::vector<int64_t> dims;
  TensorList apply(TensorList&& g) override {
    Tensor mask = to_dtype(binary(BinaryOp::Eq, x, out_keep), g[0].dtype());
    Tensor count = reduce(ReduceOp::Sum, mask, dims, true);
    Tensor gk = reshape(g[0], out_keep.shape());
    return {mul(mask, div(gk, count))};
  }
  void release() override { x = out_keep = Tensor(); }
  std::string name() const override { return "AmaxBackward"; }
};

// max/min along one dim: the gradient goes to the index that won.
struct MaxDimBackward : Node {
  Shape in_shape;
  int64_t dim;
  Tensor index_keep;  // indices with the reduced dim kept as 1
  TensorList apply(TensorList&& g) override {
    Shape pos_shape(in_shape.size(), 1);
    pos_shape[dim] = in_shape[dim];
    Tensor pos = reshape(arange(0, double(in_shape[dim]), 1, DType::Int64), pos_shape);
    Tensor onehot = to_dtype(binary(BinaryOp::Eq, pos, index_keep), g[0].dtype());
    Tensor gk = reshape(g[0], index_keep.shape());
    return {mul(onehot, gk)};
  }
  void release() override { index_keep = Tensor(); }
  std::string name() const override { return "MaxBackward"; }
};

}  // namespace

Tensor reduce(ReduceOp op, const Tensor& x_in, std::vector<int64_t> dims, bool keepdim) {
  Tensor x = x_in;
  if (op == ReduceOp::Mean && !is_floating(x.dtype())) x = to_dtype(x, DType::Float32);
  const int64_t nd = x.dim();
  std::vector<bool> red(static_cast<size_t>(nd), dims.empty());
  for (int64_t& d : dims) {
    d = wrap_dim(d, nd, reduce_name(op));
    if (nd > 0) {
      NC_CHECK(!red[d], ValueError, reduce_name(op), ": dimension ", d,
               " appears more than once in the list of dims");
      red[d] = true;
    }
  }
  if (dims.empty())
    for (int64_t d = 0; d < nd; ++d) dims.push_back(d);
  int64_t R = 1;
  for (int64_t d = 0; d < nd; ++d)
    if (red[d]) R *= x.shape()[d];
  bool is_arg = op == ReduceOp::ArgMax || op == ReduceOp::ArgMin;
  bool is_ext = op == ReduceOp::Max || op == ReduceOp::Min || is_arg;
  NC_CHECK(!(is_ext && R == 0), ValueError, reduce_name(op), ": cannot reduce over an empty dimension of tensor of shape ",
           x.shape(), " (there is no identity for this reduction)");
  if (op == ReduceOp::Max || op == ReduceOp::Min) dispatch_numeric(x.dtype(), reduce_name(op), [](auto) {});

  // Lay the data out as (O, R, I): directly when the reduced dims are one contiguous block of a
  // contiguous tensor, else by moving them last and copying.
  int64_t first = nd, last = -1;
  for (int64_t d = 0; d < nd; ++d)
    if (red[d]) first = std::min(first, d), last = std::max(last, d);
  bool block = true;
  for (int64_t d = first; d <= last; ++d) block = block && red[d];
  Tensor src;
  int64_t O = 1, I = 1;
  if (block && x.is_contiguous()) {
    src = x;
    for (int64_t d = 0; d < first && d < nd; ++d) O *= x.shape()[d];
    for (int64_t d = last + 1; d < nd; ++d) I *= x.shape()[d];
    if (last < 0) O = 1, I = x.numel();  // nothing reduced (0-d input)
  } else {
    std::vector<int64_t> perm;
    for (int64_t d = 0; d < nd; ++d)
      if (!red[d]) perm.push_back(d), O *= x.shape()[d];
    for (int64_t d = 0; d < nd; ++d)
      if (red[d]) perm.push_back(d);
    src = contiguous_copy(permute(x.detach(), perm));
  }
  if (nd == 0) O = 1, I = 1, R = 1;

  DType out_dtype = x.dtype();
  if (is_arg) out_dtype = DType::Int64;
  else if (op == ReduceOp::Any || op == ReduceOp::All) out_dtype = DType::Bool;
  else if ((op == ReduceOp::Sum || op == ReduceOp::Prod) && !is_floating(x.dtype())) out_dtype = DType::Int64;
  if (op == ReduceOp::Prod && x.dtype() == DType::Bool) src = to_dtype(src, DType::Int64);

  Shape keep_shape = reduced_shape(x.shape(), red, true);
  Tensor out = Tensor::empty(reduced_shape(x.shape(), red, keepdim), out_dtype, x.device());
  if (out.numel() > 0) {
    if (R == 0) fill_(out, op == ReduceOp::Prod || op == ReduceOp::All ? 1.0 : 0.0);  // empty sum = 0 etc.
    else reduce_kernel(x.device(), op, out, src, O, R, I);
  }
  if (op == ReduceOp::Mean && R == 0) fill_(out, std::numeric_limits<double>::quiet_NaN());

  if (is_floating(out_dtype) && !is_arg) {
    if (op == ReduceOp::Sum || op == ReduceOp::Mean) {
      if (auto n = make_node<SumBackward>({&x}, x.shape(), keep_shape, op == ReduceOp::Mean ? 1.0 / double(R) : 1.0))
        set_history(out, n);
    } else if (op == ReduceOp::Max || op == ReduceOp::Min) {
      if (auto n = make_node<ExtremumBackward>({&x})) {
        n->x = n->save(x);
        n->out_keep = reshape(n->save(out), keep_shape);
        n->dims = dims;
        set_history(out, n);
      }
    } else {
      NC_CHECK(!any_requires_grad({&x}), RuntimeError, reduce_name(op), ": gradient is not implemented");
    }
  }
  return out;
}

Tensor var(const Tensor& x_in, const std::vector<int64_t>& dims, double correction, bool keepdim) {
  Tensor x = is_floating(x_in.dtype()) ? x_in : to_dtype(x_in, DType::Float32);
  Tensor m = reduce(ReduceOp::Mean, x, dims, true);
  Tensor d = sub(x, m);
  Tensor s = reduce(ReduceOp::Sum, mul(d, d), dims, keepdim);
  int64_t n = x.numel() / std::max<int64_t>(m.numel(), 1);
  double denom = std::max(0.0, double(n) - correction);
  return div(s, scalar_tensor(denom, s.dtype()));
}

std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  dispatch_numeric(x.dtype(), name, [](auto) {});
  int64_t d = wrap_dim(dim, x.dim(), name);
  Tensor idx = reduce(is_max ? ReduceOp::ArgMax : ReduceOp::ArgMin, x.detach(), {d}, true);
  Tensor vals;
  {
    NoGradGuard ng;
    vals = reduce(is_max ? ReduceOp::Max : ReduceOp::Min, x.detach(), {d}, true);
  }
  Shape out_shape = x.dim() == 0 ? Shape{} : vals.shape();
  if (!keepdim && x.dim() > 0) out_shape.erase(out_shape.begin() + d);
  Tensor v = reshape(vals, out_shape), i = reshape(idx, out_shape);
  if (x.dim() > 0 && is_floating(x.dtype())) {
    if (auto n = make_node<MaxDimBackward>({&x})) {
      n->in_shape = x.shape();
      n->dim = d;
      n->index_keep = idx;
      v = v.detach();
      set_history(v, n);
    }
  }
  return {v, i};
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < g.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && g.shape()[d] != 1)) dims.push_back(d);
  Tensor s = dims.empty() ? g : reduce(ReduceOp::Sum, g, dims, true);
  return reshape(s, shape);
}

}  // namespace nc
