// Pointwise losses and their derivatives w.r.t. the prediction.
// BCE clamps each log term at -100 (PyTorch's convention) so p = 0 or 1 gives a finite loss.
// BCE with logits: l = max(z, 0) - z*y + log(1 + exp(-|z|)), stable for any |z|.
#include <cmath>
#include "kernels/cpu/loops.h"
#include "ops/kernels.h"

namespace nc {
namespace {

template <class T>
inline T loss_fwd(LossOp op, T a, T b, T p) {
  T d = a - b, ad = std::abs(d);
  switch (op) {
    case LossOp::Mse: return d * d;
    case LossOp::L1: return ad;
    case LossOp::Huber: return ad <= p ? T(0.5) * d * d : p * (ad - T(0.5) * p);
    case LossOp::SmoothL1: return ad < p ? T(0.5) * d * d / p : ad - T(0.5) * p;
    case LossOp::Bce: {
      T lp = std::max(std::log(a), T(-100)), lq = std::max(std::log1p(-a), T(-100));
      return -(b * lp + (T(1) - b) * lq);
    }
    case LossOp::BceLogits: return std::max(a, T(0)) - a * b + std::log1p(std::exp(-std::abs(a)));
  }
  return T(0);
}

template <class T>
inline T loss_grad(LossOp op, T a, T b, T p) {
  T d = a - b;
  T sgn = T((d > T(0)) - (d < T(0)));
  switch (op) {
    case LossOp::Mse: return T(2) * d;
    case LossOp::L1: return sgn;
    case LossOp::Huber: return std::abs(d) <= p ? d : p * sgn;
    case LossOp::SmoothL1: return std::abs(d) < p ? d / p : sgn;
    case LossOp::Bce: return d / std::max((T(1) - a) * a, T(1e-12));
    case LossOp::BceLogits: return T(1) / (T(1) + std::exp(-a)) - b;
  }
  return T(0);
}

void loss_cpu(LossOp op, const Tensor& out, const Tensor& a, const Tensor& b, double p) {
  cpu::Loop<3> L({&out, &a, &b});
  dispatch_float(out.dtype(), "loss", [&](auto tag) {
    using T = decltype(tag);
    L.run([&](char** ptr, const int64_t* s, int64_t n) {
      cpu::binary_row<T, T, T>(ptr, s, n, [=](T x, T y) { return loss_fwd<T>(op, x, y, T(p)); });
    });
  });
}

void loss_backward_cpu(LossOp op, const Tensor& da, const Tensor& g, const Tensor& a, const Tensor& b, double p) {
  cpu::Loop<4> L({&da, &g, &a, &b});
  dispatch_float(da.dtype(), "loss backward", [&](auto tag) {
    using T = decltype(tag);
    L.run([&](char** ptr, const int64_t* s, int64_t n) {
      cpu::ternary_row<T, T, T, T>(ptr, s, n, [=](T gv, T x, T y) { return gv * loss_grad<T>(op, x, y, T(p)); });
    });
  });
}

}  // namespace

NC_REGISTER_KERNEL(loss_kernel, CPU, loss_cpu);
NC_REGISTER_KERNEL(loss_backward_kernel, CPU, loss_backward_cpu);

}  // namespace nc
