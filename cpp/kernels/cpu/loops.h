// Strided elementwise loops over N operands of one shape (operand 0 is the output; inputs may be
// broadcast views with stride 0). Dimensions are coalesced so contiguous data becomes one flat
// row; the inner loop gets byte pointers and byte strides, and picks a fast path per stride shape.
#pragma once
#include <array>
#include <cstdint>
#include <vector>
#include "core/parallel.h"
#include "core/tensor.h"

// Row loops inline everything they call (the per-element functor and its math) so each op's
// loop is one straight-line body the compiler can vectorise.
#if defined(__GNUC__)
#define NC_FLATTEN __attribute__((flatten))
#else
#define NC_FLATTEN
#endif

namespace nc::cpu {

template <size_t N>
struct Loop {
  std::array<char*, N> base{};
  std::vector<int64_t> shape;                 // outer ... inner
  std::array<std::vector<int64_t>, N> stride;  // bytes, per operand

  explicit Loop(const std::array<const Tensor*, N>& ts) {
    const Shape& sh = ts[0]->shape();
    int nd = static_cast<int>(sh.size());
    for (size_t k = 0; k < N; ++k) base[k] = static_cast<char*>(ts[k]->raw_data());
    // Walk dims from innermost out, merging a dim into the previous one when every operand's
    // strides make them one contiguous run.
    for (int d = nd - 1; d >= 0; --d) {
      if (sh[d] == 1) continue;
      if (!shape.empty()) {
        bool merge = true;
        for (size_t k = 0; k < N && merge; ++k) {
          int64_t isz = static_cast<int64_t>(itemsize(ts[k]->dtype()));
          merge = ts[k]->strides()[d] * isz == stride[k].front() * shape.front();
        }
        if (merge) {
          shape.front() *= sh[d];
          continue;
        }
      }
      shape.insert(shape.begin(), sh[d]);
      for (size_t k = 0; k < N; ++k)
        stride[k].insert(stride[k].begin(), ts[k]->strides()[d] * static_cast<int64_t>(itemsize(ts[k]->dtype())));
    }
    if (shape.empty()) {  // a single element
      shape.push_back(1);
      for (size_t k = 0; k < N; ++k) stride[k].push_back(0);
    }
  }

  int64_t inner() const { return shape.back(); }
  int64_t rows() const {
    int64_t r = 1;
    for (size_t d = 0; d + 1 < shape.size(); ++d) r *= shape[d];
    return r;
  }

  // f(ptrs, strides, n) for every innermost row, multi-threaded over rows (or over chunks of the
  // single row when the whole iteration is one run).
  template <class F>
  void run(const F& f) const {
    int64_t n_inner = inner(), n_rows = rows();
    std::array<int64_t, N> is;
    for (size_t k = 0; k < N; ++k) is[k] = stride[k].back();
    if (n_rows == 1) {
      parallel_for(0, n_inner, kGrainElementwise, [&](int64_t b, int64_t e) {
        std::array<char*, N> p;
        for (size_t k = 0; k < N; ++k) p[k] = base[k] + b * is[k];
        f(p.data(), is.data(), e - b);
      });
      return;
    }
    int64_t grain = std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(n_inner, 1));
    int nd = static_cast<int>(shape.size()) - 1;
    parallel_for(0, n_rows, grain, [&](int64_t rb, int64_t re) {
      std::array<char*, N> p;
      for (int64_t r = rb; r < re; ++r) {
        int64_t rem = r;
        for (size_t k = 0; k < N; ++k) p[k] = base[k];
        for (int d = nd - 1; d >= 0; --d) {
          int64_t i = rem % shape[d];
          rem /= shape[d];
          for (size_t k = 0; k < N; ++k) p[k] += i * stride[k][d];
        }
        f(p.data(), is.data(), n_inner);
      }
    });
  }
};

// Inner loop for out = f(a): contiguous fast path the compiler vectorises, else strided.
template <class O, class A, class F>
NC_FLATTEN inline void unary_row(char** p, const int64_t* s, int64_t n, const F& f) {
  O* o = reinterpret_cast<O*>(p[0]);
  const A* a = reinterpret_cast<const A*>(p[1]);
  if (s[0] == sizeof(O) && s[1] == sizeof(A)) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
  } else {
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<O*>(p[0] + i * s[0]) = f(*reinterpret_cast<const A*>(p[1] + i * s[1]));
  }
}

// Inner loop for out = f(a, b) with fast paths for contiguous and scalar-broadcast operands.
template <class O, class A, class B, class F>
NC_FLATTEN inline void binary_row(char** p, const int64_t* s, int64_t n, const F& f) {
  O* o = reinterpret_cast<O*>(p[0]);
  const A* a = reinterpret_cast<const A*>(p[1]);
  const B* b = reinterpret_cast<const B*>(p[2]);
  if (s[0] == sizeof(O)) {
    if (s[1] == sizeof(A) && s[2] == sizeof(B)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
      return;
    }
    if (s[1] == sizeof(A) && s[2] == 0) {
      const B bv = *b;
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
      return;
    }
    if (s[1] == 0 && s[2] == sizeof(B)) {
      const A av = *a;
      for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    *reinterpret_cast<O*>(p[0] + i * s[0]) =
        f(*reinterpret_cast<const A*>(p[1] + i * s[1]), *reinterpret_cast<const B*>(p[2] + i * s[2]));
}

// Inner loop for out = f(a, b, c), contiguous fast path only.
template <class O, class A, class B, class C, class F>
NC_FLATTEN inline void ternary_row(char** p, const int64_t* s, int64_t n, const F& f) {
  if (s[0] == sizeof(O) && s[1] == sizeof(A) && s[2] == sizeof(B) && s[3] == sizeof(C)) {
    O* o = reinterpret_cast<O*>(p[0]);
    const A* a = reinterpret_cast<const A*>(p[1]);
    const B* b = reinterpret_cast<const B*>(p[2]);
    const C* c = reinterpret_cast<const C*>(p[3]);
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i], c[i]);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    *reinterpret_cast<O*>(p[0] + i * s[0]) =
        f(*reinterpret_cast<const A*>(p[1] + i * s[1]), *reinterpret_cast<const B*>(p[2] + i * s[2]),
          *reinterpret_cast<const C*>(p[3] + i * s[3]));
}

}  // namespace nc::cpu
