// conv2d forward and backward. Stride 1 (1x1 included) goes to the im2col-free kernels (Note [Flat conv] in
// kernels/cpu/conv_flat.h: 1.5-2x the GEMM path on this machine). Strided convolutions use im2col + GEMM, with
// images in chunks whose im2col buffer stays under a budget, so small images batch into one large GEMM while
// large ones go one at a time.
#include "ops/conv.h"
#include <algorithm>

namespace nc {

NC_DEFINE_KERNEL(im2col_kernel, Im2colFn);
NC_DEFINE_KERNEL(col2im_kernel, Col2imFn);
NC_DEFINE_KERNEL(conv_s1_forward_kernel, ConvS1ForwardFn);
NC_DEFINE_KERNEL(conv_s1_input_grad_kernel, ConvS1InputGradFn);
NC_DEFINE_KERNEL(conv_s1_weight_grad_kernel, ConvS1WeightGradFn);

namespace {

constexpr int64_t kColsBudgetBytes = 8 << 20;  // im2col scratch per chunk

struct ConvShape {
  int64_t N, Cin, OC, G, Cg, OCg;
  ConvGeometry g;
  bool flat;      // stride 1: the im2col-free kernels
  int64_t chunk;  // images per GEMM
};

ConvShape make_shape(const Tensor& x, const Tensor& w, const ConvOptions& o) {
  ConvShape s{};
  s.N = x.shape()[0], s.Cin = x.shape()[1], s.OC = w.shape()[0], s.G = o.groups;
  s.Cg = s.Cin / s.G, s.OCg = s.OC / s.G;
  ConvGeometry& g = s.g;
  g.C = s.Cg, g.H = x.shape()[2], g.W = x.shape()[3], g.KH = w.shape()[2], g.KW = w.shape()[3];
  g.SH = o.stride[0], g.SW = o.stride[1], g.DH = o.dilation[0], g.DW = o.dilation[1];
  g.PT = o.padding[0], g.PL = o.padding[1];
  g.OH = conv_out_size(g.H, g.KH, g.SH, o.padding[0] + o.padding[2], g.DH);
  g.OW = conv_out_size(g.W, g.KW, g.SW, o.padding[1] + o.padding[3], g.DW);
  int64_t per_image = g.rows() * g.cols() * static_cast<int64_t>(itemsize(x.dtype()));
  s.chunk = std::clamp<int64_t>(kColsBudgetBytes / std::max<int64_t>(per_image, 1), 1, std::max<int64_t>(s.N, 1));
  s.flat = g.SH == 1 && g.SW == 1;
  return s;
}

// The (OCg, B, P) block of y (N, OC, P) for images n0..n0+B and group gi, as a strided view;
// GEMM buffers in chunk-major (OCg, B*P) layout are copied to / from it with the copy kernel.
Tensor chunk_view(const Tensor& y, const ConvShape& s, int64_t n0, int64_t B, int64_t gi) {
  const int64_t P = s.g.cols();
  return Tensor::make_view(y, {s.OCg, B, P}, {P, s.OC * P, 1}, y.offset() + (n0 * s.OC + gi * s.OCg) * P);
}

struct Conv2dBackward : Node {
  Tensor x, w;
  ConvOptions o;
  bool has_bias;
  TensorList apply(TensorList&& gs) override;
  TensorList flat_backward(const ConvShape& s, const Tensor& dy);
  void release() override { x = w = Tensor(); }
  std::string name() const override { return "ConvolutionBackward"; }
};

void forward_impl(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b, const ConvShape& s) {
  const ConvGeometry& g = s.g;
  const int64_t P = g.cols(), K = g.rows();
  const size_t isz = itemsize(x.dtype());
  const char* xp = static_cast<const char*>(x.raw_data());
  const char* wp = static_cast<const char*>(w.raw_data());
  char* yp = static_cast<char*>(y.raw_data());
  if (s.flat) {
    const Tensor bc = b.defined() ? contiguous(b.detach()) : Tensor();
    const char* bp = bc.defined() ? static_cast<const char*>(bc.raw_data()) : nullptr;
    conv_s1_forward_kernel(x.device(), x.dtype(), xp, s.Cin * g.H * g.W, s.N, s.G, g, wp, s.OCg, false, bp, yp,
                           s.OC * P);
    return;
  }
  Tensor cols = Tensor::empty({K * s.chunk * P}, x.dtype());
  Tensor out = s.chunk > 1 ? Tensor::empty({s.OCg * s.chunk * P}, x.dtype()) : Tensor();
  for (int64_t n0 = 0; n0 < s.N; n0 += s.chunk) {
    int64_t B = std::min(s.chunk, s.N - n0);
    for (int64_t gi = 0; gi < s.G; ++gi) {
      const char* xg = xp + ((n0 * s.Cin + gi * s.Cg) * g.H * g.W) * isz;
      im2col_kernel(x.device(), x.dtype(), xg, s.Cin * g.H * g.W, B, g, cols.raw_data());
      const void* a = cols.raw_data();
      const char* wg = wp + gi * s.OCg * K * isz;
      if (B == 1) {
        char* yg = yp + ((n0 * s.OC + gi * s.OCg) * P) * isz;
        gemm_kernel(x.device(), x.dtype(), false, false, s.OCg, P, K, 1.0, wg, K, a, B * P, 0.0, yg, P);
      } else {
        gemm_kernel(x.device(), x.dtype(), false, false, s.OCg, B * P, K, 1.0, wg, K, a, B * P, 0.0, out.raw_data(),
                    B * P);
        Tensor buf = Tensor::make_view(out, {s.OCg, B, P}, {B * P, P, 1}, 0);
        copy_kernel(y.device(), chunk_view(y, s, n0, B, gi), buf);
      }
    }
  }
  if (b.defined()) {
    // y[n, oc, :] += b[oc]
    Tensor y3 = Tensor::make_view(y, {s.N, s.OC, P}, {s.OC * P, P, 1}, y.offset());
    binary_kernel(y.device(), BinaryOp::Add, y3, y3, expand(reshape(b.detach(), {s.OC, 1}), {s.N, s.OC, P}));
  }
}

// Stride 1 (Note [Flat conv]): the kernels write every element of dX; dW and db come from one pass over x and dy.
TensorList Conv2dBackward::flat_backward(const ConvShape& s, const Tensor& dy) {
  const ConvGeometry& g = s.g;
  const int64_t P = g.cols(), HW = g.H * g.W;
  const char* xp = static_cast<const char*>(x.raw_data());
  const char* wp = static_cast<const char*>(w.raw_data());
  const char* dyp = static_cast<const char*>(dy.raw_data());
  Tensor dx, dw, db;
  if (needs_grad(0)) {
    dx = Tensor::empty(x.shape(), x.dtype(), x.device());
    char* dxp = static_cast<char*>(dx.raw_data());
    conv_s1_input_grad_kernel(x.device(), x.dtype(), dyp, s.OC * P, s.N, s.G, g, wp, s.OCg, dxp, s.Cin * HW);
  }
  const bool want_db = needs_grad(2) && has_bias;
  if (needs_grad(1) || want_db) {
    // The kernel computes both; a dW nobody wants goes to a scratch tensor.
    dw = zeros(w.shape(), w.dtype());
    if (want_db) db = zeros({s.OC}, x.dtype());
    char* dwp = static_cast<char*>(dw.raw_data());
    char* dbp = want_db ? static_cast<char*>(db.raw_data()) : nullptr;
    conv_s1_weight_grad_kernel(x.device(), x.dtype(), xp, s.Cin * HW, dyp, s.OC * P, s.N, s.G, g, s.OCg, dwp, dbp);
    if (!needs_grad(1)) dw = Tensor();
  }
  return {dx, dw, db};
}

TensorList Conv2dBackward::apply(TensorList&& gs) {
  ConvShape s = make_shape(x, w, o);
  const ConvGeometry& g = s.g;
  const int64_t P = g.cols(), K = g.rows();
  const size_t isz = itemsize(x.dtype());
  Tensor dy = contiguous(gs[0]);
  Tensor dx, dw, db;
  if (s.flat) return flat_backward(s, dy);
  if (needs_grad(0)) dx = zeros(x.shape(), x.dtype());
  if (needs_grad(1)) dw = zeros(w.shape(), w.dtype());
  if (needs_grad(2) && has_bias) db = reduce(ReduceOp::Sum, dy, {0, 2, 3}, false);
  if (dx.defined() || dw.defined()) {
    const char* xp = static_cast<const char*>(x.raw_data());
    const char* wp = static_cast<const char*>(w.raw_data());
    const char* dyp = static_cast<const char*>(dy.raw_data());
    Tensor cols = Tensor::empty({K * s.chunk * P}, x.dtype());
    Tensor dyb = s.chunk > 1 ? Tensor::empty({s.OCg * s.chunk * P}, x.dtype()) : Tensor();
    for (int64_t n0 = 0; n0 < s.N; n0 += s.chunk) {
      int64_t B = std::min(s.chunk, s.N - n0);
      for (int64_t gi = 0; gi < s.G; ++gi) {
        // dY for this chunk and group as an (OCg, B*P) matrix.
        const void* dyg;
        if (B == 1) {
          dyg = dyp + ((n0 * s.OC + gi * s.OCg) * P) * isz;
        } else {
          copy_kernel(dy.device(), Tensor::make_view(dyb, {s.OCg, B, P}, {B * P, P, 1}, 0), chunk_view(dy, s, n0, B, gi));
          dyg = dyb.raw_data();
        }
        const char* wg = wp + gi * s.OCg * K * isz;
        const char* xg = xp + ((n0 * s.Cin + gi * s.Cg) * g.H * g.W) * isz;
        if (dw.defined()) {
          // dW_g (OCg, K) += dY (OCg, B*P) @ cols^T (B*P, K)
          im2col_kernel(x.device(), x.dtype(), xg, s.Cin * g.H * g.W, B, g, cols.raw_data());
          const void* a = cols.raw_data();
          char* dwg = static_cast<char*>(dw.raw_data()) + gi * s.OCg * K * isz;
          gemm_kernel(x.device(), x.dtype(), false, true, s.OCg, K, B * P, 1.0, dyg, B * P, a, B * P, 1.0, dwg, K);
        }
        if (dx.defined()) {
          char* dxg = static_cast<char*>(dx.raw_data()) + ((n0 * s.Cin + gi * s.Cg) * g.H * g.W) * isz;
          // dcols (K, B*P) = W_g^T @ dY, then scatter-add back into the image planes.
          gemm_kernel(x.device(), x.dtype(), true, false, K, B * P, s.OCg, 1.0, wg, K, dyg, B * P, 0.0,
                      cols.raw_data(), B * P);
          col2im_kernel(x.device(), x.dtype(), cols.raw_data(), B, g, dxg, s.Cin * g.H * g.W);
        }
      }
    }
  }
  return {dx, dw, db};
}

}  // namespace

int64_t conv_out_size(int64_t n, int64_t k, int64_t s, int64_t pad_total, int64_t d) {
  int64_t span = n + pad_total - d * (k - 1) - 1;
  return span < 0 ? 0 : span / s + 1;
}

Tensor conv2d(const Tensor& x_in, const Tensor& w, const Tensor& b, const ConvOptions& o) {
  NC_CHECK(x_in.dim() == 4 || x_in.dim() == 3, ValueError, "conv2d: expected a 4-D input (N, C, H, W) or 3-D (C, H, W), "
           "got shape ", x_in.shape());
  NC_CHECK(w.dim() == 4, ValueError, "conv2d: expected a 4-D weight (out_channels, in_channels/groups, kH, kW), got "
           "shape ", w.shape());
  Tensor x = x_in.dim() == 3 ? unsqueeze(x_in, 0) : x_in;
  NC_CHECK(is_floating(x.dtype()) && x.dtype() == w.dtype() && (!b.defined() || b.dtype() == w.dtype()), TypeError,
           "conv2d: input, weight and bias must have the same floating dtype, got ", dtype_name(x.dtype()), " and ",
           dtype_name(w.dtype()));
  const int64_t G = o.groups, C = x.shape()[1], OC = w.shape()[0];
  NC_CHECK(G >= 1, ValueError, "conv2d: groups must be positive, got ", G);
  NC_CHECK(C % G == 0 && OC % G == 0, ValueError, "conv2d: groups=", G, " must divide both in_channels=", C,
           " and out_channels=", OC);
  NC_CHECK(w.shape()[1] * G == C, ValueError, "conv2d: input has ", C, " channels (shape ", x.shape(),
           ") but the weight of shape ", w.shape(), " with groups=", G, " expects ", w.shape()[1] * G);
  if (b.defined())
    NC_CHECK(b.dim() == 1 && b.shape()[0] == OC, ValueError, "conv2d: bias must have shape (", OC, ",), got ",
             b.shape());
  for (int i = 0; i < 2; ++i)
    NC_CHECK(o.stride[i] >= 1 && o.dilation[i] >= 1, ValueError, "conv2d: stride and dilation must be positive");
  for (int64_t p : o.padding) NC_CHECK(p >= 0, ValueError, "conv2d: padding must be non-negative, got ", p);
  ConvShape s = make_shape(x, w, o);
  for (int i = 0; i < 2; ++i) {
    int64_t n = x.shape()[2 + i], k = w.shape()[2 + i], pt = o.padding[i] + o.padding[i + 2];
    int64_t out = i == 0 ? s.g.OH : s.g.OW;
    NC_CHECK(out > 0, ValueError, "conv2d: input of shape ", x_in.shape(), " is too small for kernel ",
             Shape{w.shape()[2], w.shape()[3]}, ": along ", i == 0 ? "height" : "width", " the output size "
             "floor((n + 2p - d(k-1) - 1)/s) + 1 = floor((", n, " + ", pt, " - ", o.dilation[i], "*(", k, "-1) - 1)/",
             o.stride[i], ") + 1 is ", out, " (must be > 0)");
  }
  Tensor xc = contiguous(x.detach()), wc = contiguous(w.detach());
  Tensor y = Tensor::empty({s.N, OC, s.g.OH, s.g.OW}, x.dtype(), x.device());
  if (y.numel() > 0) {
    if (s.g.rows() == 0) fill_(y, 0);
    else forward_impl(y, xc, wc, b, s);
  }
  if (auto n = make_node<Conv2dBackward>({&x, &w, &b})) {
    n->x = n->save(xc);
    n->w = n->save(wc);
    n->o = o;
    n->has_bias = b.defined();
    set_history(y, n);
  }
  return x_in.dim() == 3 ? squeeze(y, std::vector<int64_t>{0}) : y;
}

}  // namespace nc
