// Binary elementwise ops, where(), copy with dtype conversion, and fill.
#include <cmath>
#include <type_traits>
#include "kernels/cpu/loops.h"
#include "ops/kernels.h"

namespace nc {
namespace {

// NaN propagates (like PyTorch); for integers the NaN tests fold away.
template <class T> inline T maxnan(T a, T b) { return (a != a) ? a : (b != b ? b : (a > b ? a : b)); }
template <class T> inline T minnan(T a, T b) { return (a != a) ? a : (b != b ? b : (a < b ? a : b)); }

template <class T, class F>
void run2(const cpu::Loop<3>& L, const F& f) {
  L.run([&](char** p, const int64_t* s, int64_t n) { cpu::binary_row<T, T, T>(p, s, n, f); });
}
template <class T, class F>
void run_cmp(const cpu::Loop<3>& L, const F& f) {
  L.run([&](char** p, const int64_t* s, int64_t n) { cpu::binary_row<bool, T, T>(p, s, n, f); });
}

template <class T>
void binary_typed(BinaryOp op, const cpu::Loop<3>& L) {
  if constexpr (std::is_same_v<T, int64_t>) {
    // Integers: division truncates (the op layer sends `/` to floats; this serves in-place int
    // ops, and x / 0 gives 0 instead of a trap) and power is exact (negative exponents are
    // rejected by the op layer). Bool arithmetic is promoted to int64 by the op layer.
    if (op == BinaryOp::Div) return run2<T>(L, [](T a, T b) { return b == 0 ? T(0) : T(a / b); });
    if (op == BinaryOp::Pow)
      return run2<T>(L, [](T a, T b) {
        T r = 1;
        for (T e = b; e > 0; --e) r *= a;
        return r;
      });
  }
  switch (op) {
    case BinaryOp::Add: return run2<T>(L, [](T a, T b) { return T(a + b); });
    case BinaryOp::Sub: return run2<T>(L, [](T a, T b) { return T(a - b); });
    case BinaryOp::Mul: return run2<T>(L, [](T a, T b) { return T(a * b); });
    case BinaryOp::Div: return run2<T>(L, [](T a, T b) { return T(a / b); });
    case BinaryOp::Pow: return run2<T>(L, [](T a, T b) { return T(std::pow(a, b)); });
    case BinaryOp::Maximum: return run2<T>(L, [](T a, T b) { return maxnan(a, b); });
    case BinaryOp::Minimum: return run2<T>(L, [](T a, T b) { return minnan(a, b); });
    case BinaryOp::Eq: return run_cmp<T>(L, [](T a, T b) { return a == b; });
    case BinaryOp::Ne: return run_cmp<T>(L, [](T a, T b) { return a != b; });
    case BinaryOp::Lt: return run_cmp<T>(L, [](T a, T b) { return a < b; });
    case BinaryOp::Le: return run_cmp<T>(L, [](T a, T b) { return a <= b; });
    case BinaryOp::Gt: return run_cmp<T>(L, [](T a, T b) { return a > b; });
    case BinaryOp::Ge: return run_cmp<T>(L, [](T a, T b) { return a >= b; });
    case BinaryOp::LogicalAnd: return run_cmp<T>(L, [](T a, T b) { return bool(a) && bool(b); });
    case BinaryOp::LogicalOr: return run_cmp<T>(L, [](T a, T b) { return bool(a) || bool(b); });
    case BinaryOp::LogicalXor: return run_cmp<T>(L, [](T a, T b) { return bool(a) != bool(b); });
  }
}

void binary_cpu(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  cpu::Loop<3> L({&out, &a, &b});
  dispatch_all(a.dtype(), [&](auto tag) { binary_typed<decltype(tag)>(op, L); });
}

void where_cpu(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  cpu::Loop<4> L({&out, &cond, &a, &b});
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    L.run([&](char** p, const int64_t* s, int64_t n) {
      cpu::ternary_row<T, bool, T, T>(p, s, n, [](bool c, T x, T y) { return c ? x : y; });
    });
  });
}

void copy_cpu(const Tensor& dst, const Tensor& src) {
  cpu::Loop<2> L({&dst, &src});
  dispatch_all(dst.dtype(), [&](auto dtag) {
    using D = decltype(dtag);
    dispatch_all(src.dtype(), [&](auto stag) {
      using S = decltype(stag);
      L.run([&](char** p, const int64_t* s, int64_t n) {
        cpu::unary_row<D, S>(p, s, n, [](S v) { return static_cast<D>(v); });
      });
    });
  });
}

void fill_cpu(const Tensor& dst, double value) {
  cpu::Loop<1> L({&dst});
  dispatch_all(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T v = static_cast<T>(value);
    L.run([&](char** p, const int64_t* s, int64_t n) {
      if (s[0] == sizeof(T)) {
        T* o = reinterpret_cast<T*>(p[0]);
        for (int64_t i = 0; i < n; ++i) o[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
      }
    });
  });
}

}  // namespace

NC_REGISTER_KERNEL(binary_kernel, CPU, binary_cpu);
NC_REGISTER_KERNEL(where_kernel, CPU, where_cpu);
NC_REGISTER_KERNEL(copy_kernel, CPU, copy_cpu);
NC_REGISTER_KERNEL(fill_kernel, CPU, fill_cpu);

}  // namespace nc
