// Neural-network ops (linear, softmax, losses) and fused optimizer steps.
#include "bindings/common.h"

namespace ncpy {

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }
}  // namespace

void bind_nn(py::module_& m) {
  m.def("linear", [](const Tensor& x, const Tensor& w, std::optional<Tensor> b) { return linear(x, w, opt(b)); },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  m.def("softmax", [](const Tensor& x, int64_t d) { return softmax(x, d, false); }, py::arg("input"), py::arg("dim"));
  m.def("log_softmax", [](const Tensor& x, int64_t d) { return softmax(x, d, true); }, py::arg("input"), py::arg("dim"));

  py::enum_<LossOp>(m, "LossOp")
      .value("mse", LossOp::Mse).value("l1", LossOp::L1).value("huber", LossOp::Huber)
      .value("smooth_l1", LossOp::SmoothL1).value("bce", LossOp::Bce).value("bce_logits", LossOp::BceLogits);
  m.def("pointwise_loss", [](LossOp op, const Tensor& a, const Tensor& b, double p, const std::string& r,
                             const std::string& name) {
    return pointwise_loss(op, a, b, p, parse_reduction(r), name.c_str());
  });
  m.def("binary_cross_entropy", [](const Tensor& p, const Tensor& y, std::optional<Tensor> w, const std::string& r) {
    return binary_cross_entropy(p, y, opt(w), parse_reduction(r));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean");
  m.def("binary_cross_entropy_with_logits", [](const Tensor& z, const Tensor& y, std::optional<Tensor> w,
                                               std::optional<Tensor> pw, const std::string& r) {
    return binary_cross_entropy_with_logits(z, y, opt(w), opt(pw), parse_reduction(r));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("pos_weight") = py::none(),
        py::arg("reduction") = "mean");
  m.def("cross_entropy", [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, int64_t ignore_index,
                            double smoothing, const std::string& r) {
    return cross_entropy(x, t, opt(w), ignore_index, smoothing, parse_reduction(r));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
        py::arg("label_smoothing") = 0.0, py::arg("reduction") = "mean");
  m.def("nll_loss", [](const Tensor& x, const Tensor& t, std::optional<Tensor> w, int64_t ignore_index,
                       const std::string& r) {
    return nll_loss(x, t, opt(w), ignore_index, parse_reduction(r));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
        py::arg("reduction") = "mean");

  m.def("sgd_step", [](const std::vector<Tensor>& params, py::list bufs, double lr, double momentum,
                       double dampening, double weight_decay, bool nesterov, bool maximize) {
    TensorList b(params.size());
    for (size_t i = 0; i < params.size() && i < bufs.size(); ++i)
      if (!bufs[i].is_none()) b[i] = bufs[i].cast<Tensor>();
    NoGradGuard ng;
    sgd_step(params, b, SgdOptions{lr, momentum, dampening, weight_decay, nesterov, maximize});
    for (size_t i = 0; i < params.size(); ++i) {
      if (i < bufs.size()) bufs[i] = py::cast(b[i]);
      else bufs.append(py::cast(b[i]));
    }
  }, "One fused SGD update of every parameter; bufs (a list, one per parameter, None until the first "
     "step) holds the momentum buffers and is updated in place.");
}

}  // namespace ncpy
