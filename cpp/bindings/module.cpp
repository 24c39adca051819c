// The extension module: exception mapping, then each area binds itself.
#include "bindings/common.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "neurocore C++ core";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nc::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const nc::TypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const nc::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const nc::RuntimeError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  ncpy::bind_tensor(m);
  ncpy::bind_ops(m);
  ncpy::bind_nn(m);
  ncpy::bind_conv(m);
  ncpy::bind_optim(m);
  ncpy::bind_pool(m);
  ncpy::bind_norm(m);
  ncpy::bind_rnn(m);
}
