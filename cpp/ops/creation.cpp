// Tensor factories and the global random generator.
#include <climits>
#include <cmath>
#include <mutex>
#include "ops/ops.h"

namespace nc {

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  fill_kernel(DeviceType::CPU, t, value);
  return t;
}
Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor scalar_tensor(double value, DType dtype) { return full({}, value, dtype); }
Tensor empty_like(const Tensor& x, std::optional<DType> dtype) {
  return Tensor::empty(x.shape(), dtype.value_or(x.dtype()), x.device());
}
Tensor zeros_like(const Tensor& x) { return zeros(x.shape(), x.dtype()); }

Tensor arange(double start, double end, double step, DType dtype) {
  NC_CHECK(step != 0, ValueError, "arange: step must be nonzero");
  NC_CHECK(std::isfinite(start) && std::isfinite(end), ValueError, "arange: start and end must be finite, got ", start,
           " and ", end);
  double n = std::ceil((end - start) / step);
  NC_CHECK(n >= 0, ValueError, "arange: step ", step, " points away from end (start=", start, ", end=", end, ")");
  Tensor t = Tensor::empty({static_cast<int64_t>(n)}, dtype);
  dispatch_numeric(dtype, "arange", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  NC_CHECK(steps >= 0, ValueError, "linspace: number of steps must be non-negative, got ", steps);
  Tensor t = Tensor::empty({steps}, dtype);
  dispatch_numeric(dtype, "linspace", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    double h = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
    // Fill from both ends so the last value is exactly `end`.
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<T>(i < (steps + 1) / 2 ? start + h * static_cast<double>(i)
                                          : end - h * static_cast<double>(steps - 1 - i));
  });
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  NC_CHECK(n >= 0 && m >= 0, ValueError, "eye: sizes must be non-negative, got (", n, ", ", m, ")");
  NC_CHECK(m == 0 || n <= INT64_MAX / 8 / m, ValueError, "eye: (", n, ", ", m, ") is too large to allocate");
  Tensor t = zeros({n, m}, dtype);
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = T(1);
  });
  return t;
}

// The global generator: a seed and a running counter (see kernels/cpu/random.cpp).
namespace {
std::mutex g_rng_mutex;
uint64_t g_seed = 5489, g_offset = 0;
}  // namespace

void manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(g_rng_mutex);
  g_seed = seed;
  g_offset = 0;
}
uint64_t initial_seed() { return g_seed; }

void random_(const Tensor& out, Distribution dist, double a, double b) {
  out.storage()->version++;
  uint64_t seed, offset;
  {
    std::lock_guard<std::mutex> lock(g_rng_mutex);
    seed = g_seed;
    offset = g_offset;
    // Normal draws consume two counters per element.
    g_offset += static_cast<uint64_t>(out.numel()) * (dist == Distribution::Normal ? 2 : 1);
  }
  if (out.is_contiguous()) {
    random_kernel(out.device(), out, dist, a, b, seed, offset);
  } else {
    Tensor tmp = empty_like(out);
    random_kernel(out.device(), tmp, dist, a, b, seed, offset);
    copy_(out, tmp);
  }
}

Tensor rand(const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch_float(dtype, "rand", [](auto) {});
  random_(t, Distribution::Uniform, 0.0, 1.0);
  return t;
}
Tensor randn(const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch_float(dtype, "randn", [](auto) {});
  random_(t, Distribution::Normal, 0.0, 1.0);
  return t;
}
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype) {
  NC_CHECK(high > low, ValueError, "randint: expected low < high, got low=", low, ", high=", high);
  Tensor t = Tensor::empty(shape, dtype);
  random_(t, Distribution::IntRange, static_cast<double>(low), static_cast<double>(high));
  return t;
}
Tensor randperm(int64_t n) {
  NC_CHECK(n >= 0, ValueError, "randperm: n must be non-negative, got ", n);
  NC_CHECK(n < (int64_t(1) << 40), ValueError, "randperm: n = ", n, " is too large");
  // Fisher-Yates driven by one draw of uniforms from the generator.
  Tensor u = rand({n}, DType::Float64);
  Tensor t = arange(0, static_cast<double>(n), 1, DType::Int64);
  int64_t* p = t.data<int64_t>();
  const double* r = u.data<double>();
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(r[i] * static_cast<double>(i + 1));
    std::swap(p[i], p[std::min(j, i)]);
  }
  return t;
}

}  // namespace nc
