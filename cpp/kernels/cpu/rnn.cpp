// The recurrence of the recurrent layers (Note [RNN layer algorithm] in ops/rnn.h): per time step one GEMM
// h_{t-1} @ W_hh^T (forward) or dA_h[t] @ W_hh (backward), then one fused pass over the step's rows (gate
// non-linearities and cell update; or, backward, the gate derivatives); and dW_hh, one GEMM over all steps. The
// input projection, dX and dW_ih are one BLAS GEMM each, in ops/rnn.cpp. Threads take blocks of batch rows and run
// the whole sequence on them; within a row the loop over hidden units vectorises.
// Shapes: gates (T, B, G*H), h and c (B, H), W_hh (G*H, H), y (T, B, H); G = 1 (RNN), 4 (LSTM), 3 (GRU).
// Equations (PyTorch's documentation of nn.RNN / nn.LSTM / nn.GRU):
//   RNN   h = act(W_ih x + b_ih + W_hh h' + b_hh)
//   LSTM  i, f, g, o = sig, sig, tanh, sig of (W_ih x + b_ih + W_hh h' + b_hh);  c = f c' + i g;  h = o tanh(c)
//   GRU   r, z = sig(W_i{r,z} x + b_i{r,z} + W_h{r,z} h' + b_h{r,z});  n = tanh(W_in x + b_in + r (W_hn h' + b_hn))
//         h = (1 - z) n + z h'
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>
#include "core/parallel.h"
#include "kernels/cpu/vmath.h"
#include "ops/rnn.h"

// Note [RNN step GEMM]: the per-step products h_{t-1} @ W_hh^T (forward) and dA_h[t] @ W_hh (backward) are small
// (a block of batch rows; K = H or G*H) and repeat T times with the same W_hh. BLAS packs its B operand at every
// call; the private kernel below packs W_hh once per layer call and runs register-blocked tiles of kMR rows by two
// vectors from the packed panels. dW_hh = dA_h^T @ [h_{t-1}]_t, one GEMM over all steps after the loop, uses it
// too. Why, measured on the 2-core AMD EPYC (AVX-512) this was tuned on, whose OpenBLAS runs its Haswell (AVX2)
// kernels: medians of bench/compare.py --isolate, LSTM/GRU(64, 256), T=50, batch 32, float32, 2 threads:
//                                      lstm_fwd   lstm_fwdbwd   gru_fwdbwd
//   AVX-512 build (-march=native)  private   3.5 ms     11.0 ms       8.5 ms
//                                  BLAS      6.8        18.0          13.7
//   AVX2 build (-mavx2 -mfma)      private   7.5        18.9          14.4
//                                  BLAS      8.9        19.6          15.0
//   SSE2 build (NC_NATIVE=OFF)     private  14.8        37.6          29.2
//                                  BLAS     10.7        21.4          17.5
// ("BLAS": these products and dW_hh through gemm_kernel, one row block per thread; dW_hh alone is 3.5 ms there, at
// OpenBLAS's AVX2 peak, and lstm_fwdbwd 12.4 ms with only dW_hh through BLAS.) So the private kernel is compiled
// for AVX-512 builds, where it runs 512-bit vectors at about twice OpenBLAS's rate; the others take the BLAS path,
// where its edge is small (AVX2) or negative (SSE2). The GEMMs with W_ih (input projection, dX, dW_ih) always go
// through BLAS, in ops/rnn.cpp.
#ifndef NC_RNN_PACKED_GEMM  // -DNC_RNN_PACKED_GEMM=0 forces the BLAS path (to compare)
#if defined(__AVX512F__) && (defined(__GNUC__) || defined(__clang__))
#define NC_RNN_PACKED_GEMM 1
#else
#define NC_RNN_PACKED_GEMM 0
#endif
#endif

namespace nc {
namespace {

// A thread gets at least this much work (~50 us): waking a sleeping thread can cost that much or more on a
// busy machine (OMP_WAIT_POLICY=PASSIVE), so smaller products run in the calling thread.
constexpr double kMinFlopsPerThread = 1e7;
// Rows per micro-tile of the private kernel, and the unit in which threads share batch rows.
constexpr int kMR = kVecBytes >= 64 ? 8 : 4;  // 2 * kMR accumulators fit the vector registers
constexpr int64_t kGroup = 4;  // micro-tiles sharing one panel load; at most this many per thread block

// float: branch-free approximations that the compiler vectorises (std::exp / std::tanh do not without
// -ffast-math); double: the library functions, so float64 results match a numpy reference to rounding.
template <class T> struct Act;
template <> struct Act<double> {
  static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
  static double tanh(double x) { return std::tanh(x); }
};
template <> struct Act<float> {
  // Written so that GCC vectorises without -ffast-math: compares rather than fmin/fmax (NaN rules), and
  // round-to-nearest by adding and subtracting 1.5 * 2^23 rather than std::floor (which must not raise
  // "inexact" under the default -ftrapping-math).
  static float clamp(float x, float lo, float hi) {
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
  }
  static float exp(float x) { return vexp(x); }  // kernels/cpu/vmath.h
  static float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }
  // tanh as a 13/6 rational function on [-7.905, 7.905] (Eigen's generic_fast_tanh_float): relative
  // error < 4e-7 everywhere, exact sign and tanh(0) = 0.
  static float tanh(float x) {
    x = clamp(x, -7.90531110763549805f, 7.90531110763549805f);
    const float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * x;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return p / q;
  }
};

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
// Cache-line aligned, uninitialised scratch of n values.
template <class T>
std::unique_ptr<T[], FreeDeleter> scratch(int64_t n) {
  size_t bytes = (static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(T) + 63) / 64 * 64;
  T* p = static_cast<T*>(std::aligned_alloc(64, bytes));
  NC_CHECK(p, RuntimeError, "rnn: out of memory allocating ", bytes, " bytes of scratch");
  return std::unique_ptr<T[], FreeDeleter>(p);
}

#if NC_RNN_PACKED_GEMM
// ---- the private step GEMM (Note [RNN step GEMM]). B (k, n) is cut into blocks of kKc rows (a block's panel
// stays in L1 while a group of A rows uses it), and each block into panels of NR = 2 vectors of columns: panel p
// of block kb holds, row by row, the NR values B[kk, p*NR .. p*NR+NR), zero past the last column. Rows of C go in
// groups of kGroup micro-tiles of kMR rows that share each panel load. One template for float and double.
constexpr int64_t kPanelBytes = 32 << 10;  // one k-block of one panel: fits L1 with the A rows

template <class T>
struct Simd {
  typedef T V __attribute__((vector_size(kVecBytes)));
  static constexpr int W = kVecBytes / static_cast<int>(sizeof(T));
};

template <class T>
struct PackedB {
  static constexpr int NR = 2 * Simd<T>::W;
  static constexpr int64_t kKc = kPanelBytes / (NR * static_cast<int64_t>(sizeof(T)));  // rows per k-block
  int64_t k = 0, n = 0, panels = 0, blocks = 0;
  std::unique_ptr<T[], FreeDeleter> data;
  int64_t block_rows(int64_t kb) const { return std::min(kKc, k - kb * kKc); }
  const T* panel(int64_t kb, int64_t p) const { return data.get() + (kb * kKc * panels + p * block_rows(kb)) * NR; }
  // B = w^T for w (n, k) (trans) or B = w for w (k, n); row-major with leading dimension ldw.
  PackedB(const T* w, int64_t ldw, int64_t k_, int64_t n_, bool trans)
      : k(k_), n(n_), panels((n_ + NR - 1) / NR), blocks((k_ + kKc - 1) / kKc) {
    data = scratch<T>(panels * k * NR);
    // Threads only for big matrices: waking sleeping threads costs more than packing a weight matrix.
    parallel_for(0, blocks * panels, std::max<int64_t>(1, (1 << 20) / (kKc * NR)), [&](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; ++q) {
        const int64_t kb = q / panels, p = q % panels, rows = block_rows(kb);
        T* out = data.get() + (kb * kKc * panels + p * rows) * NR;
        for (int64_t kk = kb * kKc; kk < kb * kKc + rows; ++kk)
          for (int64_t c = 0; c < NR; ++c) {
            const int64_t col = p * NR + c;
            *out++ = col >= n ? T(0) : trans ? w[col * ldw + kk] : w[kk * ldw + col];
          }
      }
    });
  }
};

// C[0:M, 0:ncols] (=, or += when accumulate) A[0:M, 0:k] @ panel (k, NR). A(i, kk) is A[i*lda + kk], or
// A[kk*lda + i] when TA (A stored transposed).
template <class T, int M, bool TA>
inline void micro_kernel(int64_t k, const T* A, int64_t lda, const T* panel, T* C, int64_t ldc, int64_t ncols,
                         bool accumulate) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W;
  V c0[M], c1[M];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) c0[i] = V{}, c1[i] = V{};
  for (int64_t kk = 0; kk < k; ++kk) {
    V b0, b1;
    std::memcpy(&b0, panel + kk * 2 * W, sizeof(V));
    std::memcpy(&b1, panel + kk * 2 * W + W, sizeof(V));
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const T av = TA ? A[kk * lda + i] : A[i * lda + kk];
      c0[i] += av * b0;
      c1[i] += av * b1;
    }
  }
  if (ncols == 2 * W) {
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      T* ci = C + i * ldc;
      if (accumulate) {
        V t0, t1;
        std::memcpy(&t0, ci, sizeof(V));
        std::memcpy(&t1, ci + W, sizeof(V));
        c0[i] += t0, c1[i] += t1;
      }
      std::memcpy(ci, &c0[i], sizeof(V));
      std::memcpy(ci + W, &c1[i], sizeof(V));
    }
  } else {  // the last, partial panel: only ncols columns exist
    T tile[2 * W];
    for (int i = 0; i < M; ++i) {
      std::memcpy(tile, &c0[i], sizeof(V));
      std::memcpy(tile + W, &c1[i], sizeof(V));
      T* ci = C + i * ldc;
      for (int64_t j = 0; j < ncols; ++j) ci[j] = accumulate ? ci[j] + tile[j] : tile[j];
    }
  }
}

template <class T, bool TA>
inline void micro_tile(int64_t m, int64_t k, const T* A, int64_t lda, const T* panel, T* C, int64_t ldc,
                       int64_t ncols, bool acc) {
  switch (m) {
    case 1: micro_kernel<T, 1, TA>(k, A, lda, panel, C, ldc, ncols, acc); break;
    case 2: micro_kernel<T, 2, TA>(k, A, lda, panel, C, ldc, ncols, acc); break;
    case 3: micro_kernel<T, 3, TA>(k, A, lda, panel, C, ldc, ncols, acc); break;
    case 4: micro_kernel<T, 4, TA>(k, A, lda, panel, C, ldc, ncols, acc); break;
    case 5: micro_kernel<T, 5, TA>(k, A, lda, panel, C, ldc, ncols, acc); break;
    case 6: micro_kernel<T, 6, TA>(k, A, lda, panel, C, ldc, ncols, acc); break;
    case 7: micro_kernel<T, 7, TA>(k, A, lda, panel, C, ldc, ncols, acc); break;
    default: micro_kernel<T, kMR, TA>(k, A, lda, panel, C, ldc, ncols, acc); break;
  }
}

// Rows [i0, i1) of C (m, n) (=, or += when accumulate) op(A) (m, k) @ B, in the calling thread. A stored
// transposed (TA) is read through a copy: each group of rows' k-block goes into ap as (kc, rows), so the
// micro-kernels read one short contiguous row of it per k step. In place they would stride by lda, and with lda a
// multiple of 4 KiB (G*H = 1024 floats) all those rows fall into one L1 set (measured: dW_hh 4.9 -> 4.2 ms).
template <class T, bool TA = false>
void packed_gemm(int64_t i0, int64_t i1, const T* A, int64_t lda, const PackedB<T>& B, T* C, int64_t ldc,
                 bool accumulate, T* ap = nullptr) {
  constexpr int NR = PackedB<T>::NR;
  if (B.k == 0) {
    if (!accumulate)
      for (int64_t i = i0; i < i1; ++i) std::fill(C + i * ldc, C + i * ldc + B.n, T(0));
    return;
  }
  for (int64_t kb = 0; kb < B.blocks; ++kb) {
    const int64_t kk0 = kb * PackedB<T>::kKc, kc = B.block_rows(kb);
    const bool acc = accumulate || kb > 0;
    for (int64_t g0 = i0; g0 < i1; g0 += kGroup * kMR) {
      const int64_t gm = std::min(i1 - g0, kGroup * kMR);
      if (TA)
        for (int64_t kk = 0; kk < kc; ++kk) std::memcpy(ap + kk * gm, A + (kk0 + kk) * lda + g0, sizeof(T) * gm);
      for (int64_t p = 0; p < B.panels; ++p) {
        const T* panel = B.panel(kb, p);
        const int64_t ncols = std::min<int64_t>(NR, B.n - p * NR);
        for (int64_t i = 0; i < gm; i += kMR) {
          T* c = C + (g0 + i) * ldc + p * NR;
          const int64_t mt = std::min<int64_t>(kMR, gm - i);
          if (TA) micro_tile<T, true>(mt, kc, ap + i, gm, panel, c, ldc, ncols, acc);
          else micro_tile<T, false>(mt, kc, A + (g0 + i) * lda + kk0, lda, panel, c, ldc, ncols, acc);
        }
      }
    }
  }
}

// C (m, n) (=, or +=) A^T @ B for A (k, m), B (k, n) row-major (dW_hh), threads taking groups of rows
// dynamically (Note [One thread pool] in blas.cpp).
template <class T>
void packed_gemm_at(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb,
                    bool accumulate, T* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  const PackedB<T> B(b, ldb, k, n, false);
  const int64_t rows = kGroup * kMR, groups = (m + rows - 1) / rows;
  const int nt = static_cast<int>(std::min<int64_t>(
      {static_cast<int64_t>(get_num_threads()), groups,
       std::max<int64_t>(1, static_cast<int64_t>(2.0 * double(m) * double(n) * double(k) / kMinFlopsPerThread))}));
#pragma omp parallel num_threads(nt) if (nt > 1 && !omp_in_parallel())
  {
    auto ap = scratch<T>(PackedB<T>::kKc * kGroup * kMR);
#pragma omp for schedule(dynamic, 1)
    for (int64_t g = 0; g < groups; ++g)
      packed_gemm<T, true>(g * rows, std::min(m, (g + 1) * rows), a, lda, B, c, ldc, accumulate, ap.get());
  }
}
#endif  // NC_RNN_PACKED_GEMM

// The per-step product (Note [RNN step GEMM]): C (m, n) (=, or += when accumulate) A (m, k) @ op(W), with
// op(W) = W^T for W (n, k) (trans) or W for W (k, n); A and C row-major with leading dimensions.
template <class T>
class StepGemm {
 public:
  StepGemm(const T* w, int64_t k, int64_t n, bool trans)
#if NC_RNN_PACKED_GEMM
      : packed_(w, trans ? k : n, k, n, trans) {}
#else
      : w_(w), k_(k), n_(n), trans_(trans) {}
#endif
  void operator()(int64_t m, const T* a, int64_t lda, T* c, int64_t ldc, bool accumulate) const {
#if NC_RNN_PACKED_GEMM
    packed_gemm<T>(0, m, a, lda, packed_, c, ldc, accumulate);
#else
    // Inside the recurrence's parallel region the wrapper runs in the calling thread.
    gemm_kernel(DeviceType::CPU, dtype_of<T>::value, false, trans_, m, n_, k_, 1.0, a, lda, w_, trans_ ? k_ : n_,
                accumulate ? 1.0 : 0.0, c, ldc);
#endif
  }

 private:
#if NC_RNN_PACKED_GEMM
  PackedB<T> packed_;
#else
  const T* w_;
  int64_t k_, n_;
  bool trans_;
#endif
};

// f(b0, b1) for blocks of batch rows, each running the whole recurrence. A block is up to kGroup micro-tiles
// (its rows share every load of a weight panel), but small enough that each thread gets about two: threads take
// blocks dynamically, so a thread the OS delays leaves its blocks to the others (Note [One thread pool] in
// blas.cpp).
template <class F>
void parallel_rows(int64_t B, double flops_per_row, const F& f) {
  if (B <= 0) return;  // an empty batch: nothing to run (and no block size to divide by)
  const int64_t tiles = (B + kMR - 1) / kMR;
  const int nt = static_cast<int>(std::min<int64_t>(
      {static_cast<int64_t>(get_num_threads()), tiles,
       std::max<int64_t>(1, static_cast<int64_t>(flops_per_row * double(B) / kMinFlopsPerThread))}));
  const bool serial = nt <= 1 || omp_in_parallel();
#if NC_RNN_PACKED_GEMM
  const int64_t per_block = serial ? std::min(kGroup, tiles) : std::clamp<int64_t>(tiles / (2 * nt), 1, kGroup);
#else
  // BLAS packs W_hh at every call: as few calls as possible, one block per thread.
  const int64_t per_block = serial ? tiles : (tiles + nt - 1) / nt;
#endif
  const int64_t rows = per_block * kMR, blocks = (B + rows - 1) / rows;
  auto run = [&](int64_t k) { f(k * rows, std::min(B, (k + 1) * rows)); };
  if (serial) {
    for (int64_t k = 0; k < blocks; ++k) run(k);
    return;
  }
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t k = 0; k < blocks; ++k) run(k);
}

// ---- one row of one step, forward. g (G*H): in the pre-activations (x side with the biases, plus for RNN and
// LSTM the h side), out the gate activations. GRU: gh (3H) the h side h_{t-1} @ W_hh^T, kept apart because r
// multiplies its n part; b_hn (H) that part's bias; hn out W_hn h_{t-1} + b_hn.
template <class T>
inline void forward_row(RnnMode mode, int64_t H, T* __restrict g, const T* __restrict gh, const T* __restrict b_hn,
                        const T* __restrict h_prev, const T* __restrict c_prev, T* __restrict h, T* __restrict c,
                        T* __restrict tc, T* __restrict hn) {
  switch (mode) {
    case RnnMode::Tanh:
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) h[j] = g[j] = Act<T>::tanh(g[j]);
      break;
    case RnnMode::Relu:
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) h[j] = g[j] = g[j] < T(0) ? T(0) : g[j];  // NaN stays NaN
      break;
    case RnnMode::Lstm:
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T i = Act<T>::sigmoid(g[j]), f = Act<T>::sigmoid(g[H + j]);
        const T gg = Act<T>::tanh(g[2 * H + j]), o = Act<T>::sigmoid(g[3 * H + j]);
        const T cv = f * c_prev[j] + i * gg;
        const T t = Act<T>::tanh(cv);
        g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
        c[j] = cv, tc[j] = t, h[j] = o * t;
      }
      break;
    case RnnMode::Gru:
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T r = Act<T>::sigmoid(g[j] + gh[j]);
        const T z = Act<T>::sigmoid(g[H + j] + gh[H + j]);
        const T m = gh[2 * H + j] + b_hn[j];
        const T n = Act<T>::tanh(g[2 * H + j] + r * m);
        g[j] = r, g[H + j] = z, g[2 * H + j] = n;
        hn[j] = m;
        h[j] = n + z * (h_prev[j] - n);
      }
      break;
  }
}

// ---- one row of one step, backward. A (G*H): the gate activations. dh (H): in dL/dh_t from step t+1; out (GRU)
// z * (dh_t + dy_t). dc (H, LSTM): in dL/dc_t, out dL/dc_{t-1}. dA (G*H): pre-activation gradients; dG (GRU):
// the recurrent side's.
template <class T>
inline void backward_row(RnnMode mode, int64_t H, const T* __restrict A, const T* __restrict h,
                         const T* __restrict h_prev, const T* __restrict c_prev, const T* __restrict tc,
                         const T* __restrict hn, const T* __restrict dy, T* __restrict dh, T* __restrict dc,
                         T* __restrict dA, T* __restrict dG) {
  switch (mode) {
    case RnnMode::Tanh:
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) dA[j] = (dh[j] + dy[j]) * (T(1) - h[j] * h[j]);
      break;
    case RnnMode::Relu:
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) dA[j] = h[j] > T(0) ? dh[j] + dy[j] : T(0);
      break;
    case RnnMode::Lstm:
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T i = A[j], f = A[H + j], g = A[2 * H + j], o = A[3 * H + j], t = tc[j];
        const T dht = dh[j] + dy[j];
        const T dct = dc[j] + dht * o * (T(1) - t * t);
        dA[j] = dct * g * i * (T(1) - i);
        dA[H + j] = dct * c_prev[j] * f * (T(1) - f);
        dA[2 * H + j] = dct * i * (T(1) - g * g);
        dA[3 * H + j] = dht * t * o * (T(1) - o);
        dc[j] = dct * f;
      }
      break;
    case RnnMode::Gru:
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) {
        const T r = A[j], z = A[H + j], n = A[2 * H + j];
        const T dht = dh[j] + dy[j];
        const T dan = dht * (T(1) - z) * (T(1) - n * n);  // d(pre-activation of n)
        const T dar = dan * hn[j] * r * (T(1) - r);
        const T daz = dht * (h_prev[j] - n) * z * (T(1) - z);
        dA[j] = dar, dA[H + j] = daz, dA[2 * H + j] = dan;
        dG[j] = dar, dG[H + j] = daz, dG[2 * H + j] = dan * r;
        dh[j] = dht * z;
      }
      break;
  }
}

template <class T>
inline void add_row(T* __restrict acc, const T* __restrict x, int64_t n) {
#pragma omp simd
  for (int64_t j = 0; j < n; ++j) acc[j] += x[j];
}

template <class T>
void forward_typed(const RnnForwardArgs& a) {
  const int64_t T_ = a.T, B = a.B, H = a.H, GH = rnn_num_gates(a.mode) * H;
  const bool lstm = a.mode == RnnMode::Lstm, gru = a.mode == RnnMode::Gru;
  const StepGemm<T> w_hh_t(static_cast<const T*>(a.w_hh), H, GH, /*trans=*/true);  // h @ W_hh^T
  std::vector<T> zero(static_cast<size_t>(GH), T(0));
  const T* b_hn = a.b_hn ? static_cast<const T*>(a.b_hn) : zero.data();
  T* gates = static_cast<T*>(a.gates);
  T* y = static_cast<T*>(a.y);
  T* c = static_cast<T*>(a.c);
  T* tc = static_cast<T*>(a.tanh_c);
  T* hn = static_cast<T*>(a.hn);
  const T* h0 = static_cast<const T*>(a.h0);
  const T* c0 = static_cast<const T*>(a.c0);
  auto t_of = [&](int64_t s) { return a.reverse ? T_ - 1 - s : s; };
  auto c_slot = [&](int64_t s) { return a.keep_all ? t_of(s) : s % 2; };
  auto one_slot = [&](int64_t s) { return a.keep_all ? t_of(s) : 0; };
  parallel_rows(B, 2.0 * double(T_) * double(GH) * double(H), [&](int64_t b0, int64_t b1) {
    const int64_t nr = b1 - b0;
    auto gh = scratch<T>(gru ? nr * GH : 0);  // GRU: this block's h_{t-1} @ W_hh^T
    for (int64_t s = 0; s < T_; ++s) {
      const int64_t t = t_of(s);
      const T* hp = s > 0 ? y + (t_of(s - 1) * B + b0) * H : (h0 ? h0 + b0 * H : nullptr);
      T* g = gates + (t * B + b0) * GH;  // (nr, G*H)
      if (hp) w_hh_t(nr, hp, H, gru ? gh.get() : g, GH, /*accumulate=*/!gru);
      for (int64_t r = 0; r < nr; ++r) {
        const T* cp = nullptr;
        if (lstm) cp = s > 0 ? c + (c_slot(s - 1) * B + b0 + r) * H : (c0 ? c0 + (b0 + r) * H : zero.data());
        forward_row<T>(a.mode, H, g + r * GH, gru && hp ? gh.get() + r * GH : zero.data(), b_hn,
                       hp ? hp + r * H : zero.data(), cp, y + (t * B + b0 + r) * H,
                       lstm ? c + (c_slot(s) * B + b0 + r) * H : nullptr,
                       lstm ? tc + (one_slot(s) * B + b0 + r) * H : nullptr,
                       gru ? hn + (one_slot(s) * B + b0 + r) * H : nullptr);
      }
    }
    const int64_t last = t_of(T_ - 1);
    std::memcpy(static_cast<T*>(a.h_n) + b0 * H, y + (last * B + b0) * H, sizeof(T) * nr * H);
    if (lstm)
      std::memcpy(static_cast<T*>(a.c_n) + b0 * H, c + (c_slot(T_ - 1) * B + b0) * H, sizeof(T) * nr * H);
  });
}

template <class T>
void backward_typed(const RnnBackwardArgs& a) {
  const int64_t T_ = a.T, B = a.B, H = a.H, GH = rnn_num_gates(a.mode) * H;
  const bool lstm = a.mode == RnnMode::Lstm, gru = a.mode == RnnMode::Gru;
  const StepGemm<T> w_hh(static_cast<const T*>(a.w_hh), GH, H, /*trans=*/false);  // dA_h @ W_hh
  std::vector<T> zero(static_cast<size_t>(H), T(0));
  const T* gates = static_cast<const T*>(a.gates);
  const T* y = static_cast<const T*>(a.y);
  const T* c = static_cast<const T*>(a.c);
  const T* tc = static_cast<const T*>(a.tanh_c);
  const T* hn = static_cast<const T*>(a.hn);
  const T* h0 = static_cast<const T*>(a.h0);
  const T* c0 = static_cast<const T*>(a.c0);
  const T* dy = static_cast<const T*>(a.dy);
  T* dA = static_cast<T*>(a.dgates);
  T* dG = gru ? static_cast<T*>(a.dgh) : dA;  // the gradient that meets W_hh
  T* db_ih = static_cast<T*>(a.db_ih);
  T* db_hh = static_cast<T*>(a.db_hh);
  if (db_ih) std::fill(db_ih, db_ih + GH, T(0));
  if (db_hh) std::fill(db_hh, db_hh + GH, T(0));
  auto t_of = [&](int64_t s) { return a.reverse ? T_ - 1 - s : s; };
  parallel_rows(B, 2.0 * double(T_) * double(GH) * double(H), [&](int64_t b0, int64_t b1) {
    const int64_t nr = b1 - b0;
    // This thread's share of the bias gradients: column sums of dA (and, GRU, of dA_h), added up while hot.
    std::vector<T> sum_ih(db_ih ? GH : 0, T(0)), sum_hh(db_hh ? GH : 0, T(0));
    auto dh = scratch<T>(nr * H);  // dL/dh_t for this block's rows
    auto dc = scratch<T>(lstm ? nr * H : 0);
    for (int64_t r = 0; r < nr; ++r) {
      const T* src = a.dh_n ? static_cast<const T*>(a.dh_n) + (b0 + r) * H : zero.data();
      std::memcpy(dh.get() + r * H, src, sizeof(T) * H);
      if (lstm) {
        const T* csrc = a.dc_n ? static_cast<const T*>(a.dc_n) + (b0 + r) * H : zero.data();
        std::memcpy(dc.get() + r * H, csrc, sizeof(T) * H);
      }
    }
    for (int64_t s = T_ - 1; s >= 0; --s) {
      const int64_t t = t_of(s);
      const T* hp = s > 0 ? y + (t_of(s - 1) * B + b0) * H : (h0 ? h0 + b0 * H : nullptr);
      const T* cp = s > 0 && lstm ? c + (t_of(s - 1) * B + b0) * H : (c0 ? c0 + b0 * H : nullptr);
      for (int64_t r = 0; r < nr; ++r) {
        const int64_t row = t * B + b0 + r;
        backward_row<T>(a.mode, H, gates + row * GH, y + row * H, hp ? hp + r * H : zero.data(),
                        cp ? cp + r * H : zero.data(), lstm ? tc + row * H : nullptr, gru ? hn + row * H : nullptr,
                        dy ? dy + row * H : zero.data(), dh.get() + r * H, lstm ? dc.get() + r * H : nullptr,
                        dA + row * GH, gru ? dG + row * GH : nullptr);
        if (db_ih) add_row(sum_ih.data(), dA + row * GH, GH);
        if (db_hh) add_row(sum_hh.data(), dG + row * GH, GH);
      }
      // dh_{t-1} = dA_h[t] @ W_hh (GRU: added to the direct part z * dh_t left in dh).
      if (s > 0 || a.dh0) w_hh(nr, dG + (t * B + b0) * GH, GH, dh.get(), H, /*accumulate=*/gru);
    }
    for (int64_t r = 0; r < nr; ++r) {
      if (a.dh0) std::memcpy(static_cast<T*>(a.dh0) + (b0 + r) * H, dh.get() + r * H, sizeof(T) * H);
      if (a.dc0) std::memcpy(static_cast<T*>(a.dc0) + (b0 + r) * H, dc.get() + r * H, sizeof(T) * H);
    }
#pragma omp critical(nc_rnn_bias_grad)
    {
      if (db_ih) add_row(db_ih, sum_ih.data(), GH);
      if (db_hh) add_row(db_hh, sum_hh.data(), GH);
    }
  });
}

// dW_hh (Note [RNN step GEMM]).
void weight_grad_cpu(DType dtype, int64_t m, int64_t n, int64_t k, const void* a, const void* b, bool accumulate,
                     void* c) {
  dispatch_float(dtype, "rnn weight gradient", [&](auto tag) {
    using T = decltype(tag);
#if NC_RNN_PACKED_GEMM
    packed_gemm_at<T>(m, n, k, static_cast<const T*>(a), m, static_cast<const T*>(b), n, accumulate,
                      static_cast<T*>(c), n);
#else
    if (k == 0 && !accumulate) std::fill(static_cast<T*>(c), static_cast<T*>(c) + m * n, T(0));
    if (k > 0) gemm_kernel(DeviceType::CPU, dtype, true, false, m, n, k, 1.0, a, m, b, n, accumulate ? 1.0 : 0.0, c, n);
#endif
  });
}
void forward_cpu(const RnnForwardArgs& a) {
  dispatch_float(a.dtype, "rnn", [&](auto tag) { forward_typed<decltype(tag)>(a); });
}
void backward_cpu(const RnnBackwardArgs& a) {
  dispatch_float(a.dtype, "rnn backward", [&](auto tag) { backward_typed<decltype(tag)>(a); });
}

}  // namespace

NC_REGISTER_KERNEL(rnn_weight_grad_kernel, CPU, weight_grad_cpu);
NC_REGISTER_KERNEL(rnn_forward_kernel, CPU, forward_cpu);
NC_REGISTER_KERNEL(rnn_backward_kernel, CPU, backward_cpu);

}  // namespace nc
