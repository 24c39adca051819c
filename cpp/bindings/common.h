// Shared by the binding files: the nc::Tensor <-> Python caster and argument helpers.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include "ops/ops.h"

namespace py = pybind11;

// Python sees one class, neurocore._core.Tensor, holding a shared_ptr<TensorImpl>; C++ functions
// take and return nc::Tensor. Returning the same impl returns the same Python object.
namespace pybind11::detail {
template <>
struct type_caster<nc::Tensor> {
  PYBIND11_TYPE_CASTER(nc::Tensor, const_name("Tensor"));
  bool load(handle src, bool convert) {
    make_caster<std::shared_ptr<nc::TensorImpl>> c;
    if (!c.load(src, convert)) return false;
    value = nc::Tensor(cast_op<std::shared_ptr<nc::TensorImpl>>(c));
    return true;
  }
  static handle cast(const nc::Tensor& t, return_value_policy, handle) {
    if (!t.defined()) return none().release();
    return make_caster<std::shared_ptr<nc::TensorImpl>>::cast(t.impl(), return_value_policy::take_ownership, handle());
  }
};
}  // namespace pybind11::detail

namespace ncpy {
using namespace nc;

DType parse_dtype(py::handle h);
// A Python scalar, list, numpy array or Tensor as a Tensor; scalars take their dtype from `like`.
Tensor as_tensor(py::handle h, const Tensor& like);
bool is_tensor(py::handle h);
Tensor from_numpy(py::array arr);  // zero-copy, strict
py::array to_numpy(const Tensor& t);
// (2, 3) or 2, 3 or [2, 3] -> shape
Shape shape_from_args(const py::args& args, const char* op);
// None -> {}, int -> {d}, tuple/list -> dims
std::vector<int64_t> dims_from(py::handle h);
Reduction parse_reduction(const std::string& r);

void bind_tensor(py::module_& m);
void bind_ops(py::module_& m);
void bind_nn(py::module_& m);
void bind_conv(py::module_& m);
void bind_optim(py::module_& m);
void bind_pool(py::module_& m);
void bind_norm(py::module_& m);
void bind_rnn(py::module_& m);
}  // namespace ncpy
