// GEMM through neurocore's BLAS wrapper (gemm_kernel: OpenBLAS, blocks split over our OpenMP threads).
// Each product is checked against the scalar reference (ref/gemm_ref.h) on sampled elements (all of them at
// --size tiny) before it is timed. Work: 2*m*n*k flops.
#include <cmath>
#include <cstdio>
#include "bench.h"
#include "ops/kernels.h"
#include "ref/gemm_ref.h"

using namespace nc;
using namespace nc::bench;

namespace {

struct Case {
  const char* name;
  DType dtype;
  bool ta, tb;
  int64_t m, n, k;
};

template <class T>
Result run_case(const Options& o, const Case& c, std::mt19937_64& gen) {
  const int64_t lda = c.ta ? c.m : c.k, ldb = c.tb ? c.k : c.n, ldc = c.n;
  Tensor a = Tensor::empty({c.m * c.k}, c.dtype), b = Tensor::empty({c.k * c.n}, c.dtype);
  Tensor y = Tensor::empty({c.m * c.n}, c.dtype);
  fill_uniform(gen, a.data<T>(), c.m * c.k, T(-1), T(1));
  fill_uniform(gen, b.data<T>(), c.k * c.n, T(-1), T(1));
  auto call = [&] {
    gemm_kernel(DeviceType::CPU, c.dtype, c.ta, c.tb, c.m, c.n, c.k, 1.0, a.data<T>(), lda, b.data<T>(), ldb, 0.0,
                y.data<T>(), ldc);
  };
  call();
  // float32 rounding grows like sqrt(k) times the size of the terms (|a|, |b| <= 1).
  const double tol = (sizeof(T) == 4 ? 1e-6 : 1e-14) * std::sqrt(double(c.k)) * 8;
  Check chk(tol, tol);
  for (int64_t e : sample_indices(gen, c.m * c.n, 2048)) {
    int64_t i = e / c.n, j = e % c.n;
    chk.add(double(y.data<T>()[e]),
            ref::gemm_at(c.ta, c.tb, c.k, 1.0, a.data<T>(), lda, b.data<T>(), ldb, 0.0, y.data<T>(), ldc, i, j),
            "C[" + std::to_string(i) + ", " + std::to_string(j) + "]");
  }
  Report::require(c.name, chk);
  char shape[96];
  std::snprintf(shape, sizeof shape, "%lldx%lldx%lld%s%s", static_cast<long long>(c.m), static_cast<long long>(c.n),
                static_cast<long long>(c.k), c.ta ? " A^T" : "", c.tb ? " B^T" : "");
  return Result{c.name, shape, Metric::GFlops, 2.0 * double(c.m) * double(c.n) * double(c.k), time_it(o, call), chk};
}

std::vector<Case> tiny_cases() {
  return {{"sgemm", DType::Float32, false, false, 64, 64, 64},
          {"sgemm A^T B^T", DType::Float32, true, true, 96, 80, 72},
          {"sgemm conv-like", DType::Float32, false, false, 16, 400, 72},
          {"dgemm", DType::Float64, false, true, 64, 48, 40}};
}

std::vector<Case> default_cases() {
  return {{"sgemm", DType::Float32, false, false, 256, 256, 256},
          {"sgemm", DType::Float32, false, false, 1024, 1024, 1024},
          {"sgemm A^T", DType::Float32, true, false, 1024, 1024, 1024},
          {"sgemm B^T", DType::Float32, false, true, 1024, 1024, 1024},
          // conv2d 64->64 3x3 on 8x64x56x56, one image, as im2col + GEMM: (OC, C*9) @ (C*9, OH*OW)
          {"sgemm conv-like", DType::Float32, false, false, 64, 3136, 576},
          // an MLP layer: batch 128, 784 -> 256, x @ W^T
          {"sgemm mlp-like", DType::Float32, false, true, 128, 256, 784},
          {"dgemm", DType::Float64, false, false, 1024, 1024, 1024}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv, "bench_gemm", "GEMM (sgemm/dgemm) through neurocore's BLAS wrapper.");
  MachineProbe m(o);
  // Built by functions and not assigned: GCC 12 at -O3 warns falsely (-Wnonnull) on vector::operator=.
  const std::vector<Case> cases = o.tiny() ? tiny_cases() : default_cases();
  Report report("bench_gemm: GEMM through gemm_kernel (OpenBLAS + our threads)", o, m);
  std::mt19937_64 gen(42);
  for (const Case& c : cases)
    report.add(c.dtype == DType::Float32 ? run_case<float>(o, c, gen) : run_case<double>(o, c, gen));
  report.print();
  return 0;
}
