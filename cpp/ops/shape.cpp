// Views (reshape, permute, expand, squeeze, slice, select), concatenation and gathers.
#include <algorithm>
#include <optional>
#include "ops/ops.h"

namespace nc {

namespace {

struct ReshapeBackward : Node {
  Shape in_shape;
  explicit ReshapeBackward(Shape s) : in_shape(std::move(s)) {}
  TensorList apply(TensorList&& g) override { return {reshape(g[0], in_shape)}; }
  std::string name() const override { return "ViewBackward"; }
};
struct PermuteBackward : Node {
  std::vector<int64_t> inverse;
  TensorList apply(TensorList&& g) override { return {permute(g[0], inverse)}; }
  std::string name() const override { return "PermuteBackward"; }
};
struct ExpandBackward : Node {
  Shape in_shape;
  explicit ExpandBackward(Shape s) : in_shape(std::move(s)) {}
  TensorList apply(TensorList&& g) override { return {sum_to(g[0], in_shape)}; }
  std::string name() const override { return "ExpandBackward"; }
};
// Slice and select: the gradient is zero except in the region that was read.
struct SliceBackward : Node {
  Shape in_shape;
  int64_t dim, start, stop, step, index;
  bool is_select;
  TensorList apply(TensorList&& g) override {
    Tensor dx = zeros(in_shape, g[0].dtype());
    Tensor region = is_select ? select(dx, dim, index) : slice(dx, dim, start, stop, step);
    copy_(region, g[0]);
    return {dx};
  }
  std::string name() const override { return is_select ? "SelectBackward" : "SliceBackward"; }
};
struct CatBackward : Node {
  int64_t dim;
  std::vector<int64_t> sizes;
  TensorList apply(TensorList&& g) override {
    TensorList out;
    int64_t off = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      out.push_back(needs_grad(i) ? slice(g[0], dim, off, off + sizes[i], 1) : Tensor());
      off += sizes[i];
    }
    return out;
  }
  std::string name() const override { return "CatBackward"; }
};
struct IndexSelectBackward : Node {
  Shape in_shape;
  int64_t dim;
  Tensor index;
  TensorList apply(TensorList&& g) override {
    Tensor dx = zeros(in_shape, g[0].dtype());
    Tensor gc = contiguous(g[0]);
    int64_t O = 1, I = 1;
    for (int64_t d = 0; d < dim; ++d) O *= in_shape[d];
    for (size_t d = dim + 1; d < in_shape.size(); ++d) I *= in_shape[d];
    index_add_kernel(dx.device(), dx, gc, index, O, in_shape[dim], I);
    return {dx, Tensor()};
  }
  void release() override { index = Tensor(); }
  std::string name() const override { return "IndexSelectBackward"; }
};

// Strides for viewing x as `shape` without a copy, if possible (contiguous chunks of x's dims
// must map onto contiguous chunks of the new dims).
std::optional<Shape> view_strides(const Tensor& x, const Shape& shape) {
  if (x.is_contiguous()) return contiguous_strides(shape);
  const Shape &os = x.shape(), &ot = x.strides();
  if (os.empty()) return contiguous_strides(shape);
  Shape st(shape.size());
  int64_t vd = static_cast<int64_t>(shape.size()) - 1;
  int64_t base = ot.back(), tn = 1, vn = 1;
  for (int64_t td = static_cast<int64_t>(os.size()) - 1; td >= 0; --td) {
    tn *= os[td];
    if (td == 0 || (os[td - 1] != 1 && ot[td - 1] != tn * base)) {
      while (vd >= 0 && (vn < tn || shape[vd] == 1)) {
        st[vd] = vn * base;
        vn *= shape[vd];
        --vd;
      }
      if (vn != tn) return std::nullopt;
      if (td > 0) base = ot[td - 1], tn = 1, vn = 1;
    }
  }
  if (vd != -1) return std::nullopt;
  return st;
}

}  // namespace

Shape infer_shape(const Shape& shape, int64_t numel, const char* op) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      NC_CHECK(infer < 0, ValueError, op, ": only one dimension can be -1, got shape ", shape);
      infer = static_cast<int64_t>(i);
    } else {
      NC_CHECK(out[i] >= 0, ValueError, op, ": invalid dimension ", out[i], " in shape ", shape);
      known *= out[i];
    }
  }
  if (infer >= 0) {
    NC_CHECK(known != 0 && numel % known == 0, ValueError, op, ": shape ", shape, " is invalid for input of size ",
             numel);
    out[infer] = numel / known;
  }
  NC_CHECK(shape_numel(out) == numel, ValueError, op, ": shape ", shape, " is invalid for input of size ", numel);
  return out;
}

Tensor view(const Tensor& x, Shape shape) {
  shape = infer_shape(shape, x.numel(), "view");
  auto st = view_strides(x, shape);
  NC_CHECK(st.has_value(), RuntimeError, "view: shape ", shape, " is not compatible with the input's size ", x.shape(),
           " and strides ", x.strides(), "; use reshape(), which copies when needed");
  Tensor out = Tensor::make_view(x, shape, *st, x.offset());
  if (auto n = make_node<ReshapeBackward>({&x}, x.shape())) set_history(out, n);
  return out;
}

Tensor reshape(const Tensor& x, Shape shape) {
  shape = infer_shape(shape, x.numel(), "reshape");
  if (shape == x.shape() && !x.requires_grad()) return x;
  if (view_strides(x, shape)) return view(x, shape);
  return view(clone(x), shape);
}

Tensor permute(const Tensor& x, std::vector<int64_t> dims) {
  int64_t nd = x.dim();
  NC_CHECK(static_cast<int64_t>(dims.size()) == nd, ValueError, "permute: expected ", nd, " dims for a tensor of shape ",
           x.shape(), ", got ", Shape(dims));
  std::vector<bool> seen(nd, false);
  Shape shape(nd), strides(nd);
  std::vector<int64_t> inverse(nd);
  for (int64_t i = 0; i < nd; ++i) {
    int64_t d = wrap_dim(dims[i], nd, "permute");
    NC_CHECK(!seen[d], ValueError, "permute: dimension ", d, " repeats in ", Shape(dims));
    seen[d] = true;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
    inverse[d] = i;
  }
  Tensor out = Tensor::make_view(x, shape, strides, x.offset());
  if (auto n = make_node<PermuteBackward>({&x})) {
    n->inverse = inverse;
    set_history(out, n);
  }
  return out;
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  int64_t nd = x.dim();
  if (nd == 0) return x;
  std::vector<int64_t> p(nd);
  for (int64_t i = 0; i < nd; ++i) p[i] = i;
  std::swap(p[wrap_dim(d0, nd, "transpose")], p[wrap_dim(d1, nd, "transpose")]);
  return permute(x, p);
}

Tensor expand(const Tensor& x, Shape shape) {
  int64_t nd = static_cast<int64_t>(shape.size()), xd = x.dim();
  NC_CHECK(nd >= xd, ValueError, "expand: cannot expand a tensor of shape ", x.shape(), " to fewer dimensions ", shape);
  if (shape == x.shape()) return x;
  Shape strides(nd, 0);
  for (int64_t i = 0; i < nd; ++i) {
    int64_t j = i - (nd - xd);
    if (shape[i] == -1) {
      NC_CHECK(j >= 0, ValueError, "expand: -1 is not allowed for a new leading dimension in ", shape);
      shape[i] = x.shape()[j];
    }
    if (j < 0) continue;
    if (x.shape()[j] == shape[i]) strides[i] = x.strides()[j];
    else
      NC_CHECK(x.shape()[j] == 1, ValueError, "expand: the size ", x.shape()[j], " of dimension ", j,
               " must match ", shape[i], " (or be 1) to expand ", x.shape(), " to ", shape);
  }
  Tensor out = Tensor::make_view(x, shape, strides, x.offset());
  if (auto n = make_node<ExpandBackward>({&x}, x.shape())) set_history(out, n);
  return out;
}

Tensor squeeze(const Tensor& x, std::optional<std::vector<int64_t>> dims) {
  std::vector<bool> drop(x.dim(), false);
  if (!dims) {
    for (int64_t d = 0; d < x.dim(); ++d) drop[d] = x.shape()[d] == 1;
  } else {
    for (int64_t d : *dims) {
      int64_t w = wrap_dim(d, x.dim(), "squeeze");
      if (x.dim() > 0) drop[w] = x.shape()[w] == 1;  // like PyTorch: a dim of size != 1 is left alone
    }
  }
  Shape s;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!drop[d]) s.push_back(x.shape()[d]);
  return view(x, s);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int64_t d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape s = x.shape();
  s.insert(s.begin() + d, 1);
  Shape st = x.strides();
  st.insert(st.begin() + d, d < x.dim() ? x.shape()[d] * x.strides()[d] : 1);
  Tensor out = Tensor::make_view(x, s, st, x.offset());
  if (auto n = make_node<ReshapeBackward>({&x}, x.shape())) set_history(out, n);
  return out;
}

Tensor flatten(const Tensor& x, int64_t start, int64_t end) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t s = wrap_dim(start, x.dim(), "flatten"), e = wrap_dim(end, x.dim(), "flatten");
  NC_CHECK(s <= e, ValueError, "flatten: start_dim ", s, " comes after end_dim ", e);
  Shape shape;
  for (int64_t d = 0; d < s; ++d) shape.push_back(x.shape()[d]);
  int64_t m = 1;
  for (int64_t d = s; d <= e; ++d) m *= x.shape()[d];
  shape.push_back(m);
  for (int64_t d = e + 1; d < x.dim(); ++d) shape.push_back(x.shape()[d]);
  return reshape(x, shape);
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  int64_t d = wrap_dim(dim, x.dim(), "slice");
  NC_CHECK(step > 0, ValueError, "slice: step must be positive, got ", step);
  int64_t size = x.shape()[d];
  start = std::clamp<int64_t>(start, 0, size);
  stop = std::clamp<int64_t>(stop, start, size);
  int64_t n = stop > start ? (stop - start + step - 1) / step : 0;
  Shape s = x.shape(), st = x.strides();
  s[d] = n;
  st[d] *= step;
  Tensor out = Tensor::make_view(x, s, st, x.offset() + (n > 0 ? start * x.strides()[d] : 0));
  if (auto node = make_node<SliceBackward>({&x})) {
    node->in_shape = x.shape();
    node->dim = d, node->start = start, node->stop = stop, node->step = step, node->index = 0;
    node->is_select = false;
    set_history(out, node);
  }
  return out;
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  NC_CHECK(x.dim() > 0, IndexError, "select: cannot index a 0-d tensor");
  int64_t d = wrap_dim(dim, x.dim(), "select");
  int64_t size = x.shape()[d];
  NC_CHECK(index >= -size && index < size, IndexError, "index ", index, " is out of bounds for dimension ", d,
           " with size ", size);
  if (index < 0) index += size;
  Shape s = x.shape(), st = x.strides();
  s.erase(s.begin() + d);
  st.erase(st.begin() + d);
  Tensor out = Tensor::make_view(x, s, st, x.offset() + index * x.strides()[d]);
  if (auto node = make_node<SliceBackward>({&x})) {
    node->in_shape = x.shape();
    node->dim = d, node->index = index, node->start = node->stop = node->step = 0;
    node->is_select = true;
    set_history(out, node);
  }
  return out;
}

Tensor cat(const TensorList& xs, int64_t dim) {
  NC_CHECK(!xs.empty(), ValueError, "cat: expected a non-empty list of tensors");
  const Tensor& ref = xs[0];
  for (size_t i = 0; i < xs.size(); ++i)
    NC_CHECK(xs[i].dim() > 0, ValueError, "cat: zero-dimensional tensor (at position ", i,
             ") cannot be concatenated; use stack() or unsqueeze it first");
  int64_t d = wrap_dim(dim, ref.dim(), "cat");
  DType dt = ref.dtype();
  for (auto& t : xs) dt = promote(dt, t.dtype());
  Shape shape = ref.shape();
  int64_t total = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    NC_CHECK(t.dim() == ref.dim(), ValueError, "cat: tensor ", i, " has ", t.dim(), " dims but tensor 0 has ", ref.dim(),
             " (shapes ", t.shape(), " and ", ref.shape(), ")");
    for (int64_t k = 0; k < ref.dim(); ++k)
      NC_CHECK(k == d || t.shape()[k] == ref.shape()[k], ValueError, "cat: sizes must match except in dimension ", d,
               "; tensor ", i, " has shape ", t.shape(), " but tensor 0 has shape ", ref.shape());
    sizes.push_back(t.shape()[d]);
    total += t.shape()[d];
  }
  shape[d] = total;
  Tensor out = Tensor::empty(shape, dt, ref.device());
  int64_t off = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    copy_(slice(out, d, off, off + sizes[i], 1), xs[i]);
    off += sizes[i];
  }
  if (is_floating(dt) && GradMode::enabled()) {
    bool any = false;
    for (auto& t : xs) any = any || t.requires_grad();
    if (any) {
      auto n = std::make_shared<CatBackward>();
      for (auto& t : xs) n->next.push_back(gradient_edge(t));
      n->dim = d;
      n->sizes = sizes;
      set_history(out, n);
    }
  }
  return out;
}

Tensor stack(const TensorList& xs, int64_t dim) {
  NC_CHECK(!xs.empty(), ValueError, "stack: expected a non-empty list of tensors");
  int64_t d = wrap_dim(dim, xs[0].dim() + 1, "stack");
  TensorList us;
  for (size_t i = 0; i < xs.size(); ++i) {
    NC_CHECK(xs[i].shape() == xs[0].shape(), ValueError, "stack: all tensors must have the same shape; tensor ", i,
             " has shape ", xs[i].shape(), " but tensor 0 has shape ", xs[0].shape());
    us.push_back(unsqueeze(xs[i], d));
  }
  return cat(us, d);
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index_in) {
  NC_CHECK(index_in.dtype() == DType::Int64, TypeError, "index_select: index must be int64, got ",
           dtype_name(index_in.dtype()));
  NC_CHECK(index_in.dim() <= 1, ValueError, "index_select: index must be 0-d or 1-d, got shape ", index_in.shape());
  Tensor xs = x.dim() == 0 ? reshape(x, {1}) : x;
  int64_t d = wrap_dim(dim, xs.dim(), "index_select");
  int64_t N = xs.shape()[d];
  Tensor index = contiguous_copy(reshape(index_in, {-1}));
  int64_t* ip = index.data<int64_t>();
  for (int64_t k = 0; k < index.numel(); ++k) {
    NC_CHECK(ip[k] >= -N && ip[k] < N, IndexError, "index ", ip[k], " is out of bounds for dimension ", d,
             " with size ", N);
    if (ip[k] < 0) ip[k] += N;
  }
  Tensor src = contiguous(xs.detach());
  Shape s = xs.shape();
  s[d] = index.numel();
  Tensor out = Tensor::empty(s, xs.dtype(), xs.device());
  int64_t O = 1, I = 1;
  for (int64_t k = 0; k < d; ++k) O *= s[k];
  for (int64_t k = d + 1; k < xs.dim(); ++k) I *= s[k];
  index_select_kernel(xs.device(), out, src, index, O, N, I);
  if (is_floating(xs.dtype()))
    if (auto n = make_node<IndexSelectBackward>({&xs})) {
      n->in_shape = xs.shape();
      n->dim = d;
      n->index = index;
      set_history(out, n);
    }
  if (index_in.dim() == 0) out = select(out, d, 0);
  return out;
}

Tensor nonzero(const Tensor& x) {
  Tensor b = contiguous_copy(x.dtype() == DType::Bool ? x.detach() : binary(BinaryOp::Ne, x.detach(), scalar_tensor(0, x.dtype())));
  const bool* p = b.data<bool>();
  int64_t cnt = 0;
  for (int64_t i = 0; i < b.numel(); ++i) cnt += p[i];
  int64_t nd = x.dim();
  Tensor out = Tensor::empty({cnt, nd}, DType::Int64);
  int64_t* o = out.data<int64_t>();
  Shape st = contiguous_strides(x.shape());
  for (int64_t i = 0, r = 0; i < b.numel(); ++i) {
    if (!p[i]) continue;
    int64_t rem = i;
    for (int64_t d = 0; d < nd; ++d) {
      o[r * nd + d] = rem / st[d];
      rem %= st[d];
    }
    ++r;
  }
  return out;
}

Tensor masked_select_leading(const Tensor& x, const Tensor& mask) {
  NC_CHECK(mask.dtype() == DType::Bool, TypeError, "boolean mask indexing: mask must be bool, got ",
           dtype_name(mask.dtype()));
  int64_t k = mask.dim();
  NC_CHECK(k <= x.dim(), IndexError, "boolean mask of shape ", mask.shape(), " has more dimensions than the tensor ",
           x.shape());
  for (int64_t d = 0; d < k; ++d)
    NC_CHECK(mask.shape()[d] == x.shape()[d], IndexError, "boolean mask of shape ", mask.shape(),
             " does not match the indexed tensor's shape ", x.shape(), " at dimension ", d);
  Shape s{mask.numel()};
  for (int64_t d = k; d < x.dim(); ++d) s.push_back(x.shape()[d]);
  Tensor flat = reshape(x, s);
  Tensor idx = nonzero(reshape(mask, {-1}));
  return index_select(flat, 0, reshape(idx, {-1}));
}

}  // namespace nc
