// Dropout: standard (inverted) dropout, channel dropout (Dropout1d / Dropout2d) and alpha dropout for SELU
// networks. One fused kernel draws the keep mask (one bool per element, or one per (N, C) channel) and applies
// it in the same pass; backward reuses the saved 1-byte mask.
//
// Note [Dropout randomness]: each call takes one 53-bit seed from the global generator (random_, so it is
// reproducible under manual_seed and advances the generator), and mask entry r is kept when
// splitmix64(seed, r) >> 11 < keep * 2^53 (splitmix64's r-th output from state seed: Steele, Lea & Flood 2014).
// Entry r depends only on (seed, r), never on the thread count, and the hash vectorises (64-bit lanes).
#pragma once
#include "ops/ops.h"

namespace nc {

// ---- kernel table entries (storage in ops/dropout.cpp, CPU implementation in kernels/cpu/dropout.cpp)

// x, y contiguous with mask.numel() * S values; mask (R) bool, entry r covering values [r*S, (r+1)*S).
// Writes mask (Note [Dropout randomness], keep probability `keep`) and y = mask ? a * x + b : c.
using DropoutFn = void(const Tensor& y, const Tensor& mask, const Tensor& x, int64_t S, double keep, uint64_t seed,
                       double a, double b, double c);
// dx = mask ? a * dy : 0 (same layout); overwrites dx.
using DropoutBackwardFn = void(const Tensor& dx, const Tensor& dy, const Tensor& mask, int64_t S, double a);
NC_DECLARE_KERNEL(dropout_kernel, DropoutFn);
NC_DECLARE_KERNEL(dropout_backward_kernel, DropoutBackwardFn);

// ---- public op (ops/dropout.cpp)

// Keeps each unit (mask_dims < 0: every element; else each index of the first mask_dims dims, e.g. 2 for
// the (N, C) channels of (N, C, L)) with probability 1 - p, 0 <= p < 1.
//   standard: kept units are scaled by 1 / (1 - p), dropped ones are 0, so E[y] = x;
//   alpha (Klambauer et al. 2017, "Self-Normalizing Neural Networks"): dropped units take SELU's negative
//     saturation value alpha' = -lambda * alpha, then y = a * (x or alpha') + b with
//     a = ((1 - p) (1 + p alpha'^2))^(-1/2), b = -a alpha' p, which keeps zero mean and unit variance.
// Not training, or p == 0: returns x itself.
Tensor dropout(const Tensor& x, double p, bool training, bool alpha, int64_t mask_dims, const char* name);

}  // namespace nc
