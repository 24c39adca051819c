// Softmax / log-softmax and the cross-entropy loss against scalar references written here from their
// definitions; gradients against central differences of those references (float64).
#include <cmath>
#include <functional>
#include "testing.h"

using namespace nc;
using namespace nc::testing;

namespace {

// softmax (or log_softmax) of x (O, D, I) row-major over D.
std::vector<double> ref_softmax(const std::vector<double>& x, int64_t O, int64_t D, int64_t I, bool log) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < O; ++o)
    for (int64_t i = 0; i < I; ++i) {
      double mx = -INFINITY, s = 0;
      for (int64_t d = 0; d < D; ++d) mx = std::max(mx, x[(o * D + d) * I + i]);
      for (int64_t d = 0; d < D; ++d) s += std::exp(x[(o * D + d) * I + i] - mx);
      for (int64_t d = 0; d < D; ++d) {
        double z = x[(o * D + d) * I + i] - mx;
        y[(o * D + d) * I + i] = log ? z - std::log(s) : std::exp(z) / s;
      }
    }
  return y;
}

// PyTorch's cross_entropy with class-index targets: per sample l_i = (1 - eps) * -w[t_i] logp[i, t_i]
// + eps / C * -sum_c w_c logp[i, c], 0 for ignored samples; mean divides by the sum of w[t_i] over
// the samples kept. Returns the per-sample losses (reduction None) or the one reduced value.
std::vector<double> ref_cross_entropy(const std::vector<double>& x, const std::vector<int64_t>& t, int64_t N,
                                      int64_t C, const std::vector<double>& w, int64_t ignore, double eps,
                                      Reduction r) {
  std::vector<double> logp = ref_softmax(x, N, C, 1, true), per(static_cast<size_t>(N), 0.0);
  double wsum = 0, total = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (t[i] == ignore) continue;
    double wt = w.empty() ? 1.0 : w[t[i]], smooth = 0;
    for (int64_t c = 0; c < C; ++c) smooth -= (w.empty() ? 1.0 : w[c]) * logp[i * C + c];
    per[i] = (1 - eps) * -wt * logp[i * C + t[i]] + eps / double(C) * smooth;
    wsum += wt;
    total += per[i];
  }
  if (r == Reduction::None) return per;
  return {r == Reduction::Sum ? total : total / wsum};
}

// d/dx of sum(f(x) * g) by central differences.
std::vector<double> numeric_grad(const std::function<std::vector<double>(const std::vector<double>&)>& f,
                                 std::vector<double> x, const std::vector<double>& g) {
  std::vector<double> d(x.size());
  const double h = 1e-6;
  for (size_t i = 0; i < x.size(); ++i) {
    double keep = x[i];
    x[i] = keep + h;
    std::vector<double> up = f(x);
    x[i] = keep - h;
    std::vector<double> dn = f(x);
    x[i] = keep;
    double s = 0;
    for (size_t j = 0; j < up.size(); ++j) s += (up[j] - dn[j]) * g[j];
    d[i] = s / (2 * h);
  }
  return d;
}

}  // namespace

NC_TEST(softmax_forward_over_each_dim) {
  Rng rng(21);
  NC_FOR_FLOAT_TYPES({
    DType D = dtype_of<T>::value;
    std::vector<double> xv = rng.uniform_vec(4 * 7 * 3, -5, 5);
    Tensor x = make({4, 7, 3}, xv, D);
    std::vector<double> xr = values(x);
    for (bool log : {false, true})
      for (int64_t dim = 0; dim < 3; ++dim) {
        int64_t O = dim == 0 ? 1 : dim == 1 ? 4 : 28, Dd = x.shape()[dim], I = dim == 0 ? 21 : dim == 1 ? 3 : 1;
        CHECK_CLOSE(values(softmax(x, dim, log)), ref_softmax(xr, O, Dd, I, log), tol_for(D, 1e-6, 1e-14),
                    tol_for(D, 1e-5, 1e-13), str(log ? "log_softmax" : "softmax", " dim ", dim, " ", dtype_name(D)));
      }
    // Large logits do not overflow (the max is subtracted first).
    Tensor big = make({1, 3}, {1000, 1001, 1002}, D);
    CHECK_CLOSE(values(softmax(big, 1, false)), ref_softmax({0, 1, 2}, 1, 3, 1, false), 1e-6, 1e-5, "shifted softmax");
    // Many rows: the threaded path.
    std::vector<double> wide = rng.uniform_vec(512 * 300, -3, 3);
    Tensor xw = make({512, 300}, wide, D);
    CHECK_CLOSE(values(softmax(xw, 1, true)), ref_softmax(values(xw), 512, 300, 1, true), tol_for(D, 1e-5, 1e-13),
                tol_for(D, 1e-5, 1e-13), "log_softmax 512x300");
  });
}

NC_TEST(softmax_backward_matches_central_differences) {
  Rng rng(22);
  std::vector<double> xv = rng.uniform_vec(3 * 5 * 2, -2, 2), g = rng.uniform_vec(30, -1, 1);
  for (bool log : {false, true}) {
    Tensor x = leaf({3, 5, 2}, xv, DType::Float64);
    backward(softmax(x, 1, log), make({3, 5, 2}, g, DType::Float64));
    auto f = [&](const std::vector<double>& v) { return ref_softmax(v, 3, 5, 2, log); };
    CHECK_CLOSE(values(x.grad()), numeric_grad(f, xv, g), 1e-8, 1e-6, log ? "log_softmax grad" : "softmax grad");
  }
}

NC_TEST(cross_entropy_forward_and_backward) {
  Rng rng(23);
  const int64_t N = 6, C = 5, ignore = -100;
  std::vector<int64_t> t = {0, 4, 2, ignore, 1, 4};
  std::vector<double> tv(t.begin(), t.end()), xv = rng.uniform_vec(N * C, -3, 3), w = {0.5, 1.0, 2.0, 1.5, 0.25};
  struct Case {
    bool weighted;
    double eps;
    Reduction r;
  };
  for (Case cs : {Case{false, 0, Reduction::Mean}, Case{false, 0, Reduction::Sum}, Case{false, 0, Reduction::None},
                  Case{true, 0, Reduction::Mean}, Case{false, 0.1, Reduction::Mean}, Case{true, 0.2, Reduction::Sum}}) {
    std::string name = str("cross_entropy weighted=", cs.weighted, " eps=", cs.eps, " reduction=", int(cs.r));
    std::vector<double> wv = cs.weighted ? w : std::vector<double>{};
    auto f = [&](const std::vector<double>& v) { return ref_cross_entropy(v, t, N, C, wv, ignore, cs.eps, cs.r); };
    NC_FOR_FLOAT_TYPES({
      DType D = dtype_of<T>::value;
      Tensor x = leaf({N, C}, xv, D);
      Tensor weight = cs.weighted ? make({C}, w, D) : Tensor();
      Tensor loss = cross_entropy(x, make({N}, tv, DType::Int64), weight, ignore, cs.eps, cs.r);
      std::vector<double> expect = f(values(x));
      CHECK_CLOSE(values(loss), expect, tol_for(D, 1e-6, 1e-14), tol_for(D, 1e-5, 1e-13), name + " forward");
      std::vector<double> g = rng.uniform_vec(static_cast<int64_t>(expect.size()), -1, 1);
      backward(loss, make(loss.shape(), g, D));
      CHECK_CLOSE(values(x.grad()), numeric_grad(f, values(x), g), tol_for(D, 1e-5, 1e-8), tol_for(D, 1e-4, 1e-6),
                  name + " backward " + dtype_name(D));
    });
  }
  CHECK_THROWS(cross_entropy(make({2, 3}, std::vector<double>(6, 0), DType::Float32),
                             make({2}, {0, 3}, DType::Int64), Tensor(), -100, 0, Reduction::Mean),
               IndexError, "out of bounds");
}

NC_TEST(pointwise_losses) {
  // mse = mean((a - b)^2); bce_with_logits = mean(max(z, 0) - z y + log(1 + exp(-|z|))).
  Rng rng(24);
  std::vector<double> a = rng.uniform_vec(10, -2, 2), b = rng.uniform_vec(10, 0, 1);
  double mse = 0, bce = 0;
  for (int i = 0; i < 10; ++i) {
    mse += (a[i] - b[i]) * (a[i] - b[i]) / 10;
    bce += (std::max(a[i], 0.0) - a[i] * b[i] + std::log1p(std::exp(-std::fabs(a[i])))) / 10;
  }
  Tensor A = leaf({10}, a, DType::Float64), B = make({10}, b, DType::Float64);
  Tensor l = mse_loss(A, B, Reduction::Mean);
  CHECK_NEAR(values(l)[0], mse, 0, 1e-14);
  backward(l, scalar_tensor(1.0, DType::Float64));
  std::vector<double> dmse;
  for (int i = 0; i < 10; ++i) dmse.push_back(2 * (a[i] - b[i]) / 10);
  CHECK_CLOSE(values(A.grad()), dmse, 0, 1e-14, "mse grad");
  CHECK_NEAR(values(binary_cross_entropy_with_logits(A, B, Tensor(), Tensor(), Reduction::Mean))[0], bce, 0, 1e-13);
}
