// Recurrent layers and embedding: one layer/direction op (nn.RNN/LSTM/GRU stack these in Python).
#include "bindings/common.h"
#include "ops/rnn.h"

namespace ncpy {

namespace {
Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }
}  // namespace

void bind_rnn(py::module_& m) {
  py::enum_<RnnMode>(m, "RnnMode")
      .value("rnn_tanh", RnnMode::Tanh).value("rnn_relu", RnnMode::Relu)
      .value("lstm", RnnMode::Lstm).value("gru", RnnMode::Gru);
  m.def("rnn_layer", [](RnnMode mode, const Tensor& x, std::optional<Tensor> h0, std::optional<Tensor> c0,
                        const Tensor& w_ih, const Tensor& w_hh, std::optional<Tensor> b_ih,
                        std::optional<Tensor> b_hh, bool reverse) -> py::tuple {
    TensorList r = rnn_layer(mode, x, opt(h0), opt(c0), w_ih, w_hh, opt(b_ih), opt(b_hh), reverse);
    if (r.size() == 3) return py::make_tuple(r[0], r[1], r[2]);
    return py::make_tuple(r[0], r[1]);
  }, py::arg("mode"), py::arg("input"), py::arg("h0"), py::arg("c0"), py::arg("w_ih"), py::arg("w_hh"),
        py::arg("b_ih"), py::arg("b_hh"), py::arg("reverse") = false,
        "One recurrent layer in one direction over input (T, B, F); h0/c0 (B, H) or None (zeros). Returns "
        "(output (T, B, H), h_n) or, for LSTM, (output, h_n, c_n).");
  m.def("embedding", [](const Tensor& weight, const Tensor& ids, std::optional<int64_t> padding_idx) {
    return embedding(weight, ids, padding_idx ? *padding_idx : -1);
  }, py::arg("weight"), py::arg("input"), py::arg("padding_idx") = py::none(),
        "weight[input]; ids outside [0, num_embeddings) raise IndexError; row padding_idx gets no gradient.");
}

}  // namespace ncpy
