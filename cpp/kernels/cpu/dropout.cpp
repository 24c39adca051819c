// Dropout kernels: x, y, dy, dx contiguous with mask.numel() * S values; mask entry r covers [r*S, (r+1)*S).
// The forward draws the keep flags for a chunk of entries (a vectorised counter hash, Note [Dropout randomness]
// in ops/dropout.h) and applies them while they are in L1: S == 1 (elementwise dropout) is a branch-free
// blend per value, S > 1 (channel dropout) fills or scales whole runs. Threads split the mask entries.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include "core/parallel.h"
#include "ops/dropout.h"

namespace nc {
namespace {

constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;
constexpr int64_t kChunk = 2048;  // mask entries drawn, then applied, at a time (the flags stay in L1)

// splitmix64's output for counter r from state seed (Note [Dropout randomness] in ops/dropout.h).
inline uint64_t splitmix64(uint64_t seed, uint64_t r) {
  uint64_t z = seed + (r + 1) * kGamma;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// k[i] = entry r0 + i is kept, for i < n: 53 random bits below thr (= ceil(keep * 2^53)).
inline void keep_flags(bool* k, int64_t r0, int64_t n, uint64_t seed, uint64_t thr) {
  for (int64_t i = 0; i < n; ++i) k[i] = (splitmix64(seed, static_cast<uint64_t>(r0 + i)) >> 11) < thr;
}

// y[i] = k[i] ? a * x[i] + b : c for i < n, computed as m * (a x + b) + (1 - m) * c with m = 0 or 1, which
// compilers vectorise (a select on the flag byte becomes a scalar branch, mispredicted half the time at
// p = 0.5). Exact for finite x: kept values are a x + b, dropped ones c; like PyTorch's x * mask, a dropped
// inf or NaN gives NaN.
template <class T>
void apply_flags(T* y, const T* x, const bool* k, int64_t n, T a, T b, T c) {
  const uint8_t* kb = reinterpret_cast<const uint8_t*>(k);
  for (int64_t i = 0; i < n; ++i) {
    T m = static_cast<T>(kb[i]);
    y[i] = m * (a * x[i] + b) + (T(1) - m) * c;
  }
}

void dropout_cpu(const Tensor& y, const Tensor& mask, const Tensor& x, int64_t S, double keep, uint64_t seed,
                 double a, double b, double c) {
  // (53 random bits) * 2^-53 < keep  <=>  (53 random bits) < ceil(keep * 2^53); the product is exact.
  const uint64_t thr = static_cast<uint64_t>(std::ceil(keep * 9007199254740992.0));
  dispatch_float(x.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* X = x.data<T>();
    T* Y = y.data<T>();
    bool* K = mask.data<bool>();
    const T ta = T(a), tb = T(b), tc = T(c);
    int64_t R = mask.numel();
    parallel_for(0, R, std::max<int64_t>(1, kGrainElementwise / S), [&](int64_t r0, int64_t r1) {
      for (int64_t q0 = r0; q0 < r1; q0 += kChunk) {
        int64_t q1 = std::min(r1, q0 + kChunk);
        keep_flags(K + q0, q0, q1 - q0, seed, thr);
        if (S == 1) {
          apply_flags(Y + q0, X + q0, K + q0, q1 - q0, ta, tb, tc);
          continue;
        }
        for (int64_t r = q0; r < q1; ++r) {
          const T* p = X + r * S;
          T* o = Y + r * S;
          if (K[r]) {
            for (int64_t s = 0; s < S; ++s) o[s] = ta * p[s] + tb;
          } else {
            std::fill(o, o + S, tc);
          }
        }
      }
    });
  });
}

void dropout_backward_cpu(const Tensor& dx, const Tensor& dy, const Tensor& mask, int64_t S, double a) {
  dispatch_float(dy.dtype(), "dropout_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* G = dy.data<T>();
    T* O = dx.data<T>();
    const bool* K = mask.data<bool>();
    const T ta = T(a);
    int64_t R = mask.numel();
    parallel_for(0, R, std::max<int64_t>(1, kGrainElementwise / S), [&](int64_t r0, int64_t r1) {
      if (S == 1) {  // dx = dy * (a m), m = 0 or 1: branch-free, vectorised (see apply_flags)
        const uint8_t* kb = reinterpret_cast<const uint8_t*>(K);
        for (int64_t i = r0; i < r1; ++i) O[i] = G[i] * (ta * static_cast<T>(kb[i]));
        return;
      }
      for (int64_t r = r0; r < r1; ++r) {
        T* o = O + r * S;
        if (K[r]) {
          const T* g = G + r * S;
          for (int64_t s = 0; s < S; ++s) o[s] = ta * g[s];
        } else {
          std::fill(o, o + S, T(0));
        }
      }
    });
  });
}

}  // namespace

NC_REGISTER_KERNEL(dropout_kernel, CPU, dropout_cpu);
NC_REGISTER_KERNEL(dropout_backward_kernel, CPU, dropout_backward_cpu);

}  // namespace nc
