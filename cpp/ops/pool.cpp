// Pooling ops: validate (ranks, sizes, PyTorch's output-size and padding rules), view the input as
// (P, H, W) planes, run the kernels, record the backward node. See Note [Pooling windows] in ops/pool.h.
#include "ops/pool.h"
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

namespace nc {

NC_DEFINE_KERNEL(pool_kernel, PoolFn);
NC_DEFINE_KERNEL(pool_backward_kernel, PoolBackwardFn);

namespace {

struct PoolBackward : Node {
  PoolMode mode;
  PoolGeometry g;
  Shape in_shape;
  Tensor indices;  // Max/Min: the winners (saved, see Note [Saved tensors])
  std::string label;
  TensorList apply(TensorList&& grads) override {
    Tensor dy = contiguous(grads[0]);
    Tensor dx = Tensor::empty(in_shape, dy.dtype(), dy.device());
    if (dx.numel() > 0) pool_backward_kernel(dx.device(), mode, dx, dy, indices, g);
    return {dx};
  }
  void release() override { indices = Tensor(); }
  std::string name() const override { return label; }
};

// "(C, H, W) or (N, C, H, W)" for dims = 2
const char* layouts(int dims) { return dims == 1 ? "(C, L) or (N, C, L)" : "(C, H, W) or (N, C, H, W)"; }

void check_input(const Tensor& x, int dims, const char* name) {
  NC_CHECK(x.dim() == dims + 1 || x.dim() == dims + 2, ValueError, name, ": expected a ", dims + 1, "-D or ",
           dims + 2, "-D input ", layouts(dims), ", got a ", x.dim(), "-D input of shape ", x.shape());
  NC_CHECK(is_floating(x.dtype()), TypeError, name, ": input must be float32 or float64, got ", dtype_name(x.dtype()));
  for (int64_t d = x.dim() - dims; d < x.dim(); ++d)
    NC_CHECK(x.shape()[d] > 0, ValueError, name, ": input of shape ", x.shape(),
             " has an empty spatial dimension; expected ", layouts(dims), " with non-zero spatial sizes");
}

// One value for every spatial dim, or one per dim.
Shape per_dim(const std::vector<int64_t>& v, int dims, const char* what, const char* name) {
  NC_CHECK(v.size() == 1 || v.size() == static_cast<size_t>(dims), ValueError, name, ": ", what, " must be an int or ",
           dims, " ints, got ", Shape(v));
  return v.size() == 1 ? Shape(dims, v[0]) : Shape(v);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// PyTorch's pooling_output_shape: floor (or ceil) of (n + 2p - d(k-1) - 1) / s, plus one; under ceil_mode a
// last window that would start in the right padding is dropped.
int64_t out_size(int64_t n, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  int64_t o = floor_div(n + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
  if (ceil_mode && (o - 1) * s >= n + p) --o;
  return o;
}

// (N, C, spatial...) with N = 1 for unbatched input -> P = N*C; output shape keeps the input's rank.
PoolGeometry plane_geometry(const Tensor& x, int dims, const Shape& out_spatial, Shape& out_shape) {
  PoolGeometry g;
  int64_t lead = x.dim() - dims;
  g.P = 1;
  for (int64_t d = 0; d < lead; ++d) g.P *= x.shape()[d];
  g.H = dims == 2 ? x.shape()[lead] : 1;
  g.W = x.shape()[x.dim() - 1];
  g.OH = dims == 2 ? out_spatial[0] : 1;
  g.OW = out_spatial[dims - 1];
  out_shape = Shape(x.shape().begin(), x.shape().begin() + lead);
  out_shape.insert(out_shape.end(), out_spatial.begin(), out_spatial.end());
  return g;
}

std::string node_label(PoolMode mode, int dims, bool adaptive) {
  std::ostringstream os;
  os << (adaptive ? "Adaptive" : "") << (mode == PoolMode::Max ? "Max" : mode == PoolMode::Min ? "Min" : "Avg")
     << "Pool" << dims << "DBackward";
  return os.str();
}

// Run the forward kernel and record the node; shared by pool_nd and adaptive_pool_nd.
std::pair<Tensor, Tensor> run_pool(PoolMode mode, const Tensor& x, int dims, const PoolGeometry& g0,
                                   const Shape& out_shape, bool return_indices, bool adaptive) {
  PoolGeometry g = g0;
  Tensor xc = contiguous(x.detach());
  bool grad = any_requires_grad({&x});
  bool want_idx = mode != PoolMode::Avg && (return_indices || grad);
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  Tensor idx = want_idx ? Tensor::empty(out_shape, DType::Int64, x.device()) : Tensor();
  if (y.numel() > 0) pool_kernel(x.device(), mode, y, idx, xc, g);
  if (auto n = make_node<PoolBackward>({&x})) {
    n->mode = mode;
    n->g = g;
    n->in_shape = x.shape();
    if (want_idx) n->indices = n->save(idx);
    n->label = node_label(mode, dims, adaptive);
    set_history(y, n);
  }
  return {y, return_indices ? idx : Tensor()};
}

}  // namespace

std::pair<Tensor, Tensor> pool_nd(PoolMode mode, const Tensor& x, int dims, const PoolOptions& o, bool return_indices,
                                  const char* name) {
  check_input(x, dims, name);
  Shape k = per_dim(o.kernel_size, dims, "kernel_size", name);
  Shape s = o.stride.empty() ? k : per_dim(o.stride, dims, "stride", name);
  Shape p = per_dim(o.padding, dims, "padding", name);
  Shape d = per_dim(o.dilation, dims, "dilation", name);
  for (int i = 0; i < dims; ++i) {
    NC_CHECK(k[i] > 0, ValueError, name, ": kernel_size must be positive, got ", k);
    NC_CHECK(s[i] > 0, ValueError, name, ": stride must be positive, got ", s);
    NC_CHECK(d[i] > 0, ValueError, name, ": dilation must be positive, got ", d);
    NC_CHECK(p[i] >= 0, ValueError, name, ": padding must be non-negative, got ", p);
    NC_CHECK(p[i] <= k[i] / 2, ValueError, name, ": padding ", p, " must be at most half of kernel_size ", k,
             " (PyTorch's rule: padding <= kernel_size // 2)");
  }
  if (o.divisor_override)
    NC_CHECK(*o.divisor_override != 0, ValueError, name, ": divisor_override must be non-zero");
  Shape in_sp(x.shape().end() - dims, x.shape().end()), out_sp(dims);
  for (int i = 0; i < dims; ++i) out_sp[i] = out_size(in_sp[i], k[i], s[i], p[i], d[i], o.ceil_mode);
  for (int i = 0; i < dims; ++i)
    NC_CHECK(out_sp[i] >= 1, ValueError, name, ": input of shape ", x.shape(), " gives an empty output (spatial size ",
             out_sp, "): output size = ", o.ceil_mode ? "ceil" : "floor",
             "((in + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1 with in=", in_sp, ", kernel_size=", k,
             ", stride=", s, ", padding=", p, ", dilation=", d, "; the kernel must fit in the padded input");
  Shape out_shape;
  PoolGeometry g = plane_geometry(x, dims, out_sp, out_shape);
  int a = dims == 2 ? 0 : -1;  // index of the H entry (none for 1-D)
  if (a == 0) g.kh = k[0], g.sh = s[0], g.ph = p[0], g.dh = d[0];
  g.kw = k[dims - 1], g.sw = s[dims - 1], g.pw = p[dims - 1], g.dw = d[dims - 1];
  g.count_include_pad = o.count_include_pad;
  g.divisor = o.divisor_override.value_or(0);
  return run_pool(mode, x, dims, g, out_shape, return_indices, false);
}

std::pair<Tensor, Tensor> adaptive_pool_nd(PoolMode mode, const Tensor& x, int dims,
                                           const std::vector<int64_t>& output_size, bool return_indices,
                                           const char* name) {
  check_input(x, dims, name);
  Shape out_sp = per_dim(output_size, dims, "output_size", name);
  Shape in_sp(x.shape().end() - dims, x.shape().end());
  for (int i = 0; i < dims; ++i) {
    if (out_sp[i] == -1) out_sp[i] = in_sp[i];  // None: keep the input size
    NC_CHECK(out_sp[i] >= 1, ValueError, name, ": output_size must be positive (or None), got ", Shape(output_size),
             " for input of shape ", x.shape());
  }
  Shape out_shape;
  PoolGeometry g = plane_geometry(x, dims, out_sp, out_shape);
  g.adaptive = true;
  return run_pool(mode, x, dims, g, out_shape, return_indices, true);
}

Tensor lp_pool_nd(const Tensor& x, int dims, double norm_type, const std::vector<int64_t>& kernel_size,
                  const std::vector<int64_t>& stride, bool ceil_mode, const char* name) {
  check_input(x, dims, name);
  NC_CHECK(norm_type != 0 && !std::isnan(norm_type), ValueError, name, ": norm_type must be non-zero, got ",
           norm_type);
  PoolOptions o;
  o.kernel_size = kernel_size;
  o.stride = stride;
  o.ceil_mode = ceil_mode;
  if (std::isinf(norm_type))  // max |x| (p = inf) or min |x| (p = -inf)
    return pool_nd(norm_type > 0 ? PoolMode::Max : PoolMode::Min, unary(UnaryOp::Abs, x), dims, o, false, name).first;
  Shape k = per_dim(kernel_size, dims, "kernel_size", name);
  double area = 1;
  for (int64_t v : k) area *= double(v);
  // r = avg_pool(x^p) * area = sum of x^p over the window (PyTorch: sign(a) * relu(|a|) * area, equal in value).
  Tensor a = pool_nd(PoolMode::Avg, unary(UnaryOp::PowScalar, x, norm_type), dims, o, false, name).first;
  Tensor r = mul(a, scalar_tensor(area, a.dtype()));
  // y = r^(1/p), with y = 0 and a zero gradient where r == 0 (PyTorch's documented rule) instead of inf * 0.
  Tensor zero = scalar_tensor(0, r.dtype()), one = scalar_tensor(1, r.dtype());
  Tensor is_zero = binary(BinaryOp::Eq, r, zero);
  Tensor root = unary(UnaryOp::PowScalar, where(is_zero, one, r), 1.0 / norm_type);
  return where(is_zero, zero, root);
}

}  // namespace nc
