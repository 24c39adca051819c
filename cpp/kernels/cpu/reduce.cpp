// Reductions over the middle axis of x viewed as (O, R, I), x contiguous; out is (O, I).
// Sums accumulate in double for float32 (and in the type itself for float64/int64).
#include <cmath>
#include <limits>
#include <vector>
#include "core/parallel.h"
#include "ops/kernels.h"

namespace nc {
namespace {

template <class T> struct Acc { using type = T; };
template <> struct Acc<float> { using type = double; };
template <> struct Acc<bool> { using type = int64_t; };

// Sum or mean; Out is the output element type (int64 for bool/int sums).
template <class T, class Out>
void sum_rows(ReduceOp op, Out* out, const T* x, int64_t O, int64_t R, int64_t I) {
  using A = typename Acc<T>::type;
  const bool mean = op == ReduceOp::Mean;
  auto finish = [&](A v) { return static_cast<Out>(mean ? v / static_cast<A>(R) : v); };
  if (I == 1) {
    if (O == 1) {
      // One long row: each thread sums a chunk, then the partial sums are added in order.
      int nt = get_num_threads();
      std::vector<A> part(static_cast<size_t>(std::max(nt, 1)) * 8, A(0));  // padded against false sharing
      int64_t grain = kGrainElementwise;
      int64_t chunks = std::min<int64_t>(nt, std::max<int64_t>(1, R / grain));
      parallel_for(0, chunks, 1, [&](int64_t cb, int64_t ce) {
        for (int64_t c = cb; c < ce; ++c) {
          int64_t b = R * c / chunks, e = R * (c + 1) / chunks;
          A acc = A(0);
#pragma omp simd reduction(+ : acc)
          for (int64_t i = b; i < e; ++i) acc += static_cast<A>(x[i]);
          part[c * 8] = acc;
        }
      });
      A total = A(0);
      for (int64_t c = 0; c < chunks; ++c) total += part[c * 8];
      out[0] = finish(total);
      return;
    }
    parallel_for(0, O, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(R, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const T* row = x + o * R;
        A acc = A(0);
#pragma omp simd reduction(+ : acc)
        for (int64_t r = 0; r < R; ++r) acc += static_cast<A>(row[r]);
        out[o] = finish(acc);
      }
    });
    return;
  }
  // I > 1: add whole rows of length I; parallel over (o, chunk of I).
  int64_t ichunk = std::max<int64_t>(64, std::min<int64_t>(I, 4096));
  int64_t nchunks = (I + ichunk - 1) / ichunk;
  parallel_for(0, O * nchunks, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(R * ichunk, 1)),
               [&](int64_t b, int64_t e) {
                 std::vector<A> acc(static_cast<size_t>(ichunk));
                 for (int64_t t = b; t < e; ++t) {
                   int64_t o = t / nchunks, i0 = (t % nchunks) * ichunk, n = std::min(ichunk, I - i0);
                   std::fill(acc.begin(), acc.begin() + n, A(0));
                   for (int64_t r = 0; r < R; ++r) {
                     const T* row = x + (o * R + r) * I + i0;
                     for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<A>(row[i]);
                   }
                   for (int64_t i = 0; i < n; ++i) out[o * I + i0 + i] = finish(acc[i]);
                 }
               });
}

// Max/min (value or index), prod, any, all: a generic fold per output element.
template <class T>
void fold(ReduceOp op, const Tensor& out, const T* x, int64_t O, int64_t R, int64_t I) {
  parallel_for(0, O * I, std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(R, 1)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / I, i = t % I;
      const T* p = x + o * R * I + i;
      switch (op) {
        case ReduceOp::Max: case ReduceOp::Min: case ReduceOp::ArgMax: case ReduceOp::ArgMin: {
          bool is_max = op == ReduceOp::Max || op == ReduceOp::ArgMax;
          T best = p[0];
          int64_t arg = 0;
          for (int64_t r = 1; r < R; ++r) {
            T v = p[r * I];
            if constexpr (std::is_floating_point_v<T>) {
              if (best != best) break;  // NaN wins and stays
              if (v != v) { best = v; arg = r; break; }
            }
            if (is_max ? v > best : v < best) { best = v; arg = r; }
          }
          if (op == ReduceOp::ArgMax || op == ReduceOp::ArgMin) out.data<int64_t>()[t] = arg;
          else out.data<T>()[t] = best;
          break;
        }
        case ReduceOp::Prod: {
          T acc = T(1);
          for (int64_t r = 0; r < R; ++r) acc = static_cast<T>(acc * p[r * I]);
          out.data<T>()[t] = acc;
          break;
        }
        case ReduceOp::Any: case ReduceOp::All: {
          bool any = op == ReduceOp::Any, acc = !any;
          for (int64_t r = 0; r < R; ++r) {
            bool v = p[r * I] != T(0);
            if (v == any) { acc = any; break; }
          }
          out.data<bool>()[t] = acc;
          break;
        }
        default: break;
      }
    }
  });
}

void reduce_cpu(ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I) {
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    if (op == ReduceOp::Sum || op == ReduceOp::Mean) {
      if (out.dtype() == DType::Int64) sum_rows<T, int64_t>(op, out.data<int64_t>(), px, O, R, I);
      else if (out.dtype() == DType::Float64) sum_rows<T, double>(op, out.data<double>(), px, O, R, I);
      else sum_rows<T, float>(op, out.data<float>(), px, O, R, I);
    } else {
      fold<T>(op, out, px, O, R, I);
    }
  });
}

}  // namespace

NC_REGISTER_KERNEL(reduce_kernel, CPU, reduce_cpu);

}  // namespace nc
