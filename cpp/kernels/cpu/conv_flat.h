// Shared pieces of the stride-1 convolution kernels (conv_flat.cpp: forward and input gradient;
// conv_flat_weight.cpp: weight gradient): vector types, per-thread scratch, the band layouts and their copies,
// and the task loop.
//
// Note [Flat conv]: for stride 1, output (oh, ow) reads source (oh + kh*DH, ow + kw*DW) of the padded input. Copy a
// band of padded rows into a buffer with row pitch Wp = OW + (KW-1)*DW and number positions q = oh*Wp + ow: then
// every (c, kh, kw) reads the source at q + off(c, kh, kw), with off = c*plane + kh*DH*Wp + kw*DW. The matrix of
// the implicit GEMM, B[(c, kh, kw)][q], is the buffer itself read at K fixed offsets, so y (OC, Q) = W (OC, K) @ B
// is computed in register tiles of MR output channels x NR consecutive positions (vector loads of B rows, weights
// broadcast from a packed panel), with nothing materialised. Positions ow >= OW ("junk", (KW-1)*DW of every Wp)
// are computed and dropped. Without any padding the padded rows are x's own rows, read in place. For small
// images, where junk is a large share (LeNet's 14x14 -> 10x10 conv: 29%), the band may instead be copied once per
// kernel column kw, shifted by kw*DW, with pitch OW: no junk, KW times the copy; a cost model picks the layout.
// Ref: the "implicit GEMM" of cuDNN (Chetlur et al. 2014, sec. 3.1), here reading shifted rows in place instead
// of building the im2col matrix.
//
// Input gradient: the same forward on dy with the flipped, transposed weight ("gather"), or, where that would
// mostly multiply padding, a scatter of the products into a padded dX (conv_flat.cpp).
// Weight gradient: dW^T (K, OC) += B (K, Q) @ dY^T (Q, OC), a reduction over positions, with output channels in
// vector lanes (or, for a few channels, positions in lanes); only valid positions are visited, so junk never
// enters a sum. Sums go to a few fixed chunks of images (not per thread), added up in chunk order at the end: the
// result does not depend on the thread count or on which thread took which image (conv_flat_weight.cpp).
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <type_traits>
#include <vector>
#include "core/parallel.h"
#include "kernels/cpu/vmath.h"
#include "ops/conv.h"

namespace nc {
namespace conv_flat {

template <class T> struct Simd;
template <> struct Simd<float> {
  typedef float V __attribute__((vector_size(kVecBytes)));
  static constexpr int W = kVecBytes / 4;
};
template <> struct Simd<double> {
  typedef double V __attribute__((vector_size(kVecBytes)));
  static constexpr int W = kVecBytes / 8;
};

// Scratch that outlives a call, one set per thread: allocating it afresh costs page faults on every call (glibc
// maps blocks over 128 KiB anew), ~10% of a LeNet-sized step. Slots keep the buffers of one call apart; a buffer
// is zeroed when it grows (kernels that need zeros in it clear it themselves).
enum ScratchSlot { kBandSlot, kDytSlot, kSumsSlot, kPackSlot, kBiasSlot, kNumSlots };
template <class T>
T* scratch(ScratchSlot slot, int64_t n) {
  struct Buf {
    void* p = nullptr;
    size_t bytes = 0;
    ~Buf() { std::free(p); }
  };
  thread_local Buf bufs[kNumSlots];
  Buf& b = bufs[slot];
  const size_t bytes = (static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(T) + 63) / 64 * 64;
  if (bytes > b.bytes) {
    std::free(b.p);
    b.p = std::aligned_alloc(64, bytes);
    b.bytes = b.p ? bytes : 0;
    NC_CHECK(b.p, RuntimeError, "conv2d: out of memory allocating ", bytes, " bytes of scratch");
    std::memset(b.p, 0, bytes);
  }
  return static_cast<T*>(b.p);
}
template <class T>
T* zeroed_scratch(ScratchSlot slot, int64_t n) {
  T* p = scratch<T>(slot, n);
  std::fill(p, p + n, T(0));
  return p;
}

constexpr int64_t kBandBytes = 160 << 10;  // a band's copy stays in L2 (bands are whole images where they fit)
constexpr double kMinFlopsPerThread = 2e6; // below this a second thread costs more than it saves
constexpr int64_t kGradChunks = 4;         // weight-gradient partial sums (Note [Flat conv])
constexpr int64_t kMinTasks = 8;           // bands enough for 2-4 threads, whatever the thread count (so that
                                           // weight-gradient sums, which follow bands, do not depend on it)
// Cost model of the layout choice, per element: a multiply-add in a full vector tile, and a copied value
// (copies run in short rows: slower than streaming). Measured on LeNet's shapes, where the choice matters.
constexpr double kFmaCost = 1.0 / 32, kCopyCost = 1.0 / 6;

// A band's buffer: which layout, its sizes, and where row k = (c, kh, kw) of B starts.
// Without padding the padded layout is the input itself: a band is read in place (off_in: rows of x's planes),
// except in the last image, where a tile's positions past the band could read past the end of x.
struct Layout {
  int64_t r = 0, rows_in = 0, pitch = 0, plane = 0, size = 0, bands = 0;
  int64_t overrun = 0;  // how far past a band's last row tiles may read
  bool shifted = false, inplace = false;
  std::vector<int64_t> off, off_in;
  double cost = 0;  // per image, kFmaCost / kCopyCost units
};
enum class LayoutChoice { Padded, Shifted, Cheaper };

// nr: positions per tile (0: positions are visited one by one, only the valid ones); rows: output channels
// the tiles compute (padded to the tile height).
inline Layout make_layout_as(const ConvGeometry& g, int64_t N, int64_t nr, int64_t rows, bool big, size_t isz,
                             bool shifted) {
  Layout L;
  const int64_t Wp = g.OW + (g.KW - 1) * g.DW;
  L.shifted = shifted;
  L.pitch = L.shifted ? g.OW : Wp;
  const int64_t span = (g.KH - 1) * g.DH, copies = L.shifted ? g.KW : 1;
  // Rows per band: all, fewer if the copy would not fit kBandBytes or there would be too few tasks to balance the
  // threads (small work runs on one thread: no need to split it).
  L.r = g.OH;
  while (L.r > 1 && g.C * copies * (L.r + span) * L.pitch * int64_t(isz) > kBandBytes) L.r = (L.r + 1) / 2;
  while (big && L.r > 1 && N * ((g.OH + L.r - 1) / L.r) < kMinTasks) L.r = (L.r + 1) / 2;
  L.bands = (g.OH + L.r - 1) / L.r;
  L.rows_in = L.r + span;
  L.plane = copies * L.rows_in * L.pitch;
  L.overrun = nr + (g.KW - 1) * g.DW;
  L.size = g.C * L.plane + L.overrun;
  L.off.resize(g.rows());
  for (int64_t c = 0, k = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw, ++k)
        L.off[k] = c * L.plane + (L.shifted ? kw * L.rows_in * L.pitch + kh * g.DH * L.pitch
                                            : kh * g.DH * L.pitch + kw * g.DW);
  // No padding on any side: the padded rows are x's rows.
  L.inplace = !shifted && g.PT == 0 && g.PL == 0 && Wp == g.W && g.OH + span == g.H;
  if (L.inplace) {
    L.off_in.resize(g.rows());
    for (int64_t c = 0, k = 0; c < g.C; ++c)
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw, ++k) L.off_in[k] = (c * g.H + kh * g.DH) * g.W + kw * g.DW;
  }
  for (int64_t b = 0; b < L.bands; ++b) {
    const int64_t rc = std::min(L.r, g.OH - b * L.r), npos = nr ? (rc * L.pitch + nr - 1) / nr * nr : rc * g.OW;
    L.cost += kFmaCost * double(npos * g.rows() * rows);
    if (!L.inplace) L.cost += kCopyCost * double(g.C * copies * (rc + span) * L.pitch);
  }
  return L;
}

inline Layout make_layout(const ConvGeometry& g, int64_t N, int64_t nr, int64_t rows, bool big, size_t isz,
                          LayoutChoice c) {
  if (c != LayoutChoice::Cheaper || g.KW == 1)
    return make_layout_as(g, N, nr, rows, big, isz, c == LayoutChoice::Shifted);
  Layout a = make_layout_as(g, N, nr, rows, big, isz, false), b = make_layout_as(g, N, nr, rows, big, isz, true);
  return b.cost < a.cost ? b : a;
}

// dst[t] = row[c0 + t] where 0 <= c0 + t < W, else 0, for t < n (row null: all zero). Rows are short (tens of
// values): whole vectors and a scalar tail, no library calls.
template <class T>
inline void copy_row(T* dst, int64_t n, const T* row, int64_t c0, int64_t W) {
  using V = typename Simd<T>::V;
  constexpr int VW = Simd<T>::W;
  const int64_t lo = row ? std::clamp<int64_t>(-c0, 0, n) : n, hi = row ? std::clamp<int64_t>(W - c0, lo, n) : n;
  for (int64_t t = 0; t < lo; ++t) dst[t] = T(0);
  int64_t t = lo;
  for (; t + VW <= hi; t += VW) std::memcpy(dst + t, row + c0 + t, sizeof(V));
  for (; t < hi; ++t) dst[t] = row[c0 + t];
  for (; t < n; ++t) dst[t] = T(0);
}

// p[0, n) in the first n lanes of a vector, zero in the others (n < W).
template <class T>
NC_INLINE typename Simd<T>::V load_partial(const T* p, int64_t n) {
  alignas(64) T t[Simd<T>::W] = {};
  std::memcpy(t, p, sizeof(T) * n);
  typename Simd<T>::V v;
  std::memcpy(&v, t, sizeof(v));
  return v;
}

// Sum of p[0, n), in vector partial sums (a serial sum would be one long dependency chain).
template <class T>
T sum_values(const T* p, int64_t n) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W;
  V a{}, b{};
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    V u, v;
    std::memcpy(&u, p + i, sizeof(V));
    std::memcpy(&v, p + i + W, sizeof(V));
    a += u, b += v;
  }
  a += b;
  T s = T(0);
  for (int l = 0; l < W; ++l) s += a[l];
  for (; i < n; ++i) s += p[i];
  return s;
}

// The W x W block v (row i = v[i]) transposed in place: log2(W) rounds, each swapping the off-diagonal blocks of
// size s of every 2s x 2s block (lanes with bit s set of row i <-> lanes with it clear of row i + s). GCC's
// two-vector __builtin_shuffle does a round in 2 instructions per row pair; other compilers go lane by lane.
template <class T>
NC_INLINE void transpose_block(typename Simd<T>::V* v) {
  constexpr int W = Simd<T>::W;
#if !defined(__GNUC__) || defined(__clang__)
  for (int i = 0; i < W; ++i)
    for (int j = i + 1; j < W; ++j) {
      const T t = v[i][j];
      v[i][j] = v[j][i];
      v[j][i] = t;
    }
#else
  using V = typename Simd<T>::V;
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  typedef I M __attribute__((vector_size(sizeof(V))));
#pragma GCC unroll 4
  for (int s = W / 2; s >= 1; s /= 2) {
    M lo, hi;  // two-vector shuffles: lane j < W from the first vector, j - W from the second
    for (int j = 0; j < W; ++j) {
      lo[j] = (j & s) ? I(W + j - s) : I(j);
      hi[j] = (j & s) ? I(W + j) : I(j + s);
    }
#pragma GCC unroll 16
    for (int i = 0; i < W; ++i)
      if (!(i & s)) {
        const V a = v[i], b = v[i + s];
        v[i] = __builtin_shuffle(a, b, lo);
        v[i + s] = __builtin_shuffle(a, b, hi);
      }
  }
#endif
}

// dst (n, ldd) columns [0, m) = src (m, lds) rows [0, n)^T, in W x W blocks through registers.
template <class T>
void transpose(T* dst, int64_t ldd, const T* src, int64_t lds, int64_t m, int64_t n) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W;
  int64_t o = 0;
  for (; o + W <= m; o += W) {
    int64_t q = 0;
    for (; q + W <= n; q += W) {
      V v[W];
      for (int i = 0; i < W; ++i) std::memcpy(&v[i], src + (o + i) * lds + q, sizeof(V));
      transpose_block<T>(v);
      for (int i = 0; i < W; ++i) std::memcpy(dst + (q + i) * ldd + o, &v[i], sizeof(V));
    }
    for (; q < n; ++q)
      for (int i = 0; i < W; ++i) dst[q * ldd + o + i] = src[(o + i) * lds + q];
  }
  for (; o < m; ++o)
    for (int64_t q = 0; q < n; ++q) dst[q * ldd + o] = src[o * lds + q];
}

// The band of output rows [oh0, oh0 + rc) of one image: source channels src (C planes of H x W).
template <class T>
void fill_band(T* buf, const Layout& L, const ConvGeometry& g, const T* src, int64_t oh0, int64_t rc) {
  const int64_t ih0 = oh0 - g.PT, rows = rc + (g.KH - 1) * g.DH;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t j = 0; j < rows; ++j) {
      const int64_t ih = ih0 + j;
      const T* row = ih >= 0 && ih < g.H ? src + (c * g.H + ih) * g.W : nullptr;
      if (L.shifted)
        for (int64_t kw = 0; kw < g.KW; ++kw)
          copy_row(buf + c * L.plane + (kw * L.rows_in + j) * L.pitch, g.OW, row, kw * g.DW - g.PL, g.W);
      else
        copy_row(buf + c * L.plane + j * L.pitch, L.pitch, row, -g.PL, g.W);
    }
}

// Where tiles read the band of output rows [oh0, oh0 + rc) of one image's group (x_n: its C planes, followed by
// room more values of x): x_n in place if the tiles' reads past its planes stay inside x, else buf after copying
// the band there; off gets the matching row offsets.
template <class T>
const T* band_source(T* buf, const Layout& L, const ConvGeometry& g, const T* x_n, int64_t room, int64_t oh0,
                     int64_t rc, const int64_t*& off) {
  if (L.inplace && room >= L.overrun) {
    off = L.off_in.data();
    return x_n + oh0 * g.W;
  }
  fill_band(buf, L, g, x_n, oh0, rc);
  off = L.off.data();
  return buf;
}

// f(task, thread scratch...) over tasks taken dynamically by up to nt threads; init() makes a thread's scratch.
template <class Init, class F>
void run_tasks(int64_t tasks, int nt, const Init& init, const F& f) {
  if (nt <= 1 || omp_in_parallel()) {
    auto s = init();
    for (int64_t t = 0; t < tasks; ++t) f(t, s);
    return;
  }
  // Threads take tasks from a shared counter. An exception must not leave a parallel region (std::terminate):
  // the first one is kept, the other threads stop taking tasks, and it is rethrown after the region.
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  std::atomic<int64_t> next{0};
#pragma omp parallel num_threads(nt)
  {
    try {
      auto s = init();
      for (int64_t t; !failed.load(std::memory_order_relaxed) && (t = next.fetch_add(1)) < tasks;) f(t, s);
    } catch (...) {
#pragma omp critical(nc_conv_error)
      if (!error) error = std::current_exception();
      failed = true;
    }
  }
  if (error) std::rethrow_exception(error);
}

inline int threads_for(double flops, int64_t tasks) {
  return static_cast<int>(std::min<int64_t>(
      {int64_t(get_num_threads()), tasks, std::max<int64_t>(1, int64_t(flops / kMinFlopsPerThread))}));
}

}  // namespace conv_flat
}  // namespace nc
