// Scalar reference for the fused optimizer updates, one value at a time in double, as torch.optim's
// documentation states the rules (PyTorch 2.x pseudo-code):
//   SGD:   g = grad + wd p;  momentum: buf = g on the first step, else momentum buf + (1 - dampening) g;
//          step = nesterov ? g + momentum buf : buf;  p -= lr step
//   Adam:  g = grad + wd p (AdamW: p -= lr wd p first instead);  m = beta1 m + (1 - beta1) g;
//          v = beta2 v + (1 - beta2) g^2;  amsgrad: vmax = max(vmax, v), v^ = vmax, else v^ = v;
//          p -= lr / (1 - beta1^t) * m / (sqrt(v^) / sqrt(1 - beta2^t) + eps)
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace nc::ref {

struct SgdRef {
  double lr, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false;
};
inline void sgd_update(const SgdRef& o, double& p, double grad, double& buf, bool first) {
  double g = grad + o.weight_decay * p;
  if (o.momentum != 0) {
    buf = first ? g : o.momentum * buf + (1 - o.dampening) * g;
    g = o.nesterov ? g + o.momentum * buf : buf;
  }
  p -= o.lr * g;
}

struct AdamRef {
  double lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool amsgrad = false, decoupled = false;
};
// Step t >= 1 (counted from 1).
inline void adam_update(const AdamRef& o, int64_t t, double& p, double grad, double& m, double& v, double& vmax) {
  double g = grad;
  if (o.decoupled) p *= 1 - o.lr * o.weight_decay;
  else g += o.weight_decay * p;
  m = o.beta1 * m + (1 - o.beta1) * g;
  v = o.beta2 * v + (1 - o.beta2) * g * g;
  double vh = v;
  if (o.amsgrad) vmax = std::max(vmax, v), vh = vmax;
  double bc1 = 1 - std::pow(o.beta1, double(t)), bc2 = 1 - std::pow(o.beta2, double(t));
  p -= o.lr / bc1 * m / (std::sqrt(vh) / std::sqrt(bc2) + o.eps);
}

}  // namespace nc::ref
