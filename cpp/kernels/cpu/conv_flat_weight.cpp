// Stride-1 convolution without im2col (Note [Flat conv] in conv_flat.h): weight and bias gradients.
#include "kernels/cpu/conv_flat.h"

namespace nc {
namespace {
using namespace conv_flat;

// ---- weight gradient: dW^T (K, OC) += B (K, Q) @ dY^T (Q, OC), tiles of MR rows of K x NVB channel vectors ----

template <class T, int MR, int NVB>
void weight_grad_typed(const T* x, int64_t xbs, const T* dy, int64_t dybs, int64_t N, int64_t G, const ConvGeometry& g,
                       int64_t OC, T* dw, T* db) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W, NC = NVB * W;
  const int64_t K = g.rows(), P = g.OH * g.OW, ocb = (OC + NC - 1) / NC, OCp = ocb * NC, kb = (K + MR - 1) / MR;
  const int64_t CHW = g.C * g.H * g.W;
  const double flops = 2.0 * double(N * G) * double(OC) * double(P) * double(K);
  const bool big = flops >= 2 * kMinFlopsPerThread;  // worth more than one thread
  const Layout L = make_layout(g, N * G, 0, OCp, big, sizeof(T), LayoutChoice::Padded);
  // Each group's N*bands tasks go to a few chunks; chunk c of group gi sums tasks [c*tasks/chunks,
  // (c+1)*tasks/chunks) into (K, OCp) weight sums, then OCp bias sums.
  const int64_t tasks = N * L.bands, chunks = std::min(tasks, kGradChunks), csize = K * OCp + OCp;
  T* sums = zeroed_scratch<T>(kSumsSlot, G * chunks * csize);
  struct Bufs {
    T *buf, *dyt;
  };
  run_tasks(
      G * chunks, threads_for(flops, G * chunks),
      // dY^T's lanes past OC must be 0; the others are overwritten by every band.
      [&] { return Bufs{scratch<T>(kBandSlot, L.size), zeroed_scratch<T>(kDytSlot, L.r * g.OW * OCp)}; },
      [&](int64_t u, Bufs& s) {
        const int64_t gi = u / chunks, c = u % chunks;
        T* dwt = sums + u * csize;
        T* dbt = dwt + K * OCp;
        for (int64_t t = c * tasks / chunks; t < (c + 1) * tasks / chunks; ++t) {
          const int64_t n = t / L.bands, oh0 = (t % L.bands) * L.r, rc = std::min(L.r, g.OH - oh0);
          const int64_t start = n * xbs + gi * CHW;
          const int64_t* off;
          const T* bsrc = band_source(s.buf, L, g, x + start, N * xbs - start - CHW, oh0, rc, off);
          // dY^T of the band: (rc*OW, OCp), channel o of position i*OW + ow; lanes past OC stay 0.
          const T* dyb = dy + n * dybs + gi * OC * P + oh0 * g.OW;
          const int64_t nq = rc * g.OW;
          transpose(s.dyt, OCp, dyb, P, OC, nq);
          for (int64_t o = 0; o < OC; ++o) dbt[o] += sum_values(dyb + o * P, nq);
          // Each tile's sums are loaded once per band and run over all its positions: with the sums of many
          // channels (256 x 2304 taps: 2.4 MB) shorter runs spent their time moving sums (108 -> 143 GFLOP/s).
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
              for (int64_t i = 0; i < rc; ++i) {
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
      });
  // dw (OC, K) += the chunks' sums in chunk order, a vector of W channels at a time (reading the sums along
  // their rows; dw's W rows are written in step); db likewise.
  const int64_t vecs = ocb * NVB;
  parallel_for(0, G * vecs, std::max<int64_t>(1, 65536 / std::max<int64_t>(K * W, 1)), [&](int64_t v0, int64_t v1) {
    for (int64_t gv = v0; gv < v1; ++gv) {
      const int64_t gi = gv / vecs, v = gv % vecs;
      const T* sg = sums + gi * chunks * csize;
      T* dwg = dw + gi * OC * K;
      for (int64_t k = 0; k < K; ++k) {
        V s{};
        for (int64_t c = 0; c < chunks; ++c) {
          V t;
          std::memcpy(&t, sg + c * csize + k * OCp + v * W, sizeof(V));
          s += t;
        }
        for (int l = 0; l < W && v * W + l < OC; ++l) dwg[(v * W + l) * K + k] += s[l];
      }
    }
  });
  if (db)
    for (int64_t gi = 0; gi < G; ++gi)
      for (int64_t o = 0; o < OC; ++o) {
        T s = T(0);
        for (int64_t c = 0; c < chunks; ++c) s += sums[(gi * chunks + c) * csize + K * OCp + o];
        db[gi * OC + o] += s;
      }
}

// ---- weight gradient for few output channels (lanes of channels would stay mostly empty): positions in lanes.
// The band is copied per kernel column (pitch OW), so its positions run contiguously like dy's; a tile of MO
// channels x MK rows of K keeps one vector of partial sums per pair, added lane-wise to the chunk's sums
// (OCp, Kp, W) and reduced across lanes at the end. The last npos % W positions of a band go one by one.

template <class T, int MO, int MK>
void weight_grad_small_typed(const T* x, int64_t xbs, const T* dy, int64_t dybs, int64_t N, int64_t G,
                             const ConvGeometry& g, int64_t OC, T* dw, T* db) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W;
  const int64_t K = g.rows(), P = g.OH * g.OW, ob = (OC + MO - 1) / MO, kb = (K + MK - 1) / MK;
  const int64_t OCp = ob * MO, Kp = kb * MK;
  const double flops = 2.0 * double(N * G) * double(OC) * double(P) * double(K);
  const bool big = flops >= 2 * kMinFlopsPerThread;  // worth more than one thread
  const Layout L = make_layout(g, N * G, 0, OCp, big, sizeof(T), LayoutChoice::Shifted);
  // Chunks of each group's tasks, as in weight_grad_typed.
  const int64_t tasks = N * L.bands, chunks = std::min(tasks, kGradChunks), csize = OCp * Kp * W + OCp;
  T* sums = zeroed_scratch<T>(kSumsSlot, G * chunks * csize);
  run_tasks(G * chunks, threads_for(flops, G * chunks), [&] { return scratch<T>(kBandSlot, L.size); },
            [&](int64_t u, T* buf) {
              const int64_t gi = u / chunks, c = u % chunks;
              T* part = sums + u * csize;  // (OCp, Kp, W)
              T* dbt = part + OCp * Kp * W;
              for (int64_t t = c * tasks / chunks; t < (c + 1) * tasks / chunks; ++t) {
                const int64_t n = t / L.bands, oh0 = (t % L.bands) * L.r, rc = std::min(L.r, g.OH - oh0);
                fill_band(buf, L, g, x + n * xbs + gi * g.C * g.H * g.W, oh0, rc);
                const T* dyb = dy + n * dybs + gi * OC * P + oh0 * g.OW;
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
  for (int64_t gi = 0; gi < G; ++gi)
    for (int64_t o = 0; o < OC; ++o) {
      const T* sg = sums + gi * chunks * csize;
      for (int64_t k = 0; k < K; ++k) {
        T s = T(0);
        for (int64_t c = 0; c < chunks; ++c) {
          const T* pp = sg + c * csize + (o * Kp + k) * W;
          for (int l = 0; l < W; ++l) s += pp[l];
        }
        dw[(gi * OC + o) * K + k] += s;
      }
      if (db) {
        T s = T(0);
        for (int64_t c = 0; c < chunks; ++c) s += sg[c * csize + OCp * Kp * W + o];
        db[gi * OC + o] += s;
      }
    }
}

void conv_s1_weight_grad_cpu(DType dt, const void* x, int64_t xbs, const void* dy, int64_t dybs, int64_t N,
                             int64_t G, const ConvGeometry& g, int64_t OC, void* dw, void* db) {
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
      // Tiles of MO x MK whose sums and loaded rows all fit the 32 vector registers: with 6 x 4 the six dy rows
      // did not, and reloading them for every product ran LeNet's conv1 dW at 231 us against 146 us for 6 x 3.
      if (OC >= 5) return weight_grad_small_typed<T, 6, 3>(X, xbs, D, dybs, N, G, g, OC, DW, DB);
      if (OC == 4) return weight_grad_small_typed<T, 4, 5>(X, xbs, D, dybs, N, G, g, OC, DW, DB);
      if (OC == 3) return weight_grad_small_typed<T, 3, 7>(X, xbs, D, dybs, N, G, g, OC, DW, DB);
      if (OC == 2) return weight_grad_small_typed<T, 2, 8>(X, xbs, D, dybs, N, G, g, OC, DW, DB);
      return weight_grad_small_typed<T, 1, 12>(X, xbs, D, dybs, N, G, g, OC, DW, DB);
    }
    // One channel vector: 8 rows of K (24 rows would use all the accumulators, but their 24 source pointers do
    // not fit the general registers, and reloading them cost more: LeNet's conv2 dW 221 -> 177 us).
    if (vecs <= 1) return weight_grad_typed<T, 8, 1>(X, xbs, D, dybs, N, G, g, OC, DW, DB);
    if (vecs == 2) return weight_grad_typed<T, 12, 2>(X, xbs, D, dybs, N, G, g, OC, DW, DB);
    if (vecs == 3) return weight_grad_typed<T, 8, 3>(X, xbs, D, dybs, N, G, g, OC, DW, DB);
    return weight_grad_typed<T, 6, 4>(X, xbs, D, dybs, N, G, g, OC, DW, DB);
  });
}

}  // namespace

NC_REGISTER_KERNEL(conv_s1_weight_grad_kernel, CPU, conv_s1_weight_grad_cpu);

}  // namespace nc
