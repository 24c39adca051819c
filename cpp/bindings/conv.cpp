// Convolution bindings: conv2d (conv1d is conv2d on (N, C, 1, L) in Python).
#include "bindings/common.h"
#include "ops/conv.h"

namespace ncpy {

void bind_conv(py::module_& m) {
  m.def("conv2d", [](const Tensor& x, const Tensor& w, std::optional<Tensor> b, std::array<int64_t, 2> stride,
                     std::array<int64_t, 4> padding, std::array<int64_t, 2> dilation, int64_t groups) {
    ConvOptions o;
    o.stride = stride, o.padding = padding, o.dilation = dilation, o.groups = groups;
    return conv2d(x, w, b ? *b : Tensor(), o);
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("padding"),
        py::arg("dilation"), py::arg("groups"),
        "padding is (top, left, bottom, right); see nn.functional.conv2d for the user-facing form.");
  m.def("conv_out_size", &conv_out_size);
}

}  // namespace ncpy
