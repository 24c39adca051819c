// Pooling kernels: x is (P, H, W), y and indices are (P, OH, OW), all contiguous (P = N*C planes; 1-D
// pooling has H = OH = 1). Window rules: Note [Pooling windows] in ops/pool.h. Threads split output rows
// (forward, and the fast backward) or planes (the general backward, whose windows may overlap).
//
// Two paths. The general one handles every geometry (padding, dilation, overlap, ceil_mode, adaptive) with
// per-axis window tables; output columns whose window lies inside the input run N at a time with vector
// extensions for strides 1 and 2, long contiguous windows (global pooling) reduce lane-wise. The fast one
// takes the common non-overlapping case (stride == kernel, no padding or dilation; also adaptive pooling with
// divisible sizes): kw == 2 runs N outputs at a time from even/odd shuffles, other small kernels are template
// constants; its backward writes each dx element exactly once (the winner gets dy, the others 0), no zero-fill.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>
#include "core/parallel.h"
#include "kernels/cpu/vmath.h"
#include "ops/pool.h"

namespace nc {
namespace {

// Along one axis: output o reads cells start + j*d for j in [lo, hi) (the ones inside the input);
// span is Avg's count_include_pad divisor factor (the window clipped to [-p, n + p)).
struct Win {
  int64_t start, lo, hi, span;
};

std::vector<Win> windows(int64_t n, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d, bool adaptive) {
  std::vector<Win> w(out);
  for (int64_t o = 0; o < out; ++o) {
    if (adaptive) {  // [floor(o*n/out), ceil((o+1)*n/out))
      int64_t st = o * n / out, en = ((o + 1) * n + out - 1) / out;
      w[o] = {st, 0, en - st, en - st};
    } else {
      int64_t st = o * s - p;
      int64_t lo = st < 0 ? (-st + d - 1) / d : 0;
      int64_t hi = n - 1 - st < 0 ? 0 : std::min(k, (n - 1 - st) / d + 1);
      w[o] = {st, lo, std::max(lo, hi), std::min(st + k, n + p) - st};
    }
  }
  return w;
}

template <PoolMode M, class T>
inline bool better(T v, T m) {  // NaN wins and then stays (a later NaN takes over), as in PyTorch
  if constexpr (M == PoolMode::Max) return v > m || v != v;
  else return v < m || v != v;
}

template <PoolMode M, class T>
constexpr T worst() {
  return M == PoolMode::Max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
}

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define NC_POOL_VECTOR 1
// GCC/Clang vector extensions, lowered to whatever the target has (AVX-512, AVX2, SSE, NEON): the vector
// kernels compute N neighbouring outputs at once; stride-2 columns come from even/odd shuffles of 2N loads.
// Other compilers use the scalar loops only.
template <class T, int N>
struct VecOf {
  typedef T type __attribute__((vector_size(N * sizeof(T))));
};
template <class T, int N> using Vec = typename VecOf<T, N>::type;
template <class T> using LaneInt = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;  // comparison result lanes

template <class V, size_t... I> V evens(V a, V b, std::index_sequence<I...>) {
  return __builtin_shufflevector(a, b, (2 * I)...);
}
template <class V, size_t... I> V odds(V a, V b, std::index_sequence<I...>) {
  return __builtin_shufflevector(a, b, (2 * I + 1)...);
}
// a0 b0 a1 b1 ... (lo: first N lanes, hi: the next N)
template <class V, size_t... I> V zip_lo(V a, V b, std::index_sequence<I...>) {
  return __builtin_shufflevector(a, b, (I % 2 ? sizeof...(I) + I / 2 : I / 2)...);
}
template <class V, size_t... I> V zip_hi(V a, V b, std::index_sequence<I...>) {
  return __builtin_shufflevector(a, b, (I % 2 ? sizeof...(I) + sizeof...(I) / 2 + I / 2 : sizeof...(I) / 2 + I / 2)...);
}
// The target's vector width: N = kVecBytes / sizeof(T) lanes; narrower runs try N/2 and N/4 (at least 2).

// N values at p, p + S, ..., p + S(N-1) for S = 1 or 2 (S = 2 reads p[2N - 1] too).
template <int S, class T, int N>
inline Vec<T, N> load_strided(const T* p) {
  Vec<T, N> a;
  std::memcpy(&a, p, sizeof a);
  if constexpr (S == 1) {
    return a;
  } else {
    Vec<T, N> b;
    std::memcpy(&b, p + N, sizeof b);
    return evens(a, b, std::make_index_sequence<N>{});
  }
}

// Sum of n contiguous values: 4 vectors of partial sums (independent adds), then the rest.
template <class T>
T sum_contiguous(const T* p, int64_t n) {
  constexpr int N = kVecBytes / sizeof(T);
  using VT = Vec<T, N>;
  int64_t j = 0;
  T s = 0;
  if (n >= 2 * N) {
    VT a0{}, a1{}, a2{}, a3{}, v0, v1, v2, v3;
    for (; j + 4 * N <= n; j += 4 * N) {
      std::memcpy(&v0, p + j, sizeof v0);
      std::memcpy(&v1, p + j + N, sizeof v1);
      std::memcpy(&v2, p + j + 2 * N, sizeof v2);
      std::memcpy(&v3, p + j + 3 * N, sizeof v3);
      a0 += v0, a1 += v1, a2 += v2, a3 += v3;
    }
    for (; j + N <= n; j += N) {
      std::memcpy(&v0, p + j, sizeof v0);
      a0 += v0;
    }
    a0 = (a0 + a1) + (a2 + a3);
    for (int l = 0; l < N; ++l) s += a0[l];
  }
  for (; j < n; ++j) s += p[j];
  return s;
}

template <PoolMode M, class V>
auto better_v(V v, V m) {
  if constexpr (M == PoolMode::Max) return (v > m) | (v != v);
  else return (v < m) | (v != v);
}
#endif

#ifndef NC_POOL_VECTOR
template <class T>
T sum_contiguous(const T* p, int64_t n) {
  T s = 0;
  for (int64_t j = 0; j < n; ++j) s += p[j];
  return s;
}
#endif

// Continue a max/min scan (m, bi) over p[0..n), which sit at plane positions base + j: the state the
// one-by-one loop `if (better(v, m)) m = v, bi = base + j` would reach. Long runs go lane-wise, then the lanes
// merge by that loop's rule: a NaN wins, the later NaN over an earlier one; else the better value, the
// earlier position on ties.
template <PoolMode M, class T>
inline void scan_contiguous(const T* p, int64_t n, int64_t base, T& m, int64_t& bi) {
  int64_t j = 0;
#ifdef NC_POOL_VECTOR
  constexpr int N = kVecBytes / sizeof(T);
  if (n >= 4 * N && n < (int64_t(1) << 30)) {
    using VT = Vec<T, N>;
    using VI = Vec<LaneInt<T>, N>;
    VT vm;
    VI iota, vt;
    for (int l = 0; l < N; ++l) iota[l] = static_cast<LaneInt<T>>(l);
    std::memcpy(&vm, p, sizeof vm);
    vt = iota;
    for (j = N; j + N <= n; j += N) {
      VT v;
      std::memcpy(&v, p + j, sizeof v);
      VI w = better_v<M>(v, vm);
      vm = w ? v : vm;
      vt = w ? iota + static_cast<LaneInt<T>>(j) : vt;
    }
    for (int l = 0; l < N; ++l) {
      T v = vm[l];
      int64_t at = base + vt[l];
      bool take = (v != v) ? !(m != m) || at > bi : !(m != m) && (better<M>(v, m) || (v == m && at < bi));
      if (take) m = v, bi = at;
    }
  }
#endif
  for (; j < n; ++j) {
    bool w = better<M>(p[j], m);
    m = w ? p[j] : m;
    bi = w ? base + j : bi;
  }
}

int64_t grain_rows(int64_t row_cost) { return std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(1, row_cost)); }

// ---------------------------------------------------------------- general path
// Any geometry. Forward: one task per output row. Columns whose whole window lies inside the input (the
// interior) run vectorised when the stride is 1 or 2; the others, and adaptive windows, one window at a time.

inline int64_t avg_divisor(const PoolGeometry& g, const Win& a, const Win& c) {
  return g.divisor ? g.divisor : g.count_include_pad ? a.span * c.span : (a.hi - a.lo) * (c.hi - c.lo);
}

// One output from window rows a and columns c, scanned in row-major order.
template <PoolMode M, bool IDX, class T>
inline void window_scalar(const T* xp, const PoolGeometry& g, const Win& a, const Win& c, int64_t dh, int64_t dw,
                          T* yo, int64_t* io) {
  const int64_t W = g.W;
  if constexpr (M == PoolMode::Avg) {
    T sum = 0;
    if (dh == 1 && dw == 1 && c.start + c.lo == 0 && c.hi - c.lo == W) {  // whole rows: one contiguous block
      *yo = sum_contiguous(xp + (a.start + a.lo) * W, (a.hi - a.lo) * W) / static_cast<T>(avg_divisor(g, a, c));
      return;
    }
    for (int64_t i = a.lo; i < a.hi; ++i) {
      const T* row = xp + (a.start + i * dh) * W + c.start;
      if (dw == 1) {
        sum += sum_contiguous(row + c.lo, c.hi - c.lo);
      } else {
        for (int64_t j = c.lo; j < c.hi; ++j) sum += row[j * dw];
      }
    }
    *yo = sum / static_cast<T>(avg_divisor(g, a, c));
  } else {
    // Start from the first real cell (PyTorch's choice when every value is -inf / +inf).
    T m = worst<M, T>();
    int64_t bi = (a.start + a.lo * dh) * W + c.start + c.lo * dw;
    if (dw == 1) {
      if (dh == 1 && c.start + c.lo == 0 && c.hi - c.lo == W) {  // whole rows: one contiguous block
        scan_contiguous<M>(xp + bi, (a.hi - a.lo) * W, bi, m, bi);
      } else {
        for (int64_t i = a.lo; i < a.hi; ++i) {
          const int64_t at = (a.start + i * dh) * W + c.start + c.lo;
          scan_contiguous<M>(xp + at, c.hi - c.lo, at, m, bi);
        }
      }
      *yo = m;
      if constexpr (IDX) *io = bi;
      return;
    }
    for (int64_t i = a.lo; i < a.hi; ++i) {
      const int64_t h = a.start + i * dh;
      const T* row = xp + h * W;
      for (int64_t j = c.lo; j < c.hi; ++j) {
        const int64_t w = c.start + j * dw;
        T v = row[w];
        bool win = better<M>(v, m);
        m = win ? v : m;
        if constexpr (IDX) bi = win ? h * W + w : bi;
      }
    }
    *yo = m;
    if constexpr (IDX) *io = bi;
  }
}

#ifdef NC_POOL_VECTOR
// Outputs ow .. ow+N-1 of one row, every window inside the input: for each tap (row i, column j) the N
// outputs read x[h][S*ow - pw + j*dw + S*l], l < N. Taps run in the scalar order, so ties resolve alike.
template <PoolMode M, bool IDX, class T, int N, int S>
inline void interior_chunk(const T* xp, int64_t W, const Win& a, int64_t dh, int64_t kw, int64_t dw, int64_t pw,
                           int64_t ow, T div, T* yr, int64_t* ir) {
  using VT = Vec<T, N>;
  using VI = Vec<LaneInt<T>, N>;
  using VL = Vec<int64_t, N>;
  const int64_t c0 = S * ow - pw;  // column of output ow's first tap
  VT acc{};
  VI t{};  // the winner's h*W + j*dw
  bool first = true;
  for (int64_t i = a.lo; i < a.hi; ++i) {
    const int64_t h = a.start + i * dh;
    const T* row = xp + h * W + c0;
    for (int64_t j = 0; j < kw; ++j) {
      VT v = load_strided<S, T, N>(row + j * dw);
      if constexpr (M == PoolMode::Avg) {
        acc += v;
      } else {
        const auto code = static_cast<LaneInt<T>>(h * W + j * dw);
        if (first) {
          acc = v;
          if constexpr (IDX) t = VI{} + code;
          first = false;
        } else {
          VI w = better_v<M>(v, acc);
          acc = w ? v : acc;
          if constexpr (IDX) t = w ? VI{} + code : t;
        }
      }
    }
  }
  if constexpr (M == PoolMode::Avg) acc = acc / div;
  std::memcpy(yr + ow, &acc, sizeof acc);
  if constexpr (IDX) {
    VL iota;
    for (int l = 0; l < N; ++l) iota[l] = int64_t(S) * l;
    VL idx = __builtin_convertvector(t, VL) + c0 + iota;
    std::memcpy(ir + ow, &idx, sizeof idx);
  }
}

// Outputs [lo, hi) in chunks of N (the last chunk may overlap the one before); false if fewer than N.
template <PoolMode M, bool IDX, class T, int N, int S>
bool interior_run(const T* xp, int64_t W, const Win& a, int64_t dh, int64_t kw, int64_t dw, int64_t pw, int64_t lo,
                  int64_t hi, T div, T* yr, int64_t* ir) {
  if (hi - lo < N) return false;
  for (int64_t ow = lo;; ow += N) {
    if (ow + N >= hi) {
      interior_chunk<M, IDX, T, N, S>(xp, W, a, dh, kw, dw, pw, hi - N, div, yr, ir);
      return true;
    }
    interior_chunk<M, IDX, T, N, S>(xp, W, a, dh, kw, dw, pw, ow, div, yr, ir);
  }
}

template <PoolMode M, bool IDX, class T, int S>
bool interior_row(const T* xp, int64_t W, const Win& a, int64_t dh, int64_t kw, int64_t dw, int64_t pw, int64_t lo,
                  int64_t hi, T div, T* yr, int64_t* ir) {
  constexpr int N = kVecBytes / sizeof(T);
  if (interior_run<M, IDX, T, N, S>(xp, W, a, dh, kw, dw, pw, lo, hi, div, yr, ir)) return true;
  if constexpr (N / 2 >= 2)
    if (interior_run<M, IDX, T, N / 2, S>(xp, W, a, dh, kw, dw, pw, lo, hi, div, yr, ir)) return true;
  if constexpr (N / 4 >= 2)
    if (interior_run<M, IDX, T, N / 4, S>(xp, W, a, dh, kw, dw, pw, lo, hi, div, yr, ir)) return true;
  return false;
}
#endif

template <PoolMode M, bool IDX, class T>
void general_forward(T* y, int64_t* ind, const T* x, const PoolGeometry& g) {
  auto wh = windows(g.H, g.OH, g.kh, g.sh, g.ph, g.dh, g.adaptive);
  auto ww = windows(g.W, g.OW, g.kw, g.sw, g.pw, g.dw, g.adaptive);
  const int64_t dh = g.adaptive ? 1 : g.dh, dw = g.adaptive ? 1 : g.dw;
  // Interior columns [vlo, vhi) for the vector kernels: the first tap at S*ow - pw >= 0 and the last value a
  // chunk loads, S*ow - pw + (kw-1)*dw + S - 1, at most W - 1. Lane offsets h*W + j*dw must fit int32.
  [[maybe_unused]] int S = 0;
  [[maybe_unused]] int64_t vlo = 0, vhi = 0;
#ifdef NC_POOL_VECTOR
  if (!g.adaptive && (g.sw == 1 || g.sw == 2) && g.H * g.W < (int64_t(1) << 30)) {
    S = static_cast<int>(g.sw);
    vlo = (g.pw + S - 1) / S;
    int64_t num = g.W - S + g.pw - (g.kw - 1) * g.dw;
    vhi = num < 0 ? vlo : std::max(vlo, std::min(g.OW, num / S + 1));
  }
#endif
  int64_t row_cost = std::max<int64_t>(1, g.OW * (wh[0].hi - wh[0].lo) * (ww[0].hi - ww[0].lo));
  parallel_for(0, g.P * g.OH, grain_rows(row_cost), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t p = t / g.OH, oh = t % g.OH;
      const T* xp = x + p * g.H * g.W;
      const Win& a = wh[oh];
      T* yr = y + t * g.OW;
      int64_t* ir = IDX ? ind + t * g.OW : nullptr;
      int64_t skip_lo = 0, skip_hi = 0;  // columns done by the vector kernels
#ifdef NC_POOL_VECTOR
      if (S) {
        T div = static_cast<T>(g.divisor ? g.divisor : (g.count_include_pad ? a.span : a.hi - a.lo) * g.kw);
        bool done = S == 1 ? interior_row<M, IDX, T, 1>(xp, g.W, a, dh, g.kw, dw, g.pw, vlo, vhi, div, yr, ir)
                           : interior_row<M, IDX, T, 2>(xp, g.W, a, dh, g.kw, dw, g.pw, vlo, vhi, div, yr, ir);
        if (done) skip_lo = vlo, skip_hi = vhi;
      }
#endif
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        if (ow == skip_lo && skip_hi > skip_lo) ow = skip_hi;
        if (ow >= g.OW) break;
        window_scalar<M, IDX>(xp, g, a, ww[ow], dh, dw, yr + ow, IDX ? ir + ow : nullptr);
      }
    }
  });
}

// One task per plane: windows of one plane may overlap, so its dx is zeroed, then accumulated (+=).
template <PoolMode M, class T>
void general_backward(T* dx, const T* dy, const int64_t* ind, const PoolGeometry& g) {
  auto wh = windows(g.H, g.OH, g.kh, g.sh, g.ph, g.dh, g.adaptive);
  auto ww = windows(g.W, g.OW, g.kw, g.sw, g.pw, g.dw, g.adaptive);
  const int64_t dh = g.adaptive ? 1 : g.dh, dw = g.adaptive ? 1 : g.dw;
  const int64_t plane_in = g.H * g.W, plane_out = g.OH * g.OW;
  parallel_for(0, g.P, grain_rows(plane_in + plane_out), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* dxp = dx + p * plane_in;
      const T* dyp = dy + p * plane_out;
      std::fill(dxp, dxp + plane_in, T(0));
      if constexpr (M == PoolMode::Avg) {
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const Win& a = wh[oh];
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const Win& c = ww[ow];
            const T gv = dyp[oh * g.OW + ow] / static_cast<T>(avg_divisor(g, a, c));
            for (int64_t i = a.lo; i < a.hi; ++i) {
              T* row = dxp + (a.start + i * dh) * g.W + c.start;
              for (int64_t j = c.lo; j < c.hi; ++j) row[j * dw] += gv;
            }
          }
        }
      } else {
        const int64_t* ip = ind + p * plane_out;
        for (int64_t o = 0; o < plane_out; ++o) dxp[ip[o]] += dyp[o];
      }
    }
  });
}

// ---------------------------------------------------------------- fast non-overlapping path
// Windows tile the top-left OH*kh x OW*kw block of each plane; one task = one output row (its kh input
// rows). The row functions take every size by value: nothing a store writes can alias them.

// Scalar rows, any kernel. KH, KW > 0: compile-time kernel; 0: run-time (kh, kw).
// xr: the row's first input row; base: its index within the plane (for indices).
template <PoolMode M, int KH, int KW, bool IDX, class T>
void fast_forward_row(const T* xr, int64_t W, int64_t kh_, int64_t kw_, int64_t ow_begin, int64_t OW, int64_t base,
                      T div, T* __restrict yr, int64_t* __restrict ir) {
  const int64_t kh = KH ? KH : kh_, kw = KW ? KW : kw_;
  for (int64_t ow = ow_begin; ow < OW; ++ow) {
    const T* c = xr + ow * kw;
    if constexpr (KW == 0) {  // run-time kernel (often large: adaptive pooling): row by row
      if constexpr (M == PoolMode::Avg) {
        T sum = kw == W ? sum_contiguous(c, kh * W) : 0;
        for (int64_t i = 0; kw != W && i < kh; ++i) sum += sum_contiguous(c + i * W, kw);
        yr[ow] = sum / div;
      } else {
        T m = worst<M, T>();
        int64_t bi = base + ow * kw;
        if (kw == W) {
          scan_contiguous<M>(c, kh * W, bi, m, bi);
        } else {
          for (int64_t i = 0; i < kh; ++i) scan_contiguous<M>(c + i * W, kw, base + ow * kw + i * W, m, bi);
        }
        yr[ow] = m;
        if constexpr (IDX) ir[ow] = bi;
      }
    } else if constexpr (M == PoolMode::Avg) {
      T sum = 0;
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j) sum += c[i * W + j];
      yr[ow] = sum / div;
    } else {
      T m = c[0];
      int64_t bt = 0;  // winner's offset i*W + j from c
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j) {
          T v = c[i * W + j];
          bool w = better<M>(v, m);
          m = w ? v : m;
          if constexpr (IDX) bt = w ? i * W + j : bt;
        }
      yr[ow] = m;
      if constexpr (IDX) ir[ow] = base + ow * kw + bt;
    }
  }
}

// dr: input row i of the output row (i in [0, kh)); writes its first OW*kw cells.
template <PoolMode M, int KH, int KW, class T>
void fast_backward_row(T* __restrict dr, int64_t i, int64_t W, int64_t kw_, int64_t ow_begin, int64_t OW,
                       int64_t base, T div, const T* __restrict dyr, const int64_t* __restrict ir) {
  const int64_t kw = KW ? KW : kw_;
  for (int64_t ow = ow_begin; ow < OW; ++ow) {
    if constexpr (M == PoolMode::Avg) {
      T gv = dyr[ow] / div;
      for (int64_t j = 0; j < kw; ++j) dr[ow * kw + j] = gv;
    } else {
      int64_t t = ir[ow] - (base + ow * kw) - i * W;  // winner's column within this row's part, if it is here
      for (int64_t j = 0; j < kw; ++j) dr[ow * kw + j] = t == j ? dyr[ow] : T(0);
    }
  }
}

#ifdef NC_POOL_VECTOR
// kw == 2 (2x2, 1x2, ... with stride = kernel): N outputs at a time, even / odd columns split by shuffles.
template <PoolMode M, bool IDX, class T, int N>
inline void kw2_forward_chunk(const T* xr, int64_t W, int64_t kh, int64_t ow, int64_t base, T div, T* yr,
                              int64_t* ir) {
  using VT = Vec<T, N>;
  using VI = Vec<LaneInt<T>, N>;
  using VL = Vec<int64_t, N>;
  constexpr auto seq = std::make_index_sequence<N>{};
  VT acc{};
  VI t{};
  for (int64_t i = 0; i < kh; ++i) {
    VT a, b;
    std::memcpy(&a, xr + i * W + 2 * ow, sizeof a);
    std::memcpy(&b, xr + i * W + 2 * ow + N, sizeof b);
    VT e = evens(a, b, seq), o = odds(a, b, seq);
    if constexpr (M == PoolMode::Avg) {
      acc += e + o;
    } else {
      if (i == 0) {
        acc = e;
      } else {
        VI w = better_v<M>(e, acc);
        acc = w ? e : acc;
        if constexpr (IDX) t = w ? VI{} + static_cast<LaneInt<T>>(i * W) : t;
      }
      VI w = better_v<M>(o, acc);
      acc = w ? o : acc;
      if constexpr (IDX) t = w ? VI{} + static_cast<LaneInt<T>>(i * W + 1) : t;
    }
  }
  if constexpr (M == PoolMode::Avg) acc = acc / div;
  std::memcpy(yr + ow, &acc, sizeof acc);
  if constexpr (IDX) {
    VL iota;
    for (int l = 0; l < N; ++l) iota[l] = 2 * l;
    VL idx = __builtin_convertvector(t, VL) + (base + 2 * ow) + iota;
    std::memcpy(ir + ow, &idx, sizeof idx);
  }
}

template <PoolMode M, class T, int N>
inline void kw2_backward_chunk(T* dr, int64_t i, int64_t W, int64_t ow, int64_t base, T div, const T* dyr,
                               const int64_t* ir) {
  using VT = Vec<T, N>;
  using VI = Vec<LaneInt<T>, N>;
  using VL = Vec<int64_t, N>;
  constexpr auto seq = std::make_index_sequence<N>{};
  VT g, e, o;
  std::memcpy(&g, dyr + ow, sizeof g);
  if constexpr (M == PoolMode::Avg) {
    e = o = g / div;
  } else {
    VL id;
    std::memcpy(&id, ir + ow, sizeof id);
    // the winner's offset from the window's first cell: i*W + j for row i, column j
    VL iota;
    for (int l = 0; l < N; ++l) iota[l] = 2 * l;
    VI loc = __builtin_convertvector(id - (base + 2 * ow) - iota, VI);
    VT z{};
    e = loc == static_cast<LaneInt<T>>(i * W) ? g : z;
    o = loc == static_cast<LaneInt<T>>(i * W + 1) ? g : z;
  }
  VT lo = zip_lo(e, o, seq), hi = zip_hi(e, o, seq);
  std::memcpy(dr + 2 * ow, &lo, sizeof lo);
  std::memcpy(dr + 2 * ow + N, &hi, sizeof hi);
}

// Chunks of N outputs; the last chunk may overlap the one before (it writes the same values again).
template <PoolMode M, bool IDX, class T, int N>
void kw2_forward_row(const T* xr, int64_t W, int64_t kh, int64_t OW, int64_t base, T div, T* yr, int64_t* ir) {
  for (int64_t ow = 0;; ow += N) {
    if (ow + N >= OW) return kw2_forward_chunk<M, IDX, T, N>(xr, W, kh, OW - N, base, div, yr, ir);
    kw2_forward_chunk<M, IDX, T, N>(xr, W, kh, ow, base, div, yr, ir);
  }
}
template <PoolMode M, class T, int N>
void kw2_backward_row(T* dr, int64_t i, int64_t W, int64_t OW, int64_t base, T div, const T* dyr, const int64_t* ir) {
  for (int64_t ow = 0;; ow += N) {
    if (ow + N >= OW) return kw2_backward_chunk<M, T, N>(dr, i, W, OW - N, base, div, dyr, ir);
    kw2_backward_chunk<M, T, N>(dr, i, W, ow, base, div, dyr, ir);
  }
}
#endif

template <PoolMode M, int KH, int KW, bool IDX, class T>
void forward_row(const T* xr, int64_t W, int64_t kh, int64_t kw, int64_t OW, int64_t base, T div, T* yr,
                 int64_t* ir) {
#ifdef NC_POOL_VECTOR
  if constexpr (KW == 2) {
    constexpr int N = kVecBytes / sizeof(T);
    if (kh * W < (int64_t(1) << 30)) {  // lane offsets i*W + j fit the int32 lanes
      if (OW >= N) return kw2_forward_row<M, IDX, T, N>(xr, W, kh, OW, base, div, yr, ir);
      if constexpr (N / 2 >= 2)
        if (OW >= N / 2) return kw2_forward_row<M, IDX, T, N / 2>(xr, W, kh, OW, base, div, yr, ir);
      if constexpr (N / 4 >= 2)
        if (OW >= N / 4) return kw2_forward_row<M, IDX, T, N / 4>(xr, W, kh, OW, base, div, yr, ir);
    }
  }
#endif
  fast_forward_row<M, KH, KW, IDX, T>(xr, W, kh, kw, 0, OW, base, div, yr, ir);
}

template <PoolMode M, int KH, int KW, class T>
void backward_row(T* dr, int64_t i, int64_t W, int64_t kh, int64_t kw, int64_t OW, int64_t base, T div, const T* dyr,
                  const int64_t* ir) {
#ifdef NC_POOL_VECTOR
  if constexpr (KW == 2) {
    constexpr int N = kVecBytes / sizeof(T);
    if (kh * W < (int64_t(1) << 30)) {
      if (OW >= N) return kw2_backward_row<M, T, N>(dr, i, W, OW, base, div, dyr, ir);
      if constexpr (N / 2 >= 2)
        if (OW >= N / 2) return kw2_backward_row<M, T, N / 2>(dr, i, W, OW, base, div, dyr, ir);
      if constexpr (N / 4 >= 2)
        if (OW >= N / 4) return kw2_backward_row<M, T, N / 4>(dr, i, W, OW, base, div, dyr, ir);
    }
  }
#endif
  (void)kh;
  fast_backward_row<M, KH, KW, T>(dr, i, W, kw, 0, OW, base, div, dyr, ir);
}

template <PoolMode M, int KH, int KW, bool IDX, class T>
void fast_forward(T* y, int64_t* ind, const T* x, const PoolGeometry& g) {
  const int64_t kh = KH ? KH : g.kh, kw = KW ? KW : g.kw;
  const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW;
  const T div = static_cast<T>(g.divisor ? g.divisor : kh * kw);
  parallel_for(0, g.P * OH, grain_rows(kh * W), [=](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t p = t / OH, oh = t % OH;
      forward_row<M, KH, KW, IDX, T>(x + p * H * W + oh * kh * W, W, kh, kw, OW, oh * kh * W, div, y + t * OW,
                                     IDX ? ind + t * OW : nullptr);
    }
  });
}

// Each dx element is written once: window cells from dy (the winner, or dy / divisor for Avg), 0 elsewhere
// (cells right of or below the tiled block, which no window covers). No zero-fill pass.
template <PoolMode M, int KH, int KW, class T>
void fast_backward(T* dx, const T* dy, const int64_t* ind, const PoolGeometry& g) {
  const int64_t kh = KH ? KH : g.kh, kw = KW ? KW : g.kw;
  const int64_t H = g.H, W = g.W, OH = g.OH, OW = g.OW;
  const T div = static_cast<T>(g.divisor ? g.divisor : kh * kw);
  parallel_for(0, g.P * OH, grain_rows(kh * W), [=](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t p = t / OH, oh = t % OH;
      T* dxp = dx + p * H * W;
      for (int64_t i = 0; i < kh; ++i) {
        T* dr = dxp + (oh * kh + i) * W;
        backward_row<M, KH, KW, T>(dr, i, W, kh, kw, OW, oh * kh * W, div, dy + t * OW,
                                   M == PoolMode::Avg ? nullptr : ind + t * OW);
        std::fill(dr + OW * kw, dr + W, T(0));
      }
      if (oh == OH - 1) std::fill(dxp + OH * kh * W, dxp + H * W, T(0));
    }
  });
}

bool is_fast(const PoolGeometry& g, int64_t& kh, int64_t& kw) {
  if (g.adaptive) {
    if (g.H % g.OH || g.W % g.OW) return false;
    kh = g.H / g.OH, kw = g.W / g.OW;
    return true;
  }
  kh = g.kh, kw = g.kw;
  return g.sh == g.kh && g.sw == g.kw && g.ph == 0 && g.pw == 0 && (g.dh == 1 || g.kh == 1) &&
         (g.dw == 1 || g.kw == 1) && g.OH * g.kh <= g.H && g.OW * g.kw <= g.W;
}

// Calls f(std::integral_constant KH, KW) for the specialised kernel sizes, (0, 0) otherwise.
template <class F>
void with_kernel(int64_t kh, int64_t kw, F&& f) {
  using I = std::integral_constant<int, 0>;
  if (kh == 2 && kw == 2) f(std::integral_constant<int, 2>{}, std::integral_constant<int, 2>{});
  else if (kh == 3 && kw == 3) f(std::integral_constant<int, 3>{}, std::integral_constant<int, 3>{});
  else if (kh == 1 && kw == 2) f(std::integral_constant<int, 1>{}, std::integral_constant<int, 2>{});
  else if (kh == 1 && kw == 3) f(std::integral_constant<int, 1>{}, std::integral_constant<int, 3>{});
  else f(I{}, I{});
}

template <class T>
void forward_typed(PoolMode mode, T* y, int64_t* ind, const T* x, PoolGeometry g) {
  int64_t kh, kw;
  if (is_fast(g, kh, kw)) {
    g.kh = g.sh = kh, g.kw = g.sw = kw;
    with_kernel(kh, kw, [&](auto kh_c, auto kw_c) {
      constexpr int KH = decltype(kh_c)::value, KW = decltype(kw_c)::value;
      switch (mode) {
        case PoolMode::Max:
          return ind ? fast_forward<PoolMode::Max, KH, KW, true>(y, ind, x, g)
                     : fast_forward<PoolMode::Max, KH, KW, false>(y, ind, x, g);
        case PoolMode::Min:
          return ind ? fast_forward<PoolMode::Min, KH, KW, true>(y, ind, x, g)
                     : fast_forward<PoolMode::Min, KH, KW, false>(y, ind, x, g);
        case PoolMode::Avg: return fast_forward<PoolMode::Avg, KH, KW, false>(y, ind, x, g);
      }
    });
    return;
  }
  switch (mode) {
    case PoolMode::Max:
      return ind ? general_forward<PoolMode::Max, true>(y, ind, x, g) : general_forward<PoolMode::Max, false>(y, ind, x, g);
    case PoolMode::Min:
      return ind ? general_forward<PoolMode::Min, true>(y, ind, x, g) : general_forward<PoolMode::Min, false>(y, ind, x, g);
    case PoolMode::Avg: return general_forward<PoolMode::Avg, false>(y, ind, x, g);
  }
}

template <class T>
void backward_typed(PoolMode mode, T* dx, const T* dy, const int64_t* ind, PoolGeometry g) {
  int64_t kh, kw;
  if (is_fast(g, kh, kw)) {
    g.kh = g.sh = kh, g.kw = g.sw = kw;
    with_kernel(kh, kw, [&](auto kh_c, auto kw_c) {
      constexpr int KH = decltype(kh_c)::value, KW = decltype(kw_c)::value;
      switch (mode) {
        case PoolMode::Max: return fast_backward<PoolMode::Max, KH, KW>(dx, dy, ind, g);
        case PoolMode::Min: return fast_backward<PoolMode::Min, KH, KW>(dx, dy, ind, g);
        case PoolMode::Avg: return fast_backward<PoolMode::Avg, KH, KW>(dx, dy, ind, g);
      }
    });
    return;
  }
  switch (mode) {
    case PoolMode::Max: return general_backward<PoolMode::Max>(dx, dy, ind, g);
    case PoolMode::Min: return general_backward<PoolMode::Min>(dx, dy, ind, g);
    case PoolMode::Avg: return general_backward<PoolMode::Avg>(dx, dy, ind, g);
  }
}

void pool_cpu(PoolMode mode, const Tensor& y, const Tensor& indices, const Tensor& x, const PoolGeometry& g) {
  dispatch_float(x.dtype(), "pool", [&](auto tag) {
    using T = decltype(tag);
    forward_typed<T>(mode, y.data<T>(), indices.defined() ? indices.data<int64_t>() : nullptr, x.data<T>(), g);
  });
}

void pool_backward_cpu(PoolMode mode, const Tensor& dx, const Tensor& dy, const Tensor& indices,
                       const PoolGeometry& g) {
  dispatch_float(dx.dtype(), "pool backward", [&](auto tag) {
    using T = decltype(tag);
    backward_typed<T>(mode, dx.data<T>(), dy.data<T>(), indices.defined() ? indices.data<int64_t>() : nullptr, g);
  });
}

}  // namespace

NC_REGISTER_KERNEL(pool_kernel, CPU, pool_cpu);
NC_REGISTER_KERNEL(pool_backward_kernel, CPU, pool_backward_cpu);

}  // namespace nc
