// Stride-1 convolution without im2col: forward, input gradient (a forward on dy with the flipped, transposed
// weight) and weight gradient, all read straight from a zero-padded copy of a band of the input rows.
//
// Note [Flat conv]: for stride 1, output (oh, ow) reads source (oh + kh*DH, ow + kw*DW) of the padded input. Copy a
// band of padded rows into a buffer with row pitch Wp = OW + (KW-1)*DW and number positions q = oh*Wp + ow: then
// every (c, kh, kw) reads the source at q + off(c, kh, kw), with off = c*plane + kh*DH*Wp + kw*DW. The matrix of
// the implicit GEMM, B[(c, kh, kw)][q], is the buffer itself read at K fixed offsets, so y (OC, Q) = W (OC, K) @ B
// is computed in register tiles of MR output channels x NR consecutive positions (vector loads of B rows, weights
// broadcast from a packed panel), with nothing materialised. Positions ow >= OW ("junk", (KW-1)*DW of every Wp)
// are computed and dropped. Where junk would waste more than kMaxJunk of the work (small images: LeNet's 14x14 ->
// 10x10 conv wastes 29%), the band is instead copied once per kernel column kw, shifted by kw*DW, with pitch OW:
// no junk, KW times the copy. Refs: the "implicit GEMM" of cuDNN (Chetlur et al. 2014, sec. 3.1), whose CPU
// relatives read shifted rows in place instead of building the im2col matrix.
//
// Weight gradient: dW^T (K, OC) += B (K, Q) @ dY^T (Q, OC), a reduction over positions. Output channels go in
// vector lanes (dY^T is packed per band, zero in lanes past OC), each tile MR rows of K x NVB vectors of
// channels, with B's values broadcast from the buffer; only valid positions are visited, so junk never enters a
// sum. Sums go to a few fixed chunks of images (not per thread), added up in chunk order at the end: the result
// does not depend on the thread count or on which thread took which image.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>
#include "core/parallel.h"
#include "kernels/cpu/vmath.h"
#include "ops/conv.h"

namespace nc {
namespace {

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
  bool shifted = false, inplace = false;
  std::vector<int64_t> off, off_in;
  double cost = 0;  // per image, kFmaCost / kCopyCost units
};
enum class LayoutChoice { Padded, Shifted, Cheaper };

// nr: positions per tile (0: positions are visited one by one, only the valid ones); rows: output channels
// the tiles compute (padded to the tile height).
Layout make_layout_as(const ConvGeometry& g, int64_t N, int64_t nr, int64_t rows, bool big, size_t isz, bool shifted) {
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
  L.size = g.C * L.plane + nr + (g.KW - 1) * g.DW;
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

Layout make_layout(const ConvGeometry& g, int64_t N, int64_t nr, int64_t rows, bool big, size_t isz, LayoutChoice c) {
  if (c != LayoutChoice::Cheaper || g.KW == 1) return make_layout_as(g, N, nr, rows, big, isz, c == LayoutChoice::Shifted);
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
// size s of every 2s x 2s block (lanes with bit s set of row i <-> lanes with it clear of row i + s).
template <class T>
NC_INLINE void transpose_block(typename Simd<T>::V* v) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W;
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

// Where tiles read the band of output rows [oh0, oh0 + rc) of image n of N (x_n: its C planes): x_n in place, or
// buf after copying the band there; off gets the matching row offsets.
template <class T>
const T* band_source(T* buf, const Layout& L, const ConvGeometry& g, const T* x_n, int64_t n, int64_t N, int64_t oh0,
                     int64_t rc, const int64_t*& off) {
  if (L.inplace && n + 1 < N) {
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

int threads_for(double flops, int64_t tasks) {
  return static_cast<int>(std::min<int64_t>(
      {int64_t(get_num_threads()), tasks, std::max<int64_t>(1, int64_t(flops / kMinFlopsPerThread))}));
}

// ---- forward: y (OC, Q) = W (OC, K) @ B (K, Q), tiles of MR channels x NV vectors of positions ----

template <class T, int MR, int NV>
struct ForwardTile {
  using V = typename Simd<T>::V;
  static constexpr int W = Simd<T>::W, NR = NV * W;
  V acc[MR][NV];

  NC_INLINE void run(int64_t K, const int64_t* off, const T* src, const T* ap, const T* bias) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) acc[i][j] = V{} + bias[i];
    for (int64_t k = 0; k < K; ++k) {
      const T* p = src + off[k];
      V b[NV];
#pragma GCC unroll 8
      for (int j = 0; j < NV; ++j) std::memcpy(&b[j], p + j * W, sizeof(V));
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const T a = ap[k * MR + i];
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) acc[i][j] += a * b[j];
      }
    }
  }
  // Rows i < m of the tile, positions [q0, q0 + n) of the band, into y (channel i at yo[i]): contiguous when the
  // pitch is OW, else only positions whose column is < OW.
  NC_INLINE void store(int m, T* const* yo, int64_t q0, int64_t n, int64_t pitch, int64_t OW) {
    if (pitch == OW && n == NR) {
      for (int i = 0; i < m; ++i)
#pragma GCC unroll 8
        for (int j = 0; j < NV; ++j) std::memcpy(yo[i] + q0 + j * W, &acc[i][j], sizeof(V));
      return;
    }
    alignas(64) T tile[NR];
    for (int i = 0; i < m; ++i) {
      std::memcpy(tile, acc[i], sizeof(tile));
      if (pitch == OW) {
        std::memcpy(yo[i] + q0, tile, sizeof(T) * n);
        continue;
      }
      // Runs of valid columns: position q is (q / pitch, q % pitch), stored at row * OW + column.
      for (int64_t q = q0, end = q0 + n; q < end;) {
        const int64_t row = q / pitch, col = q % pitch, run = std::min(end, row * pitch + OW) - q;
        if (run > 0) std::memcpy(yo[i] + row * OW + col, tile + (q - q0), sizeof(T) * run);
        q = (row + 1) * pitch;
      }
    }
  }
};

// Wf(o, k): the weight of output o for B row k = (c, kh, kw). flip: w is (C, OC, KH, KW) and is read transposed
// and rotated by 180 degrees (the input gradient's weight).
template <class T>
const T* pack_weight(const T* w, const ConvGeometry& g, int64_t OC, bool flip, int MR) {
  const int64_t K = g.rows(), KK = g.KH * g.KW, nb = (OC + MR - 1) / MR;
  T* ap = scratch<T>(kPackSlot, nb * K * MR);
  for (int64_t ob = 0; ob < nb; ++ob)
    for (int64_t k = 0; k < K; ++k)
      for (int i = 0; i < MR; ++i) {
        const int64_t o = ob * MR + i, c = k / KK, r = k % KK;
        T v = T(0);
        if (o < OC) v = flip ? w[(c * OC + o) * KK + (KK - 1 - r)] : w[o * K + k];
        ap[(ob * K + k) * MR + i] = v;
      }
  return ap;
}

template <class T, int MR, int NV>
void forward_typed(const T* x, int64_t xbs, int64_t N, const ConvGeometry& g, const T* w, int64_t OC, bool flip,
                   const T* bias, T* y, int64_t ybs) {
  using Tile = ForwardTile<T, MR, NV>;
  constexpr int64_t NR = Tile::NR;
  const int64_t K = g.rows(), nb = (OC + MR - 1) / MR, P = g.OH * g.OW;
  const double flops = 2.0 * double(N) * double(OC) * double(P) * double(K);
  const bool big = flops >= 2 * kMinFlopsPerThread;  // worth more than one thread
  const Layout L = make_layout(g, N, NR, nb * MR, big, sizeof(T), LayoutChoice::Cheaper);
  const T* ap = pack_weight(w, g, OC, flip, MR);
  T* bpack = zeroed_scratch<T>(kBiasSlot, nb * MR);
  if (bias) std::copy(bias, bias + OC, bpack);
  const int64_t tasks = N * L.bands;
  run_tasks(tasks, threads_for(flops, tasks), [&] { return scratch<T>(kBandSlot, L.size); },
            [&](int64_t t, T* buf) {
              const int64_t n = t / L.bands, oh0 = (t % L.bands) * L.r, rc = std::min(L.r, g.OH - oh0);
              const int64_t* off;
              const T* src = band_source(buf, L, g, x + n * xbs, n, N, oh0, rc, off);
              const int64_t npos = rc * L.pitch;
              for (int64_t ob = 0; ob < nb; ++ob) {
                const int m = static_cast<int>(std::min<int64_t>(MR, OC - ob * MR));
                T* yo[MR];
                for (int i = 0; i < MR; ++i) yo[i] = y + n * ybs + (ob * MR + std::min(i, m - 1)) * P + oh0 * g.OW;
                for (int64_t q0 = 0; q0 < npos; q0 += NR) {
                  Tile tile;
                  tile.run(K, off, src + q0, ap + ob * K * MR, bpack + ob * MR);
                  tile.store(m, yo, q0, std::min(NR, npos - q0), L.pitch, g.OW);
                }
              }
            });
}

// ---- input gradient by scatter: dX_pad[c][q + off(kh, kw)] += sum_o W[o][c][kh][kw] dY[o][q] ----
// The gather form (forward on dy padded by the kernel span, flipped weight) multiplies the padding too: for a small
// unpadded image (LeNet's 14x14 -> 10x10) half its products are with zeros. Here dy is laid out with the padded
// input's row pitch Wp (zero past OW) and each tile of MR rows (kh, kw, c) x NR positions sums over the output
// channels in registers, then adds into a padded copy of dX at the tap's offset: every product is one of the
// convolution's, at the price of a read-modify-write per OC products. Rows go tap-major, so a tile's rows write
// different channel planes.

template <class T, int MR, int NV>
void input_grad_scatter_typed(const T* dy, int64_t dybs, int64_t N, const ConvGeometry& g, const T* w, int64_t OC,
                              T* dx, int64_t dxbs) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W;
  constexpr int64_t NR = NV * W;
  const int64_t C = g.C, KK = g.KH * g.KW, R = C * KK, rb_n = (R + MR - 1) / MR;
  const int64_t Wp = g.OW + (g.KW - 1) * g.DW, Q = g.OH * Wp, Qr = (Q + NR - 1) / NR * NR;
  const int64_t plane = Qr + (g.KH - 1) * g.DH * Wp + (g.KW - 1) * g.DW;  // a tile's writes stay in its plane
  // Packed weight: block rb, output channel o: MR values, row r = rb*MR + i = (tap, c) = (r / C, r % C).
  T* ap = scratch<T>(kPackSlot, rb_n * OC * MR);
  std::vector<int64_t> roff(rb_n * MR);
  for (int64_t r = 0; r < rb_n * MR; ++r) {
    const int64_t rr = std::min(r, R - 1), tap = rr / C, c = rr % C, kh = tap / g.KW, kw = tap % g.KW;
    roff[r] = c * plane + kh * g.DH * Wp + kw * g.DW;
    for (int64_t o = 0; o < OC; ++o) ap[((r / MR) * OC + o) * MR + r % MR] = r < R ? w[(o * C + c) * KK + tap] : T(0);
  }
  const double flops = 2.0 * double(N) * double(OC) * double(Q) * double(R);
  struct Bufs {
    T *dyf, *dxb;
  };
  run_tasks(
      N, threads_for(flops, N),
      // dyf's zeros (columns past OW, positions past Q) are written once; its other cells by every image.
      [&] { return Bufs{zeroed_scratch<T>(kDytSlot, OC * Qr), scratch<T>(kBandSlot, C * plane)}; },
      [&](int64_t n, Bufs& s) {
        for (int64_t o = 0; o < OC; ++o)
          for (int64_t oh = 0; oh < g.OH; ++oh)
            std::memcpy(s.dyf + o * Qr + oh * Wp, dy + n * dybs + (o * g.OH + oh) * g.OW, sizeof(T) * g.OW);
        std::fill(s.dxb, s.dxb + C * plane, T(0));
        for (int64_t rb = 0; rb < rb_n; ++rb) {
          const T* a = ap + rb * OC * MR;
          const int m = static_cast<int>(std::min<int64_t>(MR, R - rb * MR));
          for (int64_t q0 = 0; q0 < Qr; q0 += NR) {
            V acc[MR][NV];
#pragma GCC unroll 16
            for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
              for (int j = 0; j < NV; ++j) acc[i][j] = V{};
            for (int64_t o = 0; o < OC; ++o) {
              V b[NV];
#pragma GCC unroll 8
              for (int j = 0; j < NV; ++j) std::memcpy(&b[j], s.dyf + o * Qr + q0 + j * W, sizeof(V));
#pragma GCC unroll 16
              for (int i = 0; i < MR; ++i) {
                const T av = a[o * MR + i];
#pragma GCC unroll 8
                for (int j = 0; j < NV; ++j) acc[i][j] += av * b[j];
              }
            }
            for (int i = 0; i < m; ++i) {
              T* p = s.dxb + roff[rb * MR + i] + q0;
#pragma GCC unroll 8
              for (int j = 0; j < NV; ++j) {
                V t;
                std::memcpy(&t, p + j * W, sizeof(V));
                t += acc[i][j];
                std::memcpy(p + j * W, &t, sizeof(V));
              }
            }
          }
        }
        for (int64_t c = 0; c < C; ++c)
          for (int64_t h = 0; h < g.H; ++h)
            std::memcpy(dx + n * dxbs + (c * g.H + h) * g.W, s.dxb + c * plane + (h + g.PT) * Wp + g.PL,
                        sizeof(T) * g.W);
      });
}

// ---- weight gradient: dW^T (K, OC) += B (K, Q) @ dY^T (Q, OC), tiles of MR rows of K x NVB channel vectors ----

template <class T, int MR, int NVB>
void weight_grad_typed(const T* x, int64_t xbs, const T* dy, int64_t dybs, int64_t N, const ConvGeometry& g,
                       int64_t OC, T* dw, T* db) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W, NC = NVB * W;
  const int64_t K = g.rows(), P = g.OH * g.OW, ocb = (OC + NC - 1) / NC, OCp = ocb * NC, kb = (K + MR - 1) / MR;
  const double flops = 2.0 * double(N) * double(OC) * double(P) * double(K);
  const bool big = flops >= 2 * kMinFlopsPerThread;  // worth more than one thread
  const Layout L = make_layout(g, N, 0, OCp, big, sizeof(T), LayoutChoice::Padded);
  const int64_t tasks = N * L.bands, chunks = std::min(tasks, kGradChunks);
  // Chunk c sums tasks [c*tasks/chunks, (c+1)*tasks/chunks): (K, OCp) weight sums, then OCp bias sums.
  const int64_t csize = K * OCp + OCp;
  T* sums = zeroed_scratch<T>(kSumsSlot, chunks * csize);
  // Rows per sub-block: its slice of dY^T stays in L1 while every tile of K passes over it.
  const int64_t sub_rows = std::clamp<int64_t>((8 << 10) / std::max<int64_t>(1, g.OW * OCp), 1, L.r);
  struct Bufs {
    T *buf, *dyt;
  };
  run_tasks(
      chunks, threads_for(flops, chunks),
      // dY^T's lanes past OC must be 0; the others are overwritten by every band.
      [&] { return Bufs{scratch<T>(kBandSlot, L.size), zeroed_scratch<T>(kDytSlot, L.r * g.OW * OCp)}; },
      [&](int64_t c, Bufs& s) {
        T* dwt = sums + c * csize;
        T* dbt = dwt + K * OCp;
        for (int64_t t = c * tasks / chunks; t < (c + 1) * tasks / chunks; ++t) {
          const int64_t n = t / L.bands, oh0 = (t % L.bands) * L.r, rc = std::min(L.r, g.OH - oh0);
          const int64_t* off;
          const T* bsrc = band_source(s.buf, L, g, x + n * xbs, n, N, oh0, rc, off);
          // dY^T of the band: (rc*OW, OCp), channel o of position i*OW + ow; lanes past OC stay 0.
          const T* dyb = dy + n * dybs + oh0 * g.OW;
          const int64_t nq = rc * g.OW;
          transpose(s.dyt, OCp, dyb, P, OC, nq);
          for (int64_t o = 0; o < OC; ++o) {
            dbt[o] += sum_values(dyb + o * P, nq);
          }
          for (int64_t i0 = 0; i0 < rc; i0 += sub_rows) {
            const int64_t i1 = std::min(rc, i0 + sub_rows);
            for (int64_t cb = 0; cb < ocb; ++cb)
              for (int64_t b = 0; b < kb; ++b) {
                const int m = static_cast<int>(std::min<int64_t>(MR, K - b * MR));
                V acc[MR][NVB];
                const T* src[MR];
#pragma GCC unroll 32
                for (int r = 0; r < MR; ++r) {
                  const int64_t k = b * MR + std::min(r, m - 1);
                  src[r] = bsrc + off[k];
#pragma GCC unroll 4
                  for (int v = 0; v < NVB; ++v) std::memcpy(&acc[r][v], dwt + k * OCp + cb * NC + v * W, sizeof(V));
                }
                for (int64_t i = i0; i < i1; ++i) {
                  const T* d = s.dyt + i * g.OW * OCp + cb * NC;
                  const int64_t q0 = i * L.pitch;
                  for (int64_t ow = 0; ow < g.OW; ++ow) {
                    V bv[NVB];
#pragma GCC unroll 4
                    for (int v = 0; v < NVB; ++v) std::memcpy(&bv[v], d + ow * OCp + v * W, sizeof(V));
#pragma GCC unroll 32
                    for (int r = 0; r < MR; ++r) {
                      const T a = src[r][q0 + ow];
#pragma GCC unroll 4
                      for (int v = 0; v < NVB; ++v) acc[r][v] += a * bv[v];
                    }
                  }
                }
                for (int r = 0; r < m; ++r)
#pragma GCC unroll 4
                  for (int v = 0; v < NVB; ++v)
                    std::memcpy(dwt + (b * MR + r) * OCp + cb * NC + v * W, &acc[r][v], sizeof(V));
              }
          }
        }
      });
  // dw (OC, K) += the chunks' sums in chunk order; db likewise.
  parallel_for(0, OC, std::max<int64_t>(1, 16384 / std::max<int64_t>(K, 1)), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o)
      for (int64_t k = 0; k < K; ++k) {
        T s = T(0);
        for (int64_t c = 0; c < chunks; ++c) s += sums[c * csize + k * OCp + o];
        dw[o * K + k] += s;
      }
  });
  if (db)
    for (int64_t o = 0; o < OC; ++o) {
      T s = T(0);
      for (int64_t c = 0; c < chunks; ++c) s += sums[c * csize + K * OCp + o];
      db[o] += s;
    }
}

// ---- weight gradient for few output channels (lanes of channels would stay mostly empty): positions in lanes.
// The band is copied per kernel column (pitch OW), so its positions run contiguously like dy's; a tile of MO
// channels x MK rows of K keeps one vector of partial sums per pair, added lane-wise to the chunk's sums
// (OCp, Kp, W) and reduced across lanes at the end. The last npos % W positions of a band go one by one.

template <class T, int MO, int MK>
void weight_grad_small_typed(const T* x, int64_t xbs, const T* dy, int64_t dybs, int64_t N, const ConvGeometry& g,
                             int64_t OC, T* dw, T* db) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W;
  const int64_t K = g.rows(), P = g.OH * g.OW, ob = (OC + MO - 1) / MO, kb = (K + MK - 1) / MK;
  const int64_t OCp = ob * MO, Kp = kb * MK;
  const double flops = 2.0 * double(N) * double(OC) * double(P) * double(K);
  const bool big = flops >= 2 * kMinFlopsPerThread;  // worth more than one thread
  const Layout L = make_layout(g, N, 0, OCp, big, sizeof(T), LayoutChoice::Shifted);
  const int64_t tasks = N * L.bands, chunks = std::min(tasks, kGradChunks), csize = OCp * Kp * W + OCp;
  T* sums = zeroed_scratch<T>(kSumsSlot, chunks * csize);
  run_tasks(chunks, threads_for(flops, chunks), [&] { return scratch<T>(kBandSlot, L.size); },
            [&](int64_t c, T* buf) {
              T* part = sums + c * csize;  // (OCp, Kp, W)
              T* dbt = part + OCp * Kp * W;
              for (int64_t t = c * tasks / chunks; t < (c + 1) * tasks / chunks; ++t) {
                const int64_t n = t / L.bands, oh0 = (t % L.bands) * L.r, rc = std::min(L.r, g.OH - oh0);
                fill_band(buf, L, g, x + n * xbs, oh0, rc);
                const T* dyb = dy + n * dybs + oh0 * g.OW;
                const int64_t npos = rc * g.OW, nv = npos / W;
                for (int64_t o = 0; o < OC; ++o) dbt[o] += sum_values(dyb + o * P, npos);
                for (int64_t o0 = 0; o0 < OCp; o0 += MO)
                  for (int64_t k0 = 0; k0 < Kp; k0 += MK) {
                    const T* d[MO];
                    const T* b[MK];
                    V acc[MO][MK];
#pragma GCC unroll 8
                    for (int i = 0; i < MO; ++i) d[i] = dyb + std::min(o0 + i, OC - 1) * P;
#pragma GCC unroll 24
                    for (int j = 0; j < MK; ++j) b[j] = buf + L.off[std::min(k0 + j, K - 1)];
#pragma GCC unroll 8
                    for (int i = 0; i < MO; ++i)
#pragma GCC unroll 24
                      for (int j = 0; j < MK; ++j)
                        std::memcpy(&acc[i][j], part + ((o0 + i) * Kp + k0 + j) * W, sizeof(V));
                    for (int64_t v = 0; v < nv; ++v) {
                      V dv[MO];
#pragma GCC unroll 8
                      for (int i = 0; i < MO; ++i) std::memcpy(&dv[i], d[i] + v * W, sizeof(V));
#pragma GCC unroll 24
                      for (int j = 0; j < MK; ++j) {
                        V bv;
                        std::memcpy(&bv, b[j] + v * W, sizeof(V));
#pragma GCC unroll 8
                        for (int i = 0; i < MO; ++i) acc[i][j] += dv[i] * bv;
                      }
                    }
                    if (const int64_t tail = npos - nv * W) {  // the last partial vector, zero past npos
                      V dv[MO];
#pragma GCC unroll 8
                      for (int i = 0; i < MO; ++i) dv[i] = load_partial<T>(d[i] + nv * W, tail);
#pragma GCC unroll 24
                      for (int j = 0; j < MK; ++j) {
                        const V bv = load_partial<T>(b[j] + nv * W, tail);
#pragma GCC unroll 8
                        for (int i = 0; i < MO; ++i) acc[i][j] += dv[i] * bv;
                      }
                    }
#pragma GCC unroll 8
                    for (int i = 0; i < MO; ++i)
#pragma GCC unroll 24
                      for (int j = 0; j < MK; ++j)
                        std::memcpy(part + ((o0 + i) * Kp + k0 + j) * W, &acc[i][j], sizeof(V));
                  }
              }
            });
  for (int64_t o = 0; o < OC; ++o) {
    for (int64_t k = 0; k < K; ++k) {
      T s = T(0);
      for (int64_t c = 0; c < chunks; ++c) {
        const T* pp = sums + c * csize + (o * Kp + k) * W;
        for (int l = 0; l < W; ++l) s += pp[l];
      }
      dw[o * K + k] += s;
    }
    if (db) {
      T s = T(0);
      for (int64_t c = 0; c < chunks; ++c) s += sums[c * csize + OCp * Kp * W + o];
      db[o] += s;
    }
  }
}

// ---- dispatch: tile shapes by channel count (fewest padded rows, then the larger tile) ----

int pick_rows(int64_t OC) {
  int best = 8;
  int64_t best_rows = (OC + 7) / 8 * 8;
  for (int mr : {12, 6, 4}) {
    int64_t rows = (OC + mr - 1) / mr * mr;
    if (rows < best_rows || (rows == best_rows && mr > best)) best = mr, best_rows = rows;
  }
  return best;
}

void conv_s1_forward_cpu(DType dt, const void* x, int64_t xbs, int64_t N, const ConvGeometry& g, const void* w,
                         int64_t OC, bool flip, const void* bias, void* y, int64_t ybs) {
  dispatch_float(dt, "conv2d", [&](auto tag) {
    using T = decltype(tag);
    auto X = static_cast<const T*>(x);
    auto Wt = static_cast<const T*>(w);
    auto B = static_cast<const T*>(bias);
    auto Y = static_cast<T*>(y);
    switch (pick_rows(OC)) {
      case 12: return forward_typed<T, 12, 2>(X, xbs, N, g, Wt, OC, flip, B, Y, ybs);
      case 6: return forward_typed<T, 6, 4>(X, xbs, N, g, Wt, OC, flip, B, Y, ybs);
      case 4: return forward_typed<T, 4, 6>(X, xbs, N, g, Wt, OC, flip, B, Y, ybs);
      default: return forward_typed<T, 8, 3>(X, xbs, N, g, Wt, OC, flip, B, Y, ybs);
    }
  });
}

// Input gradient: the gather form (a forward on dy with the flipped weight) or the scatter form, whichever does
// fewer multiply-adds, counting the tiles' rounding and the scatter's read-modify-writes (~2 each).
void conv_s1_input_grad_cpu(DType dt, const void* dy, int64_t dybs, int64_t N, const ConvGeometry& g, const void* w,
                            int64_t OC, void* dx, int64_t dxbs) {
  ConvGeometry gt = g;  // dy's geometry: OC channels of OH x OW in, C planes of H x W out
  gt.C = OC, gt.H = g.OH, gt.W = g.OW, gt.OH = g.H, gt.OW = g.W;
  gt.PT = (g.KH - 1) * g.DH - g.PT, gt.PL = (g.KW - 1) * g.DW - g.PL;
  const int W = kVecBytes / int(itemsize(dt));
  auto up = [](int64_t a, int64_t b) { return (a + b - 1) / b * b; };
  const int64_t KK = g.KH * g.KW, R = g.C * KK, Wp = g.OW + (g.KW - 1) * g.DW, Q = g.OH * Wp;
  const int mg = pick_rows(g.C);
  const double gather = double(up(g.H * (g.W + (g.KW - 1) * g.DW), W * (24 / mg))) * double(OC * KK) *
                        double(up(g.C, mg));
  auto scatter = [&](int mr, int nv) {
    return double(up(Q, W * nv)) * double(up(R, mr)) * double(OC + 2);
  };
  const double s6 = scatter(6, 4), s8 = scatter(8, 3);
  if (std::min(s6, s8) >= gather) return conv_s1_forward_cpu(dt, dy, dybs, N, gt, w, g.C, true, nullptr, dx, dxbs);
  dispatch_float(dt, "conv2d", [&](auto tag) {
    using T = decltype(tag);
    auto D = static_cast<const T*>(dy);
    auto Wt = static_cast<const T*>(w);
    auto X = static_cast<T*>(dx);
    if (s6 <= s8) return input_grad_scatter_typed<T, 6, 4>(D, dybs, N, g, Wt, OC, X, dxbs);
    return input_grad_scatter_typed<T, 8, 3>(D, dybs, N, g, Wt, OC, X, dxbs);
  });
}

void conv_s1_weight_grad_cpu(DType dt, const void* x, int64_t xbs, const void* dy, int64_t dybs, int64_t N,
                             const ConvGeometry& g, int64_t OC, void* dw, void* db) {
  dispatch_float(dt, "conv2d", [&](auto tag) {
    using T = decltype(tag);
    constexpr int W = Simd<T>::W;
    auto X = static_cast<const T*>(x);
    auto D = static_cast<const T*>(dy);
    auto DW = static_cast<T*>(dw);
    auto DB = static_cast<T*>(db);
    const int64_t vecs = (OC + W - 1) / W;
    // Few channels: positions in lanes, unless the sums would not stay in L1-L2.
    if (OC * 4 < vecs * W * 3 && OC * g.rows() * W * int64_t(sizeof(T)) <= (256 << 10)) {
      if (OC >= 5) return weight_grad_small_typed<T, 6, 4>(X, xbs, D, dybs, N, g, OC, DW, DB);
      if (OC == 4) return weight_grad_small_typed<T, 4, 6>(X, xbs, D, dybs, N, g, OC, DW, DB);
      if (OC == 3) return weight_grad_small_typed<T, 3, 8>(X, xbs, D, dybs, N, g, OC, DW, DB);
      if (OC == 2) return weight_grad_small_typed<T, 2, 12>(X, xbs, D, dybs, N, g, OC, DW, DB);
      return weight_grad_small_typed<T, 1, 16>(X, xbs, D, dybs, N, g, OC, DW, DB);
    }
    // One channel vector: 8 rows of K (24 rows would use all the accumulators, but their 24 source pointers do
    // not fit the general registers, and reloading them cost more: LeNet's conv2 dW 221 -> 177 us).
    if (vecs <= 1) return weight_grad_typed<T, 8, 1>(X, xbs, D, dybs, N, g, OC, DW, DB);
    if (vecs == 2) return weight_grad_typed<T, 12, 2>(X, xbs, D, dybs, N, g, OC, DW, DB);
    if (vecs == 3) return weight_grad_typed<T, 8, 3>(X, xbs, D, dybs, N, g, OC, DW, DB);
    return weight_grad_typed<T, 6, 4>(X, xbs, D, dybs, N, g, OC, DW, DB);
  });
}

}  // namespace

NC_REGISTER_KERNEL(conv_s1_forward_kernel, CPU, conv_s1_forward_cpu);
NC_REGISTER_KERNEL(conv_s1_input_grad_kernel, CPU, conv_s1_input_grad_cpu);
NC_REGISTER_KERNEL(conv_s1_weight_grad_kernel, CPU, conv_s1_weight_grad_cpu);

}  // namespace nc
