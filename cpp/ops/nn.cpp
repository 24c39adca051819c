// Softmax / log-softmax and the losses built on the pointwise loss kernel and on log-softmax.
#include <algorithm>
#include <cmath>
#include "ops/ops.h"

namespace nc {

namespace {

struct SoftmaxBackward : Node {
  Tensor y;
  int64_t O, D, I;
  bool log;
  TensorList apply(TensorList&& g) override {
    Tensor dy = contiguous(g[0]);
    Tensor dx = empty_like(dy);
    softmax_backward_kernel(dx.device(), dx, dy, y, O, D, I, log);
    return {dx};
  }
  void release() override { y = Tensor(); }
  std::string name() const override { return log ? "LogSoftmaxBackward" : "SoftmaxBackward"; }
};

struct PointwiseLossBackward : Node {
  LossOp op;
  double p;
  Tensor a, b;
  TensorList apply(TensorList&& gs) override {
    const Tensor& g = gs[0];
    Tensor da, db;
    if (needs_grad(0) || (needs_grad(1) && op != LossOp::Bce && op != LossOp::BceLogits)) {
      da = empty_like(a);
      loss_backward_kernel(a.device(), op, da, g, a, b, p);
    }
    if (needs_grad(1)) {
      if (op == LossOp::Bce) db = mul(g, sub(unary(UnaryOp::Log1p, neg(a)), log(a)));
      else if (op == LossOp::BceLogits) db = neg(mul(g, a));
      else db = neg(da);
    }
    return {needs_grad(0) ? da : Tensor(), db};
  }
  void release() override { a = b = Tensor(); }
  std::string name() const override { return "LossBackward"; }
};

// Cross-entropy with class indices on (N, C) logits, fused: saves the per-row log-sum-exp.
struct CrossEntropyBackward : Node {
  Tensor logits, lse, target;
  int64_t ignore_index;
  TensorList apply(TensorList&& gs) override {
    Tensor g = contiguous(gs[0]);
    Tensor dx = empty_like(logits);
    cross_entropy_backward_kernel(dx.device(), dx, g, logits, lse, target, ignore_index);
    return {dx};
  }
  void release() override { logits = lse = target = Tensor(); }
  std::string name() const override { return "CrossEntropyBackward"; }
};

void check_same_shape(const Tensor& pred, const Tensor& target, const char* name) {
  NC_CHECK(pred.shape() == target.shape(), ValueError, name, ": input shape ", pred.shape(),
           " and target shape ", target.shape(), " must be the same");
}

}  // namespace

Tensor softmax(const Tensor& x_in, int64_t dim, bool log) {
  Tensor x = is_floating(x_in.dtype()) ? x_in : to_dtype(x_in, DType::Float32);
  const char* name = log ? "log_softmax" : "softmax";
  int64_t d = wrap_dim(dim, x.dim(), name);  // a 0-d tensor is one row of one element
  int64_t O = 1, I = 1, D = x.dim() == 0 ? 1 : x.shape()[d];
  for (int64_t k = 0; k < d; ++k) O *= x.shape()[k];
  for (int64_t k = d + 1; k < x.dim(); ++k) I *= x.shape()[k];
  Tensor xc = contiguous(x.detach());
  Tensor y = empty_like(xc);
  if (y.numel() > 0) softmax_kernel(x.device(), y, xc, O, D, I, log);
  if (auto n = make_node<SoftmaxBackward>({&x})) {
    n->y = n->save(y);
    n->O = O, n->D = D, n->I = I, n->log = log;
    set_history(y, n);
  }
  return y;
}

Tensor apply_reduction(const Tensor& per_elem, Reduction r) {
  switch (r) {
    case Reduction::None: return per_elem;
    case Reduction::Sum: return reduce(ReduceOp::Sum, per_elem, {}, false);
    case Reduction::Mean: return reduce(ReduceOp::Mean, per_elem, {}, false);
  }
  return per_elem;
}

Tensor pointwise_loss(LossOp op, const Tensor& pred, const Tensor& target_in, double p, Reduction r,
                      const char* name) {
  check_same_shape(pred, target_in, name);
  NC_CHECK(is_floating(pred.dtype()), TypeError, name, ": input must be float32 or float64, got ",
           dtype_name(pred.dtype()));
  Tensor target = to_dtype(target_in, pred.dtype());
  Tensor out = empty_like(pred);
  loss_kernel(pred.device(), op, out, pred, target, p);
  if (auto n = make_node<PointwiseLossBackward>({&pred, &target})) {
    n->op = op, n->p = p;
    n->a = n->save(pred);
    n->b = n->save(target);
    set_history(out, n);
  }
  return apply_reduction(out, r);
}

Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction r) {
  return pointwise_loss(LossOp::Mse, pred, target, 0, r, "mse_loss");
}

// Weighted mean: sum(w * l) / sum(w) when weights are given, like PyTorch.
static Tensor weighted(const Tensor& l, const Tensor& w, Reduction r) {
  if (!w.defined()) return apply_reduction(l, r);
  Tensor wl = mul(l, to_dtype(w, l.dtype()));
  return apply_reduction(wl, r);
}

Tensor binary_cross_entropy(const Tensor& p, const Tensor& y, const Tensor& weight, Reduction r) {
  check_same_shape(p, y, "binary_cross_entropy");
  if (p.numel() > 0) {
    // One pass over the data: probabilities outside [0, 1] are a user error, not a NaN later.
    Tensor pc = contiguous(p.detach());
    double lo = 0, hi = 0;
    dispatch_float(pc.dtype(), "binary_cross_entropy", [&](auto tag) {
      using T = decltype(tag);
      const T* d = pc.data<T>();
      T mn = d[0], mx = d[0];
      for (int64_t i = 1; i < pc.numel(); ++i) mn = std::min(mn, d[i]), mx = std::max(mx, d[i]);
      lo = mn, hi = mx;
    });
    NC_CHECK(lo >= 0 && hi <= 1, ValueError, "binary_cross_entropy: input values must be probabilities in [0, 1], got "
             "values in [", lo, ", ", hi, "] (use binary_cross_entropy_with_logits for raw scores)");
  }
  Tensor l = pointwise_loss(LossOp::Bce, p, y, 0, Reduction::None, "binary_cross_entropy");
  return weighted(l, weight, r);
}

Tensor binary_cross_entropy_with_logits(const Tensor& z, const Tensor& y, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction r) {
  check_same_shape(z, y, "binary_cross_entropy_with_logits");
  Tensor l;
  if (!pos_weight.defined()) {
    l = pointwise_loss(LossOp::BceLogits, z, y, 0, Reduction::None, "binary_cross_entropy_with_logits");
  } else {
    // l = (1 - y) z + (1 + (pw - 1) y) * softplus(-z), softplus(-z) = -logsigmoid(z)
    Tensor yt = to_dtype(y, z.dtype()), pw = to_dtype(pos_weight, z.dtype());
    Tensor one = scalar_tensor(1, z.dtype());
    Tensor sp = neg(unary(UnaryOp::LogSigmoid, z));
    l = add(mul(sub(one, yt), z), mul(add(one, mul(sub(pw, one), yt)), sp));
  }
  return weighted(l, weight, r);
}

Tensor nll_loss(const Tensor& logp_in, const Tensor& target_in, const Tensor& weight, int64_t ignore_index,
                Reduction r) {
  NC_CHECK(logp_in.dim() >= 1, ValueError, "nll_loss: input must have at least 1 dimension, got a 0-d tensor");
  NC_CHECK(target_in.dtype() == DType::Int64, TypeError, "nll_loss: target must hold int64 class indices, got ",
           dtype_name(target_in.dtype()));
  // Bring the class dim last and flatten: logp (M, C), target (M).
  Tensor logp = logp_in.dim() == 1 ? unsqueeze(logp_in, 0) : logp_in;
  Tensor target = logp_in.dim() == 1 ? unsqueeze(target_in, 0) : target_in;
  int64_t C = logp.shape()[1];
  Shape expect = logp.shape();
  expect.erase(expect.begin() + 1);
  NC_CHECK(target.shape() == expect, ValueError, "nll_loss: input of shape ", logp_in.shape(),
           " expects a target of shape ", logp_in.dim() == 1 ? Shape{} : expect, ", got ", target_in.shape());
  if (logp.dim() > 2) {
    std::vector<int64_t> perm{0};
    for (int64_t d = 2; d < logp.dim(); ++d) perm.push_back(d);
    perm.push_back(1);
    logp = permute(logp, perm);
  }
  Tensor lp = reshape(logp, {-1, C});
  Tensor t = contiguous_copy(reshape(target, {-1}));
  int64_t M = t.numel();
  int64_t* tp = t.data<int64_t>();
  Tensor keep = Tensor::empty({M}, lp.dtype());
  Tensor flat_idx = Tensor::empty({M}, DType::Int64);
  dispatch_float(lp.dtype(), "nll_loss", [&](auto tag) {
    using T = decltype(tag);
    T* k = keep.data<T>();
    int64_t* fi = flat_idx.data<int64_t>();
    for (int64_t i = 0; i < M; ++i) {
      bool ign = tp[i] == ignore_index;
      NC_CHECK(ign || (tp[i] >= 0 && tp[i] < C), IndexError, "nll_loss: target ", tp[i], " is out of bounds for ", C,
               " classes (expected a class index in [0, ", C - 1, "])");
      k[i] = ign ? T(0) : T(1);
      fi[i] = i * C + (ign ? 0 : tp[i]);
    }
  });
  Tensor w = keep;
  if (weight.defined()) {
    NC_CHECK(weight.dim() == 1 && weight.shape()[0] == C, ValueError, "nll_loss: weight must have shape (", C,
             ",), got ", weight.shape());
    w = mul(keep, index_select(to_dtype(weight.detach(), lp.dtype()), 0, contiguous_copy(mul(t, to_dtype(binary(BinaryOp::Ne, t, scalar_tensor(double(ignore_index), DType::Int64)), DType::Int64)))));
  }
  Tensor picked = index_select(reshape(lp, {-1}), 0, flat_idx);
  Tensor l = neg(mul(picked, w));
  if (r == Reduction::Mean) return div(reduce(ReduceOp::Sum, l, {}, false), reduce(ReduceOp::Sum, w, {}, false));
  if (r == Reduction::Sum) return reduce(ReduceOp::Sum, l, {}, false);
  return reshape(l, target_in.shape());
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                     double label_smoothing, Reduction r) {
  NC_CHECK(logits.dim() >= 1, ValueError, "cross_entropy: input must have at least 1 dimension (classes)");
  NC_CHECK(label_smoothing >= 0 && label_smoothing <= 1, ValueError,
           "cross_entropy: label_smoothing must be in [0, 1], got ", label_smoothing);
  int64_t cdim = logits.dim() == 1 ? 0 : 1;
  int64_t C = logits.shape()[cdim];
  if (logits.dim() == 2 && target.dtype() == DType::Int64 && !weight.defined() && label_smoothing == 0 &&
      is_floating(logits.dtype()) && target.dim() == 1 && target.shape()[0] == logits.shape()[0]) {
    Tensor x = contiguous(logits.detach()), t = contiguous(target);
    const int64_t* tp = t.data<int64_t>();
    int64_t valid = 0;
    for (int64_t i = 0; i < t.numel(); ++i) {
      NC_CHECK(tp[i] == ignore_index || (tp[i] >= 0 && tp[i] < C), IndexError, "cross_entropy: target ", tp[i],
               " is out of bounds for ", C, " classes (expected a class index in [0, ", C - 1, "])");
      valid += tp[i] != ignore_index;
    }
    Tensor loss = Tensor::empty({x.shape()[0]}, x.dtype(), x.device());
    Tensor lse = Tensor::empty({x.shape()[0], 2}, x.dtype(), x.device());  // (max, log sum) per row
    if (loss.numel() > 0) cross_entropy_kernel(x.device(), loss, lse, x, t, ignore_index);
    if (auto n = make_node<CrossEntropyBackward>({&logits})) {
      n->logits = n->save(x);
      n->lse = lse;
      n->target = t;
      n->ignore_index = ignore_index;
      set_history(loss, n);
    }
    if (r == Reduction::Mean)  // mean over the samples that are not ignored, like PyTorch
      return div(reduce(ReduceOp::Sum, loss, {}, false), scalar_tensor(double(valid), loss.dtype()));
    return apply_reduction(loss, r);
  }
  Tensor logp = softmax(logits, cdim, true);
  if (is_floating(target.dtype())) {
    // Probability (or one-hot) targets: l = -sum_c w_c * y_c * logp_c, y smoothed toward uniform.
    NC_CHECK(target.shape() == logits.shape(), ValueError, "cross_entropy: probability targets must have the input's "
             "shape ", logits.shape(), ", got ", target.shape());
    Tensor y = to_dtype(target, logp.dtype());
    if (label_smoothing > 0)
      y = add(mul(y, scalar_tensor(1 - label_smoothing, y.dtype())), scalar_tensor(label_smoothing / double(C), y.dtype()));
    Tensor prod = mul(y, logp);
    if (weight.defined()) {
      Shape ws(logits.dim(), 1);
      ws[cdim] = C;
      prod = mul(prod, reshape(to_dtype(weight, logp.dtype()), ws));
    }
    Tensor l = neg(reduce(ReduceOp::Sum, prod, {cdim}, false));
    return apply_reduction(l, r);
  }
  Tensor nll = nll_loss(logp, target, weight, ignore_index, r);
  if (label_smoothing == 0) return nll;
  // Smoothing term: -sum_c w_c logp_c / C per sample, reduced like the nll term (PyTorch's rule).
  Tensor lp = logp;
  if (weight.defined()) {
    Shape ws(logits.dim(), 1);
    ws[cdim] = C;
    lp = mul(lp, reshape(to_dtype(weight, logp.dtype()), ws));
  }
  Tensor smooth = neg(reduce(ReduceOp::Sum, lp, {cdim}, false));
  Tensor valid = to_dtype(binary(BinaryOp::Ne, target, scalar_tensor(double(ignore_index), DType::Int64)), logp.dtype());
  smooth = mul(smooth, valid);
  Tensor sm;
  if (r == Reduction::None) sm = smooth;
  else if (r == Reduction::Sum) sm = reduce(ReduceOp::Sum, smooth, {}, false);
  else {
    Tensor denom;
    if (weight.defined()) {
      Tensor tsafe = mul(target, to_dtype(valid, DType::Int64));
      denom = reduce(ReduceOp::Sum, mul(index_select(to_dtype(weight, logp.dtype()), 0, reshape(tsafe, {-1})), reshape(valid, {-1})), {}, false);
    } else {
      denom = reduce(ReduceOp::Sum, valid, {}, false);
    }
    sm = div(reduce(ReduceOp::Sum, smooth, {}, false), denom);
  }
  double e = label_smoothing;
  return add(mul(nll, scalar_tensor(1 - e, nll.dtype())), mul(sm, scalar_tensor(e / double(C), nll.dtype())));
}

}  // namespace nc
