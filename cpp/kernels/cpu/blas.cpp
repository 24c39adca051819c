// GEMM through OpenBLAS (scipy-openblas32: 32-bit integers, scipy_-prefixed symbols).
#include <cblas.h>
#include <climits>
#include "ops/kernels.h"

namespace nc {
namespace {

void gemm_cpu(DType dtype, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const void* a,
              int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc) {
  NC_CHECK(m < INT_MAX && n < INT_MAX && k < INT_MAX && lda < INT_MAX && ldb < INT_MAX && ldc < INT_MAX, ValueError,
           "matmul: matrix dimensions (", m, ", ", n, ", ", k, ") exceed the 32-bit BLAS interface");
  auto TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  // BLAS requires leading dimensions >= 1 even for empty matrices.
  int ilda = static_cast<int>(std::max<int64_t>(lda, 1)), ildb = static_cast<int>(std::max<int64_t>(ldb, 1));
  int ildc = static_cast<int>(std::max<int64_t>(ldc, 1));
  if (dtype == DType::Float32)
    scipy_cblas_sgemm(CblasRowMajor, TA, TB, int(m), int(n), int(k), float(alpha), static_cast<const float*>(a), ilda,
                      static_cast<const float*>(b), ildb, float(beta), static_cast<float*>(c), ildc);
  else
    scipy_cblas_dgemm(CblasRowMajor, TA, TB, int(m), int(n), int(k), alpha, static_cast<const double*>(a), ilda,
                      static_cast<const double*>(b), ildb, beta, static_cast<double*>(c), ildc);
}

}  // namespace

NC_REGISTER_KERNEL(gemm_kernel, CPU, gemm_cpu);

}  // namespace nc
