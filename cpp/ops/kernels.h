// The per-device kernel table. Ops validate their inputs and allocate outputs, then call these
// entries; cpu/*.cpp registers the CPU implementations (a CUDA build would register its own).
// Shapes are given in letters where they matter; all tensors here are already valid.
#pragma once
#include "core/device.h"
#include "core/tensor.h"

namespace nc {

// p0/p1 are an op's scalar parameters where it has any: PowScalar (p0 = exponent), Clamp and
// Hardtanh (p0 = min, p1 = max), LeakyRelu (p0 = slope), Elu and Celu (p0 = alpha),
// Softplus (p0 = beta, p1 = threshold). The list is written once and expanded where needed.
#define NC_UNARY_OPS(X)                                                                                   \
  X(Neg) X(Abs) X(Sign) X(Square) X(Exp) X(Log) X(Sqrt) X(Reciprocal) X(Sin) X(Cos) X(Log1p) X(Expm1)      \
  X(PowScalar) X(Clamp) X(Relu) X(LeakyRelu) X(Sigmoid) X(Tanh) X(Step) X(Elu) X(Selu) X(Celu) X(Gelu)   \
  X(GeluTanh) X(Silu) X(Mish) X(Softplus) X(Softsign) X(Hardtanh) X(Hardsigmoid) X(Hardswish) X(LogSigmoid)
enum class UnaryOp : uint8_t {
#define NC_ENUM_ENTRY(name) name,
  NC_UNARY_OPS(NC_ENUM_ENTRY)
#undef NC_ENUM_ENTRY
};
enum class BinaryOp : uint8_t {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum,
  Eq, Ne, Lt, Le, Gt, Ge,  // bool output
  LogicalAnd, LogicalOr, LogicalXor,
};
inline bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }
enum class ReduceOp : uint8_t { Sum, Mean, Max, Min, ArgMax, ArgMin, Prod, Any, All };
enum class Reduction : uint8_t { None, Mean, Sum };

// out = op(x); out and x have one shape (x may be any strided view). Float ops see float dtypes.
using UnaryFn = void(UnaryOp op, const Tensor& out, const Tensor& x, double p0, double p1);
// dx = dy * d op(x)/dx, given x and y = op(x) (either may be undefined when the op does not need it).
using UnaryBackwardFn = void(UnaryOp op, const Tensor& dx, const Tensor& dy, const Tensor& x, const Tensor& y,
                             double p0, double p1);
// True if op's derivative is written in terms of its output y (so forward saves y, not x).
bool unary_backward_uses_output(UnaryOp op);
// out = op(a, b); a and b are broadcast views of out's shape, already in the compute dtype.
using BinaryFn = void(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
// out = cond ? a : b, all broadcast to out's shape.
using WhereFn = void(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
// dst = src (src broadcast to dst's shape), converting dtype.
using CopyFn = void(const Tensor& dst, const Tensor& src);
using FillFn = void(const Tensor& dst, double value);
// x is contiguous and viewed as (O, R, I); out is (O, I) contiguous; reduces over R.
using ReduceFn = void(ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);
// C(m,n) = alpha * op(A)(m,k) @ op(B)(k,n) + beta * C, row-major, with leading dimensions.
using GemmFn = void(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                    const void* a, int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc);
// Softmax over D of x viewed (O, D, I), contiguous; log selects log_softmax.
using SoftmaxFn = void(const Tensor& y, const Tensor& x, int64_t O, int64_t D, int64_t I, bool log);
// dx from dy and y (the forward output), same layout.
using SoftmaxBackwardFn = void(const Tensor& dx, const Tensor& dy, const Tensor& y, int64_t O, int64_t D,
                               int64_t I, bool log);
// out(O, K, I) = x(O, N, I)[:, index[k], :]  (contiguous x and out)
using IndexSelectFn = void(const Tensor& out, const Tensor& x, const Tensor& index, int64_t O, int64_t N,
                           int64_t I);
// dx(O, N, I)[:, index[k], :] += dy(O, K, I)
using IndexAddFn = void(const Tensor& dx, const Tensor& dy, const Tensor& index, int64_t O, int64_t N, int64_t I);
enum class Distribution : uint8_t { Uniform /*[a, b)*/, Normal /*mean a, std b*/, Bernoulli /*p = a*/,
                                    IntRange /*[a, b)*/ };
// Counter-based draws: element i depends only on (seed, offset + i), whatever the thread count.
using RandomFn = void(const Tensor& out, Distribution dist, double a, double b, uint64_t seed, uint64_t offset);

// Pointwise losses: out = l(a, b); a is the prediction (probability for Bce, logit for BceLogits).
enum class LossOp : uint8_t { Mse, L1, Huber /*p=delta*/, SmoothL1 /*p=beta*/, Bce, BceLogits };
using PointwiseLossFn = void(LossOp op, const Tensor& out, const Tensor& a, const Tensor& b, double p);
// da = g * dl/da
using PointwiseLossBackwardFn = void(LossOp op, const Tensor& da, const Tensor& g, const Tensor& a, const Tensor& b,
                                     double p);

// One SGD update of n contiguous values (torch.optim.SGD's rule): g = grad + wd * p;
// with momentum, buf = g (first step) or momentum * buf + (1 - dampening) * g, and g = buf or,
// with nesterov, g + momentum * buf; then p -= lr * g.
struct SgdOptions {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
};
using SgdFn = void(DType dtype, int64_t n, void* p, const void* g, void* buf, bool first_step, const SgdOptions& o);

// The adaptive optimizers, torch.optim's documented rules (formulas in kernels/cpu/optim.cpp). Each
// keeps per-value state arrays, listed here in the order the kernel receives them ('?' = only with
// that option, else null), and per-step scalars that the op computes from the step count t:
enum class OptimRule : uint8_t {
  Adagrad,   // sum                                  s.a = lr / (1 + (t - 1) lr_decay)
  RMSprop,   // square_avg, momentum_buffer?, grad_avg?(centered)
  Adadelta,  // square_avg, acc_delta
  Adam,      // exp_avg, exp_avg_sq, max_exp_avg_sq?  s.a = lr / (1 - beta1^t), s.b = sqrt(1 - beta2^t)
  Adamax,    // exp_avg, exp_inf                     s.a = lr / (1 - beta1^t)
  NAdam,     // exp_avg, exp_avg_sq                  s.a = lr (1 - mu_t) / (1 - prod mu), s.b = lr mu_{t+1} /
             //                                      (1 - prod mu * mu_{t+1}), s.c = 1 - beta2^t
};
constexpr int kMaxOptimStates = 3;
struct OptimOptions {
  OptimRule rule = OptimRule::Adam;
  double lr = 0, eps = 0, weight_decay = 0;
  double beta1 = 0, beta2 = 0;                        // Adam, Adamax, NAdam
  double alpha = 0, momentum = 0;                     // RMSprop
  double rho = 0;                                     // Adadelta
  double lr_decay = 0, initial_accumulator_value = 0;  // Adagrad
  double momentum_decay = 0;                          // NAdam
  bool amsgrad = false, centered = false, maximize = false;
  bool decoupled_weight_decay = false;  // p *= 1 - lr * wd first (AdamW) instead of g += wd * p
};
struct OptimStepScalars {
  double a = 0, b = 0, c = 0;
};
// One update of n contiguous values p given their gradient g; state[k] as listed for the rule.
using OptimFn = void(DType dtype, int64_t n, void* p, const void* g, void* const* state, const OptimOptions& o,
                     const OptimStepScalars& s);

NC_DECLARE_KERNEL(sgd_kernel, SgdFn);
NC_DECLARE_KERNEL(optim_kernel, OptimFn);
NC_DECLARE_KERNEL(loss_kernel, PointwiseLossFn);
NC_DECLARE_KERNEL(loss_backward_kernel, PointwiseLossBackwardFn);
// Fused cross-entropy with class-index targets. logits (N, C) contiguous, target (N) int64.
// Forward: loss[i] = lse_i - x[i, t_i] (0 where t_i == ignore_index); lse (N, 2) keeps (max_i, log sum_i)
// for backward, with lse_i = max_i + log sum_i.
using CrossEntropyFn = void(const Tensor& loss, const Tensor& lse, const Tensor& logits, const Tensor& target,
                            int64_t ignore_index);
// Backward: dx[i, c] = g[i] * (exp((x[i, c] - max_i) - log sum_i) - [c == t_i]); ignored rows get 0.
using CrossEntropyBackwardFn = void(const Tensor& dx, const Tensor& g, const Tensor& logits, const Tensor& lse,
                                    const Tensor& target, int64_t ignore_index);
NC_DECLARE_KERNEL(cross_entropy_kernel, CrossEntropyFn);
NC_DECLARE_KERNEL(cross_entropy_backward_kernel, CrossEntropyBackwardFn);
NC_DECLARE_KERNEL(unary_kernel, UnaryFn);
NC_DECLARE_KERNEL(unary_backward_kernel, UnaryBackwardFn);
NC_DECLARE_KERNEL(binary_kernel, BinaryFn);
NC_DECLARE_KERNEL(where_kernel, WhereFn);
NC_DECLARE_KERNEL(copy_kernel, CopyFn);
NC_DECLARE_KERNEL(fill_kernel, FillFn);
NC_DECLARE_KERNEL(reduce_kernel, ReduceFn);
NC_DECLARE_KERNEL(gemm_kernel, GemmFn);
NC_DECLARE_KERNEL(softmax_kernel, SoftmaxFn);
NC_DECLARE_KERNEL(softmax_backward_kernel, SoftmaxBackwardFn);
NC_DECLARE_KERNEL(index_select_kernel, IndexSelectFn);
NC_DECLARE_KERNEL(index_add_kernel, IndexAddFn);
NC_DECLARE_KERNEL(random_kernel, RandomFn);

}  // namespace nc
