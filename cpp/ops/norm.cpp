// Normalization ops: validate (ranks, channel counts, parameter shapes, dtypes), view the input as (N, C, S)
// or (M, D), run the fused kernels, update running statistics, record the backward node.
// See Note [Batch-norm statistics] in ops/norm.h.
#include "ops/norm.h"
#include <sstream>
#include <string>

namespace nc {

NC_DEFINE_KERNEL(batch_norm_kernel, BatchNormFn);
NC_DEFINE_KERNEL(batch_norm_backward_kernel, BatchNormBackwardFn);
NC_DEFINE_KERNEL(group_norm_kernel, GroupNormFn);
NC_DEFINE_KERNEL(group_norm_backward_kernel, GroupNormBackwardFn);
NC_DEFINE_KERNEL(layer_norm_kernel, LayerNormFn);
NC_DEFINE_KERNEL(layer_norm_backward_kernel, LayerNormBackwardFn);

namespace {

// Gradients of x, weight and bias (each only where that input needs one).
struct NormGrads {
  Tensor dx, dw, db;
  void allocate(const Node& n, const Tensor& dy, const Shape& x_shape, const Shape& w_shape) {
    if (n.needs_grad(0)) dx = Tensor::empty(x_shape, dy.dtype(), dy.device());
    if (n.needs_grad(1)) dw = Tensor::empty(w_shape, dy.dtype(), dy.device());
    if (n.needs_grad(2)) db = Tensor::empty(w_shape, dy.dtype(), dy.device());
  }
};

struct BatchNormBackward : Node {
  Tensor x, weight, mean, invstd;  // x and weight saved (Note [Saved tensors]); mean, invstd (C) our own
  Shape x_shape, w_shape;
  bool batch_stats = true;
  int64_t N = 0, C = 0, S = 0;
  TensorList apply(TensorList&& grads) override {
    Tensor dy = contiguous(grads[0]);
    NormGrads g;
    g.allocate(*this, dy, x_shape, w_shape);
    batch_norm_backward_kernel(dy.device(), g.dx, g.dw, g.db, dy, x, weight, mean, invstd, batch_stats, N, C, S);
    return {g.dx, g.dw, g.db};
  }
  void release() override { x = weight = mean = invstd = Tensor(); }
  std::string name() const override { return "BatchNormBackward"; }
};

struct GroupNormBackward : Node {
  Tensor x, weight, mean, rstd;
  Shape x_shape, w_shape;
  int64_t N = 0, C = 0, S = 0, G = 1;
  const char* label = "GroupNormBackward";
  TensorList apply(TensorList&& grads) override {
    Tensor dy = contiguous(grads[0]);
    NormGrads g;
    g.allocate(*this, dy, x_shape, w_shape);
    group_norm_backward_kernel(dy.device(), g.dx, g.dw, g.db, dy, x, weight, mean, rstd, N, C, S, G);
    return {g.dx, g.dw, g.db};
  }
  void release() override { x = weight = mean = rstd = Tensor(); }
  std::string name() const override { return label; }
};

struct LayerNormBackward : Node {
  Tensor x, weight, mean, rstd;
  Shape x_shape, w_shape;
  int64_t M = 0, D = 0;
  TensorList apply(TensorList&& grads) override {
    Tensor dy = contiguous(grads[0]);
    NormGrads g;
    g.allocate(*this, dy, x_shape, w_shape);
    layer_norm_backward_kernel(dy.device(), g.dx, g.dw, g.db, dy, x, weight, mean, rstd, M, D);
    return {g.dx, g.dw, g.db};
  }
  void release() override { x = weight = mean = rstd = Tensor(); }
  std::string name() const override { return "LayerNormBackward"; }
};

void check_float_input(const Tensor& x, const char* name) {
  NC_CHECK(is_floating(x.dtype()), TypeError, name, ": input must be float32 or float64, got ",
           dtype_name(x.dtype()));
}

// (N, C, *) inputs: at least 2 dims.
void check_channel_input(const Tensor& x, const char* name) {
  check_float_input(x, name);
  NC_CHECK(x.dim() >= 2, ValueError, name, ": expected an input of shape (N, C, *) with at least 2 dims, got a ",
           x.dim(), "-D input of shape ", x.shape());
}

// A per-channel tensor (weight, bias, running statistics): shape (C,), x's dtype and device.
void check_per_channel(const Tensor& t, const char* what, const Tensor& x, const char* name) {
  if (!t.defined()) return;
  int64_t C = x.shape()[1];
  NC_CHECK(t.dim() == 1 && t.shape()[0] == C, ValueError, name, ": ", what, " must have ", C,
           " elements, one per channel of the input (dim 1 of input shape ", x.shape(), " is ", C, "), got ", what,
           " of shape ", t.shape());
  NC_CHECK(t.dtype() == x.dtype(), TypeError, name, ": ", what, " is ", dtype_name(t.dtype()), " but the input is ",
           dtype_name(x.dtype()), "; convert one of them");
  NC_CHECK(t.device() == x.device(), ValueError, name, ": ", what, " and input are on different devices");
}

void check_running(const Tensor& rm, const Tensor& rv, const Tensor& x, const char* name) {
  NC_CHECK(rm.defined() == rv.defined(), ValueError, name,
           ": running_mean and running_var must both be given or both be None");
  check_per_channel(rm, "running_mean", x, name);
  check_per_channel(rv, "running_var", x, name);
  if (rm.defined())
    NC_CHECK(rm.is_contiguous() && rv.is_contiguous(), ValueError, name,
             ": running_mean and running_var must be contiguous (they are updated in place)");
}

// S = product of dims 2.. (1 for (N, C)).
int64_t spatial(const Tensor& x) {
  int64_t s = 1;
  for (int64_t d = 2; d < x.dim(); ++d) s *= x.shape()[d];
  return s;
}

Tensor weight_or_none(const Tensor& w) { return w.defined() ? contiguous(w.detach()) : Tensor(); }

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
  const char* name = "batch_norm";
  check_channel_input(x, name);
  check_per_channel(weight, "weight", x, name);
  check_per_channel(bias, "bias", x, name);
  check_running(running_mean, running_var, x, name);
  int64_t N = x.shape()[0], C = x.shape()[1], S = spatial(x);
  if (training)
    NC_CHECK(N * S > 1, ValueError, name, ": expected more than 1 value per channel when training, got input size ",
             x.shape());
  else
    NC_CHECK(running_mean.defined(), ValueError, name,
             ": running_mean and running_var are required when not training (or pass training=True to use batch "
             "statistics)");
  Tensor xc = contiguous(x.detach());
  Tensor w = weight_or_none(weight), b = weight_or_none(bias);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor save_mean = Tensor::empty({C}, x.dtype(), x.device());
  Tensor save_invstd = Tensor::empty({C}, x.dtype(), x.device());
  if (training && running_mean.defined()) {  // updated in place: saved copies elsewhere must see the change
    running_mean.storage()->version++;
    running_var.storage()->version++;
  }
  batch_norm_kernel(x.device(), y, save_mean, save_invstd, xc, w, b, running_mean, running_var, training, momentum,
                    eps, N, C, S);
  if (auto n = make_node<BatchNormBackward>({&x, &weight, &bias})) {
    n->x = n->save(xc);
    if (w.defined()) n->weight = n->save(w);
    n->mean = save_mean;
    n->invstd = save_invstd;
    n->x_shape = x.shape();
    n->w_shape = {C};
    n->batch_stats = training;
    n->N = N, n->C = C, n->S = S;
    set_history(y, n);
  }
  return y;
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const char* name = "layer_norm";
  check_float_input(x, name);
  int64_t k = static_cast<int64_t>(normalized_shape.size());
  NC_CHECK(k >= 1, ValueError, name, ": expected normalized_shape to have at least 1 dim, got ", normalized_shape);
  bool ok = x.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = x.shape()[x.dim() - k + i] == normalized_shape[i];
  if (!ok) {
    std::ostringstream want;
    want << "(*";
    for (int64_t v : normalized_shape) want << ", " << v;
    want << ")";
    NC_FAIL(ValueError, name, ": given normalized_shape=", normalized_shape, ", expected an input of shape ",
            want.str(), ", got input of shape ", x.shape());
  }
  for (const Tensor* t : {&weight, &bias}) {
    if (!t->defined()) continue;
    const char* what = t == &weight ? "weight" : "bias";
    NC_CHECK(t->shape() == normalized_shape, ValueError, name, ": ", what, " must have shape normalized_shape = ",
             normalized_shape, ", got ", t->shape());
    NC_CHECK(t->dtype() == x.dtype(), TypeError, name, ": ", what, " is ", dtype_name(t->dtype()),
             " but the input is ", dtype_name(x.dtype()));
  }
  int64_t D = shape_numel(normalized_shape), M = D > 0 ? x.numel() / D : 0;
  Tensor xc = contiguous(x.detach());
  Tensor w = weight_or_none(weight), b = weight_or_none(bias);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty({M}, x.dtype(), x.device()), rstd = Tensor::empty({M}, x.dtype(), x.device());
  layer_norm_kernel(x.device(), y, mean, rstd, xc, w, b, M, D, eps);
  if (auto n = make_node<LayerNormBackward>({&x, &weight, &bias})) {
    n->x = n->save(xc);
    if (w.defined()) n->weight = n->save(w);
    n->mean = mean;
    n->rstd = rstd;
    n->x_shape = x.shape();
    n->w_shape = normalized_shape;
    n->M = M, n->D = D;
    set_history(y, n);
  }
  return y;
}

namespace {

// Group norm over (N, C, S) with G groups; var (N, G) is written when defined.
Tensor group_norm_impl(const Tensor& x, int64_t G, const Tensor& weight, const Tensor& bias, double eps,
                       const Tensor& var, Tensor* mean_out, const char* label) {
  int64_t N = x.shape()[0], C = x.shape()[1], S = spatial(x);
  Tensor xc = contiguous(x.detach());
  Tensor w = weight_or_none(weight), b = weight_or_none(bias);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty({N, G}, x.dtype(), x.device()), rstd = Tensor::empty({N, G}, x.dtype(), x.device());
  group_norm_kernel(x.device(), y, mean, rstd, var, xc, w, b, N, C, S, G, eps);
  if (mean_out) *mean_out = mean;
  if (auto n = make_node<GroupNormBackward>({&x, &weight, &bias})) {
    n->x = n->save(xc);
    if (w.defined()) n->weight = n->save(w);
    n->mean = mean;
    n->rstd = rstd;
    n->x_shape = x.shape();
    n->w_shape = {C};
    n->N = N, n->C = C, n->S = S, n->G = G;
    n->label = label;
    set_history(y, n);
  }
  return y;
}

}  // namespace

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  const char* name = "group_norm";
  check_channel_input(x, name);
  int64_t C = x.shape()[1];
  NC_CHECK(num_groups > 0, ValueError, name, ": num_groups must be positive, got ", num_groups);
  NC_CHECK(C % num_groups == 0, ValueError, name,
           ": expected the number of channels in the input to be divisible by num_groups, got input of shape ",
           x.shape(), " (", C, " channels) and num_groups=", num_groups);
  check_per_channel(weight, "weight", x, name);
  check_per_channel(bias, "bias", x, name);
  return group_norm_impl(x, num_groups, weight, bias, eps, Tensor(), nullptr, "GroupNormBackward");
}

Tensor instance_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                     const Tensor& running_var, bool use_input_stats, double momentum, double eps) {
  const char* name = "instance_norm";
  check_channel_input(x, name);
  check_per_channel(weight, "weight", x, name);
  check_per_channel(bias, "bias", x, name);
  check_running(running_mean, running_var, x, name);
  if (!use_input_stats) {
    NC_CHECK(running_mean.defined(), ValueError, name,
             ": running_mean and running_var are required when use_input_stats=False");
    return batch_norm(x, weight, bias, running_mean, running_var, false, 0.0, eps);
  }
  int64_t N = x.shape()[0], C = x.shape()[1], S = spatial(x);
  NC_CHECK(S > 1, ValueError, name, ": expected more than 1 spatial element when training, got input size ",
           x.shape());
  Tensor var = running_mean.defined() ? Tensor::empty({N, C}, x.dtype(), x.device()) : Tensor();
  Tensor mean;
  Tensor y = group_norm_impl(x, C, weight, bias, eps, var, &mean, "InstanceNormBackward");
  if (running_mean.defined() && N > 0) {
    // PyTorch's rule (instance norm as batch norm over the N*C planes with the running statistics repeated
    // N times, then averaged back): running = (1 - m) * running + m * mean over n of the per-plane values.
    NoGradGuard ng;
    mul_(running_mean, 1.0 - momentum);
    add_(running_mean, nc::mean(mean, {0}), momentum);
    mul_(running_var, 1.0 - momentum);
    add_(running_var, nc::mean(var, {0}), momentum * double(S) / double(S - 1));
  }
  return y;
}

}  // namespace nc
