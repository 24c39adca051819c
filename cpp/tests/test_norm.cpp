// Batch norm (training: batch statistics, running-stat update; evaluation: running statistics) and layer
// norm, forward against the definitions computed here in double, backward against central differences of them.
#include <cmath>
#include <functional>
#include "ops/norm.h"
#include "testing.h"

using namespace nc;
using namespace nc::testing;

namespace {

// Batch norm of x (N, C, S) with batch statistics (biased var) and per-channel affine w, b.
std::vector<double> ref_batch_norm(const std::vector<double>& x, const std::vector<double>& w,
                                   const std::vector<double>& b, int64_t N, int64_t C, int64_t S, double eps,
                                   std::vector<double>* mean_out = nullptr, std::vector<double>* var_out = nullptr) {
  std::vector<double> y(x.size());
  for (int64_t c = 0; c < C; ++c) {
    double m = 0, v = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < S; ++s) m += x[(n * C + c) * S + s] / double(N * S);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < S; ++s) v += std::pow(x[(n * C + c) * S + s] - m, 2) / double(N * S);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < S; ++s)
        y[(n * C + c) * S + s] = (x[(n * C + c) * S + s] - m) / std::sqrt(v + eps) * w[c] + b[c];
    if (mean_out) mean_out->push_back(m);
    if (var_out) var_out->push_back(v);
  }
  return y;
}

std::vector<double> ref_layer_norm(const std::vector<double>& x, const std::vector<double>& w,
                                   const std::vector<double>& b, int64_t M, int64_t Dn, double eps) {
  std::vector<double> y(x.size());
  for (int64_t r = 0; r < M; ++r) {
    double m = 0, v = 0;
    for (int64_t d = 0; d < Dn; ++d) m += x[r * Dn + d] / double(Dn);
    for (int64_t d = 0; d < Dn; ++d) v += std::pow(x[r * Dn + d] - m, 2) / double(Dn);
    for (int64_t d = 0; d < Dn; ++d) y[r * Dn + d] = (x[r * Dn + d] - m) / std::sqrt(v + eps) * w[d] + b[d];
  }
  return y;
}

// d sum(f(v) * g) / d v_i by central differences.
std::vector<double> numeric_grad(const std::function<std::vector<double>(const std::vector<double>&)>& f,
                                 std::vector<double> v, const std::vector<double>& g) {
  std::vector<double> d(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    double keep = v[i], h = 1e-6;
    v[i] = keep + h;
    auto up = f(v);
    v[i] = keep - h;
    auto dn = f(v);
    v[i] = keep;
    double s = 0;
    for (size_t j = 0; j < up.size(); ++j) s += (up[j] - dn[j]) * g[j];
    d[i] = s / (2 * h);
  }
  return d;
}

}  // namespace

NC_TEST(batch_norm_training_forward_and_running_stats) {
  Rng rng(51);
  const int64_t N = 4, C = 3, H = 5, W = 2, S = H * W;
  const double eps = 1e-5, momentum = 0.1;
  NC_FOR_FLOAT_TYPES({
    DType D = dtype_of<T>::value;
    Tensor x = rand_tensor(rng, {N, C, H, W}, D, -2, 3);
    std::vector<double> wv = rng.uniform_vec(C, 0.5, 1.5), bv = rng.uniform_vec(C, -1, 1);
    std::vector<double> rm0 = rng.uniform_vec(C, -1, 1), rv0 = rng.uniform_vec(C, 0.5, 2);
    Tensor rm = make({C}, rm0, D), rv = make({C}, rv0, D);
    Tensor y = batch_norm(x, make({C}, wv, D), make({C}, bv, D), rm, rv, true, momentum, eps);
    std::vector<double> mean, var;
    std::vector<double> expect = ref_batch_norm(values(x), wv, bv, N, C, S, eps, &mean, &var);
    CHECK_CLOSE(values(y), expect, tol_for(D, 1e-5, 1e-12), tol_for(D, 1e-5, 1e-12), str("batch_norm ", dtype_name(D)));
    // running = (1 - momentum) running + momentum * batch stat, with the unbiased variance.
    std::vector<double> erm, erv;
    for (int64_t c = 0; c < C; ++c) {
      erm.push_back((1 - momentum) * rm0[c] + momentum * mean[c]);
      erv.push_back((1 - momentum) * rv0[c] + momentum * var[c] * double(N * S) / double(N * S - 1));
    }
    CHECK_CLOSE(values(rm), erm, tol_for(D, 1e-6, 1e-14), tol_for(D, 1e-5, 1e-13), "running_mean");
    CHECK_CLOSE(values(rv), erv, tol_for(D, 1e-6, 1e-14), tol_for(D, 1e-5, 1e-13), "running_var");
    // Evaluation normalizes with the running statistics.
    Tensor ye = batch_norm(x, make({C}, wv, D), make({C}, bv, D), rm, rv, false, momentum, eps);
    std::vector<double> ee, xr = values(x), rmv = values(rm), rvv = values(rv);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t s = 0; s < S; ++s)
          ee.push_back((xr[(n * C + c) * S + s] - rmv[c]) / std::sqrt(rvv[c] + eps) * wv[c] + bv[c]);
    CHECK_CLOSE(values(ye), ee, tol_for(D, 1e-5, 1e-12), tol_for(D, 1e-5, 1e-12), "batch_norm eval");
  });
}

NC_TEST(batch_norm_backward_matches_central_differences) {
  Rng rng(52);
  const int64_t N = 3, C = 2, S = 4;
  const double eps = 1e-5;
  std::vector<double> xv = rng.uniform_vec(N * C * S, -2, 2), wv = rng.uniform_vec(C, 0.5, 1.5),
                      bv = rng.uniform_vec(C, -1, 1), g = rng.uniform_vec(N * C * S, -1, 1);
  Tensor x = leaf({N, C, S}, xv, DType::Float64), w = leaf({C}, wv, DType::Float64), b = leaf({C}, bv, DType::Float64);
  backward(batch_norm(x, w, b, Tensor(), Tensor(), true, 0.1, eps), make({N, C, S}, g, DType::Float64));
  CHECK_CLOSE(values(x.grad()), numeric_grad([&](const std::vector<double>& v) { return ref_batch_norm(v, wv, bv, N, C, S, eps); }, xv, g),
              1e-7, 1e-6, "batch_norm dx");
  CHECK_CLOSE(values(w.grad()), numeric_grad([&](const std::vector<double>& v) { return ref_batch_norm(xv, v, bv, N, C, S, eps); }, wv, g),
              1e-7, 1e-6, "batch_norm dweight");
  CHECK_CLOSE(values(b.grad()), numeric_grad([&](const std::vector<double>& v) { return ref_batch_norm(xv, wv, v, N, C, S, eps); }, bv, g),
              1e-7, 1e-6, "batch_norm dbias");
  // A big batch (the threaded per-channel path), float32 forward.
  Tensor xb = rand_tensor(rng, {32, 16, 14, 14}, DType::Float32);
  std::vector<double> ones(16, 1.0), zeros(16, 0.0);
  Tensor yb = batch_norm(xb, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, eps);
  CHECK_CLOSE(values(yb), ref_batch_norm(values(xb), ones, zeros, 32, 16, 196, eps), 1e-5, 1e-4, "batch_norm big");
}

NC_TEST(layer_norm_forward_and_backward) {
  Rng rng(53);
  const int64_t M = 5, Dn = 6;
  const double eps = 1e-5;
  std::vector<double> xv = rng.uniform_vec(M * Dn, -2, 2), wv = rng.uniform_vec(Dn, 0.5, 1.5),
                      bv = rng.uniform_vec(Dn, -1, 1), g = rng.uniform_vec(M * Dn, -1, 1);
  Tensor x = leaf({M, 2, 3}, xv, DType::Float64), w = leaf({2, 3}, wv, DType::Float64), b = leaf({2, 3}, bv, DType::Float64);
  Tensor y = layer_norm(x, {2, 3}, w, b, eps);
  CHECK_CLOSE(values(y), ref_layer_norm(xv, wv, bv, M, Dn, eps), 1e-13, 1e-12, "layer_norm forward");
  backward(y, make({M, 2, 3}, g, DType::Float64));
  CHECK_CLOSE(values(x.grad()), numeric_grad([&](const std::vector<double>& v) { return ref_layer_norm(v, wv, bv, M, Dn, eps); }, xv, g),
              1e-7, 1e-6, "layer_norm dx");
  CHECK_CLOSE(values(w.grad()), numeric_grad([&](const std::vector<double>& v) { return ref_layer_norm(xv, v, bv, M, Dn, eps); }, wv, g),
              1e-7, 1e-6, "layer_norm dweight");
}
