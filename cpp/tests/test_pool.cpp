// Max and average pooling (2-D and 1-D, padding, stride, dilation, count_include_pad, adaptive average)
// forward and backward against the scalar loops in ref/pool_ref.h.
#include <algorithm>
#include "ops/pool.h"
#include "ref/pool_ref.h"
#include "testing.h"

using namespace nc;
using namespace nc::testing;

namespace {

// Distinct values (a shuffled ramp plus noise): no ties, so the max's position is unambiguous.
Tensor distinct(Rng& rng, const Shape& shape, DType D) {
  int64_t n = shape_numel(shape);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = double(i) / double(n) + 1e-3 * rng.uniform(0, 1);
  std::shuffle(v.begin(), v.end(), rng.gen);
  return make(shape, v, D);
}

template <class T>
void check_pool(Rng& rng, PoolMode mode, const ref::PoolDims& s, int64_t N, int64_t C) {
  DType D = dtype_of<T>::value;
  Tensor x = distinct(rng, {N, C, s.H, s.W}, D);
  x.set_requires_grad(true);
  PoolOptions o;
  o.kernel_size = {s.K};
  o.stride = {s.S};
  o.padding = {s.PAD};
  o.dilation = {s.D};
  o.count_include_pad = s.count_include_pad;
  auto [y, idx] = pool_nd(mode, x, 2, o, mode == PoolMode::Max, mode == PoolMode::Max ? "max_pool2d" : "avg_pool2d");
  const int64_t OH = s.OH(), OW = s.OW();
  std::string name = str(mode == PoolMode::Max ? "max" : "avg", "pool ", dtype_name(D), " x ", x.shape(), " k ", s.K,
                         " s ", s.S, " p ", s.PAD, " d ", s.D, " include_pad ", s.count_include_pad);
  CHECK_EQ(y.shape(), (Shape{N, C, OH, OW}));
  std::vector<T> xv = as<T>(x);
  std::vector<double> expect, eidx;
  for (int64_t pl = 0; pl < N * C; ++pl)
    for (int64_t i = 0; i < OH; ++i)
      for (int64_t j = 0; j < OW; ++j) {
        auto r = mode == PoolMode::Max ? ref::maxpool_at(s, xv.data(), pl, i, j) : ref::avgpool_at(s, xv.data(), pl, i, j);
        expect.push_back(r.first);
        eidx.push_back(double(r.second));
      }
  CHECK_CLOSE(values(y), expect, tol_for(D, 1e-6, 1e-14), tol_for(D, 1e-6, 1e-14), name + " forward");
  if (mode == PoolMode::Max) CHECK_CLOSE(values(idx), eidx, 0, 0, name + " indices");
  Tensor dy = rand_tensor(rng, y.shape(), D);
  backward(y, dy);
  std::vector<T> dyv = as<T>(dy);
  std::vector<double> dx = mode == PoolMode::Max ? ref::maxpool_backward(s, xv.data(), dyv.data())
                                                 : ref::avgpool_backward(s, xv.data(), dyv.data());
  CHECK_CLOSE(values(x.grad()), dx, tol_for(D, 1e-6, 1e-14), tol_for(D, 1e-5, 1e-13), name + " backward");
}

ref::PoolDims pd(int64_t H, int64_t W, int64_t K, int64_t S, int64_t PAD = 0, int64_t D = 1, bool inc = true) {
  ref::PoolDims s{};
  s.H = H, s.W = W, s.K = K, s.S = S, s.PAD = PAD, s.D = D, s.count_include_pad = inc;
  return s;
}

}  // namespace

NC_TEST(max_pool_matches_reference) {
  Rng rng(41);
  // 2x2 stride 2 (the vectorised path, even and odd widths), 3x3 stride 2 pad 1, stride 1, dilation 2,
  // and a large input for the threaded path.
  for (ref::PoolDims s : {pd(8, 8, 2, 2), pd(9, 11, 2, 2), pd(7, 10, 3, 2, 1), pd(6, 6, 3, 1, 1), pd(9, 9, 2, 1, 0, 2),
                          pd(56, 56, 2, 2), pd(17, 70, 3, 2, 1)}) {
    s.P = 2 * 3;
    check_pool<float>(rng, PoolMode::Max, s, 2, 3);
    check_pool<double>(rng, PoolMode::Max, s, 2, 3);
  }
  ref::PoolDims big = pd(56, 56, 2, 2);
  big.P = 8 * 16;
  check_pool<float>(rng, PoolMode::Max, big, 8, 16);
}

NC_TEST(avg_pool_matches_reference) {
  Rng rng(42);
  for (ref::PoolDims s : {pd(8, 8, 2, 2), pd(9, 11, 2, 2), pd(7, 10, 3, 2, 1, 1, true), pd(7, 10, 3, 2, 1, 1, false),
                          pd(6, 5, 3, 1, 1, 1, false), pd(56, 56, 2, 2)}) {
    s.P = 2 * 3;
    check_pool<float>(rng, PoolMode::Avg, s, 2, 3);
    check_pool<double>(rng, PoolMode::Avg, s, 2, 3);
  }
}

NC_TEST(adaptive_avg_and_1d_pooling) {
  // Adaptive average: output o covers [floor(o n / out), ceil((o + 1) n / out)).
  Rng rng(43);
  Tensor x = rand_tensor(rng, {2, 3, 7, 5}, DType::Float64);
  auto [y, unused] = adaptive_pool_nd(PoolMode::Avg, x, 2, {3, 2}, false, "adaptive_avg_pool2d");
  (void)unused;
  CHECK_EQ(y.shape(), (Shape{2, 3, 3, 2}));
  std::vector<double> expect;
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 2; ++j) {
          int64_t h0 = i * 7 / 3, h1 = ((i + 1) * 7 + 2) / 3, w0 = j * 5 / 2, w1 = ((j + 1) * 5 + 1) / 2;
          double s = 0;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t v = w0; v < w1; ++v) s += at(x, {p, c, h, v});
          expect.push_back(s / double((h1 - h0) * (w1 - w0)));
        }
  CHECK_CLOSE(values(y), expect, 0, 1e-14, "adaptive avg (7, 5) -> (3, 2)");
  // 1-D max pooling is 2-D pooling with H = 1.
  Tensor x1 = make({1, 1, 7}, {3, 1, 4, 1, 5, 9, 2}, DType::Float32);
  PoolOptions o;
  o.kernel_size = {3};
  o.stride = {2};
  auto [y1, i1] = pool_nd(PoolMode::Max, x1, 1, o, true, "max_pool1d");
  CHECK_CLOSE(values(y1), (std::vector<double>{4, 5, 9}), 0, 0, "max_pool1d values");
  CHECK_CLOSE(values(i1), (std::vector<double>{2, 4, 5}), 0, 0, "max_pool1d indices");
  o.kernel_size = {9};
  CHECK_THROWS(pool_nd(PoolMode::Max, x1, 1, o, false, "max_pool1d"), ValueError, "max_pool1d");
}
