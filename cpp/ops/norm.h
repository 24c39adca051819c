// Normalization: batch norm, layer norm, group norm and instance norm, with PyTorch's semantics.
// The op layer (ops/norm.cpp) validates and views every input as one of two layouts:
//   channel layout (N, C, S): dim 1 is the channel, S = product of the trailing dims (1 for (N, C));
//   row layout (M, D): layer norm's D = product of normalized_shape, M = everything before it.
// Forward and backward are fused CPU kernels (kernels/cpu/norm.cpp); float32 and float64 share one template.
#pragma once
#include "ops/ops.h"

namespace nc {

// ---- kernel table entries (storage in ops/norm.cpp, CPU implementation in kernels/cpu/norm.cpp)

// Note [Batch-norm statistics]
// xhat = (x - mean) * invstd, invstd = 1 / sqrt(var + eps), y = weight * xhat + bias (weight 1, bias 0 when
// undefined). Training: mean and var are the batch statistics of each channel over its M = N*S values, var
// biased (divided by M); running_mean/running_var (when defined) become (1 - momentum) * running +
// momentum * batch, with the unbiased var (M / (M - 1) * var) for running_var (Ioffe & Szegedy 2015, PyTorch).
// Evaluation: mean = running_mean, var = running_var. Either way the kernel writes the mean and invstd it used
// to save_mean / save_invstd (C), which is all backward needs besides x and weight.
//
// Forward: x, y (N, C, S) contiguous; weight, bias, running_mean, running_var (C) or undefined.
using BatchNormFn = void(const Tensor& y, const Tensor& save_mean, const Tensor& save_invstd, const Tensor& x,
                         const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                         const Tensor& running_var, bool training, double momentum, double eps, int64_t N, int64_t C,
                         int64_t S);
// Backward, overwriting the defined ones of dx (N, C, S), dweight, dbias (C). With batch statistics
// (training) dx = (1/M) * weight * invstd * (M*dy - sum(dy) - xhat * sum(dy*xhat)) (sums per channel);
// with running statistics the mean and invstd are constants: dx = weight * invstd * dy.
// dweight = sum(dy * xhat), dbias = sum(dy).
using BatchNormBackwardFn = void(const Tensor& dx, const Tensor& dweight, const Tensor& dbias, const Tensor& dy,
                                 const Tensor& x, const Tensor& weight, const Tensor& mean, const Tensor& invstd,
                                 bool batch_stats, int64_t N, int64_t C, int64_t S);

// Group norm: x, y (N, C, S) contiguous; the C channels form G groups of C/G neighbours; each (n, g) group of
// K = (C/G)*S values is normalized by its own mean and biased var; weight, bias (C) or undefined apply per
// channel. Writes mean, rstd = 1/sqrt(var + eps) (N, G) and, when defined, the biased var (N, G).
// Instance norm is group norm with G = C; layer norm over (C, *) would be G = 1.
using GroupNormFn = void(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& var,
                         const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t N, int64_t C, int64_t S,
                         int64_t G, double eps);
// Per group, with g = dy * weight: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)); per channel
// dweight = sum over n, s of dy * xhat, dbias = sum of dy. Overwrites the defined ones of dx, dweight, dbias.
using GroupNormBackwardFn = void(const Tensor& dx, const Tensor& dweight, const Tensor& dbias, const Tensor& dy,
                                 const Tensor& x, const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                                 int64_t N, int64_t C, int64_t S, int64_t G);

// Layer norm: x, y (M, D) contiguous; each row normalized by its own mean and biased var;
// weight, bias (D) or undefined apply elementwise. Writes mean, rstd (M). (Ba, Kiros & Hinton 2016.)
using LayerNormFn = void(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                         const Tensor& weight, const Tensor& bias, int64_t M, int64_t D, double eps);
// Per row, g = dy * weight: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)); dweight = sum over rows of
// dy * xhat, dbias = sum of dy. Overwrites the defined ones of dx, dweight, dbias.
using LayerNormBackwardFn = void(const Tensor& dx, const Tensor& dweight, const Tensor& dbias, const Tensor& dy,
                                 const Tensor& x, const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                                 int64_t M, int64_t D);

NC_DECLARE_KERNEL(batch_norm_kernel, BatchNormFn);
NC_DECLARE_KERNEL(batch_norm_backward_kernel, BatchNormBackwardFn);
NC_DECLARE_KERNEL(group_norm_kernel, GroupNormFn);
NC_DECLARE_KERNEL(group_norm_backward_kernel, GroupNormBackwardFn);
NC_DECLARE_KERNEL(layer_norm_kernel, LayerNormFn);
NC_DECLARE_KERNEL(layer_norm_backward_kernel, LayerNormBackwardFn);

// ---- public ops (ops/norm.cpp). Undefined tensors stand for Python's None.

// x (N, C, *) with any number (>= 0) of trailing dims. training: batch statistics, and running_mean /
// running_var (C), when given, are updated in place with `momentum` (the caller passes 1 / num_batches
// for a cumulative average). Not training: normalizes with running_mean / running_var (required).
// See Note [Batch-norm statistics].
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps);
// x (*, normalized_shape); weight, bias of shape normalized_shape or undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps);
// x (N, C, *), C divisible by num_groups; weight, bias (C) or undefined.
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps);
// x (N, C, *): each (n, c) plane normalized by its own statistics (use_input_stats), and running_mean /
// running_var (C), when given, move towards the batch averages of the per-instance mean and unbiased var.
// Without use_input_stats: normalizes every plane with running_mean / running_var (as batch_norm in eval).
Tensor instance_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                     const Tensor& running_var, bool use_input_stats, double momentum, double eps);

}  // namespace nc
