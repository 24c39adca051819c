// Scalar reference for one LSTM / GRU layer over a sequence, PyTorch's equations and gate order, in double.
// x (T, B, F), w_ih (G*H, F), w_hh (G*H, H), b_ih, b_hh (G*H), h0, c0 (B, H); y (T, B, H). All row-major vectors.
//   LSTM (gates i, f, g, o): a = W_ih x_t + b_ih + W_hh h + b_hh; i, f, o = sigmoid, g = tanh;
//        c' = f c + i g;  h' = o tanh(c')                                       (Hochreiter & Schmidhuber 1997)
//   GRU (gates r, z, n):     r, z = sigmoid(W_i* x_t + b_i* + W_h* h + b_h*);
//        n = tanh(W_in x_t + b_in + r (W_hn h + b_hn));  h' = (1 - z) n + z h         (Cho et al. 2014)
// lstm_backward is backpropagation through time written out from those equations (the tests check it
// against central differences, so it can serve the benchmark as an independent reference).
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

namespace nc::ref {

using Vec = std::vector<double>;

struct RnnDims {
  int64_t T, B, F, H;
};

inline double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// out (rows, n) += in (rows, k) @ W^T with W (n, k), restricted to row `r` of `in`.
inline void affine_row(const double* in, const Vec& W, int64_t n, int64_t k, double* out) {
  for (int64_t a = 0; a < n; ++a) {
    double s = 0;
    for (int64_t p = 0; p < k; ++p) s += W[a * k + p] * in[p];
    out[a] += s;
  }
}

struct LstmForward {
  Vec y, h_n, c_n;
  Vec act;  // (T, B, 4H): i, f, g, o after their non-linearities
  Vec c;    // (T, B, H)
};

inline LstmForward lstm_forward(const RnnDims& d, const Vec& x, const Vec& w_ih, const Vec& w_hh, const Vec& b_ih,
                                const Vec& b_hh, const Vec& h0, const Vec& c0) {
  const int64_t T = d.T, B = d.B, F = d.F, H = d.H, G = 4 * H;
  LstmForward r;
  r.y.assign(T * B * H, 0.0);
  r.act.assign(T * B * G, 0.0);
  r.c.assign(T * B * H, 0.0);
  Vec h = h0.empty() ? Vec(B * H, 0.0) : h0, c = c0.empty() ? Vec(B * H, 0.0) : c0;
  Vec a(G);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t k = 0; k < G; ++k) a[k] = (b_ih.empty() ? 0.0 : b_ih[k]) + (b_hh.empty() ? 0.0 : b_hh[k]);
      affine_row(&x[(t * B + b) * F], w_ih, G, F, a.data());
      affine_row(&h[b * H], w_hh, G, H, a.data());
      double* act = &r.act[(t * B + b) * G];
      for (int64_t k = 0; k < H; ++k) {
        double i = sigmoid(a[k]), f = sigmoid(a[H + k]), g = std::tanh(a[2 * H + k]), o = sigmoid(a[3 * H + k]);
        act[k] = i, act[H + k] = f, act[2 * H + k] = g, act[3 * H + k] = o;
        double cn = f * c[b * H + k] + i * g;
        r.c[(t * B + b) * H + k] = cn;
        r.y[(t * B + b) * H + k] = o * std::tanh(cn);
      }
      for (int64_t k = 0; k < H; ++k) c[b * H + k] = r.c[(t * B + b) * H + k], h[b * H + k] = r.y[(t * B + b) * H + k];
    }
  r.h_n = h;
  r.c_n = c;
  return r;
}

struct LstmGrads {
  Vec dx, dw_ih, dw_hh, db, dh0, dc0;  // db is the gradient of b_ih and of b_hh alike
};

// Gradients of sum(y * dy) + sum(h_n * dh_n) + sum(c_n * dc_n); dy, dh_n, dc_n may be empty (zero).
inline LstmGrads lstm_backward(const RnnDims& d, const Vec& x, const Vec& w_ih, const Vec& w_hh, const Vec& h0,
                               const Vec& c0, const LstmForward& fw, const Vec& dy, const Vec& dh_n, const Vec& dc_n) {
  const int64_t T = d.T, B = d.B, F = d.F, H = d.H, G = 4 * H;
  LstmGrads gr;
  gr.dx.assign(T * B * F, 0.0);
  gr.dw_ih.assign(G * F, 0.0);
  gr.dw_hh.assign(G * H, 0.0);
  gr.db.assign(G, 0.0);
  Vec dh = dh_n.empty() ? Vec(B * H, 0.0) : dh_n, dc = dc_n.empty() ? Vec(B * H, 0.0) : dc_n;
  Vec da(G);
  for (int64_t t = T - 1; t >= 0; --t)
    for (int64_t b = 0; b < B; ++b) {
      const double* act = &fw.act[(t * B + b) * G];
      const double* h_prev = t > 0 ? &fw.y[((t - 1) * B + b) * H] : (h0.empty() ? nullptr : &h0[b * H]);
      const double* c_prev = t > 0 ? &fw.c[((t - 1) * B + b) * H] : (c0.empty() ? nullptr : &c0[b * H]);
      for (int64_t k = 0; k < H; ++k) {
        double i = act[k], f = act[H + k], g = act[2 * H + k], o = act[3 * H + k];
        double tc = std::tanh(fw.c[(t * B + b) * H + k]);
        double dhk = dh[b * H + k] + (dy.empty() ? 0.0 : dy[(t * B + b) * H + k]);
        double dck = dc[b * H + k] + dhk * o * (1 - tc * tc);
        double cp = c_prev ? c_prev[k] : 0.0;
        da[k] = dck * g * i * (1 - i);
        da[H + k] = dck * cp * f * (1 - f);
        da[2 * H + k] = dck * i * (1 - g * g);
        da[3 * H + k] = dhk * tc * o * (1 - o);
        dc[b * H + k] = dck * f;  // becomes dc_{t-1}
      }
      const double* xt = &x[(t * B + b) * F];
      for (int64_t a = 0; a < G; ++a) {
        gr.db[a] += da[a];
        for (int64_t p = 0; p < F; ++p) gr.dw_ih[a * F + p] += da[a] * xt[p], gr.dx[(t * B + b) * F + p] += da[a] * w_ih[a * F + p];
        if (h_prev)
          for (int64_t p = 0; p < H; ++p) gr.dw_hh[a * H + p] += da[a] * h_prev[p];
      }
      for (int64_t p = 0; p < H; ++p) {  // dh_{t-1} = W_hh^T da
        double s = 0;
        for (int64_t a = 0; a < G; ++a) s += w_hh[a * H + p] * da[a];
        dh[b * H + p] = s;
      }
    }
  gr.dh0 = dh;
  gr.dc0 = dc;
  return gr;
}

struct GruForward {
  Vec y, h_n;
};

inline GruForward gru_forward(const RnnDims& d, const Vec& x, const Vec& w_ih, const Vec& w_hh, const Vec& b_ih,
                              const Vec& b_hh, const Vec& h0) {
  const int64_t T = d.T, B = d.B, F = d.F, H = d.H, G = 3 * H;
  GruForward r;
  r.y.assign(T * B * H, 0.0);
  Vec h = h0.empty() ? Vec(B * H, 0.0) : h0;
  Vec gi(G), gh(G);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t k = 0; k < G; ++k) gi[k] = b_ih.empty() ? 0.0 : b_ih[k], gh[k] = b_hh.empty() ? 0.0 : b_hh[k];
      affine_row(&x[(t * B + b) * F], w_ih, G, F, gi.data());
      affine_row(&h[b * H], w_hh, G, H, gh.data());
      for (int64_t k = 0; k < H; ++k) {
        double rr = sigmoid(gi[k] + gh[k]), z = sigmoid(gi[H + k] + gh[H + k]);
        double n = std::tanh(gi[2 * H + k] + rr * gh[2 * H + k]);
        r.y[(t * B + b) * H + k] = (1 - z) * n + z * h[b * H + k];
      }
      for (int64_t k = 0; k < H; ++k) h[b * H + k] = r.y[(t * B + b) * H + k];
    }
  r.h_n = h;
  return r;
}

}  // namespace nc::ref
