// GEMM through the BLAS wrapper (gemm_kernel: transposes, alpha/beta, leading dimensions, the blocked
// multi-thread path) and the matmul / linear ops built on it, against the scalar reference in ref/gemm_ref.h.
#include "core/parallel.h"
#include "ref/gemm_ref.h"
#include "testing.h"

using namespace nc;
using namespace nc::testing;

namespace {

template <class T>
std::vector<T> cast(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

// One gemm_kernel call on matrices embedded in larger buffers (leading dims = width + pad), checked elementwise.
template <class T>
void check_gemm(Rng& rng, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, double beta, int64_t pad) {
  const int64_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
  std::vector<T> a = cast<T>(rng.uniform_vec((ta ? k : m) * lda, -1, 1));
  std::vector<T> b = cast<T>(rng.uniform_vec((tb ? n : k) * ldb, -1, 1));
  std::vector<T> c = cast<T>(rng.uniform_vec(m * ldc, -1, 1)), c0 = c;
  gemm_kernel(DeviceType::CPU, dtype_of<T>::value, ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta,
              c.data(), ldc);
  std::vector<double> got, expect;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      got.push_back(double(c[i * ldc + j]));
      // Columns past n (the padding) must be untouched.
      expect.push_back(j < n ? ref::gemm_at(ta, tb, k, alpha, a.data(), lda, b.data(), ldb, beta, c0.data(), ldc, i, j)
                             : double(c0[i * ldc + j]));
    }
  double tol = std::is_same_v<T, float> ? 2e-5 * std::sqrt(double(k) + 1) : 1e-13 * std::sqrt(double(k) + 1);
  CHECK_CLOSE(got, expect, tol, tol, str("gemm ", dtype_name(dtype_of<T>::value), " ta=", ta, " tb=", tb, " m=", m,
                                         " n=", n, " k=", k, " alpha=", alpha, " beta=", beta, " pad=", pad));
}

}  // namespace

NC_TEST(gemm_kernel_all_transposes_and_scalars) {
  Rng rng(17);
  set_num_threads(2);
  struct Size { int64_t m, n, k; };
  // Small shapes (one BLAS call) and ones above the threading threshold (2*m*n*k >= 4e6), split by
  // columns (n >= m) and by rows (m > n) into blocks the two threads take.
  for (Size s : {Size{1, 1, 1}, Size{7, 5, 3}, Size{65, 130, 33}, Size{150, 400, 70}, Size{400, 150, 70}}) {
    for (int t = 0; t < 4; ++t) {
      bool ta = t & 1, tb = t & 2;
      check_gemm<float>(rng, ta, tb, s.m, s.n, s.k, 1.0, 0.0, 0);
      check_gemm<double>(rng, ta, tb, s.m, s.n, s.k, 1.0, 0.0, 0);
      check_gemm<float>(rng, ta, tb, s.m, s.n, s.k, -0.5, 2.0, 3);
      check_gemm<double>(rng, ta, tb, s.m, s.n, s.k, 0.75, 1.0, 5);
    }
  }
}

NC_TEST(gemm_single_thread_matches_threaded) {
  // The blocked split must give the same numbers as one call: each block is the same dot products.
  Rng rng(4);
  const int64_t m = 300, n = 260, k = 90;
  std::vector<float> a = cast<float>(rng.uniform_vec(m * k, -1, 1)), b = cast<float>(rng.uniform_vec(k * n, -1, 1));
  std::vector<float> c1(m * n), c2(m * n);
  set_num_threads(1);
  gemm_kernel(DeviceType::CPU, DType::Float32, false, false, m, n, k, 1.0, a.data(), k, b.data(), n, 0.0, c1.data(), n);
  set_num_threads(2);
  gemm_kernel(DeviceType::CPU, DType::Float32, false, false, m, n, k, 1.0, a.data(), k, b.data(), n, 0.0, c2.data(), n);
  CHECK_CLOSE(std::vector<double>(c2.begin(), c2.end()), std::vector<double>(c1.begin(), c1.end()), 1e-5, 1e-5,
              "threaded vs single");
}

NC_TEST(matmul_batched_broadcast_and_strided) {
  Rng rng(8);
  NC_FOR_FLOAT_TYPES({
    DType D = dtype_of<T>::value;
    // a (2, 1, 3, 4) as a transposed view, b (5, 4, 2): out (2, 5, 3, 2).
    Tensor a = transpose(rand_tensor(rng, {2, 1, 4, 3}, D), 2, 3);
    Tensor b = rand_tensor(rng, {5, 4, 2}, D);
    Tensor y = matmul(a, b);
    CHECK_EQ(y.shape(), (Shape{2, 5, 3, 2}));
    std::vector<double> expect;
    for (int64_t p = 0; p < 2; ++p)
      for (int64_t q = 0; q < 5; ++q)
        for (int64_t i = 0; i < 3; ++i)
          for (int64_t j = 0; j < 2; ++j) {
            double s = 0;
            for (int64_t r = 0; r < 4; ++r) s += at(a, {p, 0, i, r}) * at(b, {q, r, j});
            expect.push_back(s);
          }
    CHECK_CLOSE(values(y), expect, tol_for(D, 1e-6, 1e-14), tol_for(D, 1e-5, 1e-13), str("batched matmul ", dtype_name(D)));
    // 1-D operands.
    Tensor v = rand_tensor(rng, {4}, D), M = rand_tensor(rng, {4, 3}, D);
    Tensor vm = matmul(v, M);
    CHECK_EQ(vm.shape(), Shape{3});
    std::vector<double> ev;
    for (int64_t j = 0; j < 3; ++j) {
      double s = 0;
      for (int64_t r = 0; r < 4; ++r) s += at(v, {r}) * at(M, {r, j});
      ev.push_back(s);
    }
    CHECK_CLOSE(values(vm), ev, tol_for(D, 1e-6, 1e-14), tol_for(D, 1e-5, 1e-13), "vector @ matrix");
    CHECK_EQ(matmul(v, v).dim(), 0);
  });
  CHECK_THROWS(matmul(make({2, 3}, std::vector<double>(6, 1), DType::Float32),
                      make({2, 3}, std::vector<double>(6, 1), DType::Float32)),
               ValueError, "not aligned");
}

NC_TEST(matmul_and_linear_gradients) {
  // L = sum(G * (A @ B)): dA = G @ B^T, dB = A^T @ G.  linear: y = x W^T + b, dW = G^T x, db = column sums of G.
  Rng rng(12);
  const int64_t m = 5, k = 7, n = 3;
  std::vector<double> av = rng.uniform_vec(m * k, -1, 1), bv = rng.uniform_vec(k * n, -1, 1), gv = rng.uniform_vec(m * n, -1, 1);
  Tensor A = leaf({m, k}, av, DType::Float64), B = leaf({k, n}, bv, DType::Float64);
  backward(matmul(A, B), make({m, n}, gv, DType::Float64));
  std::vector<double> dA(m * k, 0.0), dB(k * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t r = 0; r < k; ++r) dA[i * k + r] += gv[i * n + j] * bv[r * n + j], dB[r * n + j] += av[i * k + r] * gv[i * n + j];
  CHECK_CLOSE(values(A.grad()), dA, 1e-14, 1e-13, "matmul dA");
  CHECK_CLOSE(values(B.grad()), dB, 1e-14, 1e-13, "matmul dB");

  std::vector<double> wv = rng.uniform_vec(n * k, -1, 1), biasv = rng.uniform_vec(n, -1, 1);
  Tensor x = leaf({m, k}, av, DType::Float64), W = leaf({n, k}, wv, DType::Float64), b = leaf({n}, biasv, DType::Float64);
  Tensor y = linear(x, W, b);
  std::vector<double> ey, dx(m * k, 0.0), dW(n * k, 0.0), db(n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = biasv[j];
      for (int64_t r = 0; r < k; ++r) s += av[i * k + r] * wv[j * k + r];
      ey.push_back(s);
      db[j] += gv[i * n + j];
      for (int64_t r = 0; r < k; ++r) dx[i * k + r] += gv[i * n + j] * wv[j * k + r], dW[j * k + r] += gv[i * n + j] * av[i * k + r];
    }
  CHECK_CLOSE(values(y), ey, 1e-14, 1e-13, "linear forward");
  backward(y, make({m, n}, gv, DType::Float64));
  CHECK_CLOSE(values(x.grad()), dx, 1e-14, 1e-13, "linear dx");
  CHECK_CLOSE(values(W.grad()), dW, 1e-14, 1e-13, "linear dW");
  CHECK_CLOSE(values(b.grad()), db, 1e-14, 1e-13, "linear db");
}
