// Stride-1 convolution without im2col (Note [Flat conv] in conv_flat.h): forward and input gradient.
#include "kernels/cpu/conv_flat.h"

namespace nc {
namespace {
using namespace conv_flat;

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
void pack_weight(T* ap, const T* w, const ConvGeometry& g, int64_t OC, bool flip, int MR) {
  const int64_t K = g.rows(), KK = g.KH * g.KW, nb = (OC + MR - 1) / MR;
  for (int64_t ob = 0; ob < nb; ++ob)
    for (int64_t k = 0; k < K; ++k)
      for (int i = 0; i < MR; ++i) {
        const int64_t o = ob * MR + i, c = k / KK, r = k % KK;
        T v = T(0);
        if (o < OC) v = flip ? w[(c * OC + o) * KK + (KK - 1 - r)] : w[o * K + k];
        ap[(ob * K + k) * MR + i] = v;
      }
}

// Groups: image n's group gi reads x channels [gi*C, (gi+1)*C) and writes y channels [gi*OC, (gi+1)*OC) with
// weight rows [gi*OC, (gi+1)*OC); every (image, group, band) is one task, so many small groups (depthwise) share
// the threads like the images do.
template <class T, int MR, int NV>
void forward_typed(const T* x, int64_t xbs, int64_t N, int64_t G, const ConvGeometry& g, const T* w, int64_t OC,
                   bool flip, const T* bias, T* y, int64_t ybs) {
  using Tile = ForwardTile<T, MR, NV>;
  constexpr int64_t NR = Tile::NR;
  const int64_t K = g.rows(), nb = (OC + MR - 1) / MR, P = g.OH * g.OW, CHW = g.C * g.H * g.W;
  const double flops = 2.0 * double(N * G) * double(OC) * double(P) * double(K);
  const bool big = flops >= 2 * kMinFlopsPerThread;  // worth more than one thread
  const Layout L = make_layout(g, N * G, NR, nb * MR, big, sizeof(T), LayoutChoice::Cheaper);
  T* ap = scratch<T>(kPackSlot, G * nb * K * MR);
  T* bpack = zeroed_scratch<T>(kBiasSlot, G * nb * MR);
  for (int64_t gi = 0; gi < G; ++gi) {
    pack_weight(ap + gi * nb * K * MR, w + gi * OC * K, g, OC, flip, MR);
    if (bias) std::copy(bias + gi * OC, bias + (gi + 1) * OC, bpack + gi * nb * MR);
  }
  const int64_t tasks = N * G * L.bands;
  run_tasks(tasks, threads_for(flops, tasks), [&] { return scratch<T>(kBandSlot, L.size); },
            [&](int64_t t, T* buf) {
              const int64_t n = t / (G * L.bands), gi = t / L.bands % G, oh0 = (t % L.bands) * L.r;
              const int64_t rc = std::min(L.r, g.OH - oh0), start = n * xbs + gi * CHW;
              const int64_t* off;
              const T* src = band_source(buf, L, g, x + start, N * xbs - start - CHW, oh0, rc, off);
              const int64_t npos = rc * L.pitch;
              const T* apg = ap + gi * nb * K * MR;
              const T* bg = bpack + gi * nb * MR;
              T* yg = y + n * ybs + gi * OC * P + oh0 * g.OW;
              for (int64_t ob = 0; ob < nb; ++ob) {
                const int m = static_cast<int>(std::min<int64_t>(MR, OC - ob * MR));
                T* yo[MR];
                for (int i = 0; i < MR; ++i) yo[i] = yg + (ob * MR + std::min(i, m - 1)) * P;
                for (int64_t q0 = 0; q0 < npos; q0 += NR) {
                  Tile tile;
                  tile.run(K, off, src + q0, apg + ob * K * MR, bg + ob * MR);
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
void input_grad_scatter_typed(const T* dy, int64_t dybs, int64_t N, int64_t G, const ConvGeometry& g, const T* w,
                              int64_t OC, T* dx, int64_t dxbs) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::W;
  constexpr int64_t NR = NV * W;
  const int64_t C = g.C, KK = g.KH * g.KW, R = C * KK, rb_n = (R + MR - 1) / MR;
  const int64_t Wp = g.OW + (g.KW - 1) * g.DW, Q = g.OH * Wp, Qr = (Q + NR - 1) / NR * NR;
  const int64_t plane = Qr + (g.KH - 1) * g.DH * Wp + (g.KW - 1) * g.DW;  // a tile's writes stay in its plane
  // Packed weight of group gi: block rb, output channel o: MR values, row r = rb*MR + i = (tap, c) = (r / C, r % C).
  const int64_t gsize = rb_n * OC * MR;
  T* ap = scratch<T>(kPackSlot, G * gsize);
  std::vector<int64_t> roff(rb_n * MR);
  for (int64_t r = 0; r < rb_n * MR; ++r) {
    const int64_t rr = std::min(r, R - 1), tap = rr / C, c = rr % C, kh = tap / g.KW, kw = tap % g.KW;
    roff[r] = c * plane + kh * g.DH * Wp + kw * g.DW;
    for (int64_t gi = 0; gi < G; ++gi)
      for (int64_t o = 0; o < OC; ++o)
        ap[gi * gsize + ((r / MR) * OC + o) * MR + r % MR] = r < R ? w[((gi * OC + o) * C + c) * KK + tap] : T(0);
  }
  const double flops = 2.0 * double(N * G) * double(OC) * double(Q) * double(R);
  struct Bufs {
    T *dyf, *dxb;
  };
  run_tasks(
      N * G, threads_for(flops, N * G),
      // dyf's zeros (columns past OW, positions past Q) are written once; its other cells by every image.
      [&] { return Bufs{zeroed_scratch<T>(kDytSlot, OC * Qr), scratch<T>(kBandSlot, C * plane)}; },
      [&](int64_t t, Bufs& s) {
        const int64_t n = t / G, gi = t % G;
        const T* dyg = dy + n * dybs + gi * OC * g.OH * g.OW;
        T* dxg = dx + n * dxbs + gi * C * g.H * g.W;
        for (int64_t o = 0; o < OC; ++o)
          for (int64_t oh = 0; oh < g.OH; ++oh)
            std::memcpy(s.dyf + o * Qr + oh * Wp, dyg + (o * g.OH + oh) * g.OW, sizeof(T) * g.OW);
        std::fill(s.dxb, s.dxb + C * plane, T(0));
        for (int64_t rb = 0; rb < rb_n; ++rb) {
          const T* a = ap + gi * gsize + rb * OC * MR;
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
            std::memcpy(dxg + (c * g.H + h) * g.W, s.dxb + c * plane + (h + g.PT) * Wp + g.PL,
                        sizeof(T) * g.W);
      });
}

// ---- dispatch: tile shapes by channel count (fewest padded rows, then the larger tile) ----

// One output channel (depthwise convolutions) gets 1-row tiles of 8 vectors: loads bound them, but a taller tile
// would compute zeros.
int pick_rows(int64_t OC) {
  int best = 8;
  int64_t best_rows = (OC + 7) / 8 * 8;
  for (int mr : {12, 6, 4, 1}) {
    int64_t rows = (OC + mr - 1) / mr * mr;
    if (rows < best_rows || (rows == best_rows && mr > best)) best = mr, best_rows = rows;
  }
  return best;
}

void conv_s1_forward_cpu(DType dt, const void* x, int64_t xbs, int64_t N, int64_t G, const ConvGeometry& g,
                         const void* w, int64_t OC, bool flip, const void* bias, void* y, int64_t ybs) {
  dispatch_float(dt, "conv2d", [&](auto tag) {
    using T = decltype(tag);
    auto X = static_cast<const T*>(x);
    auto Wt = static_cast<const T*>(w);
    auto B = static_cast<const T*>(bias);
    auto Y = static_cast<T*>(y);
    switch (pick_rows(OC)) {
      case 12: return forward_typed<T, 12, 2>(X, xbs, N, G, g, Wt, OC, flip, B, Y, ybs);
      case 6: return forward_typed<T, 6, 4>(X, xbs, N, G, g, Wt, OC, flip, B, Y, ybs);
      case 4: return forward_typed<T, 4, 6>(X, xbs, N, G, g, Wt, OC, flip, B, Y, ybs);
      case 1: return forward_typed<T, 1, 8>(X, xbs, N, G, g, Wt, OC, flip, B, Y, ybs);
      default: return forward_typed<T, 8, 3>(X, xbs, N, G, g, Wt, OC, flip, B, Y, ybs);
    }
  });
}

// Input gradient: the gather form (a forward on dy with the flipped weight) or the scatter form, whichever does
// fewer multiply-adds, counting the tiles' rounding and the scatter's read-modify-writes (~2 each).
void conv_s1_input_grad_cpu(DType dt, const void* dy, int64_t dybs, int64_t N, int64_t G, const ConvGeometry& g,
                            const void* w, int64_t OC, void* dx, int64_t dxbs) {
  ConvGeometry gt = g;  // dy's geometry: OC channels of OH x OW in, C planes of H x W out
  gt.C = OC, gt.H = g.OH, gt.W = g.OW, gt.OH = g.H, gt.OW = g.W;
  gt.PT = (g.KH - 1) * g.DH - g.PT, gt.PL = (g.KW - 1) * g.DW - g.PL;
  const int W = kVecBytes / int(itemsize(dt));
  auto up = [](int64_t a, int64_t b) { return (a + b - 1) / b * b; };
  const int64_t KK = g.KH * g.KW, R = g.C * KK, Wp = g.OW + (g.KW - 1) * g.DW, Q = g.OH * Wp;
  const int mg = pick_rows(g.C);
  const double gather = double(up(g.H * (g.W + (g.KW - 1) * g.DW), W * (mg == 1 ? 8 : 24 / mg))) * double(OC * KK) *
                        double(up(g.C, mg));
  auto scatter = [&](int mr, int nv) {
    return double(up(Q, W * nv)) * double(up(R, mr)) * double(OC + 2);
  };
  const double s6 = scatter(6, 4), s8 = scatter(8, 3);
  if (std::min(s6, s8) >= gather) return conv_s1_forward_cpu(dt, dy, dybs, N, G, gt, w, g.C, true, nullptr, dx, dxbs);
  dispatch_float(dt, "conv2d", [&](auto tag) {
    using T = decltype(tag);
    auto D = static_cast<const T*>(dy);
    auto Wt = static_cast<const T*>(w);
    auto X = static_cast<T*>(dx);
    if (s6 <= s8) return input_grad_scatter_typed<T, 6, 4>(D, dybs, N, G, g, Wt, OC, X, dxbs);
    return input_grad_scatter_typed<T, 8, 3>(D, dybs, N, G, g, Wt, OC, X, dxbs);
  });
}

}  // namespace

NC_REGISTER_KERNEL(conv_s1_forward_kernel, CPU, conv_s1_forward_cpu);
NC_REGISTER_KERNEL(conv_s1_input_grad_kernel, CPU, conv_s1_input_grad_cpu);

}  // namespace nc
