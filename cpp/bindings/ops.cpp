// Tensor math as methods and operators. Module-level functions (nc.exp, ...) are made from
// these in Python. Scalars and arrays on either side of an operator become tensors here.
#include "bindings/common.h"

namespace ncpy {

namespace {

using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// In-place arithmetic: honoured when no gradient is being tracked; a leaf that requires grad
// refuses (it would corrupt the graph), a non-leaf falls back to an out-of-place result.
Tensor inplace(Tensor& self, py::handle other, BinaryOp op) {
  Tensor o = as_tensor(other, self);
  if (GradMode::enabled() && (self.requires_grad() || o.requires_grad())) {
    NC_CHECK(!self.is_leaf() || !self.requires_grad(), RuntimeError,
             "a leaf tensor that requires grad is being used in an in-place operation; wrap it in nc.no_grad()");
    return binary(op, self, o);
  }
  Shape s = broadcast_shapes(self.shape(), o.shape(), "in-place operation");
  NC_CHECK(s == self.shape(), ValueError, "in-place operation: result shape ", s, " does not match the tensor's shape ",
           self.shape());
  Tensor r = binary(op, self, o);
  NC_CHECK(r.dtype() == self.dtype(), TypeError, "in-place operation: result dtype ", dtype_name(r.dtype()),
           " cannot be stored in a ", dtype_name(self.dtype()), " tensor");
  copy_(self, r);
  return self;
}

void check_inplace_ok(const Tensor& t, const char* op) {
  NC_CHECK(!(GradMode::enabled() && t.requires_grad()), RuntimeError, op,
           ": in-place modification of a tensor that requires grad; wrap it in nc.no_grad()");
}

}  // namespace

void bind_ops(py::module_& m) {
  auto cls = py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));

  py::enum_<UnaryOp>(m, "UnaryOp")
      .value("neg", UnaryOp::Neg).value("abs", UnaryOp::Abs).value("sign", UnaryOp::Sign)
      .value("square", UnaryOp::Square).value("exp", UnaryOp::Exp).value("log", UnaryOp::Log)
      .value("sqrt", UnaryOp::Sqrt).value("reciprocal", UnaryOp::Reciprocal).value("sin", UnaryOp::Sin)
      .value("cos", UnaryOp::Cos).value("log1p", UnaryOp::Log1p).value("expm1", UnaryOp::Expm1)
      .value("pow_scalar", UnaryOp::PowScalar).value("clamp", UnaryOp::Clamp).value("relu", UnaryOp::Relu)
      .value("leaky_relu", UnaryOp::LeakyRelu).value("sigmoid", UnaryOp::Sigmoid).value("tanh", UnaryOp::Tanh)
      .value("step", UnaryOp::Step).value("elu", UnaryOp::Elu).value("selu", UnaryOp::Selu)
      .value("celu", UnaryOp::Celu).value("gelu", UnaryOp::Gelu).value("gelu_tanh", UnaryOp::GeluTanh)
      .value("silu", UnaryOp::Silu).value("mish", UnaryOp::Mish).value("softplus", UnaryOp::Softplus)
      .value("softsign", UnaryOp::Softsign).value("hardtanh", UnaryOp::Hardtanh)
      .value("hardsigmoid", UnaryOp::Hardsigmoid).value("hardswish", UnaryOp::Hardswish)
      .value("logsigmoid", UnaryOp::LogSigmoid);
  m.def("unary", [](const Tensor& x, UnaryOp op, double p0, double p1) { return unary(op, x, p0, p1); }, py::arg("x"),
        py::arg("op"), py::arg("p0") = 0.0, py::arg("p1") = 0.0);

  // Operators
#define NC_BINOP(pyname, OP)                                                                        \
  cls.def(pyname, [](const Tensor& a, py::handle b) { return binary(BinaryOp::OP, a, as_tensor(b, a)); }, \
          py::is_operator());
#define NC_RBINOP(pyname, OP)                                                                       \
  cls.def(pyname, [](const Tensor& a, py::handle b) { return binary(BinaryOp::OP, as_tensor(b, a), a); }, \
          py::is_operator());
  NC_BINOP("__add__", Add) NC_RBINOP("__radd__", Add) NC_BINOP("__sub__", Sub) NC_RBINOP("__rsub__", Sub)
  NC_BINOP("__mul__", Mul) NC_RBINOP("__rmul__", Mul) NC_BINOP("__truediv__", Div) NC_RBINOP("__rtruediv__", Div)
  NC_BINOP("__pow__", Pow) NC_RBINOP("__rpow__", Pow)
  NC_BINOP("__eq__", Eq) NC_BINOP("__ne__", Ne) NC_BINOP("__lt__", Lt) NC_BINOP("__le__", Le)
  NC_BINOP("__gt__", Gt) NC_BINOP("__ge__", Ge)
  NC_BINOP("__and__", LogicalAnd) NC_BINOP("__or__", LogicalOr) NC_BINOP("__xor__", LogicalXor)
  NC_RBINOP("__rand__", LogicalAnd) NC_RBINOP("__ror__", LogicalOr) NC_RBINOP("__rxor__", LogicalXor)
#undef NC_BINOP
#undef NC_RBINOP
#define NC_METHOD2(pyname, OP) \
  cls.def(pyname, [](const Tensor& a, py::handle b) { return binary(BinaryOp::OP, a, as_tensor(b, a)); }, py::arg("other"));
  NC_METHOD2("add", Add) NC_METHOD2("sub", Sub) NC_METHOD2("mul", Mul) NC_METHOD2("div", Div) NC_METHOD2("pow", Pow)
  NC_METHOD2("maximum", Maximum) NC_METHOD2("minimum", Minimum) NC_METHOD2("eq", Eq) NC_METHOD2("ne", Ne)
  NC_METHOD2("lt", Lt) NC_METHOD2("le", Le) NC_METHOD2("gt", Gt) NC_METHOD2("ge", Ge)
  NC_METHOD2("logical_and", LogicalAnd) NC_METHOD2("logical_or", LogicalOr) NC_METHOD2("logical_xor", LogicalXor)
#undef NC_METHOD2
  cls.def("__iadd__", [](Tensor& a, py::handle b) { return inplace(a, b, BinaryOp::Add); }, py::is_operator());
  cls.def("__isub__", [](Tensor& a, py::handle b) { return inplace(a, b, BinaryOp::Sub); }, py::is_operator());
  cls.def("__imul__", [](Tensor& a, py::handle b) { return inplace(a, b, BinaryOp::Mul); }, py::is_operator());
  cls.def("__itruediv__", [](Tensor& a, py::handle b) { return inplace(a, b, BinaryOp::Div); }, py::is_operator());
  cls.def("__matmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, py::is_operator());
  cls.def("__rmatmul__", [](const Tensor& a, py::handle b) { return matmul(as_tensor(b, a), a); }, py::is_operator());
  cls.def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, py::arg("other"));
  cls.def("__neg__", [](const Tensor& a) { return neg(a); });
  cls.def("__abs__", [](const Tensor& a) { return unary(UnaryOp::Abs, a); });
  cls.def("__invert__", [](const Tensor& a) {
    NC_CHECK(a.dtype() == DType::Bool, TypeError, "~ (logical not) needs a bool tensor, got ", dtype_name(a.dtype()));
    return binary(BinaryOp::Eq, a, scalar_tensor(0, DType::Bool));
  });
  cls.def("logical_not", [](const Tensor& a) { return binary(BinaryOp::Eq, a, scalar_tensor(0, a.dtype())); });
  cls.def("__bool__", [](const Tensor& a) {
    NC_CHECK(a.numel() == 1, ValueError, "the truth value of a tensor with ", a.numel(),
             " elements is ambiguous; use .any() or .all()");
    Tensor c = contiguous_copy(to_dtype(a.detach(), DType::Bool));
    return c.data<bool>()[0];
  });

  // Unary math
#define NC_UNARY(pyname, OP) cls.def(pyname, [](const Tensor& a) { return unary(UnaryOp::OP, a); });
  NC_UNARY("neg", Neg) NC_UNARY("abs", Abs) NC_UNARY("sign", Sign) NC_UNARY("square", Square) NC_UNARY("exp", Exp)
  NC_UNARY("log", Log) NC_UNARY("sqrt", Sqrt) NC_UNARY("reciprocal", Reciprocal) NC_UNARY("sin", Sin)
  NC_UNARY("cos", Cos) NC_UNARY("log1p", Log1p) NC_UNARY("expm1", Expm1) NC_UNARY("relu", Relu)
  NC_UNARY("sigmoid", Sigmoid) NC_UNARY("tanh", Tanh)
#undef NC_UNARY
  cls.def("rsqrt", [](const Tensor& a) { return unary(UnaryOp::Reciprocal, unary(UnaryOp::Sqrt, a)); });
  cls.def("clamp", [](const Tensor& a, std::optional<double> lo, std::optional<double> hi) { return clamp(a, lo, hi); },
          py::arg("min") = py::none(), py::arg("max") = py::none());
  cls.def("clip", [](const Tensor& a, std::optional<double> lo, std::optional<double> hi) { return clamp(a, lo, hi); },
          py::arg("min") = py::none(), py::arg("max") = py::none());
  cls.def("softmax", [](const Tensor& a, int64_t d) { return softmax(a, d, false); }, py::arg("dim"));
  cls.def("log_softmax", [](const Tensor& a, int64_t d) { return softmax(a, d, true); }, py::arg("dim"));

  // Reductions
  cls.def("sum", [](const Tensor& a, py::object dim, bool keep) { return reduce(ReduceOp::Sum, a, dims_from(dim), keep); },
          py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("mean", [](const Tensor& a, py::object dim, bool keep) { return reduce(ReduceOp::Mean, a, dims_from(dim), keep); },
          py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("prod", [](const Tensor& a, py::object dim, bool keep) { return reduce(ReduceOp::Prod, a, dims_from(dim), keep); },
          py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("amax", [](const Tensor& a, py::object dim, bool keep) { return reduce(ReduceOp::Max, a, dims_from(dim), keep); },
          py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("amin", [](const Tensor& a, py::object dim, bool keep) { return reduce(ReduceOp::Min, a, dims_from(dim), keep); },
          py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("any", [](const Tensor& a, py::object dim, bool keep) { return reduce(ReduceOp::Any, a, dims_from(dim), keep); },
          py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("all", [](const Tensor& a, py::object dim, bool keep) { return reduce(ReduceOp::All, a, dims_from(dim), keep); },
          py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("argmax", [](const Tensor& a, std::optional<int64_t> dim, bool keep) {
    if (!dim) return reduce(ReduceOp::ArgMax, reshape(a.detach(), {-1}), {}, false);
    return reduce(ReduceOp::ArgMax, a, {*dim}, keep);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("argmin", [](const Tensor& a, std::optional<int64_t> dim, bool keep) {
    if (!dim) return reduce(ReduceOp::ArgMin, reshape(a.detach(), {-1}), {}, false);
    return reduce(ReduceOp::ArgMin, a, {*dim}, keep);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("_max_dim", [](const Tensor& a, int64_t dim, bool keep, bool is_max) {
    auto r = max_dim(a, dim, keep, is_max);
    return py::make_tuple(r.first, r.second);
  });
  cls.def("var", [](const Tensor& a, py::object dim, double correction, bool keep) {
    return var(a, dims_from(dim), correction, keep);
  }, py::arg("dim") = py::none(), py::arg("correction") = 1.0, py::arg("keepdim") = false);

  // Shapes and views
  cls.def("reshape", [](const Tensor& a, py::args s) { return reshape(a, shape_from_args(s, "reshape")); });
  cls.def("view", [](const Tensor& a, py::args s) { return view(a, shape_from_args(s, "view")); });
  cls.def("expand", [](const Tensor& a, py::args s) { return expand(a, shape_from_args(s, "expand")); });
  cls.def("permute", [](const Tensor& a, py::args s) { return permute(a, shape_from_args(s, "permute")); });
  cls.def("transpose", [](const Tensor& a, int64_t d0, int64_t d1) { return transpose(a, d0, d1); });
  cls.def("t", [](const Tensor& a) {
    NC_CHECK(a.dim() <= 2, ValueError, "t() expects a tensor with <= 2 dimensions, got shape ", a.shape(),
             "; use transpose(d0, d1) or permute");
    return a.dim() == 2 ? transpose(a, 0, 1) : a;
  });
  cls.def_property_readonly("T", [](const Tensor& a) {
    std::vector<int64_t> p;
    for (int64_t d = a.dim() - 1; d >= 0; --d) p.push_back(d);
    return permute(a, p);
  });
  cls.def("flatten", [](const Tensor& a, int64_t s, int64_t e) { return flatten(a, s, e); }, py::arg("start_dim") = 0,
          py::arg("end_dim") = -1);
  cls.def("squeeze", [](const Tensor& a, py::object dim) {
    if (dim.is_none()) return squeeze(a, std::nullopt);
    return squeeze(a, dims_from(dim));
  }, py::arg("dim") = py::none());
  cls.def("unsqueeze", [](const Tensor& a, int64_t d) { return unsqueeze(a, d); }, py::arg("dim"));
  cls.def("contiguous", [](const Tensor& a) { return contiguous(a); });
  cls.def("clone", [](const Tensor& a) { return clone(a); });
  cls.def("index_select", [](const Tensor& a, int64_t d, const Tensor& i) { return index_select(a, d, i); },
          py::arg("dim"), py::arg("index"));
  cls.def("nonzero", [](const Tensor& a) { return nonzero(a); });
  cls.def("_select", [](const Tensor& a, int64_t d, int64_t i) { return select(a, d, i); });
  cls.def("_slice", [](const Tensor& a, int64_t d, int64_t b, int64_t e, int64_t s) { return slice(a, d, b, e, s); });
  cls.def("_masked_select", [](const Tensor& a, const Tensor& mask) { return masked_select_leading(a, mask); });

  // Conversion
  cls.def("to", [](const Tensor& a, py::handle target) -> Tensor {
    if (py::isinstance<py::str>(target)) {
      std::string s = target.cast<std::string>();
      if (s == "cpu") return a;
      if (s.rfind("cuda", 0) == 0) throw nc::RuntimeError("to('" + s + "'): this build of neurocore has no CUDA support");
    }
    return to_dtype(a, parse_dtype(target));
  }, py::arg("dtype"));
  cls.def("float", [](const Tensor& a) { return to_dtype(a, DType::Float32); });
  cls.def("double", [](const Tensor& a) { return to_dtype(a, DType::Float64); });
  cls.def("long", [](const Tensor& a) { return to_dtype(a, DType::Int64); });
  cls.def("bool", [](const Tensor& a) { return to_dtype(a, DType::Bool); });
  cls.def("cpu", [](const Tensor& a) { return a; });

  // In-place (never recorded by autograd)
  cls.def("zero_", [](Tensor& a) { check_inplace_ok(a, "zero_"); fill_(a, 0); return a; });
  cls.def("fill_", [](Tensor& a, double v) { check_inplace_ok(a, "fill_"); fill_(a, v); return a; }, py::arg("value"));
  cls.def("copy_", [](Tensor& a, py::handle src) {
    check_inplace_ok(a, "copy_");
    copy_(a, as_tensor(src, a));
    return a;
  }, py::arg("src"));
  cls.def("add_", [](Tensor& a, py::handle o, double alpha) {
    check_inplace_ok(a, "add_");
    add_(a, as_tensor(o, a), alpha);
    return a;
  }, py::arg("other"), py::arg("alpha") = 1.0);
  cls.def("sub_", [](Tensor& a, py::handle o, double alpha) {
    check_inplace_ok(a, "sub_");
    add_(a, as_tensor(o, a), -alpha);
    return a;
  }, py::arg("other"), py::arg("alpha") = 1.0);
  cls.def("mul_", [](Tensor& a, py::handle o) {
    check_inplace_ok(a, "mul_");
    binary_(BinaryOp::Mul, a, as_tensor(o, a));
    return a;
  }, py::arg("other"));
  cls.def("div_", [](Tensor& a, py::handle o) {
    check_inplace_ok(a, "div_");
    binary_(BinaryOp::Div, a, as_tensor(o, a));
    return a;
  }, py::arg("other"));
  cls.def("clamp_", [](Tensor& a, std::optional<double> lo, std::optional<double> hi) {
    check_inplace_ok(a, "clamp_");
    copy_(a, clamp(a, lo, hi));
    return a;
  }, py::arg("min") = py::none(), py::arg("max") = py::none());
  cls.def("uniform_", [](Tensor& a, double lo, double hi) {
    check_inplace_ok(a, "uniform_");
    random_(a, Distribution::Uniform, lo, hi);
    return a;
  }, py::arg("a") = 0.0, py::arg("b") = 1.0);
  cls.def("normal_", [](Tensor& a, double mean, double std) {
    check_inplace_ok(a, "normal_");
    random_(a, Distribution::Normal, mean, std);
    return a;
  }, py::arg("mean") = 0.0, py::arg("std") = 1.0);

  m.def("where", [](py::handle c, py::handle a, py::handle b) {
    Tensor ct = as_tensor(c, scalar_tensor(0, DType::Bool));
    Tensor at, bt;
    if (is_tensor(a)) { at = a.cast<Tensor>(); bt = as_tensor(b, at); }
    else if (is_tensor(b)) { bt = b.cast<Tensor>(); at = as_tensor(a, bt); }
    else { at = as_tensor(a, scalar_tensor(0, DType::Float32)); bt = as_tensor(b, at); }
    return where(ct, at, bt);
  }, py::arg("condition"), py::arg("input"), py::arg("other"));
  m.def("cat", [](const std::vector<Tensor>& xs, int64_t d) { return cat(xs, d); }, py::arg("tensors"), py::arg("dim") = 0);
  m.def("stack", [](const std::vector<Tensor>& xs, int64_t d) { return stack(xs, d); }, py::arg("tensors"),
        py::arg("dim") = 0);
}

}  // namespace ncpy
