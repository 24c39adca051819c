// Softmax / log-softmax over the middle axis of (O, D, I). Stable: subtract the max first.
// Ref: log_softmax(x) = x - max - log(sum(exp(x - max))).
#include <algorithm>
#include <cmath>
#include <vector>
#include "core/parallel.h"
#include "kernels/cpu/vmath.h"
#include "ops/kernels.h"

namespace nc {
namespace {

template <class T>
void softmax_typed(T* y, const T* x, int64_t O, int64_t D, int64_t I, bool log) {
  parallel_for(0, O * I, std::max<int64_t>(1, 4096 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / I, i = t % I;
      const T* xp = x + o * D * I + i;
      T* yp = y + o * D * I + i;
      T mx = xp[0];
      double sum = 0;
      if (I == 1) {
        // Three simple loops (max, exp, sum) vectorise where one fused loop did not.
#pragma omp simd reduction(max : mx)
        for (int64_t d = 1; d < D; ++d) mx = xp[d] > mx ? xp[d] : mx;
        if (std::isinf(mx) && mx < 0) mx = T(0);  // all -inf: avoid (-inf) - (-inf)
        for (int64_t d = 0; d < D; ++d) yp[d] = vexp(xp[d] - mx);
#pragma omp simd reduction(+ : sum)
        for (int64_t d = 0; d < D; ++d) sum += yp[d];
      } else {
        for (int64_t d = 1; d < D; ++d) mx = std::max(mx, xp[d * I]);
        if (std::isinf(mx) && mx < 0) mx = T(0);
        for (int64_t d = 0; d < D; ++d) {
          T v = vexp(xp[d * I] - mx);
          yp[d * I] = v;
          sum += v;
        }
      }
      if (log) {
        // (x - max) - log(sum), not x - (max + log(sum)): the latter loses log(sum) when |max| is large.
        T ls = static_cast<T>(std::log(sum));
        for (int64_t d = 0; d < D; ++d) yp[d * I] = (xp[d * I] - mx) - ls;
      } else {
        T inv = static_cast<T>(1.0 / sum);
        for (int64_t d = 0; d < D; ++d) yp[d * I] *= inv;
      }
    }
  });
}

template <class T>
void softmax_backward_typed(T* dx, const T* dy, const T* y, int64_t O, int64_t D, int64_t I, bool log) {
  parallel_for(0, O * I, std::max<int64_t>(1, 4096 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / I, i = t % I;
      int64_t base = o * D * I + i;
      double s = 0;
      if (log) {  // dx = dy - softmax * sum(dy)
#pragma omp simd reduction(+ : s)
        for (int64_t d = 0; d < D; ++d) s += dy[base + d * I];
        const T st = T(s);
        for (int64_t d = 0; d < D; ++d) dx[base + d * I] = dy[base + d * I] - vexp(y[base + d * I]) * st;
      } else {  // dx = y * (dy - sum(dy * y))
#pragma omp simd reduction(+ : s)
        for (int64_t d = 0; d < D; ++d) s += dy[base + d * I] * y[base + d * I];
        for (int64_t d = 0; d < D; ++d) dx[base + d * I] = y[base + d * I] * (dy[base + d * I] - T(s));
      }
    }
  });
}

void softmax_cpu(const Tensor& y, const Tensor& x, int64_t O, int64_t D, int64_t I, bool log) {
  dispatch_float(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    softmax_typed<T>(y.data<T>(), x.data<T>(), O, D, I, log);
  });
}
void softmax_backward_cpu(const Tensor& dx, const Tensor& dy, const Tensor& y, int64_t O, int64_t D, int64_t I,
                          bool log) {
  dispatch_float(dx.dtype(), "softmax backward", [&](auto tag) {
    using T = decltype(tag);
    softmax_backward_typed<T>(dx.data<T>(), dy.data<T>(), y.data<T>(), O, D, I, log);
  });
}

template <class T>
void cross_entropy_typed(T* loss, T* lse, const T* x, const int64_t* t, int64_t N, int64_t C, int64_t ignore) {
  parallel_for(0, N, std::max<int64_t>(1, 4096 / std::max<int64_t>(C, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* row = x + i * C;
      T mx = row[0];
#pragma omp simd reduction(max : mx)
      for (int64_t c = 1; c < C; ++c) mx = row[c] > mx ? row[c] : mx;
      if (std::isinf(mx) && mx < 0) mx = T(0);
      // Accumulated in T across the vector lanes (each term is in (0, 1]); a double accumulator
      // kept this loop from vectorising.
      T sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int64_t c = 0; c < C; ++c) sum += vexp(row[c] - mx);
      // Kept as (max, log sum) rather than max + log sum, which rounds away log sum when |max| is large.
      const T ls = static_cast<T>(std::log(sum));
      lse[2 * i] = mx;
      lse[2 * i + 1] = ls;
      loss[i] = t[i] == ignore ? T(0) : ls - (row[t[i]] - mx);
    }
  });
}

template <class T>
void cross_entropy_backward_typed(T* dx, const T* g, const T* x, const T* lse, const int64_t* t, int64_t N, int64_t C,
                                  int64_t ignore) {
  parallel_for(0, N, std::max<int64_t>(1, 4096 / std::max<int64_t>(C, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T* d = dx + i * C;
      if (t[i] == ignore) {
        std::fill(d, d + C, T(0));
        continue;
      }
      const T* row = x + i * C;
      const T gi = g[i], mx = lse[2 * i], ls = lse[2 * i + 1];
      for (int64_t c = 0; c < C; ++c) d[c] = gi * vexp((row[c] - mx) - ls);
      d[t[i]] -= gi;
    }
  });
}

void cross_entropy_cpu(const Tensor& loss, const Tensor& lse, const Tensor& x, const Tensor& t, int64_t ignore) {
  dispatch_float(x.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    cross_entropy_typed<T>(loss.data<T>(), lse.data<T>(), x.data<T>(), t.data<int64_t>(), x.shape()[0], x.shape()[1],
                           ignore);
  });
}

void cross_entropy_backward_cpu(const Tensor& dx, const Tensor& g, const Tensor& x, const Tensor& lse, const Tensor& t,
                                int64_t ignore) {
  dispatch_float(x.dtype(), "cross_entropy backward", [&](auto tag) {
    using T = decltype(tag);
    cross_entropy_backward_typed<T>(dx.data<T>(), g.data<T>(), x.data<T>(), lse.data<T>(), t.data<int64_t>(),
                                    x.shape()[0], x.shape()[1], ignore);
  });
}

}  // namespace

NC_REGISTER_KERNEL(cross_entropy_kernel, CPU, cross_entropy_cpu);
NC_REGISTER_KERNEL(cross_entropy_backward_kernel, CPU, cross_entropy_backward_cpu);
NC_REGISTER_KERNEL(softmax_kernel, CPU, softmax_cpu);
NC_REGISTER_KERNEL(softmax_backward_kernel, CPU, softmax_backward_cpu);

}  // namespace nc
