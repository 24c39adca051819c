// Public tensor operations. Each validates its inputs (shapes, dtypes, dims), computes through
// the kernel table, and records an autograd node when an input requires grad.
#pragma once
#include <optional>
#include <utility>
#include "autograd/node.h"
#include "ops/kernels.h"

namespace nc {

// ---- creation (creation.cpp)
Tensor full(const Shape& shape, double value, DType dtype);
Tensor zeros(const Shape& shape, DType dtype);
Tensor ones(const Shape& shape, DType dtype);
Tensor scalar_tensor(double value, DType dtype);
Tensor arange(double start, double end, double step, DType dtype);
Tensor linspace(double start, double end, int64_t steps, DType dtype);
Tensor eye(int64_t n, int64_t m, DType dtype);
void manual_seed(uint64_t seed);
uint64_t initial_seed();
// Draws fill out in place from the global generator.
void random_(const Tensor& out, Distribution dist, double a, double b);
Tensor rand(const Shape& shape, DType dtype);
Tensor randn(const Shape& shape, DType dtype);
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype);
Tensor randperm(int64_t n);

// ---- copies and conversion (copy.cpp)
Tensor to_dtype(const Tensor& x, DType dtype);  // differentiable between float types
Tensor contiguous(const Tensor& x);             // x itself if already contiguous
Tensor contiguous_copy(const Tensor& x);        // always a fresh contiguous tensor, no history
Tensor clone(const Tensor& x);                  // differentiable copy
void copy_(const Tensor& dst, const Tensor& src);  // dst[...] = src, broadcasting, converting; no autograd
void fill_(const Tensor& dst, double value);
void add_(const Tensor& dst, const Tensor& src, double alpha = 1.0);  // dst += alpha * src, no autograd
void mul_(const Tensor& dst, double value);
// dst = op(dst, src) in place (src broadcast to dst's shape and converted to its dtype); no autograd.
void binary_(BinaryOp op, const Tensor& dst, const Tensor& src);

// ---- elementwise (elementwise.cpp)
Tensor unary(UnaryOp op, const Tensor& x, double p0 = 0, double p1 = 0);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
inline Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b); }
inline Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
inline Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }
inline Tensor neg(const Tensor& x) { return unary(UnaryOp::Neg, x); }
inline Tensor exp(const Tensor& x) { return unary(UnaryOp::Exp, x); }
inline Tensor log(const Tensor& x) { return unary(UnaryOp::Log, x); }
Tensor clamp(const Tensor& x, std::optional<double> lo, std::optional<double> hi);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// a scalar as a 0-d tensor of the dtype it should have next to x (Python's weak scalar typing)
Tensor wrap_scalar(double v, bool is_integer, const Tensor& like);

// ---- reductions (reduce.cpp); dims empty = all dims
Tensor reduce(ReduceOp op, const Tensor& x, std::vector<int64_t> dims, bool keepdim);
inline Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false) {
  return reduce(ReduceOp::Sum, x, dims, keepdim);
}
inline Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false) {
  return reduce(ReduceOp::Mean, x, dims, keepdim);
}
Tensor var(const Tensor& x, const std::vector<int64_t>& dims, double correction, bool keepdim);
std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max);
// g reduced (summed) over broadcast dims so it has `shape`
Tensor sum_to(const Tensor& g, const Shape& shape);

// ---- matrix products (matmul.cpp)
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);  // x @ w^T + b; b may be undefined

// ---- shapes and views (shape.cpp)
Tensor view(const Tensor& x, Shape shape);     // must be expressible as a view
Tensor reshape(const Tensor& x, Shape shape);  // view when possible, else copy
Tensor permute(const Tensor& x, std::vector<int64_t> dims);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor expand(const Tensor& x, Shape shape);
Tensor squeeze(const Tensor& x, std::optional<std::vector<int64_t>> dims);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor flatten(const Tensor& x, int64_t start, int64_t end);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t stop, int64_t step);  // already clamped
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor cat(const TensorList& xs, int64_t dim);
Tensor stack(const TensorList& xs, int64_t dim);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor nonzero(const Tensor& x);  // (N, ndim) int64
Tensor masked_select_leading(const Tensor& x, const Tensor& mask);  // x[mask], mask = x.shape[:k]
Shape infer_shape(const Shape& shape, int64_t numel, const char* op);

// ---- neural-network ops (nn.cpp)
Tensor softmax(const Tensor& x, int64_t dim, bool log);
Tensor pointwise_loss(LossOp op, const Tensor& pred, const Tensor& target, double p, Reduction r, const char* name);
Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction r);
Tensor binary_cross_entropy(const Tensor& p, const Tensor& y, const Tensor& weight, Reduction r);
Tensor binary_cross_entropy_with_logits(const Tensor& z, const Tensor& y, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction r);
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     double label_smoothing, Reduction r);
Tensor nll_loss(const Tensor& logp, const Tensor& target, const Tensor& weight, int64_t ignore_index, Reduction r);

// ---- optimizers (optim.cpp): one call updates every parameter of a group
// momentum_buffers: one per parameter, undefined until created (filled in on the first step).
void sgd_step(const TensorList& params, TensorList& momentum_buffers, const SgdOptions& o);
// The adaptive optimizers (see OptimRule): state[k][i] is state array k of parameter i (undefined until
// first needed, then allocated and initialised here); steps[i] counts parameter i's updates;
// mu_products[i] is NAdam's running product of mu_t (1 before the first step; unused otherwise).
int optim_num_states(OptimRule rule);
const char* optim_state_name(OptimRule rule, int k);
void optim_step(const TensorList& params, std::vector<TensorList>& state, std::vector<int64_t>& steps,
                std::vector<double>& mu_products, const OptimOptions& o);

// ---- helpers shared by the op files
Tensor empty_like(const Tensor& x, std::optional<DType> dtype = std::nullopt);
Tensor zeros_like(const Tensor& x);
Tensor apply_reduction(const Tensor& per_elem, Reduction r);

}  // namespace nc
