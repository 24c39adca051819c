// Scalar reference for 2-D convolution (cross-correlation, PyTorch's definition) and its gradients,
// one element at a time, in double, straight from the sums that define them:
//   y[n, o, i, j]  = b[o] + sum_{c, p, q} x[n, g*Cg + c, i*SH - PT + p*DH, j*SW - PL + q*DW] * w[o, c, p, q]
//   dx[n, c, h, v] = sum of dy[n, o, i, j] * w[o, c', p, q] over the (o, i, j, p, q) that read x[n, c, h, v]
//   dw[o, c, p, q] = sum_{n, i, j} dy[n, o, i, j] * x[n, g*Cg + c, ...];   db[o] = sum_{n, i, j} dy[n, o, i, j]
// x (N, C, H, W), w (OC, C/G, KH, KW), y and dy (N, OC, OH, OW); g = o / (OC/G) is o's group.
// Shared by the unit tests (every element) and the conv benchmark (a sample of elements).
#pragma once
#include <cstdint>

namespace nc::ref {

struct ConvDims {
  int64_t N, C, H, W, OC, KH, KW;
  int64_t SH = 1, SW = 1, PT = 0, PL = 0, PB = 0, PR = 0, DH = 1, DW = 1, G = 1;
  int64_t OH() const { return (H + PT + PB - DH * (KH - 1) - 1) / SH + 1; }
  int64_t OW() const { return (W + PL + PR - DW * (KW - 1) - 1) / SW + 1; }
  int64_t Cg() const { return C / G; }
  int64_t OCg() const { return OC / G; }
};

template <class T>
double conv_y_at(const ConvDims& s, const T* x, const T* w, const T* b, int64_t n, int64_t o, int64_t i, int64_t j) {
  const int64_t g = o / s.OCg();
  double acc = b ? double(b[o]) : 0.0;
  for (int64_t c = 0; c < s.Cg(); ++c)
    for (int64_t p = 0; p < s.KH; ++p)
      for (int64_t q = 0; q < s.KW; ++q) {
        int64_t h = i * s.SH - s.PT + p * s.DH, v = j * s.SW - s.PL + q * s.DW;
        if (h < 0 || h >= s.H || v < 0 || v >= s.W) continue;
        acc += double(x[((n * s.C + g * s.Cg() + c) * s.H + h) * s.W + v]) *
               double(w[((o * s.Cg() + c) * s.KH + p) * s.KW + q]);
      }
  return acc;
}

template <class T>
double conv_dx_at(const ConvDims& s, const T* dy, const T* w, int64_t n, int64_t ci, int64_t h, int64_t v) {
  const int64_t OH = s.OH(), OW = s.OW(), g = ci / s.Cg(), c = ci % s.Cg();
  double acc = 0;
  for (int64_t o = g * s.OCg(); o < (g + 1) * s.OCg(); ++o)
    for (int64_t p = 0; p < s.KH; ++p)
      for (int64_t q = 0; q < s.KW; ++q) {
        // output (i, j) reads x[h, v] through tap (p, q) when i*SH - PT + p*DH == h (and likewise for j)
        int64_t hi = h + s.PT - p * s.DH, vj = v + s.PL - q * s.DW;
        if (hi < 0 || vj < 0 || hi % s.SH || vj % s.SW) continue;
        int64_t i = hi / s.SH, j = vj / s.SW;
        if (i >= OH || j >= OW) continue;
        acc += double(dy[((n * s.OC + o) * OH + i) * OW + j]) * double(w[((o * s.Cg() + c) * s.KH + p) * s.KW + q]);
      }
  return acc;
}

template <class T>
double conv_dw_at(const ConvDims& s, const T* dy, const T* x, int64_t o, int64_t c, int64_t p, int64_t q) {
  const int64_t OH = s.OH(), OW = s.OW(), g = o / s.OCg();
  double acc = 0;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j) {
        int64_t h = i * s.SH - s.PT + p * s.DH, v = j * s.SW - s.PL + q * s.DW;
        if (h < 0 || h >= s.H || v < 0 || v >= s.W) continue;
        acc += double(dy[((n * s.OC + o) * OH + i) * OW + j]) *
               double(x[((n * s.C + g * s.Cg() + c) * s.H + h) * s.W + v]);
      }
  return acc;
}

template <class T>
double conv_db_at(const ConvDims& s, const T* dy, int64_t o) {
  const int64_t OH = s.OH(), OW = s.OW();
  double acc = 0;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t e = 0; e < OH * OW; ++e) acc += double(dy[(n * s.OC + o) * OH * OW + e]);
  return acc;
}

}  // namespace nc::ref
