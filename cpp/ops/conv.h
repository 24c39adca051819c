// Convolution (cross-correlation, like PyTorch) as im2col + GEMM. conv1d is conv2d with H = 1.
// Shapes: x (N, C, H, W), w (OC, C/groups, KH, KW), b (OC), y (N, OC, OH, OW).
#pragma once
#include <array>
#include "ops/ops.h"

namespace nc {

// One group's geometry: C is the channels per group; PT/PL are the top/left padding (the
// bottom/right padding only enters OH/OW, so "same" padding may be asymmetric like PyTorch's).
struct ConvGeometry {
  int64_t C, H, W, KH, KW, SH, SW, PT, PL, DH, DW, OH, OW;
  int64_t rows() const { return C * KH * KW; }  // K of the GEMM
  int64_t cols() const { return OH * OW; }      // positions per image
};

// cols (C*KH*KW, B*OH*OW) from B images; image b's C channels start at x + b*x_batch_stride
// (elements). Padded cells are zero.
using Im2colFn = void(DType dtype, const void* x, int64_t x_batch_stride, int64_t B, const ConvGeometry& g,
                      void* cols);
// dx (image b at dx + b*dx_batch_stride) += col2im(cols); the adjoint of im2col.
using Col2imFn = void(DType dtype, const void* cols, int64_t B, const ConvGeometry& g, void* dx,
                      int64_t dx_batch_stride);

NC_DECLARE_KERNEL(im2col_kernel, Im2colFn);
NC_DECLARE_KERNEL(col2im_kernel, Col2imFn);

// Stride-1 convolution without im2col (Note [Flat conv] in kernels/cpu/conv_flat.h); g.SH = g.SW = 1. G groups:
// g.C is the input channels and OC the output channels of one group; image b's group gi reads x channels
// [gi*C, (gi+1)*C) (planes of H x W from x + b*x_batch_stride), writes y channels [gi*OC, (gi+1)*OC) and uses weight
// rows [gi*OC, (gi+1)*OC). The batch strides cover all groups, and the tensors are contiguous.
// y = conv(x, w) + bias; w is (G*OC, C, KH, KW), or with flip (G*C, OC, KH, KW) read transposed and rotated 180
// degrees (the input gradient's gather form); bias (G*OC) may be null. Every element of y is written.
using ConvS1ForwardFn = void(DType dtype, const void* x, int64_t x_batch_stride, int64_t B, int64_t G,
                             const ConvGeometry& g, const void* w, int64_t OC, bool flip, const void* bias, void* y,
                             int64_t y_batch_stride);
// dx (G*C planes of H x W per image) = the input gradient of that forward for dy (G*OC planes of OH x OW); g is the
// forward's geometry, w (G*OC, C, KH, KW). Every element of dx is written.
using ConvS1InputGradFn = void(DType dtype, const void* dy, int64_t dy_batch_stride, int64_t B, int64_t G,
                               const ConvGeometry& g, const void* w, int64_t OC, void* dx, int64_t dx_batch_stride);
// dw (G*OC, C*KH*KW) += sum over images and positions of dy (x) x-windows; db (G*OC) += sum of dy (db may be null).
// The sums' order depends on the shapes only, not on the thread count.
using ConvS1WeightGradFn = void(DType dtype, const void* x, int64_t x_batch_stride, const void* dy,
                                int64_t dy_batch_stride, int64_t B, int64_t G, const ConvGeometry& g, int64_t OC,
                                void* dw, void* db);
NC_DECLARE_KERNEL(conv_s1_forward_kernel, ConvS1ForwardFn);
NC_DECLARE_KERNEL(conv_s1_input_grad_kernel, ConvS1InputGradFn);
NC_DECLARE_KERNEL(conv_s1_weight_grad_kernel, ConvS1WeightGradFn);

struct ConvOptions {
  std::array<int64_t, 2> stride{1, 1}, dilation{1, 1};
  std::array<int64_t, 4> padding{0, 0, 0, 0};  // top, left, bottom, right
  int64_t groups = 1;
};

// x (N, C, H, W) or (C, H, W); b may be undefined.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvOptions& o);
// Output size along one dim: floor((n + pad_total - d*(k-1) - 1) / s) + 1.
int64_t conv_out_size(int64_t n, int64_t k, int64_t s, int64_t pad_total, int64_t d);

}  // namespace nc
