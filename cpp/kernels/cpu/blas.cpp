// GEMM through OpenBLAS (scipy-openblas32: 32-bit integers, scipy_-prefixed symbols).
//
// Note [One thread pool]: OpenBLAS runs single-threaded; large products are split into blocks of
// C's rows or columns that our OpenMP threads take dynamically, each block one OpenBLAS call.
// Two pools (OpenMP's and OpenBLAS's) on 2 cores starved each other, and a static split stalls
// whenever one core is busy elsewhere; with dynamic blocks the other thread takes up the slack.
// set_num_threads therefore governs every kernel, GEMM included.
#include <cblas.h>
#include <climits>
#include "core/parallel.h"
#include "ops/kernels.h"

namespace nc {
namespace {

const bool g_blas_single_threaded = [] {
  scipy_openblas_set_num_threads(1);
  return true;
}();

template <class T>
void gemm_call(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
               int64_t ldb, T beta, T* c, int64_t ldc) {
  auto TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>)
    scipy_cblas_sgemm(CblasRowMajor, TA, TB, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
  else
    scipy_cblas_dgemm(CblasRowMajor, TA, TB, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

// Products smaller than this run in the calling thread: forking costs more than it saves.
constexpr double kParallelFlops = 4e6;
// Blocks per thread: enough that a thread delayed by the OS leaves work for the other.
constexpr int64_t kBlocksPerThread = 2;

template <class T>
void gemm_typed(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                int64_t ldb, T beta, T* c, int64_t ldc) {
  int nt = get_num_threads();
  double flops = 2.0 * double(m) * double(n) * double(k);
  if (nt <= 1 || flops < kParallelFlops || omp_in_parallel()) {
    gemm_call<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Split the longer side of C into blocks of at least 64 (a multiple of every kernel's unroll).
  const bool split_cols = n >= m;
  const int64_t len = split_cols ? n : m;
  int64_t bs = std::max<int64_t>(64, (len + nt * kBlocksPerThread - 1) / (nt * kBlocksPerThread));
  bs = (bs + 15) / 16 * 16;
  const int64_t nblocks = (len + bs - 1) / bs;
  if (nblocks <= 1) {
    gemm_call<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t blk = 0; blk < nblocks; ++blk) {
    const int64_t lo = blk * bs, cnt = std::min(bs, len - lo);
    if (split_cols) {
      // C[:, lo:lo+cnt] = A @ B[:, lo:lo+cnt]; B is (k, n) row-major, or (n, k) when transposed.
      const T* bb = tb ? b + lo * ldb : b + lo;
      gemm_call<T>(ta, tb, m, cnt, k, alpha, a, lda, bb, ldb, beta, c + lo, ldc);
    } else {
      // C[lo:lo+cnt, :] = A[lo:lo+cnt, :] @ B; A is (m, k) row-major, or (k, m) when transposed.
      const T* aa = ta ? a + lo : a + lo * lda;
      gemm_call<T>(ta, tb, cnt, n, k, alpha, aa, lda, b, ldb, beta, c + lo * ldc, ldc);
    }
  }
}

void gemm_cpu(DType dtype, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const void* a,
              int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc) {
  NC_CHECK(m < INT_MAX && n < INT_MAX && k < INT_MAX && lda < INT_MAX && ldb < INT_MAX && ldc < INT_MAX, ValueError,
           "matmul: matrix dimensions (", m, ", ", n, ", ", k, ") exceed the 32-bit BLAS interface");
  // BLAS requires leading dimensions >= 1 even for empty matrices.
  lda = std::max<int64_t>(lda, 1), ldb = std::max<int64_t>(ldb, 1), ldc = std::max<int64_t>(ldc, 1);
  if (dtype == DType::Float32)
    gemm_typed<float>(ta, tb, m, n, k, float(alpha), static_cast<const float*>(a), lda, static_cast<const float*>(b),
                      ldb, float(beta), static_cast<float*>(c), ldc);
  else
    gemm_typed<double>(ta, tb, m, n, k, alpha, static_cast<const double*>(a), lda, static_cast<const double*>(b), ldb,
                       beta, static_cast<double*>(c), ldc);
}

}  // namespace

NC_REGISTER_KERNEL(gemm_kernel, CPU, gemm_cpu);

}  // namespace nc
