// Scalar reference for 2-D max and average pooling over planes x (P, H, W) -> y (P, OH, OW) and their
// gradients (PyTorch's definitions, floor mode): window (i, j) covers rows i*S - PAD + a*D, a < K (likewise
// for columns); padding never wins a max; the average divides by the window clipped to the padded input
// (count_include_pad) or by the number of real cells. Max backward sends dy to the first maximum of the window.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace nc::ref {

struct PoolDims {
  int64_t P, H, W, K, S, PAD = 0, D = 1;
  bool count_include_pad = true;
  int64_t OH() const { return (H + 2 * PAD - D * (K - 1) - 1) / S + 1; }
  int64_t OW() const { return (W + 2 * PAD - D * (K - 1) - 1) / S + 1; }
};

// Max: value and the flat position h*W + v of the first maximum (NaN wins) of window (i, j) of plane pl.
template <class T>
std::pair<double, int64_t> maxpool_at(const PoolDims& s, const T* x, int64_t pl, int64_t i, int64_t j) {
  double best = -std::numeric_limits<double>::infinity();
  int64_t arg = -1;
  for (int64_t a = 0; a < s.K; ++a)
    for (int64_t b = 0; b < s.K; ++b) {
      int64_t h = i * s.S - s.PAD + a * s.D, v = j * s.S - s.PAD + b * s.D;
      if (h < 0 || h >= s.H || v < 0 || v >= s.W) continue;
      double val = double(x[(pl * s.H + h) * s.W + v]);
      if (arg < 0 || val > best || (std::isnan(val) && !std::isnan(best))) best = val, arg = h * s.W + v;
    }
  return {best, arg};
}

// Average of window (i, j), and its divisor.
template <class T>
std::pair<double, int64_t> avgpool_at(const PoolDims& s, const T* x, int64_t pl, int64_t i, int64_t j) {
  double acc = 0;
  int64_t real = 0;
  for (int64_t a = 0; a < s.K; ++a)
    for (int64_t b = 0; b < s.K; ++b) {
      int64_t h = i * s.S - s.PAD + a * s.D, v = j * s.S - s.PAD + b * s.D;
      if (h < 0 || h >= s.H || v < 0 || v >= s.W) continue;
      acc += double(x[(pl * s.H + h) * s.W + v]);
      ++real;
    }
  int64_t divisor = real;
  if (s.count_include_pad) {
    // The window clipped to [-PAD, n + PAD) along each axis (its extent, D = 1 as PyTorch requires for avg).
    auto span = [&](int64_t o, int64_t n) {
      int64_t lo = o * s.S - s.PAD, hi = std::min(lo + s.K, n + s.PAD);
      return hi - lo;
    };
    divisor = span(i, s.H) * span(j, s.W);
  }
  return {acc / double(divisor), divisor};
}

// dx (P, H, W) of max pooling: dy scattered to each window's first maximum, accumulated.
template <class T>
std::vector<double> maxpool_backward(const PoolDims& s, const T* x, const T* dy) {
  std::vector<double> dx(static_cast<size_t>(s.P * s.H * s.W), 0.0);
  const int64_t OH = s.OH(), OW = s.OW();
  for (int64_t pl = 0; pl < s.P; ++pl)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j) {
        int64_t arg = maxpool_at(s, x, pl, i, j).second;
        dx[static_cast<size_t>(pl * s.H * s.W + arg)] += double(dy[(pl * OH + i) * OW + j]);
      }
  return dx;
}

// dx (P, H, W) of average pooling: dy / divisor spread over each window's real cells.
template <class T>
std::vector<double> avgpool_backward(const PoolDims& s, const T* x, const T* dy) {
  std::vector<double> dx(static_cast<size_t>(s.P * s.H * s.W), 0.0);
  const int64_t OH = s.OH(), OW = s.OW();
  for (int64_t pl = 0; pl < s.P; ++pl)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j) {
        double share = double(dy[(pl * OH + i) * OW + j]) / double(avgpool_at(s, x, pl, i, j).second);
        for (int64_t a = 0; a < s.K; ++a)
          for (int64_t b = 0; b < s.K; ++b) {
            int64_t h = i * s.S - s.PAD + a * s.D, v = j * s.S - s.PAD + b * s.D;
            if (h < 0 || h >= s.H || v < 0 || v >= s.W) continue;
            dx[static_cast<size_t>((pl * s.H + h) * s.W + v)] += share;
          }
      }
  return dx;
}

}  // namespace nc::ref
