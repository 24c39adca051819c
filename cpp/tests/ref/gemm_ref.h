// Scalar reference for C = alpha * op(A) @ op(B) + beta * C0 (row-major, leading dimensions), one element at a
// time, in double. Shared by the unit tests and the GEMM benchmark (which checks a sample of elements).
#pragma once
#include <cstdint>

namespace nc::ref {

// op(A)(i, p) is A[i*lda + p], or A[p*lda + i] when ta; likewise for B.
template <class T>
double gemm_at(bool ta, bool tb, int64_t k, double alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
               double beta, const T* c0, int64_t ldc, int64_t i, int64_t j) {
  double acc = 0;
  for (int64_t p = 0; p < k; ++p) {
    double av = ta ? a[p * lda + i] : a[i * lda + p];
    double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
    acc += av * bv;
  }
  double prev = beta != 0 ? beta * double(c0[i * ldc + j]) : 0.0;
  return alpha * acc + prev;
}

}  // namespace nc::ref
