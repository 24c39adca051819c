// Tensor: a strided view over a shared Storage, plus the autograd fields.
// Shapes and strides are in elements. Views share the Storage and differ in offset/shape/strides.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>
#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"

namespace nc {

using Shape = std::vector<int64_t>;

struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  DeviceType device = DeviceType::CPU;
  std::shared_ptr<void> owner;  // an external owner of the memory (numpy array), if any
  uint64_t version = 0;         // bumped by every in-place write (see Note [Saved tensors])
  bool owns_heap = false;       // data came from our aligned allocation and is freed with us
  // Small tensors live inside the Storage object itself: one allocation instead of two, which
  // matters for tiny networks where allocation dominates a training step.
  static constexpr size_t kInlineBytes = 128;
  alignas(16) unsigned char inline_buf[kInlineBytes];  // malloc alignment: no memalign per tensor

  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  static std::shared_ptr<Storage> allocate(size_t nbytes, DeviceType device);
  static std::shared_ptr<Storage> wrap(void* data, size_t nbytes, std::shared_ptr<void> owner);
};

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  static Tensor empty(const Shape& shape, DType dtype, DeviceType device = DeviceType::CPU);
  static Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* get() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }

  const Shape& shape() const;
  const Shape& strides() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t d) const;
  int64_t numel() const;
  int64_t offset() const;
  DType dtype() const;
  DeviceType device() const;
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const;

  void* raw_data() const;  // pointer to the first element (offset applied)
  template <class T> T* data() const { return static_cast<T*>(raw_data()); }

  // Autograd fields.
  bool requires_grad() const;
  void set_requires_grad(bool r);
  bool is_leaf() const;
  const std::shared_ptr<Node>& grad_fn() const;
  Tensor grad() const;
  void set_grad(const Tensor& g);

  Tensor detach() const;  // same storage, no history

  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

using TensorList = std::vector<Tensor>;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;
  Shape shape, strides;
  int64_t numel = 0;
  DType dtype = DType::Float32;
  bool contiguous = true;

  bool requires_grad = false;         // leaf flag; non-leaves require grad through grad_fn
  std::shared_ptr<Node> grad_fn;      // the node that produced this tensor (null for leaves)
  uint32_t output_nr = 0;             // which output of grad_fn
  std::shared_ptr<TensorImpl> grad;   // accumulated gradient (leaves, or non-leaves with retain_grad)
  std::weak_ptr<Node> grad_accumulator;
  bool retains_grad = false;

  void refresh();  // recompute numel and contiguity from shape/strides
};

inline const Shape& Tensor::shape() const { return impl_->shape; }
inline const Shape& Tensor::strides() const { return impl_->strides; }
inline int64_t Tensor::numel() const { return impl_->numel; }
inline int64_t Tensor::offset() const { return impl_->offset; }
inline DType Tensor::dtype() const { return impl_->dtype; }
inline DeviceType Tensor::device() const { return impl_->storage->device; }
inline bool Tensor::is_contiguous() const { return impl_->contiguous; }
inline const std::shared_ptr<Storage>& Tensor::storage() const { return impl_->storage; }
inline void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage->data) + impl_->offset * static_cast<int64_t>(itemsize(impl_->dtype));
}
inline bool Tensor::requires_grad() const { return impl_->requires_grad || impl_->grad_fn != nullptr; }
inline bool Tensor::is_leaf() const { return impl_->grad_fn == nullptr; }
inline const std::shared_ptr<Node>& Tensor::grad_fn() const { return impl_->grad_fn; }
inline Tensor Tensor::grad() const { return Tensor(impl_->grad); }

// Shape helpers.
Shape contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);  // negative dims count from the end
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace nc
