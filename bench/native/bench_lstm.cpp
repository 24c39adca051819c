// One LSTM layer (rnn_layer: the fused forward and backward recurrences) over a sequence, forward without
// grad and forward + backward (gradients of x, h0, c0 and all weights and biases), float32. Checked against the
// scalar equations and BPTT of ref/rnn_ref.h (every value) before timing. Work counts the GEMM flops only:
// forward 2*T*B*4H*(F+H); backward twice that (dx and dh, dW_ih and dW_hh), so forward + backward is 3x.
#include <cmath>
#include <cstdio>
#include "autograd/node.h"
#include "bench.h"
#include "ops/rnn.h"
#include "ref/rnn_ref.h"

using namespace nc;
using namespace nc::bench;

namespace {

std::vector<double> as_double(const Tensor& t) {
  const float* p = t.data<float>();
  return std::vector<double>(p, p + t.numel());
}

Tensor random_tensor(std::mt19937_64& gen, const Shape& shape, float scale) {
  Tensor t = Tensor::empty(shape, DType::Float32);
  fill_uniform(gen, t.data<float>(), t.numel(), -scale, scale);
  return t;
}

void check_all(Check& c, const Tensor& got, const std::vector<double>& want, const char* what) {
  const float* p = got.data<float>();
  for (size_t i = 0; i < want.size(); ++i) c.add(p[i], want[i], std::string(what) + "[" + std::to_string(i) + "]");
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv, "bench_lstm", "One LSTM layer, forward and forward + backward (float32).");
  MachineProbe m(o);
  // compare.py's lstm_fwd / lstm_fwdbwd: LSTM(64, 256), T = 50, batch 32
  ref::RnnDims d = o.tiny() ? ref::RnnDims{5, 3, 6, 8} : ref::RnnDims{50, 32, 64, 256};
  const int64_t T = d.T, B = d.B, F = d.F, H = d.H, G = 4 * H;
  std::mt19937_64 gen(11);
  const float ws = 1.0f / std::sqrt(float(H));  // PyTorch's init range
  Tensor x = random_tensor(gen, {T, B, F}, 1), h0 = random_tensor(gen, {B, H}, 1), c0 = random_tensor(gen, {B, H}, 1);
  Tensor w_ih = random_tensor(gen, {G, F}, ws), w_hh = random_tensor(gen, {G, H}, ws);
  Tensor b_ih = random_tensor(gen, {G}, ws), b_hh = random_tensor(gen, {G}, ws);
  Tensor dy = random_tensor(gen, {T, B, H}, 1), dhn = random_tensor(gen, {B, H}, 1), dcn = random_tensor(gen, {B, H}, 1);
  TensorList leaves = {x, h0, c0, w_ih, w_hh, b_ih, b_hh};
  char shape[96];
  std::snprintf(shape, sizeof shape, "T%lld B%lld F%lld H%lld", (long long)T, (long long)B, (long long)F, (long long)H);
  const double fwd_flops = 2.0 * double(T * B * G) * double(F + H);
  Report report("bench_lstm: one LSTM layer through rnn_layer, float32 (rate: GEMM flops)", o, m);

  auto forward = [&] { return rnn_layer(RnnMode::Lstm, x, h0, c0, w_ih, w_hh, b_ih, b_hh, false); };
  ref::LstmForward fw = ref::lstm_forward(d, as_double(x), as_double(w_ih), as_double(w_hh), as_double(b_ih),
                                          as_double(b_hh), as_double(h0), as_double(c0));
  // Values are O(1) and each sums F + H products: float32 agrees to ~1e-5.
  const double tol = 2e-5 * std::sqrt(double(F + H) / 16);
  {
    TensorList out;
    {
      NoGradGuard ng;
      out = forward();
    }
    Check chk(tol, tol);
    check_all(chk, out[0], fw.y, "y");
    check_all(chk, out[1], fw.h_n, "h_n");
    check_all(chk, out[2], fw.c_n, "c_n");
    Report::require("lstm fwd", chk);
    report.add(Result{"lstm fwd", shape, Metric::GFlops, fwd_flops, time_it(o, [&] {
                        NoGradGuard ng;
                        forward();
                      }), chk});
  }
  for (Tensor& t : leaves) t.set_requires_grad(true);
  auto fwd_bwd = [&] {
    for (Tensor& t : leaves) t.set_grad(Tensor());
    run_backward(forward(), {dy, dhn, dcn}, false);
  };
  fwd_bwd();
  ref::LstmGrads gr = ref::lstm_backward(d, as_double(x), as_double(w_ih), as_double(w_hh), as_double(h0),
                                         as_double(c0), fw, as_double(dy), as_double(dhn), as_double(dcn));
  // Weight gradients sum T*B products per value: looser absolute tolerance.
  const double tolw = 2e-5 * std::sqrt(double(T * B));
  Check chk(tolw, tol);
  check_all(chk, x.grad(), gr.dx, "dx");
  check_all(chk, h0.grad(), gr.dh0, "dh0");
  check_all(chk, c0.grad(), gr.dc0, "dc0");
  check_all(chk, w_ih.grad(), gr.dw_ih, "dw_ih");
  check_all(chk, w_hh.grad(), gr.dw_hh, "dw_hh");
  check_all(chk, b_ih.grad(), gr.db, "db_ih");
  check_all(chk, b_hh.grad(), gr.db, "db_hh");
  Report::require("lstm fwd+bwd", chk);
  report.add(Result{"lstm fwd+bwd", shape, Metric::GFlops, 3 * fwd_flops, time_it(o, fwd_bwd), chk});
  report.print();
  return 0;
}
