// Dropout op: validate p, take a seed from the global generator, run the fused mask-and-apply kernel, record
// the backward node (which saves the 1-byte mask, not the input). See ops/dropout.h for the formulas.
#include "ops/dropout.h"
#include <cmath>

namespace nc {

NC_DEFINE_KERNEL(dropout_kernel, DropoutFn);
NC_DEFINE_KERNEL(dropout_backward_kernel, DropoutBackwardFn);

namespace {

struct DropoutBackward : Node {
  Tensor mask;  // our own tensor: nothing else can write to it
  int64_t S = 1;
  double a = 1;
  bool alpha = false;
  TensorList apply(TensorList&& grads) override {
    Tensor dy = contiguous(grads[0]);
    Tensor dx = Tensor::empty(dy.shape(), dy.dtype(), dy.device());
    if (dx.numel() > 0) dropout_backward_kernel(dx.device(), dx, dy, mask, S, a);
    return {dx};
  }
  void release() override { mask = Tensor(); }
  std::string name() const override { return alpha ? "AlphaDropoutBackward" : "DropoutBackward"; }
};

// SELU's constants (Klambauer et al. 2017): alpha' = -lambda * alpha.
constexpr double kSeluAlphaPrime = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717;

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, bool alpha, int64_t mask_dims, const char* name) {
  NC_CHECK(p >= 0 && p < 1, ValueError, name, ": dropout probability p must be in [0, 1), got p=", p);
  NC_CHECK(is_floating(x.dtype()), TypeError, name, ": input must be float32 or float64, got ",
           dtype_name(x.dtype()));
  NC_CHECK(mask_dims <= x.dim(), ValueError, name, ": cannot drop over the first ", mask_dims,
           " dims of an input of shape ", x.shape());
  if (!training || p == 0) return x;
  Shape mshape = mask_dims < 0 ? x.shape() : Shape(x.shape().begin(), x.shape().begin() + mask_dims);
  int64_t R = shape_numel(mshape), S = R > 0 ? x.numel() / R : 1;
  Tensor seed = Tensor::empty({1}, DType::Int64);  // Note [Dropout randomness]
  random_(seed, Distribution::IntRange, 0.0, 9007199254740992.0);
  Tensor mask = Tensor::empty({R}, DType::Bool, x.device());  // true = keep, with probability 1 - p
  double a, b = 0, c = 0;
  if (alpha) {
    a = 1.0 / std::sqrt((1.0 - p) * (1.0 + p * kSeluAlphaPrime * kSeluAlphaPrime));
    b = -a * kSeluAlphaPrime * p;
    c = a * kSeluAlphaPrime + b;
  } else {
    a = 1.0 / (1.0 - p);
  }
  Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (y.numel() > 0)
    dropout_kernel(x.device(), y, mask, xc, S, 1.0 - p, static_cast<uint64_t>(seed.data<int64_t>()[0]), a, b, c);
  if (auto n = make_node<DropoutBackward>({&x})) {
    n->mask = mask;
    n->S = S;
    n->a = a;
    n->alpha = alpha;
    set_history(y, n);
  }
  return y;
}

}  // namespace nc
