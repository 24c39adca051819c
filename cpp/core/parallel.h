// Threading: one OpenMP pool runs our kernels and splits GEMMs (OpenBLAS stays single-threaded).
#pragma once
#include <algorithm>
#include <cstdint>
#include <omp.h>

namespace nc {

void set_num_threads(int n);
int get_num_threads();

// Elementwise work below this many elements runs on one thread: forking costs more than it saves.
constexpr int64_t kGrainElementwise = 32768;

// f(begin, end) over [begin, end) split into contiguous chunks, one per thread. Serial when the
// range is small, when one thread is configured, or when already inside a parallel region.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  int64_t n = end - begin;
  if (n <= 0) return;
  int max_t = omp_get_max_threads();
  int64_t want = grain > 0 ? (n + grain - 1) / grain : n;
  int nt = static_cast<int>(std::min<int64_t>(max_t, want));
  if (nt <= 1 || omp_in_parallel()) {
    f(begin, end);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    int64_t chunk = (n + T - 1) / T;
    int64_t b = begin + t * chunk, e = std::min(end, b + chunk);
    if (b < e) f(b, e);
  }
}

}  // namespace nc
