// Gather and scatter-add of whole slices along one axis: x is (O, N, I), index holds K ids.
#include <cstring>
#include "core/parallel.h"
#include "ops/kernels.h"

namespace nc {
namespace {

void index_select_cpu(const Tensor& out, const Tensor& x, const Tensor& index, int64_t O, int64_t N, int64_t I) {
  const int64_t* idx = index.data<int64_t>();
  int64_t K = index.numel();
  size_t isz = itemsize(x.dtype());
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  parallel_for(0, O * K, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(I, 1)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / K, k = t % K;
      std::memcpy(dst + (o * K + k) * I * isz, src + (o * N + idx[k]) * I * isz, I * isz);
    }
  });
}

void index_add_cpu(const Tensor& dx, const Tensor& dy, const Tensor& index, int64_t O, int64_t N, int64_t I) {
  const int64_t* idx = index.data<int64_t>();
  int64_t K = index.numel();
  dispatch_numeric(dx.dtype(), "index_add", [&](auto tag) {
    using T = decltype(tag);
    T* d = dx.data<T>();
    const T* g = dy.data<T>();
    // Parallel over O only: repeated ids within one o would race if k were split across threads.
    parallel_for(0, O, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(K * I, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o)
        for (int64_t k = 0; k < K; ++k) {
          T* row = d + (o * N + idx[k]) * I;
          const T* src = g + (o * K + k) * I;
          for (int64_t i = 0; i < I; ++i) row[i] += src[i];
        }
    });
  });
}

}  // namespace

NC_REGISTER_KERNEL(index_select_kernel, CPU, index_select_cpu);
NC_REGISTER_KERNEL(index_add_kernel, CPU, index_add_cpu);

}  // namespace nc
