// The Tensor class: properties, numpy interop, creation functions, autograd entry points.
#include <cstring>
#include "bindings/common.h"
#include "core/parallel.h"

namespace ncpy {

DType parse_dtype(py::handle h) {
  if (py::isinstance<DType>(h)) return h.cast<DType>();
  std::string s;
  if (py::isinstance<py::str>(h)) {
    s = h.cast<std::string>();
  } else {
    try {
      s = py::str(py::module_::import("numpy").attr("dtype")(h).attr("name"));
    } catch (py::error_already_set&) {
      throw nc::TypeError("expected a dtype (neurocore.float32, float64, int64 or bool), got " +
                          std::string(py::repr(h)));
    }
  }
  if (s == "float32" || s == "float") return DType::Float32;
  if (s == "float64" || s == "double") return DType::Float64;
  if (s == "int64" || s == "long") return DType::Int64;
  if (s == "bool") return DType::Bool;
  throw nc::TypeError("unsupported dtype " + s + "; neurocore supports float32, float64, int64 and bool");
}

bool is_tensor(py::handle h) { return py::isinstance<TensorImpl>(h); }

Tensor from_numpy(py::array arr) {
  auto np = py::module_::import("numpy");
  DType dt;
  std::string name = py::str(arr.dtype().attr("name"));
  if (name == "float32") dt = DType::Float32;
  else if (name == "float64") dt = DType::Float64;
  else if (name == "int64") dt = DType::Int64;
  else if (name == "bool") dt = DType::Bool;
  else
    throw nc::TypeError("from_numpy: unsupported array dtype " + name +
                        "; expected float32, float64, int64 or bool (use nc.tensor() to convert)");
  if (!(arr.flags() & py::array::c_style))
    throw nc::ValueError("from_numpy: the array must be C-contiguous to share memory (got strides " +
                         std::string(py::str(py::tuple(arr.attr("strides")))) +
                         "); use np.ascontiguousarray(a) or nc.tensor(a), which copies");
  if (!arr.dtype().attr("isnative").cast<bool>())
    throw nc::ValueError("from_numpy: the array is not in native byte order; use a.astype(a.dtype.newbyteorder('='))");
  Shape shape(arr.shape(), arr.shape() + arr.ndim());
  size_t nbytes = static_cast<size_t>(arr.nbytes());
  // The storage keeps the array alive; release it with the GIL held.
  auto* keep = new py::object(arr);
  std::shared_ptr<void> owner(static_cast<void*>(keep), [](void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<py::object*>(p);
  });
  auto storage = Storage::wrap(arr.mutable_data(), nbytes, owner);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = storage;
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dt;
  impl->refresh();
  return Tensor(impl);
}

py::array to_numpy(const Tensor& t) {
  const char* fmt[] = {"float32", "float64", "int64", "bool"};
  py::dtype dt(fmt[int(t.dtype())]);
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
  for (int64_t s : t.strides()) strides.push_back(s * static_cast<int64_t>(itemsize(t.dtype())));
  // The capsule holds the storage: the array stays valid however long numpy keeps it.
  auto* hold = new std::shared_ptr<Storage>(t.storage());
  py::capsule base(hold, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  return py::array(dt, shape, strides, t.raw_data(), base);
}

Tensor as_tensor(py::handle h, const Tensor& like) {
  if (is_tensor(h)) return h.cast<Tensor>();
  if (py::isinstance<py::bool_>(h)) {
    Tensor s = scalar_tensor(h.cast<bool>() ? 1.0 : 0.0, like.dtype() == DType::Bool ? DType::Bool : like.dtype());
    return s;
  }
  if (py::isinstance<py::int_>(h)) return wrap_scalar(h.cast<double>(), true, like);
  if (py::isinstance<py::float_>(h)) return wrap_scalar(h.cast<double>(), false, like);
  auto np = py::module_::import("numpy");
  py::object a = np.attr("asarray")(h);
  std::string kind = py::str(a.attr("dtype").attr("kind"));
  if (kind == "f") a = np.attr("ascontiguousarray")(a, like.defined() && is_floating(like.dtype()) ? dtype_name(like.dtype()) : "float32");
  else if (kind == "i" || kind == "u") a = np.attr("ascontiguousarray")(a, "int64");
  else if (kind == "b") a = np.attr("ascontiguousarray")(a);
  else throw nc::TypeError("cannot combine a Tensor with " + std::string(py::str(py::type::of(h))));
  return contiguous_copy(from_numpy(a.cast<py::array>()));
}

Shape shape_from_args(const py::args& args, const char* op) {
  py::handle src = args;
  if (args.size() == 1 && !py::isinstance<py::int_>(args[0])) src = args[0];
  Shape s;
  try {
    for (auto item : src) s.push_back(item.cast<int64_t>());
  } catch (py::cast_error&) {
    throw nc::TypeError(std::string(op) + ": expected a shape made of integers, got " + std::string(py::repr(src)));
  }
  return s;
}

std::vector<int64_t> dims_from(py::handle h) {
  if (h.is_none()) return {};
  if (py::isinstance<py::int_>(h)) return {h.cast<int64_t>()};
  std::vector<int64_t> d;
  for (auto item : h) d.push_back(item.cast<int64_t>());
  NC_CHECK(!d.empty(), ValueError, "expected at least one dimension, got an empty list");
  return d;
}

Reduction parse_reduction(const std::string& r) {
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  if (r == "none") return Reduction::None;
  throw nc::ValueError("reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

void bind_tensor(py::module_& m) {
  py::enum_<DType>(m, "DType")
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .value("int64", DType::Int64)
      .value("bool", DType::Bool)
      .def("__repr__", [](DType d) { return std::string("neurocore.") + dtype_name(d); })
      .def("__str__", [](DType d) { return std::string("neurocore.") + dtype_name(d); })
      .def_property_readonly("is_floating_point", [](DType d) { return is_floating(d); })
      .def_property_readonly("itemsize", [](DType d) { return itemsize(d); });

  m.attr("dtype") = m.attr("DType");  // nc.dtype, like torch.dtype

  py::class_<Node, std::shared_ptr<Node>>(m, "Node")
      .def("name", &Node::name)
      .def("__repr__", [](const Node& n) { return "<" + n.name() + ">"; })
      .def_property_readonly("next_functions", [](const Node& n) {
        py::list out;
        for (auto& e : n.next) out.append(py::make_tuple(e.fn, e.input_nr));
        return out;
      });

  py::class_<TensorImpl, std::shared_ptr<TensorImpl>> cls(m, "Tensor", py::dynamic_attr());
  cls.def(py::init([](const Tensor& t) {
        // Tensor(t): a new tensor object sharing t's storage (used by nn.Parameter).
        Tensor v = t.detach();
        return v.impl();
      }))
      .def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(t.shape())); })
      .def_property_readonly("dtype", [](const Tensor& t) { return t.dtype(); })
      .def_property_readonly("device", [](const Tensor& t) { return std::string(device_name(t.device())); })
      .def_property_readonly("ndim", [](const Tensor& t) { return t.dim(); })
      .def_property_readonly("is_leaf", [](const Tensor& t) { return t.is_leaf(); })
      .def_property_readonly("grad_fn", [](const Tensor& t) { return t.grad_fn(); })
      .def_property("requires_grad", [](const Tensor& t) { return t.requires_grad(); },
                    [](Tensor& t, bool r) { t.set_requires_grad(r); })
      .def_property("grad", [](const Tensor& t) { return t.grad(); },
                    [](Tensor& t, std::optional<Tensor> g) { t.set_grad(g ? *g : Tensor()); })
      .def_property("data", [](const Tensor& t) { return t.detach(); },
                    [](Tensor& t, const Tensor& src) {
                      // Rebind this tensor to src's storage, layout and dtype, keeping its autograd identity
                      // (how Module.to(dtype) converts parameters in place). A stale-dtype grad is dropped.
                      TensorImpl* d = t.get();
                      NC_CHECK(!(d->requires_grad && !is_floating(src.dtype())), TypeError,
                               "data: a tensor that requires grad needs floating-point data, got ",
                               dtype_name(src.dtype()));
                      if (d->grad && (src.dtype() != d->dtype || src.shape() != d->shape)) d->grad.reset();
                      d->dtype = src.dtype();
                      d->storage = src.storage();
                      d->offset = src.offset();
                      d->shape = src.shape();
                      d->strides = src.strides();
                      d->refresh();
                    })
      .def("dim", [](const Tensor& t) { return t.dim(); })
      .def("numel", [](const Tensor& t) { return t.numel(); })
      .def("element_size", [](const Tensor& t) { return itemsize(t.dtype()); })
      .def("stride", [](const Tensor& t, py::object d) -> py::object {
        if (d.is_none()) return py::tuple(py::cast(t.strides()));
        return py::cast(t.strides()[wrap_dim(d.cast<int64_t>(), t.dim(), "stride")]);
      }, py::arg("dim") = py::none())
      .def("size", [](const Tensor& t, py::object d) -> py::object {
        if (d.is_none()) return py::tuple(py::cast(t.shape()));
        return py::cast(t.size(d.cast<int64_t>()));
      }, py::arg("dim") = py::none())
      .def("__len__", [](const Tensor& t) {
        NC_CHECK(t.dim() > 0, TypeError, "len() of a 0-d tensor");
        return t.shape()[0];
      })
      .def("is_contiguous", [](const Tensor& t) { return t.is_contiguous(); })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); })
      .def("_storage_id", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.storage().get()); })
      .def("_version_key", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.get()); })
      .def("numpy", [](const Tensor& t) {
        NC_CHECK(!t.requires_grad(), RuntimeError,
                 "can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()");
        return to_numpy(t);
      })
      .def("_numpy_view", [](const Tensor& t) { return to_numpy(t); })
      .def("item", [](const Tensor& t) -> py::object {
        NC_CHECK(t.numel() == 1, ValueError, "item(): only a tensor with one element can be converted to a Python "
                 "number, got shape ", t.shape());
        Tensor c = contiguous_copy(t.detach());
        switch (t.dtype()) {
          case DType::Float32: return py::float_(c.data<float>()[0]);
          case DType::Float64: return py::float_(c.data<double>()[0]);
          case DType::Int64: return py::int_(c.data<int64_t>()[0]);
          case DType::Bool: return py::bool_(c.data<bool>()[0]);
        }
        return py::none();
      })
      .def("detach", [](const Tensor& t) { return t.detach(); })
      .def("requires_grad_", [](Tensor& t, bool r) { t.set_requires_grad(r); return t; }, py::arg("requires_grad") = true)
      .def("retain_grad", [](Tensor& t) {
        NC_CHECK(t.requires_grad(), RuntimeError, "can't retain_grad on a tensor that does not require grad");
        if (t.is_leaf() || t.get()->retains_grad) return;  // leaves keep .grad anyway
        t.get()->retains_grad = true;
        t.grad_fn()->retained.emplace_back(t.get()->output_nr, t.impl());
      })
      .def_property_readonly("retains_grad", [](const Tensor& t) { return t.get()->retains_grad; })
      .def("backward", [](const Tensor& t, std::optional<Tensor> grad, bool retain_graph) {
        Tensor g;
        if (grad) {
          g = *grad;
          NC_CHECK(g.shape() == t.shape(), ValueError, "backward: gradient has shape ", g.shape(),
                   " but the tensor has shape ", t.shape());
          g = to_dtype(g.detach(), t.dtype());
        } else {
          NC_CHECK(t.numel() == 1, RuntimeError, "backward: grad can be implicitly created only for scalar outputs; "
                   "this tensor has shape ", t.shape(), " (pass gradient=... or reduce it first, e.g. .sum())");
          g = ones(t.shape(), t.dtype());
        }
        run_backward({t}, {g}, retain_graph);
      }, py::arg("gradient") = py::none(), py::arg("retain_graph") = false)
      .def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()) >> 4; });

  m.def("from_numpy", [](py::array a) { return from_numpy(a); }, py::arg("ndarray"));
  m.def("_as_tensor", [](py::handle h, std::optional<Tensor> like) { return as_tensor(h, like ? *like : scalar_tensor(0, DType::Float32)); },
        py::arg("obj"), py::arg("like") = py::none());
  m.def("_parse_dtype", [](py::handle h) { return parse_dtype(h); });

  // Creation
  m.def("_full", [](const Shape& s, double v, DType d) { return full(s, v, d); });
  m.def("_empty", [](const Shape& s, DType d) { return Tensor::empty(s, d); });
  m.def("_arange", &arange);
  m.def("_linspace", &linspace);
  m.def("_eye", &eye);
  m.def("_rand", [](const Shape& s, DType d) { return nc::rand(s, d); });
  m.def("_randn", &randn);
  m.def("_randint", &randint);
  m.def("randperm", &randperm, py::arg("n"));
  m.def("manual_seed", [](int64_t s) { manual_seed(static_cast<uint64_t>(s)); }, py::arg("seed"));
  m.def("initial_seed", &initial_seed);
  m.def("_uniform_", [](Tensor& t, double a, double b) { random_(t, Distribution::Uniform, a, b); return t; });
  m.def("_normal_", [](Tensor& t, double mean, double std) { random_(t, Distribution::Normal, mean, std); return t; });
  m.def("_bernoulli_", [](Tensor& t, double p) { random_(t, Distribution::Bernoulli, p, 0); return t; });

  // Threads and grad mode
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def("get_num_threads", &get_num_threads);
  m.def("is_grad_enabled", &GradMode::enabled);
  m.def("set_grad_enabled", &GradMode::set_enabled, py::arg("mode"));
  m.def("_backward", [](const std::vector<Tensor>& roots, const std::vector<Tensor>& grads, bool retain) {
    run_backward(roots, grads, retain);
  });
}

}  // namespace ncpy
