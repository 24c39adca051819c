// Normalization (batch/layer/group/instance norm) and dropout, PyTorch's functional signatures.
// None for an optional tensor is an undefined nc::Tensor.
#include "bindings/common.h"
#include "ops/dropout.h"
#include "ops/norm.h"

namespace ncpy {

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }
}  // namespace

void bind_norm(py::module_& m) {
  m.def("batch_norm", [](const Tensor& x, std::optional<Tensor> rm, std::optional<Tensor> rv, std::optional<Tensor> w,
                         std::optional<Tensor> b, bool training, double momentum, double eps) {
    return batch_norm(x, opt(w), opt(b), opt(rm), opt(rv), training, momentum, eps);
  }, py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
        py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5);
  m.def("layer_norm", [](const Tensor& x, py::object shape, std::optional<Tensor> w, std::optional<Tensor> b,
                         double eps) { return layer_norm(x, dims_from(shape), opt(w), opt(b), eps); },
        py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
        py::arg("eps") = 1e-5);
  m.def("group_norm", [](const Tensor& x, int64_t groups, std::optional<Tensor> w, std::optional<Tensor> b,
                         double eps) { return group_norm(x, groups, opt(w), opt(b), eps); },
        py::arg("input"), py::arg("num_groups"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
        py::arg("eps") = 1e-5);
  m.def("instance_norm", [](const Tensor& x, std::optional<Tensor> rm, std::optional<Tensor> rv,
                            std::optional<Tensor> w, std::optional<Tensor> b, bool use_input_stats, double momentum,
                            double eps) {
    return instance_norm(x, opt(w), opt(b), opt(rm), opt(rv), use_input_stats, momentum, eps);
  }, py::arg("input"), py::arg("running_mean") = py::none(), py::arg("running_var") = py::none(),
        py::arg("weight") = py::none(), py::arg("bias") = py::none(), py::arg("use_input_stats") = true,
        py::arg("momentum") = 0.1, py::arg("eps") = 1e-5);
  m.def("_dropout", [](const Tensor& x, double p, bool training, bool alpha, int64_t mask_dims,
                       const std::string& name) { return dropout(x, p, training, alpha, mask_dims, name.c_str()); },
        py::arg("input"), py::arg("p"), py::arg("training"), py::arg("alpha"), py::arg("mask_dims"), py::arg("name"),
        "Dropout with a keep mask over every element (mask_dims=-1) or over the first mask_dims dims; alpha "
        "selects alpha dropout. Returns input itself when not training or p == 0.");
}

}  // namespace ncpy
