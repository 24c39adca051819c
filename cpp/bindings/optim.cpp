// Fused adaptive optimizer steps (Adagrad, RMSprop, Adadelta, Adam/AdamW, Adamax, NAdam). Each takes
// one parameter group: the parameters, one Python list per state array (None until the first step
// creates the tensor), the per-parameter step counts (ints), and the group's options. The lists are
// updated in place; the Python optimizers keep them between steps. (sgd_step lives in nn.cpp.)
#include "bindings/common.h"

namespace ncpy {

namespace {

// Python lists <-> the op's vectors, around one optim_step call.
void run_step(const OptimOptions& o, const std::vector<Tensor>& params, std::vector<py::list> lists,
              py::list steps, py::object mu_products) {
  const size_t np = params.size();
  auto pad = [np](py::list& l, py::object fill) {
    while (l.size() < np) l.append(fill);
  };
  std::vector<TensorList> state(lists.size(), TensorList(np));
  for (size_t k = 0; k < lists.size(); ++k) {
    pad(lists[k], py::none());
    for (size_t i = 0; i < np; ++i)
      if (!lists[k][i].is_none()) state[k][i] = lists[k][i].cast<Tensor>();
  }
  pad(steps, py::int_(0));
  std::vector<int64_t> st(np);
  for (size_t i = 0; i < np; ++i) st[i] = steps[i].cast<int64_t>();
  std::vector<double> mu;
  py::list mu_list;
  if (!mu_products.is_none()) {
    mu_list = mu_products.cast<py::list>();
    pad(mu_list, py::float_(1.0));
    for (size_t i = 0; i < np; ++i) mu.push_back(mu_list[i].cast<double>());
  }
  {
    NoGradGuard ng;
    optim_step(params, state, st, mu, o);
  }
  for (size_t i = 0; i < np; ++i) {
    for (size_t k = 0; k < lists.size(); ++k)
      if (state[k][i].defined() && lists[k][i].is_none()) lists[k][i] = py::cast(state[k][i]);
    steps[i] = py::int_(st[i]);
    if (!mu.empty()) mu_list[i] = py::float_(mu[i]);
  }
}

OptimOptions base(OptimRule rule, double lr, double eps, double weight_decay, bool maximize) {
  OptimOptions o;
  o.rule = rule;
  o.lr = lr;
  o.eps = eps;
  o.weight_decay = weight_decay;
  o.maximize = maximize;
  return o;
}

}  // namespace

void bind_optim(py::module_& m) {
  m.def("adagrad_step", [](const std::vector<Tensor>& params, py::list sum, py::list steps, double lr,
                           double lr_decay, double weight_decay, double initial_accumulator_value, double eps,
                           bool maximize) {
    OptimOptions o = base(OptimRule::Adagrad, lr, eps, weight_decay, maximize);
    o.lr_decay = lr_decay;
    o.initial_accumulator_value = initial_accumulator_value;
    run_step(o, params, {sum}, steps, py::none());
  }, py::arg("params"), py::arg("sum"), py::arg("steps"), py::arg("lr"), py::arg("lr_decay"),
     py::arg("weight_decay"), py::arg("initial_accumulator_value"), py::arg("eps"), py::arg("maximize"),
     "One fused Adagrad update of every parameter of a group (torch.optim.Adagrad's rule).");

  m.def("rmsprop_step", [](const std::vector<Tensor>& params, py::list square_avg, py::list momentum_buffer,
                           py::list grad_avg, py::list steps, double lr, double alpha, double eps,
                           double weight_decay, double momentum, bool centered, bool maximize) {
    OptimOptions o = base(OptimRule::RMSprop, lr, eps, weight_decay, maximize);
    o.alpha = alpha;
    o.momentum = momentum;
    o.centered = centered;
    run_step(o, params, {square_avg, momentum_buffer, grad_avg}, steps, py::none());
  }, py::arg("params"), py::arg("square_avg"), py::arg("momentum_buffer"), py::arg("grad_avg"), py::arg("steps"),
     py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"),
     py::arg("centered"), py::arg("maximize"),
     "One fused RMSprop update of every parameter of a group (torch.optim.RMSprop's rule).");

  m.def("adadelta_step", [](const std::vector<Tensor>& params, py::list square_avg, py::list acc_delta,
                            py::list steps, double lr, double rho, double eps, double weight_decay, bool maximize) {
    OptimOptions o = base(OptimRule::Adadelta, lr, eps, weight_decay, maximize);
    o.rho = rho;
    run_step(o, params, {square_avg, acc_delta}, steps, py::none());
  }, py::arg("params"), py::arg("square_avg"), py::arg("acc_delta"), py::arg("steps"), py::arg("lr"),
     py::arg("rho"), py::arg("eps"), py::arg("weight_decay"), py::arg("maximize"),
     "One fused Adadelta update of every parameter of a group (torch.optim.Adadelta's rule).");

  m.def("adam_step", [](const std::vector<Tensor>& params, py::list exp_avg, py::list exp_avg_sq,
                        py::list max_exp_avg_sq, py::list steps, double lr, double beta1, double beta2, double eps,
                        double weight_decay, bool amsgrad, bool maximize, bool decoupled_weight_decay) {
    OptimOptions o = base(OptimRule::Adam, lr, eps, weight_decay, maximize);
    o.beta1 = beta1;
    o.beta2 = beta2;
    o.amsgrad = amsgrad;
    o.decoupled_weight_decay = decoupled_weight_decay;
    run_step(o, params, {exp_avg, exp_avg_sq, max_exp_avg_sq}, steps, py::none());
  }, py::arg("params"), py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("max_exp_avg_sq"), py::arg("steps"),
     py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
     py::arg("amsgrad"), py::arg("maximize"), py::arg("decoupled_weight_decay"),
     "One fused Adam (or, with decoupled_weight_decay, AdamW) update of every parameter of a group.");

  m.def("adamax_step", [](const std::vector<Tensor>& params, py::list exp_avg, py::list exp_inf, py::list steps,
                          double lr, double beta1, double beta2, double eps, double weight_decay, bool maximize) {
    OptimOptions o = base(OptimRule::Adamax, lr, eps, weight_decay, maximize);
    o.beta1 = beta1;
    o.beta2 = beta2;
    run_step(o, params, {exp_avg, exp_inf}, steps, py::none());
  }, py::arg("params"), py::arg("exp_avg"), py::arg("exp_inf"), py::arg("steps"), py::arg("lr"), py::arg("beta1"),
     py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("maximize"),
     "One fused Adamax update of every parameter of a group (torch.optim.Adamax's rule).");

  m.def("nadam_step", [](const std::vector<Tensor>& params, py::list exp_avg, py::list exp_avg_sq, py::list steps,
                         py::list mu_products, double lr, double beta1, double beta2, double eps,
                         double weight_decay, double momentum_decay, bool decoupled_weight_decay, bool maximize) {
    OptimOptions o = base(OptimRule::NAdam, lr, eps, weight_decay, maximize);
    o.beta1 = beta1;
    o.beta2 = beta2;
    o.momentum_decay = momentum_decay;
    o.decoupled_weight_decay = decoupled_weight_decay;
    run_step(o, params, {exp_avg, exp_avg_sq}, steps, mu_products);
  }, py::arg("params"), py::arg("exp_avg"), py::arg("exp_avg_sq"), py::arg("steps"), py::arg("mu_products"),
     py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
     py::arg("momentum_decay"), py::arg("decoupled_weight_decay"), py::arg("maximize"),
     "One fused NAdam update of every parameter of a group (torch.optim.NAdam's rule); mu_products "
     "holds each parameter's running product of mu_t.");
}

}  // namespace ncpy
