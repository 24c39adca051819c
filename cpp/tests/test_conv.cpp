// conv2d forward and backward (input, weight and bias gradients) against the scalar sums in ref/conv_ref.h,
// over strides, paddings (also asymmetric), dilations, groups, with and without bias, float32 and float64.
#include "ops/conv.h"
#include "ref/conv_ref.h"
#include "testing.h"

using namespace nc;
using namespace nc::testing;

namespace {

template <class T>
void check_conv(Rng& rng, const ref::ConvDims& s, bool bias) {
  DType D = dtype_of<T>::value;
  const int64_t OH = s.OH(), OW = s.OW();
  Tensor x = rand_tensor(rng, {s.N, s.C, s.H, s.W}, D), w = rand_tensor(rng, {s.OC, s.Cg(), s.KH, s.KW}, D);
  Tensor b = bias ? rand_tensor(rng, {s.OC}, D) : Tensor();
  x.set_requires_grad(true), w.set_requires_grad(true);
  if (bias) b.set_requires_grad(true);
  ConvOptions o;
  o.stride = {s.SH, s.SW};
  o.dilation = {s.DH, s.DW};
  o.padding = {s.PT, s.PL, s.PB, s.PR};
  o.groups = s.G;
  Tensor y = conv2d(x, w, b, o);
  std::string name = str("conv ", dtype_name(D), " x ", x.shape(), " w ", w.shape(), " stride ", s.SH, ",", s.SW,
                         " pad ", s.PT, ",", s.PL, ",", s.PB, ",", s.PR, " dil ", s.DH, ",", s.DW, " groups ", s.G,
                         bias ? " bias" : "");
  CHECK_EQ(y.shape(), (Shape{s.N, s.OC, OH, OW}));
  std::vector<T> xv = as<T>(x), wv = as<T>(w), bv = bias ? as<T>(b) : std::vector<T>{};
  std::vector<double> expect;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oc = 0; oc < s.OC; ++oc)
      for (int64_t i = 0; i < OH; ++i)
        for (int64_t j = 0; j < OW; ++j)
          expect.push_back(ref::conv_y_at(s, xv.data(), wv.data(), bias ? bv.data() : nullptr, n, oc, i, j));
  const double tol = tol_for(D, 2e-5, 1e-13);
  CHECK_CLOSE(values(y), expect, tol, tol, name + " forward");

  Tensor dy = rand_tensor(rng, y.shape(), D);
  backward(y, dy);
  std::vector<T> dyv = as<T>(dy);
  std::vector<double> dx, dw, db;
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t v = 0; v < s.W; ++v) dx.push_back(ref::conv_dx_at(s, dyv.data(), wv.data(), n, c, h, v));
  for (int64_t oc = 0; oc < s.OC; ++oc)
    for (int64_t c = 0; c < s.Cg(); ++c)
      for (int64_t p = 0; p < s.KH; ++p)
        for (int64_t q = 0; q < s.KW; ++q) dw.push_back(ref::conv_dw_at(s, dyv.data(), xv.data(), oc, c, p, q));
  for (int64_t oc = 0; oc < s.OC; ++oc) db.push_back(ref::conv_db_at(s, dyv.data(), oc));
  CHECK_CLOSE(values(x.grad()), dx, tol, tol, name + " dx");
  CHECK_CLOSE(values(w.grad()), dw, tol, tol, name + " dw");
  if (bias) CHECK_CLOSE(values(b.grad()), db, tol, tol, name + " db");
}

ref::ConvDims dims(int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW) {
  ref::ConvDims s{};
  s.N = N, s.C = C, s.H = H, s.W = W, s.OC = OC, s.KH = KH, s.KW = KW;
  return s;
}

}  // namespace

NC_TEST(conv2d_matches_reference_sums) {
  Rng rng(31);
  std::vector<ref::ConvDims> cases;
  cases.push_back(dims(2, 3, 7, 6, 4, 3, 3));  // plain, no padding
  auto s = dims(2, 3, 8, 9, 5, 3, 3);
  s.PT = s.PL = s.PB = s.PR = 1;  // "same"
  cases.push_back(s);
  s = dims(1, 4, 11, 10, 6, 3, 2);
  s.SH = 2, s.SW = 3, s.PT = 1, s.PB = 2, s.PL = 0, s.PR = 1;  // strided, asymmetric padding
  cases.push_back(s);
  s = dims(2, 2, 9, 9, 3, 3, 3);
  s.DH = 2, s.DW = 3, s.PT = s.PB = 2, s.PL = s.PR = 1;  // dilated
  cases.push_back(s);
  s = dims(2, 6, 6, 7, 4, 3, 3);
  s.G = 2, s.PT = s.PL = s.PB = s.PR = 1;  // grouped
  cases.push_back(s);
  s = dims(3, 4, 5, 5, 4, 1, 1);  // 1x1 (pure GEMM)
  cases.push_back(s);
  s = dims(2, 8, 20, 20, 16, 5, 5);  // big enough for the threaded paths
  s.SH = s.SW = 1, s.PT = s.PL = s.PB = s.PR = 2;
  cases.push_back(s);
  for (const ref::ConvDims& c : cases)
    for (bool bias : {true, false}) {
      check_conv<float>(rng, c, bias);
      check_conv<double>(rng, c, bias);
    }
}

NC_TEST(conv2d_unbatched_and_errors) {
  Rng rng(32);
  Tensor x = rand_tensor(rng, {3, 5, 5}, DType::Float64), w = rand_tensor(rng, {2, 3, 3, 3}, DType::Float64);
  Tensor y = conv2d(x, w, Tensor(), ConvOptions{});
  CHECK_EQ(y.shape(), (Shape{2, 3, 3}));
  Tensor yb = conv2d(unsqueeze(x, 0), w, Tensor(), ConvOptions{});
  CHECK_CLOSE(values(y), values(yb), 0, 0, "unbatched = batched[0]");
  CHECK_THROWS(conv2d(x, rand_tensor(rng, {2, 4, 3, 3}, DType::Float64), Tensor(), ConvOptions{}), ValueError,
               "channels");
  ConvOptions big;
  big.dilation = {3, 3};
  CHECK_THROWS(conv2d(x, w, Tensor(), big), ValueError, "too small");
  CHECK_THROWS(conv2d(x, rand_tensor(rng, {2, 3, 3, 3}, DType::Float32), Tensor(), ConvOptions{}), TypeError,
               "same floating dtype");
}
