#include "core/tensor.h"
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>
#ifdef _WIN32
#include <malloc.h>
#endif

namespace nc {

// Note [Block cache]: large blocks come from mmap, and every fresh mapping is zero-filled by the
// kernel on first touch; in a training loop that allocates the same sizes every step, page faults
// took 10-25% of an LSTM or cross-entropy step. Freed blocks are kept for reuse by exact size,
// up to kCacheBytes in all (beyond that they go back to the system).
namespace {
constexpr size_t kCacheMinBytes = 64 << 10;
constexpr size_t kCacheBytes = size_t(512) << 20;
struct BlockCache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  size_t cached = 0;
};
BlockCache& block_cache() {
  static BlockCache* c = new BlockCache();  // never destroyed: storages may outlive static teardown
  return *c;
}
void* raw_alloc(size_t bytes) {
#ifdef _WIN32
  return _aligned_malloc(bytes, 64);
#else
  return std::aligned_alloc(64, bytes);
#endif
}
void raw_free(void* p) {
#ifdef _WIN32
  _aligned_free(p);
#else
  std::free(p);
#endif
}
void* cached_alloc(size_t bytes) {
  if (bytes >= kCacheMinBytes) {
    BlockCache& c = block_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_blocks.find(bytes);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= bytes;
      return p;
    }
  }
  return raw_alloc(bytes);
}
void cached_free(void* p, size_t bytes) {
  if (bytes >= kCacheMinBytes) {
    BlockCache& c = block_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cached + bytes <= kCacheBytes) {
      c.free_blocks[bytes].push_back(p);
      c.cached += bytes;
      return;
    }
  }
  raw_free(p);
}
}  // namespace

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, DeviceType device) {
  NC_CHECK(device == DeviceType::CPU, RuntimeError, "allocate: no ", device_name(device), " allocator in this build");
  auto s = std::make_shared<Storage>();
  s->nbytes = nbytes;
  s->device = device;
  if (nbytes <= kInlineBytes) {  // (nbytes may be 0)
    s->data = s->inline_buf;
  } else {
    // 64-byte alignment: whole cache lines and aligned AVX-512 loads.
    size_t bytes = ((nbytes + 63) / 64) * 64;
    s->data = cached_alloc(bytes);
    if (!s->data) throw std::bad_alloc();
    s->owns_heap = true;
  }
  return s;
}

Storage::~Storage() {
  if (owns_heap) cached_free(data, ((nbytes + 63) / 64) * 64);
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t nbytes, std::shared_ptr<void> owner) {
  auto s = std::make_shared<Storage>();
  s->data = data;
  s->nbytes = nbytes;
  s->device = DeviceType::CPU;
  s->owner = std::move(owner);
  return s;
}

void TensorImpl::refresh() {
  numel = shape_numel(shape);
  contiguous = true;
  if (numel == 0) return;  // an empty tensor is contiguous whatever its strides
  int64_t expected = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] == 1) continue;
    if (strides[d] != expected) { contiguous = false; break; }
    expected *= shape[d];
  }
}

Tensor Tensor::empty(const Shape& shape, DType dtype, DeviceType device) {
  // Sizes are checked for overflow of the byte count before anything is allocated.
  int64_t n = 1;
  const int64_t limit = INT64_MAX / 8;
  for (int64_t s : shape) {
    NC_CHECK(s >= 0, ValueError, "negative dimension in shape ", shape);
    NC_CHECK(s == 0 || n <= limit / s, ValueError, "tensor of shape ", shape, " is too large to allocate");
    n *= s;
  }
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->numel = shape_numel(shape);
  impl->contiguous = true;
  impl->storage = Storage::allocate(static_cast<size_t>(impl->numel) * itemsize(dtype), device);
  return Tensor(std::move(impl));
}

Tensor Tensor::make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  impl->refresh();
  return Tensor(std::move(impl));
}

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

void Tensor::set_requires_grad(bool r) {
  NC_CHECK(!r || is_floating(dtype()), RuntimeError,
           "only floating-point tensors can require gradients, got dtype ", dtype_name(dtype()));
  NC_CHECK(is_leaf() || r, RuntimeError,
           "requires_grad_(False) can only be set on leaf tensors; use detach() for a non-leaf");
  impl_->requires_grad = r;
}

void Tensor::set_grad(const Tensor& g) {
  if (g.defined()) {
    NC_CHECK(g.shape() == shape(), ValueError, "assigned grad has shape ", g.shape(), " but the tensor has shape ",
             shape());
    NC_CHECK(g.dtype() == dtype(), TypeError, "assigned grad has dtype ", dtype_name(g.dtype()),
             " but the tensor has dtype ", dtype_name(dtype()));
  }
  impl_->grad = g.impl();
}

Tensor Tensor::detach() const {
  Tensor t = make_view(*this, shape(), strides(), offset());
  return t;
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t s = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    st[d] = s;
    s *= std::max<int64_t>(shape[d], 1);
  }
  return st;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  NC_CHECK(dim >= lo && dim <= hi, IndexError, op, ": dimension ", dim, " is out of range for a tensor with ", ndim,
           " dimension(s) (expected a value in [", lo, ", ", hi, "])");
  return dim < 0 ? dim + std::max<int64_t>(ndim, 1) : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    NC_CHECK(da == db || da == 1 || db == 1, ValueError, op, ": shapes ", a, " and ", b,
             " cannot be broadcast together (dimension ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace nc
