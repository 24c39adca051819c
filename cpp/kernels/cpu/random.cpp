// Counter-based random numbers: element i of a draw is a hash of (seed, offset + i), so results
// do not depend on the thread count. Mixing function: splitmix64 (Steele, Lea & Flood 2014).
#include <cmath>
#include "core/parallel.h"
#include "ops/kernels.h"

namespace nc {
namespace {

inline uint64_t mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
// Uniform double in [0, 1) with 53 random bits.
inline double uniform01(uint64_t seed, uint64_t counter) {
  return static_cast<double>(mix(seed ^ mix(counter)) >> 11) * (1.0 / 9007199254740992.0);
}

void random_cpu(const Tensor& out, Distribution dist, double a, double b, uint64_t seed, uint64_t offset) {
  int64_t n = out.numel();
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    parallel_for(0, n, kGrainElementwise, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        uint64_t c = offset + static_cast<uint64_t>(i);
        switch (dist) {
          case Distribution::Uniform: o[i] = static_cast<T>(a + (b - a) * uniform01(seed, c)); break;
          case Distribution::Normal: {
            // Box-Muller from two independent uniforms of this element's counter.
            double u1 = 1.0 - uniform01(seed, 2 * c), u2 = uniform01(seed, 2 * c + 1);
            double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
            o[i] = static_cast<T>(a + b * z);
            break;
          }
          case Distribution::Bernoulli: o[i] = static_cast<T>(uniform01(seed, c) < a ? 1 : 0); break;
          case Distribution::IntRange: {
            uint64_t span = static_cast<uint64_t>(b - a);
            o[i] = static_cast<T>(static_cast<int64_t>(a) + static_cast<int64_t>(mix(seed ^ mix(c)) % span));
            break;
          }
        }
      }
    });
  });
}

}  // namespace

NC_REGISTER_KERNEL(random_kernel, CPU, random_cpu);

}  // namespace nc
