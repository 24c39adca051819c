// LSTM and GRU layers (ops/rnn.h rnn_layer: the fused forward and backward recurrences) against the scalar
// equations in ref/rnn_ref.h: LSTM forward and every gradient against the written-out BPTT (itself checked
// against central differences here), GRU forward against the equations and its gradients against central
// differences; both directions, with and without biases and initial states, float32 and float64.
#include <functional>
#include "ops/rnn.h"
#include "ref/rnn_ref.h"
#include "testing.h"

using namespace nc;
using namespace nc::testing;
using ref::Vec;

namespace {

Vec time_reversed(const Vec& v, int64_t T, int64_t row) {
  Vec r(v.size());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < row; ++k) r[(T - 1 - t) * row + k] = v[t * row + k];
  return r;
}

struct RnnInputs {
  Vec x, w_ih, w_hh, b_ih, b_hh, h0, c0;
};

RnnInputs random_inputs(Rng& rng, const ref::RnnDims& d, int64_t G, bool bias, bool init) {
  RnnInputs in;
  in.x = rng.uniform_vec(d.T * d.B * d.F, -1, 1);
  in.w_ih = rng.uniform_vec(G * d.H * d.F, -0.5, 0.5);
  in.w_hh = rng.uniform_vec(G * d.H * d.H, -0.5, 0.5);
  if (bias) in.b_ih = rng.uniform_vec(G * d.H, -0.5, 0.5), in.b_hh = rng.uniform_vec(G * d.H, -0.5, 0.5);
  if (init) in.h0 = rng.uniform_vec(d.B * d.H, -1, 1), in.c0 = rng.uniform_vec(d.B * d.H, -1, 1);
  return in;
}

// A leaf for v (or an undefined tensor for an empty v).
Tensor opt_leaf(const Shape& shape, const Vec& v, DType D) { return v.empty() ? Tensor() : leaf(shape, v, D); }

template <class T>
void check_lstm(Rng& rng, const ref::RnnDims& d, bool bias, bool init, bool reverse) {
  DType D = dtype_of<T>::value;
  const int64_t T_ = d.T, B = d.B, F = d.F, H = d.H, G = 4 * H;
  RnnInputs in = random_inputs(rng, d, 4, bias, init);
  Tensor x = leaf({T_, B, F}, in.x, D), w_ih = leaf({G, F}, in.w_ih, D), w_hh = leaf({G, H}, in.w_hh, D);
  Tensor b_ih = opt_leaf({G}, in.b_ih, D), b_hh = opt_leaf({G}, in.b_hh, D);
  Tensor h0 = opt_leaf({B, H}, in.h0, D), c0 = opt_leaf({B, H}, in.c0, D);
  TensorList out = rnn_layer(RnnMode::Lstm, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse);
  CHECK_EQ(out.size(), size_t(3));
  // The reference runs forward in time; the reverse direction is the forward one on the reversed sequence.
  // Inputs are read back from the tensors so float32 rounding is the same on both sides.
  Vec xr = values(x);
  if (reverse) xr = time_reversed(xr, T_, B * F);
  Vec wi = values(w_ih), wh = values(w_hh), bi = bias ? values(b_ih) : Vec{}, bh = bias ? values(b_hh) : Vec{};
  Vec h0v = init ? values(h0) : Vec{}, c0v = init ? values(c0) : Vec{};
  ref::LstmForward fw = ref::lstm_forward(d, xr, wi, wh, bi, bh, h0v, c0v);
  std::string name = str("lstm ", dtype_name(D), " T", T_, " B", B, " F", F, " H", H, bias ? " bias" : "",
                         init ? " h0/c0" : "", reverse ? " reverse" : "");
  const double tol = tol_for(D, 2e-5, 1e-12);
  CHECK_CLOSE(values(out[0]), reverse ? time_reversed(fw.y, T_, B * H) : fw.y, tol, tol, name + " y");
  CHECK_CLOSE(values(out[1]), fw.h_n, tol, tol, name + " h_n");
  CHECK_CLOSE(values(out[2]), fw.c_n, tol, tol, name + " c_n");

  Vec dy = rng.uniform_vec(T_ * B * H, -1, 1), dhn = rng.uniform_vec(B * H, -1, 1), dcn = rng.uniform_vec(B * H, -1, 1);
  Tensor dyt = make({T_, B, H}, dy, D), dhnt = make({B, H}, dhn, D), dcnt = make({B, H}, dcn, D);
  run_backward(out, {dyt, dhnt, dcnt}, false);
  Vec dyr = values(dyt);
  if (reverse) dyr = time_reversed(dyr, T_, B * H);
  ref::LstmGrads gr = ref::lstm_backward(d, xr, wi, wh, h0v, c0v, fw, dyr, values(dhnt), values(dcnt));
  CHECK_CLOSE(values(x.grad()), reverse ? time_reversed(gr.dx, T_, B * F) : gr.dx, tol, tol, name + " dx");
  CHECK_CLOSE(values(w_ih.grad()), gr.dw_ih, tol, tol, name + " dw_ih");
  CHECK_CLOSE(values(w_hh.grad()), gr.dw_hh, tol, tol, name + " dw_hh");
  if (bias) {
    CHECK_CLOSE(values(b_ih.grad()), gr.db, tol, tol, name + " db_ih");
    CHECK_CLOSE(values(b_hh.grad()), gr.db, tol, tol, name + " db_hh");
  }
  if (init) {
    CHECK_CLOSE(values(h0.grad()), gr.dh0, tol, tol, name + " dh0");
    CHECK_CLOSE(values(c0.grad()), gr.dc0, tol, tol, name + " dc0");
  }
}

// d sum(f(v) * g) / d v by central differences.
Vec numeric_grad(const std::function<Vec(const Vec&)>& f, Vec v, const Vec& g) {
  Vec d(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    double keep = v[i], h = 1e-6;
    v[i] = keep + h;
    Vec up = f(v);
    v[i] = keep - h;
    Vec dn = f(v);
    v[i] = keep;
    double s = 0;
    for (size_t j = 0; j < up.size(); ++j) s += (up[j] - dn[j]) * g[j];
    d[i] = s / (2 * h);
  }
  return d;
}

Vec concat(const Vec& a, const Vec& b) {
  Vec r = a;
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

}  // namespace

NC_TEST(lstm_reference_backward_matches_central_differences) {
  // The BPTT reference must itself be right before it can judge the kernel: check it against central
  // differences of the reference forward for every input, through the outputs y, h_n and c_n.
  Rng rng(61);
  ref::RnnDims d{3, 2, 3, 4};
  RnnInputs in = random_inputs(rng, d, 4, true, true);
  Vec dy = rng.uniform_vec(d.T * d.B * d.H, -1, 1), dhn = rng.uniform_vec(d.B * d.H, -1, 1),
      dcn = rng.uniform_vec(d.B * d.H, -1, 1);
  Vec g = concat(concat(dy, dhn), dcn);
  auto run = [&](RnnInputs v) {
    ref::LstmForward f = ref::lstm_forward(d, v.x, v.w_ih, v.w_hh, v.b_ih, v.b_hh, v.h0, v.c0);
    return concat(concat(f.y, f.h_n), f.c_n);
  };
  ref::LstmForward fw = ref::lstm_forward(d, in.x, in.w_ih, in.w_hh, in.b_ih, in.b_hh, in.h0, in.c0);
  ref::LstmGrads gr = ref::lstm_backward(d, in.x, in.w_ih, in.w_hh, in.h0, in.c0, fw, dy, dhn, dcn);
  auto field = [&](Vec RnnInputs::*m) {
    return numeric_grad([&](const Vec& v) { RnnInputs c = in; c.*m = v; return run(c); }, in.*m, g);
  };
  CHECK_CLOSE(gr.dx, field(&RnnInputs::x), 1e-8, 1e-6, "ref dx");
  CHECK_CLOSE(gr.dw_ih, field(&RnnInputs::w_ih), 1e-8, 1e-6, "ref dw_ih");
  CHECK_CLOSE(gr.dw_hh, field(&RnnInputs::w_hh), 1e-8, 1e-6, "ref dw_hh");
  CHECK_CLOSE(gr.db, field(&RnnInputs::b_ih), 1e-8, 1e-6, "ref db_ih");
  CHECK_CLOSE(gr.db, field(&RnnInputs::b_hh), 1e-8, 1e-6, "ref db_hh");
  CHECK_CLOSE(gr.dh0, field(&RnnInputs::h0), 1e-8, 1e-6, "ref dh0");
  CHECK_CLOSE(gr.dc0, field(&RnnInputs::c0), 1e-8, 1e-6, "ref dc0");
}

NC_TEST(lstm_layer_matches_reference) {
  Rng rng(62);
  for (bool reverse : {false, true})
    for (bool bias : {true, false})
      for (bool init : {true, false}) {
        check_lstm<float>(rng, {4, 3, 5, 6}, bias, init, reverse);
        check_lstm<double>(rng, {4, 3, 5, 6}, bias, init, reverse);
      }
  // Enough rows and width for the threaded, blocked path.
  check_lstm<float>(rng, {6, 32, 24, 64}, true, true, false);
  check_lstm<double>(rng, {5, 17, 9, 40}, true, false, true);
}

NC_TEST(gru_layer_matches_reference) {
  Rng rng(63);
  for (bool reverse : {false, true})
    for (bool bias : {true, false}) {
      ref::RnnDims d{4, 3, 5, 6};
      const int64_t G = 3 * d.H;
      RnnInputs in = random_inputs(rng, d, 3, bias, true);
      NC_FOR_FLOAT_TYPES({
        DType D = dtype_of<T>::value;
        Tensor x = make({d.T, d.B, d.F}, in.x, D), h0 = make({d.B, d.H}, in.h0, D);
        Tensor wi = make({G, d.F}, in.w_ih, D), wh = make({G, d.H}, in.w_hh, D);
        Tensor bi = bias ? make({G}, in.b_ih, D) : Tensor(), bh = bias ? make({G}, in.b_hh, D) : Tensor();
        TensorList out = rnn_layer(RnnMode::Gru, x, h0, Tensor(), wi, wh, bi, bh, reverse);
        CHECK_EQ(out.size(), size_t(2));
        Vec xr = values(x);
        if (reverse) xr = time_reversed(xr, d.T, d.B * d.F);
        ref::GruForward fw = ref::gru_forward(d, xr, values(wi), values(wh), bias ? values(bi) : Vec{},
                                              bias ? values(bh) : Vec{}, values(h0));
        std::string name = str("gru ", dtype_name(D), bias ? " bias" : "", reverse ? " reverse" : "");
        const double tol = tol_for(D, 2e-5, 1e-12);
        CHECK_CLOSE(values(out[0]), reverse ? time_reversed(fw.y, d.T, d.B * d.H) : fw.y, tol, tol, name + " y");
        CHECK_CLOSE(values(out[1]), fw.h_n, tol, tol, name + " h_n");
      });
    }
}

NC_TEST(gru_backward_matches_central_differences) {
  Rng rng(64);
  ref::RnnDims d{3, 2, 3, 4};
  const int64_t G = 3 * d.H;
  for (bool reverse : {false, true}) {
    RnnInputs in = random_inputs(rng, d, 3, true, true);
    Tensor x = leaf({d.T, d.B, d.F}, in.x, DType::Float64), h0 = leaf({d.B, d.H}, in.h0, DType::Float64);
    Tensor wi = leaf({G, d.F}, in.w_ih, DType::Float64), wh = leaf({G, d.H}, in.w_hh, DType::Float64);
    Tensor bi = leaf({G}, in.b_ih, DType::Float64), bh = leaf({G}, in.b_hh, DType::Float64);
    TensorList out = rnn_layer(RnnMode::Gru, x, h0, Tensor(), wi, wh, bi, bh, reverse);
    Vec dy = rng.uniform_vec(d.T * d.B * d.H, -1, 1), dhn = rng.uniform_vec(d.B * d.H, -1, 1);
    run_backward(out, {make({d.T, d.B, d.H}, dy, DType::Float64), make({d.B, d.H}, dhn, DType::Float64)}, false);
    // The function under test: (y, h_n) of the reference in the layer's direction.
    auto run = [&](RnnInputs v) {
      Vec xs = reverse ? time_reversed(v.x, d.T, d.B * d.F) : v.x;
      ref::GruForward f = ref::gru_forward(d, xs, v.w_ih, v.w_hh, v.b_ih, v.b_hh, v.h0);
      return concat(reverse ? time_reversed(f.y, d.T, d.B * d.H) : f.y, f.h_n);
    };
    Vec g = concat(dy, dhn);
    auto field = [&](Vec RnnInputs::*m) {
      return numeric_grad([&](const Vec& v) { RnnInputs c = in; c.*m = v; return run(c); }, in.*m, g);
    };
    std::string name = reverse ? "gru reverse " : "gru ";
    CHECK_CLOSE(values(x.grad()), field(&RnnInputs::x), 1e-8, 1e-6, name + "dx");
    CHECK_CLOSE(values(h0.grad()), field(&RnnInputs::h0), 1e-8, 1e-6, name + "dh0");
    CHECK_CLOSE(values(wi.grad()), field(&RnnInputs::w_ih), 1e-8, 1e-6, name + "dw_ih");
    CHECK_CLOSE(values(wh.grad()), field(&RnnInputs::w_hh), 1e-8, 1e-6, name + "dw_hh");
    CHECK_CLOSE(values(bi.grad()), field(&RnnInputs::b_ih), 1e-8, 1e-6, name + "db_ih");
    CHECK_CLOSE(values(bh.grad()), field(&RnnInputs::b_hh), 1e-8, 1e-6, name + "db_hh");
  }
}
