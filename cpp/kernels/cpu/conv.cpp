// im2col / col2im for convolution. cols has one row per (c, kh, kw) and one column per
// (image, oh, ow); rows are independent, so threads split rows (im2col) or channels (col2im,
// whose rows of one channel all add into the same plane).
#include <cstring>
#include "core/parallel.h"
#include "ops/conv.h"

namespace nc {
namespace {

template <class T>
void im2col_typed(const T* x, int64_t xbs, int64_t B, const ConvGeometry& g, T* cols) {
  const int64_t P = g.OH * g.OW, ncol = B * P;
  parallel_for(0, g.rows(), std::max<int64_t>(1, 4096 / std::max<int64_t>(ncol, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r / (g.KH * g.KW), kh = (r / g.KW) % g.KH, kw = r % g.KW;
      T* out = cols + r * ncol;
      for (int64_t b = 0; b < B; ++b) {
        const T* plane = x + b * xbs + c * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          T* o = out + b * P + oh * g.OW;
          const int64_t ih = oh * g.SH - g.PT + kh * g.DH;
          if (ih < 0 || ih >= g.H) {
            std::memset(o, 0, sizeof(T) * g.OW);
            continue;
          }
          const T* row = plane + ih * g.W;
          const int64_t off = kw * g.DW - g.PL;  // iw = ow*SW + off
          if (g.SW == 1) {
            // Valid ow range: 0 <= ow + off < W.
            int64_t lo = std::max<int64_t>(0, -off), hi = std::min<int64_t>(g.OW, g.W - off);
            if (hi < lo) hi = lo;
            std::fill(o, o + lo, T(0));
            if (hi > lo) std::memcpy(o + lo, row + lo + off, sizeof(T) * (hi - lo));
            std::fill(o + hi, o + g.OW, T(0));
          } else {
            for (int64_t ow = 0; ow < g.OW; ++ow) {
              int64_t iw = ow * g.SW + off;
              o[ow] = (iw >= 0 && iw < g.W) ? row[iw] : T(0);
            }
          }
        }
      }
    }
  });
}

template <class T>
void col2im_typed(const T* cols, int64_t B, const ConvGeometry& g, T* dx, int64_t dxbs) {
  const int64_t P = g.OH * g.OW, ncol = B * P, KK = g.KH * g.KW;
  parallel_for(0, g.C, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t k = 0; k < KK; ++k) {
        const int64_t kh = k / g.KW, kw = k % g.KW;
        const T* in = cols + (c * KK + k) * ncol;
        for (int64_t b = 0; b < B; ++b) {
          T* plane = dx + b * dxbs + c * g.H * g.W;
          for (int64_t oh = 0; oh < g.OH; ++oh) {
            const int64_t ih = oh * g.SH - g.PT + kh * g.DH;
            if (ih < 0 || ih >= g.H) continue;
            const T* src = in + b * P + oh * g.OW;
            T* row = plane + ih * g.W;
            const int64_t off = kw * g.DW - g.PL;
            if (g.SW == 1) {
              int64_t lo = std::max<int64_t>(0, -off), hi = std::min<int64_t>(g.OW, g.W - off);
              for (int64_t ow = lo; ow < hi; ++ow) row[ow + off] += src[ow];
            } else {
              for (int64_t ow = 0; ow < g.OW; ++ow) {
                int64_t iw = ow * g.SW + off;
                if (iw >= 0 && iw < g.W) row[iw] += src[ow];
              }
            }
          }
        }
      }
  });
}

void im2col_cpu(DType dt, const void* x, int64_t xbs, int64_t B, const ConvGeometry& g, void* cols) {
  dispatch_float(dt, "im2col", [&](auto tag) {
    using T = decltype(tag);
    im2col_typed<T>(static_cast<const T*>(x), xbs, B, g, static_cast<T*>(cols));
  });
}
void col2im_cpu(DType dt, const void* cols, int64_t B, const ConvGeometry& g, void* dx, int64_t dxbs) {
  dispatch_float(dt, "col2im", [&](auto tag) {
    using T = decltype(tag);
    col2im_typed<T>(static_cast<const T*>(cols), B, g, static_cast<T*>(dx), dxbs);
  });
}

}  // namespace

NC_REGISTER_KERNEL(im2col_kernel, CPU, im2col_cpu);
NC_REGISTER_KERNEL(col2im_kernel, CPU, col2im_cpu);

}  // namespace nc
