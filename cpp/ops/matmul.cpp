// Matrix products through the BLAS gemm kernel: matmul (1-D to batched, broadcasting batch dims)
// and linear (x @ w^T + b, fused so the bias add costs no extra pass).
#include "ops/ops.h"

namespace nc {

namespace {

// How a 2-D strided matrix can be handed to BLAS: row-major as is, transposed, or not at all.
struct BlasView {
  bool ok, trans;
  int64_t ld;
};
BlasView blas_view(const Shape& shape, const Shape& strides, int64_t dim0) {
  int64_t r = shape[dim0], c = shape[dim0 + 1];
  int64_t s0 = strides[dim0], s1 = strides[dim0 + 1];
  if ((s1 == 1 || c == 1) && (s0 >= std::max<int64_t>(c, 1) || r == 1)) return {true, false, std::max<int64_t>(r == 1 ? c : s0, 1)};
  if ((s0 == 1 || r == 1) && (s1 >= std::max<int64_t>(r, 1) || c == 1)) return {true, true, std::max<int64_t>(c == 1 ? r : s1, 1)};
  return {false, false, 0};
}

// out(m,n) = a(m,k) @ b(k,n) (+ beta * out), for the matrices at the given element offsets.
void gemm_views(const Tensor& out, const Tensor& a, const Tensor& b, double beta) {
  int64_t nd = a.dim();
  int64_t m = a.shape()[nd - 2], k = a.shape()[nd - 1], n = b.shape()[nd - 1];
  BlasView va = blas_view(a.shape(), a.strides(), nd - 2), vb = blas_view(b.shape(), b.strides(), nd - 2);
  Tensor ac = va.ok ? a : contiguous_copy(a), bc = vb.ok ? b : contiguous_copy(b);
  if (!va.ok) va = {true, false, std::max<int64_t>(k, 1)};
  if (!vb.ok) vb = {true, false, std::max<int64_t>(n, 1)};
  gemm_kernel(out.device(), out.dtype(), va.trans, vb.trans, m, n, k, 1.0, ac.raw_data(), va.ld, bc.raw_data(), vb.ld,
              beta, out.raw_data(), std::max<int64_t>(n, 1));
}

DType matmul_dtype(const Tensor& a, const Tensor& b, const char* op) {
  NC_CHECK(is_floating(a.dtype()) && is_floating(b.dtype()), TypeError, op,
           ": expected float32 or float64 tensors, got ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  return promote(a.dtype(), b.dtype());
}

// a (..., m, k) @ b (..., k, n), both at least 2-D, batch dims broadcast.
Tensor bmm(const Tensor& a, const Tensor& b);

struct MatmulBackward : Node {
  Tensor a, b;
  TensorList apply(TensorList&& gs) override {
    const Tensor& g = gs[0];
    Tensor ga, gb;
    if (needs_grad(0)) ga = sum_to(bmm(g, transpose(b, -1, -2)), a.shape());
    if (needs_grad(1)) {
      if (b.dim() == 2 && a.dim() > 2) {  // batch folded into rows: one gemm
        int64_t k = a.shape().back(), n = g.shape().back();
        gb = bmm(transpose(reshape(a, {-1, k}), 0, 1), reshape(g, {-1, n}));
      } else {
        gb = sum_to(bmm(transpose(a, -1, -2), g), b.shape());
      }
    }
    return {ga, gb};
  }
  void release() override { a = b = Tensor(); }
  std::string name() const override { return "MmBackward"; }
};

Tensor bmm(const Tensor& a, const Tensor& b) {
  int64_t m = a.shape()[a.dim() - 2], k = a.shape().back(), n = b.shape().back();
  NC_CHECK(b.shape()[b.dim() - 2] == k, ValueError, "matmul: shapes ", a.shape(), " and ", b.shape(),
           " are not aligned (", k, " != ", b.shape()[b.dim() - 2], ")");
  DType dt = matmul_dtype(a, b, "matmul");
  Tensor A = to_dtype(a, dt), B = to_dtype(b, dt);
  Shape ab(A.shape().begin(), A.shape().end() - 2), bb(B.shape().begin(), B.shape().end() - 2);
  Shape batch = broadcast_shapes(ab, bb, "matmul (batch dimensions)");
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, dt, A.device());
  int64_t nb = shape_numel(batch);
  if (nb == 1 || out.numel() == 0) {
    if (out.numel() > 0) {
      Tensor a2 = reshape(A.detach(), {m, k}), b2 = reshape(B.detach(), {k, n});
      if (k == 0) fill_(out, 0);
      else gemm_views(out, a2, b2, 0.0);
    }
  } else if (bb.empty() && A.is_contiguous()) {
    // (..., m, k) @ (k, n): fold the batch into the rows of one gemm.
    gemm_views(reshape(out, {nb * m, n}), reshape(A.detach(), {nb * m, k}), B.detach(), 0.0);
  } else {
    Shape ea = batch, eb = batch;
    ea.insert(ea.end(), {m, k});
    eb.insert(eb.end(), {k, n});
    Tensor ax = reshape(contiguous(expand(A.detach(), ea)), {nb, m, k});
    Tensor bx = expand(B.detach(), eb);
    bx = bb.empty() ? expand(B.detach(), Shape{nb, k, n}) : reshape(contiguous(bx), {nb, k, n});
    Tensor o3 = reshape(out, {nb, m, n});
    for (int64_t i = 0; i < nb; ++i) gemm_views(select(o3, 0, i), select(ax, 0, i), select(bx, 0, i), 0.0);
  }
  if (auto node = make_node<MatmulBackward>({&A, &B})) {
    node->a = node->save(A);
    node->b = node->save(B);
    set_history(out, node);
  }
  return out;
}

struct LinearBackward : Node {
  Tensor x2, w;  // x2 is (N, in)
  Shape x_shape;
  TensorList apply(TensorList&& gs) override {
    Tensor g2 = contiguous(reshape(gs[0], {x2.shape()[0], w.shape()[0]}));
    Tensor gx, gw, gb;
    if (needs_grad(0)) gx = reshape(bmm(g2, w), x_shape);
    if (needs_grad(1)) gw = bmm(transpose(g2, 0, 1), x2);
    if (needs_grad(2)) gb = reduce(ReduceOp::Sum, g2, {0}, false);
    return {gx, gw, gb};
  }
  void release() override { x2 = w = Tensor(); }
  std::string name() const override { return "LinearBackward"; }
};

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  NC_CHECK(a.dim() >= 1 && b.dim() >= 1, ValueError, "matmul: both arguments need at least 1 dimension, got shapes ",
           a.shape(), " and ", b.shape());
  if (a.dim() == 1 && b.dim() == 1) {
    NC_CHECK(a.shape()[0] == b.shape()[0], ValueError, "matmul: 1-D tensors of different lengths ", a.shape(), " and ",
             b.shape());
    return reshape(bmm(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  }
  if (a.dim() == 1) return squeeze(bmm(unsqueeze(a, 0), b), std::vector<int64_t>{-2});
  if (b.dim() == 1) return squeeze(bmm(a, unsqueeze(b, 1)), std::vector<int64_t>{-1});
  return bmm(a, b);
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  NC_CHECK(w.dim() == 2, ValueError, "linear: weight must be 2-D (out_features, in_features), got shape ", w.shape());
  NC_CHECK(x.dim() >= 1, ValueError, "linear: input must have at least 1 dimension, got a 0-d tensor");
  int64_t in = w.shape()[1], outf = w.shape()[0];
  NC_CHECK(x.shape().back() == in, ValueError, "linear: input has ", x.shape().back(), " features (shape ", x.shape(),
           ") but the weight expects ", in, " (weight shape ", w.shape(), ")");
  if (b.defined())
    NC_CHECK(b.dim() == 1 && b.shape()[0] == outf, ValueError, "linear: bias must have shape (", outf, ",), got ",
             b.shape());
  DType dt = matmul_dtype(x, w, "linear");
  NC_CHECK(x.dtype() == w.dtype() && (!b.defined() || b.dtype() == w.dtype()), TypeError,
           "linear: input dtype ", dtype_name(x.dtype()), " does not match weight dtype ", dtype_name(w.dtype()),
           b.defined() ? (std::string(" / bias dtype ") + dtype_name(b.dtype())) : std::string());
  Tensor x2 = contiguous(reshape(x.detach(), {-1, in}));
  int64_t N = x2.shape()[0];
  Tensor out = Tensor::empty({N, outf}, dt, x.device());
  if (b.defined()) copy_kernel(out.device(), out, expand(b.detach(), {N, outf}));
  if (in == 0) {
    if (!b.defined()) fill_(out, 0);
  } else if (N > 0 && outf > 0) {
    gemm_views(out, x2, transpose(w.detach(), 0, 1), b.defined() ? 1.0 : 0.0);
  }
  Shape os(x.shape().begin(), x.shape().end() - 1);
  os.push_back(outf);
  Tensor y = x.dim() == 2 ? out : view(out, os);
  if (auto n = make_node<LinearBackward>({&x, &w, &b})) {
    n->x2 = n->save(x2);
    n->w = n->save(w);
    n->x_shape = x.shape();
    set_history(y, n);
  }
  return y;
}

}  // namespace nc
