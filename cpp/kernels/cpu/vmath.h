// Elementwise math the compiler can vectorise (libm calls do not vectorise without -ffast-math).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace nc {

// The widest vector the build targets, in bytes (GCC/Clang vector-extension kernels size themselves by it).
#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
#elif defined(__AVX__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif

#if defined(_MSC_VER)
#define NC_INLINE __forceinline
#else
#define NC_INLINE inline __attribute__((always_inline))
#endif

// exp that the compiler can vectorise: float32 uses range reduction x = n ln2 + r and a degree-6
// polynomial for e^r (Cephes expf's coefficients, ~1 ulp), then scales by 2^n through the
// exponent bits; float64 keeps std::exp (libm calls do not vectorise without -ffast-math).
NC_INLINE float vexp(float x) {
  const float hi = 88.7228f, lo = -87.3365f;
  // A NaN fails both comparisons; converting it to int below would be undefined behaviour (UBSan: "left shift of
  // negative value"), so 0 stands in for it and the NaN is returned at the end.
  float xc = x > hi ? hi : (x < lo ? lo : (x == x ? x : 0.0f));
  float n = std::nearbyint(xc * 1.44269504088896341f);
  float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  float y = p * scale;
  y = x > hi ? std::numeric_limits<float>::infinity() : y;
  y = x == x ? y : x;
  return x < lo ? 0.0f : y;
}
NC_INLINE double vexp(double x) { return std::exp(x); }

// tanh for float32 that the compiler can vectorise: |x| < 0.625: x + x^3 P(x^2), P a degree-4 Chebyshev fit of
// (tanh(x) - x) / x^3 (relative error < 2e-8); above: 1 - 2 / (e^(2|x|) + 1) with vexp, exact to a few ulp
// (e^(2|x|) >= 3.4 there, so the subtraction loses at most one bit). NaN stays NaN; float64 keeps std::tanh.
NC_INLINE float vtanh(float x) {
  const float a = std::abs(x), t = x * x;
  float p = -0.006104955929058112f;
  p = p * t + 0.02100366926778358f;
  p = p * t - 0.053852511863558494f;
  p = p * t + 0.13332782487228223f;
  p = p * t - 0.33333329108121157f;
  const float small = a + a * t * p;                      // tanh(|x|) for |x| < 0.625
  // No clamp before vexp: e^(2|x|) = inf gives exactly 1, and a clamp there (a select feeding vexp's own
  // selects) stops GCC from vectorising the loop.
  const float big = 1.0f - 2.0f / (vexp(2.0f * a) + 1.0f);  // tanh(|x|) above
  const float r = std::copysign(a < 0.625f ? small : big, x);  // odd function; -0 stays -0
  return x == x ? r : x;                                  // NaN stays NaN
}
NC_INLINE double vtanh(double x) { return std::tanh(x); }

// erf for float32: Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7) on top of vexp; float64: std::erf.
NC_INLINE float verf(float x) {
  float a = std::abs(x);
  float t = 1.0f / (1.0f + 0.3275911f * a);
  float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  float y = 1.0f - poly * vexp(-a * a);
  return x < 0 ? -y : y;
}
NC_INLINE double verf(double x) { return std::erf(x); }


}  // namespace nc
