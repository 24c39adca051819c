// Unary elementwise ops: forward f(x) and the derivative f'(x) (written in terms of x or of
// y = f(x), whichever is cheaper), one table for every activation in the library.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include "kernels/cpu/loops.h"
#include "kernels/cpu/vmath.h"
#include "ops/kernels.h"

namespace nc {
namespace {

template <class T> NC_INLINE T sigm(T x) { return T(1) / (T(1) + vexp(-x)); }
// log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow, and exact to rounding for every x.
template <class T> NC_INLINE T softplus1(T x) { return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x))); }

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSqrt2OverPi = 0.79788456080286535587989211986876;
constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;
constexpr double kInvSqrt2Pi = 0.39894228040143267793994605993438;

template <class T>
NC_INLINE T fwd(UnaryOp op, T x, T p0, T p1) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Abs: return std::abs(x);
    case UnaryOp::Sign: return T((x > T(0)) - (x < T(0)));
    case UnaryOp::Square: return x * x;
    case UnaryOp::Exp: return vexp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Reciprocal: return T(1) / x;
    case UnaryOp::Sin: return std::sin(x);
    case UnaryOp::Cos: return std::cos(x);
    case UnaryOp::Log1p: return std::log1p(x);
    case UnaryOp::Expm1: return std::expm1(x);
    case UnaryOp::PowScalar: return std::pow(x, p0);
    case UnaryOp::Clamp: return x < p0 ? p0 : (x > p1 ? p1 : x);
    case UnaryOp::Relu: return x < T(0) ? T(0) : x;  // NaN stays NaN
    case UnaryOp::LeakyRelu: return x > T(0) ? x : x * p0;
    case UnaryOp::Sigmoid: return sigm(x);
    case UnaryOp::Tanh: return vtanh(x);
    case UnaryOp::Step: return x > T(0) ? T(1) : T(0);
    case UnaryOp::Elu: return x > T(0) ? x : p0 * std::expm1(x);
    case UnaryOp::Selu: return T(kSeluScale) * (x > T(0) ? x : T(kSeluAlpha) * std::expm1(x));
    case UnaryOp::Celu: return x > T(0) ? x : p0 * std::expm1(x / p0);
    case UnaryOp::Gelu: return x * T(0.5) * (T(1) + verf(x * T(kInvSqrt2)));
    case UnaryOp::GeluTanh: {
      T u = T(kSqrt2OverPi) * (x + T(0.044715) * x * x * x);
      return T(0.5) * x * (T(1) + std::tanh(u));
    }
    case UnaryOp::Silu: return x * sigm(x);
    case UnaryOp::Mish: return x * std::tanh(softplus1(x));
    case UnaryOp::Softplus: return x * p0 > p1 ? x : softplus1(x * p0) / p0;
    case UnaryOp::Softsign: return x / (T(1) + std::abs(x));
    case UnaryOp::Hardtanh: return x < p0 ? p0 : (x > p1 ? p1 : x);
    case UnaryOp::Hardsigmoid: return x <= T(-3) ? T(0) : (x >= T(3) ? T(1) : x / T(6) + T(0.5));
    case UnaryOp::Hardswish: return x <= T(-3) ? T(0) : (x >= T(3) ? x : x * (x + T(3)) / T(6));
    case UnaryOp::LogSigmoid: return -softplus1(-x);
  }
  return x;
}

// d f / d x at x, with y = f(x) available.
template <class T>
NC_INLINE T deriv(UnaryOp op, T x, T y, T p0, T p1) {
  switch (op) {
    case UnaryOp::Neg: return T(-1);
    case UnaryOp::Abs: return T((x > T(0)) - (x < T(0)));
    case UnaryOp::Sign: return T(0);
    case UnaryOp::Square: return T(2) * x;
    case UnaryOp::Exp: return y;
    case UnaryOp::Log: return T(1) / x;
    case UnaryOp::Sqrt: return T(0.5) / y;
    case UnaryOp::Reciprocal: return -y * y;
    case UnaryOp::Sin: return std::cos(x);
    case UnaryOp::Cos: return -std::sin(x);
    case UnaryOp::Log1p: return T(1) / (T(1) + x);
    case UnaryOp::Expm1: return y + T(1);
    case UnaryOp::PowScalar: return p0 == T(0) ? T(0) : p0 * std::pow(x, p0 - T(1));
    case UnaryOp::Clamp: return (x >= p0 && x <= p1) ? T(1) : T(0);
    case UnaryOp::Relu: return x > T(0) ? T(1) : T(0);
    case UnaryOp::LeakyRelu: return x > T(0) ? T(1) : p0;
    case UnaryOp::Sigmoid: return y * (T(1) - y);
    case UnaryOp::Tanh: return T(1) - y * y;
    case UnaryOp::Step: return T(0);
    case UnaryOp::Elu: return x > T(0) ? T(1) : p0 * std::exp(x);
    case UnaryOp::Selu: return x > T(0) ? T(kSeluScale) : T(kSeluScale * kSeluAlpha) * std::exp(x);
    case UnaryOp::Celu: return x > T(0) ? T(1) : std::exp(x / p0);
    case UnaryOp::Gelu: {
      T cdf = T(0.5) * (T(1) + verf(x * T(kInvSqrt2)));
      return cdf + x * T(kInvSqrt2Pi) * vexp(T(-0.5) * x * x);
    }
    case UnaryOp::GeluTanh: {
      T u = T(kSqrt2OverPi) * (x + T(0.044715) * x * x * x);
      T t = std::tanh(u);
      return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * T(kSqrt2OverPi) * (T(1) + T(3 * 0.044715) * x * x);
    }
    case UnaryOp::Silu: {
      T s = sigm(x);
      return s * (T(1) + x * (T(1) - s));
    }
    case UnaryOp::Mish: {
      T t = std::tanh(softplus1(x));
      return t + x * (T(1) - t * t) * sigm(x);
    }
    case UnaryOp::Softplus: return x * p0 > p1 ? T(1) : sigm(x * p0);
    case UnaryOp::Softsign: {
      T d = T(1) + std::abs(x);
      return T(1) / (d * d);
    }
    case UnaryOp::Hardtanh: return (x > p0 && x < p1) ? T(1) : T(0);
    case UnaryOp::Hardsigmoid: return (x > T(-3) && x < T(3)) ? T(1) / T(6) : T(0);
    // Branches match the forward's (x <= -3 -> 0, x >= 3 -> x), as PyTorch 2.x does.
    case UnaryOp::Hardswish: return x <= T(-3) ? T(0) : (x < T(3) ? x / T(3) + T(0.5) : T(1));
    case UnaryOp::LogSigmoid: return sigm(-x);
  }
  return T(0);
}

// Specialise the row loop on op at compile time so each op's loop vectorises on its own.
template <UnaryOp OP, class T>
void unary_loop(const cpu::Loop<2>& L, T p0, T p1) {
  L.run([&](char** p, const int64_t* s, int64_t n) {
    cpu::unary_row<T, T>(p, s, n, [=](T x) { return fwd<T>(OP, x, p0, p1); });
  });
}

template <class T>
void unary_typed(UnaryOp op, const cpu::Loop<2>& L, T p0, T p1) {
  switch (op) {
#define NC_CASE(name) case UnaryOp::name: return unary_loop<UnaryOp::name, T>(L, p0, p1);
    NC_UNARY_OPS(NC_CASE)
#undef NC_CASE
  }
}

template <class T>
inline T int_fwd(UnaryOp op, T x, T p0, T p1) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Abs: return x < 0 ? -x : x;
    case UnaryOp::Sign: return T((x > 0) - (x < 0));
    case UnaryOp::Square: return x * x;
    case UnaryOp::Clamp: return x < p0 ? p0 : (x > p1 ? p1 : x);
    case UnaryOp::Relu: return x > 0 ? x : 0;
    default: return x;
  }
}

void unary_cpu(UnaryOp op, const Tensor& out, const Tensor& x, double p0, double p1) {
  cpu::Loop<2> L({&out, &x});
  switch (x.dtype()) {
    case DType::Float32: return unary_typed<float>(op, L, float(p0), float(p1));
    case DType::Float64: return unary_typed<double>(op, L, p0, p1);
    case DType::Int64: {
      // Integer clamp bounds: round toward the inside of the range; infinities mean "no bound".
      int64_t lo = std::isinf(p0) ? INT64_MIN : int64_t(std::ceil(p0));
      int64_t hi = std::isinf(p1) ? INT64_MAX : int64_t(std::floor(p1));
      L.run([&](char** p, const int64_t* s, int64_t n) {
        cpu::unary_row<int64_t, int64_t>(p, s, n, [=](int64_t v) { return int_fwd<int64_t>(op, v, lo, hi); });
      });
      return;
    }
    case DType::Bool: return;
  }
}

template <UnaryOp OP, class T>
void backward_loop(const cpu::Loop<4>& L, T p0, T p1) {
  L.run([&](char** p, const int64_t* s, int64_t n) {
    cpu::ternary_row<T, T, T, T>(p, s, n, [=](T dy, T x, T y) { return dy * deriv<T>(OP, x, y, p0, p1); });
  });
}

template <class T>
void backward_typed(UnaryOp op, const cpu::Loop<4>& L, T p0, T p1) {
  switch (op) {
#define NC_CASE(name) case UnaryOp::name: return backward_loop<UnaryOp::name, T>(L, p0, p1);
    NC_UNARY_OPS(NC_CASE)
#undef NC_CASE
  }
}

void unary_backward_cpu(UnaryOp op, const Tensor& dx, const Tensor& dy, const Tensor& x, const Tensor& y, double p0,
                        double p1) {
  // Whichever of x / y the op does not need is replaced by dy so the loop has valid pointers.
  const Tensor& xs = x.defined() ? x : dy;
  const Tensor& ys = y.defined() ? y : dy;
  cpu::Loop<4> L({&dx, &dy, &xs, &ys});
  dispatch_float(dx.dtype(), "unary backward", [&](auto tag) {
    using T = decltype(tag);
    backward_typed<T>(op, L, T(p0), T(p1));
  });
}

}  // namespace

bool unary_backward_uses_output(UnaryOp op) {
  switch (op) {
    case UnaryOp::Exp: case UnaryOp::Sqrt: case UnaryOp::Reciprocal: case UnaryOp::Expm1:
    case UnaryOp::Sigmoid: case UnaryOp::Tanh:
      return true;
    default:
      return false;
  }
}

NC_REGISTER_KERNEL(unary_kernel, CPU, unary_cpu);
NC_REGISTER_KERNEL(unary_backward_kernel, CPU, unary_backward_cpu);

}  // namespace nc
