// Optimizer steps over whole parameter groups in one call.
#include <cmath>
#include "ops/ops.h"

namespace nc {

// Parameters with no gradient are skipped, like torch.optim.
void sgd_step(const TensorList& params, TensorList& bufs, const SgdOptions& o) {
  NC_CHECK(bufs.size() == params.size(), ValueError, "sgd_step: ", params.size(), " parameters but ", bufs.size(),
           " momentum buffers");
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    NC_CHECK(p.is_contiguous() && g.is_contiguous(), ValueError, "sgd_step: parameter ", i,
             " or its gradient is not contiguous");
    NC_CHECK(g.dtype() == p.dtype() && g.shape() == p.shape(), ValueError, "sgd_step: gradient of parameter ", i,
             " has shape ", g.shape(), " / dtype ", dtype_name(g.dtype()), " but the parameter has ", p.shape(), " / ",
             dtype_name(p.dtype()));
    bool first = false;
    void* buf = nullptr;
    if (o.momentum != 0) {
      if (!bufs[i].defined()) {
        bufs[i] = Tensor::empty(p.shape(), p.dtype(), p.device());
        first = true;
      }
      NC_CHECK(bufs[i].shape() == p.shape() && bufs[i].dtype() == p.dtype() && bufs[i].is_contiguous(), ValueError,
               "sgd_step: momentum buffer of parameter ", i, " has shape ", bufs[i].shape(), " / dtype ",
               dtype_name(bufs[i].dtype()), " but the parameter has ", p.shape(), " / ", dtype_name(p.dtype()));
      buf = bufs[i].raw_data();
    }
    p.storage()->version++;
    sgd_kernel(p.device(), p.dtype(), p.numel(), p.raw_data(), g.raw_data(), buf, first, o);
  }
}

}  // namespace nc

// ---- the adaptive optimizers

namespace nc {
namespace {

// State array names per rule, in kernel order (see OptimRule); torch.optim's state keys.
const char* const kOptimStateNames[][kMaxOptimStates] = {
    {"sum", nullptr, nullptr},                                  // Adagrad
    {"square_avg", "momentum_buffer", "grad_avg"},              // RMSprop
    {"square_avg", "acc_delta", nullptr},                       // Adadelta
    {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"},                // Adam
    {"exp_avg", "exp_inf", nullptr},                            // Adamax
    {"exp_avg", "exp_avg_sq", nullptr},                         // NAdam
};

// Whether state array k is used under these options (optional arrays stay undefined otherwise).
bool state_used(const OptimOptions& o, int k) {
  switch (o.rule) {
    case OptimRule::RMSprop: return k == 0 || (k == 1 && o.momentum > 0) || (k == 2 && o.centered);
    case OptimRule::Adam: return k < 2 || (k == 2 && o.amsgrad);
    default: return k < optim_num_states(o.rule);
  }
}

// Per-step scalars for step t (already incremented), as torch.optim computes them in Python floats.
OptimStepScalars step_scalars(const OptimOptions& o, int64_t t, double& mu_product) {
  OptimStepScalars s;
  const double td = static_cast<double>(t);
  switch (o.rule) {
    case OptimRule::Adagrad: s.a = o.lr / (1 + (td - 1) * o.lr_decay); break;
    case OptimRule::Adam:
      s.a = o.lr / (1 - std::pow(o.beta1, td));
      s.b = std::sqrt(1 - std::pow(o.beta2, td));
      break;
    case OptimRule::Adamax: s.a = o.lr / (1 - std::pow(o.beta1, td)); break;
    case OptimRule::NAdam: {
      // mu_t = beta1 (1 - 0.5 * 0.96^(t psi)), psi = momentum_decay (Dozat 2016, as torch.optim.NAdam)
      double mu = o.beta1 * (1 - 0.5 * std::pow(0.96, td * o.momentum_decay));
      double mu_next = o.beta1 * (1 - 0.5 * std::pow(0.96, (td + 1) * o.momentum_decay));
      mu_product *= mu;
      s.a = o.lr * (1 - mu) / (1 - mu_product);
      s.b = o.lr * mu_next / (1 - mu_product * mu_next);
      s.c = 1 - std::pow(o.beta2, td);
      break;
    }
    default: break;
  }
  return s;
}

}  // namespace

int optim_num_states(OptimRule rule) {
  int k = 0;
  while (k < kMaxOptimStates && kOptimStateNames[static_cast<int>(rule)][k]) ++k;
  return k;
}

const char* optim_state_name(OptimRule rule, int k) { return kOptimStateNames[static_cast<int>(rule)][k]; }

// One pass per parameter that has a gradient; state arrays are created (zeros, or Adagrad's
// initial_accumulator_value) the first time a parameter needs them.
void optim_step(const TensorList& params, std::vector<TensorList>& state, std::vector<int64_t>& steps,
                std::vector<double>& mu_products, const OptimOptions& o) {
  const int ns = optim_num_states(o.rule);
  const size_t np = params.size();
  NC_CHECK(static_cast<int>(state.size()) == ns, ValueError, "optim_step: expected ", ns, " state lists, got ",
           state.size());
  for (int k = 0; k < ns; ++k)
    NC_CHECK(state[k].size() == np, ValueError, "optim_step: ", np, " parameters but ", state[k].size(), " '",
             optim_state_name(o.rule, k), "' entries");
  NC_CHECK(steps.size() == np, ValueError, "optim_step: ", np, " parameters but ", steps.size(), " step counts");
  NC_CHECK(o.rule != OptimRule::NAdam || mu_products.size() == np, ValueError, "optim_step: ", np,
           " parameters but ", mu_products.size(), " mu_product values");
  for (size_t i = 0; i < np; ++i) {
    const Tensor& p = params[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    NC_CHECK(p.is_contiguous() && g.is_contiguous(), ValueError, "optim_step: parameter ", i,
             " or its gradient is not contiguous");
    NC_CHECK(g.dtype() == p.dtype() && g.shape() == p.shape(), ValueError, "optim_step: gradient of parameter ", i,
             " has shape ", g.shape(), " / dtype ", dtype_name(g.dtype()), " but the parameter has ", p.shape(), " / ",
             dtype_name(p.dtype()));
    void* ptrs[kMaxOptimStates] = {nullptr, nullptr, nullptr};
    for (int k = 0; k < ns; ++k) {
      if (!state_used(o, k)) continue;
      Tensor& s = state[k][i];
      if (!s.defined()) {
        s = Tensor::empty(p.shape(), p.dtype(), p.device());
        fill_(s, o.rule == OptimRule::Adagrad ? o.initial_accumulator_value : 0.0);
      }
      NC_CHECK(s.dtype() == p.dtype() && s.shape() == p.shape() && s.is_contiguous() && s.device() == p.device(),
               ValueError, "optim_step: state '", optim_state_name(o.rule, k), "' of parameter ", i, " has shape ",
               s.shape(), " / dtype ", dtype_name(s.dtype()), " but the parameter has ", p.shape(), " / ",
               dtype_name(p.dtype()), " (or it is not contiguous)");
      ptrs[k] = s.raw_data();
    }
    const int64_t t = ++steps[i];
    double dummy = 1.0;
    OptimStepScalars sc = step_scalars(o, t, o.rule == OptimRule::NAdam ? mu_products[i] : dummy);
    p.storage()->version++;
    optim_kernel(p.device(), p.dtype(), p.numel(), p.raw_data(), g.raw_data(), ptrs, o, sc);
  }
}

}  // namespace nc
