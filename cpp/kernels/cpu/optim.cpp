// Fused optimizer updates: one pass over each parameter, no temporaries.
#include "core/parallel.h"
#include "ops/kernels.h"

namespace nc {
namespace {

template <class T>
void sgd_typed(int64_t n, T* p, const T* g, T* buf, bool first, const SgdOptions& o) {
  const T lr = T(o.lr), mom = T(o.momentum), damp = T(1 - o.dampening), wd = T(o.weight_decay);
  const T sign = o.maximize ? T(-1) : T(1);
  parallel_for(0, n, kGrainElementwise, [&](int64_t b, int64_t e) {
    if (!buf) {
      for (int64_t i = b; i < e; ++i) p[i] -= lr * (sign * g[i] + wd * p[i]);
      return;
    }
    for (int64_t i = b; i < e; ++i) {
      T d = sign * g[i] + wd * p[i];
      T v = first ? d : mom * buf[i] + damp * d;
      buf[i] = v;
      p[i] -= lr * (o.nesterov ? d + mom * v : v);
    }
  });
}

void sgd_cpu(DType dtype, int64_t n, void* p, const void* g, void* buf, bool first, const SgdOptions& o) {
  dispatch_float(dtype, "sgd", [&](auto tag) {
    using T = decltype(tag);
    sgd_typed<T>(n, static_cast<T*>(p), static_cast<const T*>(g), static_cast<T*>(buf), first, o);
  });
}

}  // namespace

NC_REGISTER_KERNEL(sgd_kernel, CPU, sgd_cpu);

}  // namespace nc
