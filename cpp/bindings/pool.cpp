// Pooling: max/min/avg/lp pooling and adaptive pooling, PyTorch's functional signatures.
// Sizes may be an int or a tuple/list of ints; stride=None means stride = kernel_size.
#include "bindings/common.h"
#include "ops/pool.h"

namespace ncpy {

namespace {

int64_t as_int(py::handle v, const char* what, const char* name, py::handle whole) {
  // ints and integer-like objects (numpy integers: anything with __index__), but not bool
  if (py::isinstance<py::bool_>(v) || !PyIndex_Check(v.ptr()))
    throw py::type_error(std::string(name) + ": " + what + " must be an int or a tuple of ints, got " +
                         py::repr(whole).cast<std::string>());
  return py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr())).cast<int64_t>();
}

// int -> {v}; tuple/list -> values; None (where allowed) -> {}; None entries of output_size -> -1.
std::vector<int64_t> sizes(py::handle h, const char* what, const char* name, bool none_entries = false) {
  if (h.is_none()) return {};
  if (py::isinstance<py::tuple>(h) || py::isinstance<py::list>(h)) {
    std::vector<int64_t> out;
    for (py::handle v : h) out.push_back(none_entries && v.is_none() ? -1 : as_int(v, what, name, h));
    return out;
  }
  return {as_int(h, what, name, h)};
}

py::object result(const std::pair<Tensor, Tensor>& r, bool return_indices) {
  if (return_indices) return py::make_tuple(r.first, r.second);
  return py::cast(r.first);
}

py::object max_like(PoolMode mode, int dims, const char* name, const Tensor& x, py::handle k, py::handle s,
                    py::handle p, py::handle d, bool ceil_mode, bool return_indices) {
  PoolOptions o;
  o.kernel_size = sizes(k, "kernel_size", name);
  o.stride = sizes(s, "stride", name);
  o.padding = sizes(p, "padding", name);
  o.dilation = sizes(d, "dilation", name);
  o.ceil_mode = ceil_mode;
  return result(pool_nd(mode, x, dims, o, return_indices, name), return_indices);
}

Tensor avg(int dims, const char* name, const Tensor& x, py::handle k, py::handle s, py::handle p, bool ceil_mode,
           bool count_include_pad, std::optional<int64_t> divisor_override) {
  PoolOptions o;
  o.kernel_size = sizes(k, "kernel_size", name);
  o.stride = sizes(s, "stride", name);
  o.padding = sizes(p, "padding", name);
  o.ceil_mode = ceil_mode;
  o.count_include_pad = count_include_pad;
  o.divisor_override = divisor_override;
  return pool_nd(PoolMode::Avg, x, dims, o, false, name).first;
}

}  // namespace

void bind_pool(py::module_& m) {
  struct MaxSpec { const char* name; PoolMode mode; int dims; };
  for (MaxSpec sp : {MaxSpec{"max_pool1d", PoolMode::Max, 1}, MaxSpec{"max_pool2d", PoolMode::Max, 2},
                     MaxSpec{"min_pool2d", PoolMode::Min, 2}}) {
    m.def(sp.name, [sp](const Tensor& x, py::object k, py::object s, py::object p, py::object d, bool ceil_mode,
                        bool return_indices) {
      return max_like(sp.mode, sp.dims, sp.name, x, k, s, p, d, ceil_mode, return_indices);
    }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
          py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false);
  }
  m.def("avg_pool1d", [](const Tensor& x, py::object k, py::object s, py::object p, bool ceil_mode, bool cip) {
    return avg(1, "avg_pool1d", x, k, s, p, ceil_mode, cip, std::nullopt);
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
        py::arg("ceil_mode") = false, py::arg("count_include_pad") = true);
  m.def("avg_pool2d", [](const Tensor& x, py::object k, py::object s, py::object p, bool ceil_mode, bool cip,
                         std::optional<int64_t> div) {
    return avg(2, "avg_pool2d", x, k, s, p, ceil_mode, cip, div);
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
        py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none());
  for (int dims : {1, 2}) {
    const char* lp = dims == 1 ? "lp_pool1d" : "lp_pool2d";
    m.def(lp, [dims, lp](const Tensor& x, double norm_type, py::object k, py::object s, bool ceil_mode) {
      return lp_pool_nd(x, dims, norm_type, sizes(k, "kernel_size", lp), sizes(s, "stride", lp), ceil_mode, lp);
    }, py::arg("input"), py::arg("norm_type"), py::arg("kernel_size"), py::arg("stride") = py::none(),
          py::arg("ceil_mode") = false);
    const char* aa = dims == 1 ? "adaptive_avg_pool1d" : "adaptive_avg_pool2d";
    m.def(aa, [dims, aa](const Tensor& x, py::object out) {
      return adaptive_pool_nd(PoolMode::Avg, x, dims, sizes(out, "output_size", aa, true), false, aa).first;
    }, py::arg("input"), py::arg("output_size"));
    const char* am = dims == 1 ? "adaptive_max_pool1d" : "adaptive_max_pool2d";
    m.def(am, [dims, am](const Tensor& x, py::object out, bool return_indices) {
      return result(adaptive_pool_nd(PoolMode::Max, x, dims, sizes(out, "output_size", am, true), return_indices, am),
                    return_indices);
    }, py::arg("input"), py::arg("output_size"), py::arg("return_indices") = false);
  }
}

}  // namespace ncpy
