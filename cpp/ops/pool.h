// Pooling over the trailing spatial dims of (N, C, L) / (N, C, H, W), or unbatched (C, L) / (C, H, W):
// max, min, average, power-average (Lp) and adaptive average / max, with PyTorch's semantics.
// The op layer (ops/pool.cpp) validates and views every input as P = N*C contiguous planes (P, H, W);
// 1-D pooling is 2-D pooling with H = 1. The CPU kernels live in kernels/cpu/pool.cpp.
#pragma once
#include <optional>
#include <utility>
#include <vector>
#include "ops/ops.h"

namespace nc {

// ---- kernel table entries (storage in ops/pool.cpp, CPU implementation in kernels/cpu/pool.cpp)

enum class PoolMode : uint8_t { Max, Min, Avg };

// Note [Pooling windows]: along one axis of input size n, output o looks at the k cells
// start + j*d (j = 0..k-1) with start = o*s - p; cells outside [0, n) are padding: never win a max/min
// (as if -inf / +inf), add nothing to an average. Average's divisor (PyTorch's rule): the window clipped
// to [-p, n + p) when count_include_pad, else the number of real cells; divisor > 0 overrides both.
// Adaptive pooling (adaptive = true, k/s/p/d unused): output o covers [floor(o*n/out), ceil((o+1)*n/out)).
struct PoolGeometry {
  int64_t P = 0, H = 1, W = 1, OH = 1, OW = 1;  // x is (P, H, W), y is (P, OH, OW)
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  bool adaptive = false;
  bool count_include_pad = true;
  int64_t divisor = 0;
};

// Forward: y (P, OH, OW) = pool(x (P, H, W)). Max/Min also write indices (P, OH, OW) int64: h * W + w
// of each window's winner (the first one on ties; NaN wins and propagates), unless indices is undefined.
using PoolFn = void(PoolMode mode, const Tensor& y, const Tensor& indices, const Tensor& x, const PoolGeometry& g);
// Backward: dx (P, H, W) = dy (P, OH, OW) pushed back through the windows; overwrites dx. Max/Min send each
// dy to its indices entry, Avg spreads dy / divisor over the window; overlapping windows accumulate (+=).
using PoolBackwardFn = void(PoolMode mode, const Tensor& dx, const Tensor& dy, const Tensor& indices,
                            const PoolGeometry& g);
NC_DECLARE_KERNEL(pool_kernel, PoolFn);
NC_DECLARE_KERNEL(pool_backward_kernel, PoolBackwardFn);

// ---- public ops (ops/pool.cpp). Sizes are given per spatial dim, or one value for all of them.

struct PoolOptions {
  std::vector<int64_t> kernel_size;
  std::vector<int64_t> stride;  // empty: kernel_size
  std::vector<int64_t> padding{0};
  std::vector<int64_t> dilation{1};
  bool ceil_mode = false;
  bool count_include_pad = true;            // Avg only
  std::optional<int64_t> divisor_override;  // Avg only
};

// mode-pooling over the last `dims` (1 or 2) dims of x. Returns (y, indices); indices is defined only for
// Max/Min with return_indices. Output size per dim: floor((n + 2p - d(k-1) - 1) / s) + 1, with ceil instead
// of floor under ceil_mode, dropping a last window that would start in the right padding.
std::pair<Tensor, Tensor> pool_nd(PoolMode mode, const Tensor& x, int dims, const PoolOptions& o, bool return_indices,
                                  const char* name);
// Adaptive average / max pooling to output_size; an entry of -1 (Python's None) keeps that input size.
std::pair<Tensor, Tensor> adaptive_pool_nd(PoolMode mode, const Tensor& x, int dims,
                                           const std::vector<int64_t>& output_size, bool return_indices,
                                           const char* name);
// Power-average pooling, PyTorch's definition: (sum over the window of x^p)^(1/p), computed as
// (sign(a) * relu(|a|) * kernel_area)^(1/p) with a = avg_pool(x^p) (no padding); p = inf is max(|x|).
Tensor lp_pool_nd(const Tensor& x, int dims, double norm_type, const std::vector<int64_t>& kernel_size,
                  const std::vector<int64_t>& stride, bool ceil_mode, const char* name);

}  // namespace nc
