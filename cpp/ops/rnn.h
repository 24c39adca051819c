// Recurrent layers (Elman RNN with tanh or relu, LSTM, GRU) with PyTorch's equations, gate order and
// weight layout, and the embedding lookup that usually feeds them.
// Shapes: x (T, B, F) time-major, h and c (B, H), w_ih (G*H, F), w_hh (G*H, H), b_ih and b_hh (G*H),
// y (T, B, H); G is the number of gates: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
//
// Note [RNN layer algorithm]: one autograd node runs a whole layer in one direction:
//   forward:  1. the input projection of all steps, one BLAS GEMM: A = X (T*B, F) @ W_ih^T + b_ih + b_hh (GRU:
//                without b_hn, which r multiplies), into the gates buffer;
//             2. the recurrence, one kernel call (one parallel region: batch rows are independent through the
//                whole recurrence, so threads take blocks of rows and run every step on them with no
//                synchronisation between steps). Per step: one GEMM adds h_{t-1} @ W_hh^T to A[t] (GRU: into a
//                scratch row, Note [RNN step GEMM] in kernels/cpu/rnn.cpp), then one fused pass applies the gate
//                non-linearities and the cell update, overwrites A[t] with the gate activations and writes h_t
//                (and c_t, tanh(c_t); GRU also W_hn h_{t-1} + b_hn). All of it is kept for backward: nothing is
//                recomputed.
//   backward: 1. the recurrence, one kernel call, steps last to first: one fused pass turns dh_t (from step
//                t+1 plus dy_t) and dc_t into the pre-activation gradients dA[t] and dc_{t-1} and adds dA[t] to
//                the bias gradients; one GEMM gives dh_{t-1} = dA_h[t] @ W_hh. GRU: dA_h, the gradient of
//                W_h* h + b_h*, differs from dA in its n part;
//             2. one GEMM each over all steps: dX = dA @ W_ih and dW_ih = dA^T @ X through BLAS, and dW_hh =
//                dA_h^T @ [h_{t-1}]_t through rnn_weight_grad_kernel (the h_{t-1} of every step are the outputs
//                shifted by one step, so this is one GEMM plus one for the h0 rows).
//   reverse=true runs t = T-1 .. 0 (the backward direction of a bidirectional layer).
#pragma once
#include "ops/ops.h"

namespace nc {

enum class RnnMode : uint8_t { Tanh, Relu, Lstm, Gru };
inline int64_t rnn_num_gates(RnnMode m) { return m == RnnMode::Lstm ? 4 : m == RnnMode::Gru ? 3 : 1; }
const char* rnn_mode_name(RnnMode m);

// ---- kernel table entries (storage in ops/rnn.cpp, CPU implementation in kernels/cpu/rnn.cpp)
// All buffers are contiguous; "or null" means zeros when null. Step s runs time t = s (or T-1-s if reverse).

// The forward recurrence over all T steps, after the input projection.
struct RnnForwardArgs {
  RnnMode mode;
  DType dtype;
  int64_t T, B, H;
  bool reverse;
  bool keep_all;        // keep c, tanh(c), W_hn h + b_hn of every step (for backward); else only what the
                        // recurrence needs: c holds 2 steps (slot s % 2), tanh_c and hn 1
  const void* w_hh;     // (G*H, H)
  const void* b_hn;     // GRU (H) or null: the recurrent bias of the n gate (b_hh[2H:3H])
  void* gates;          // (T, B, G*H) in: X @ W_ih^T + b_ih + b_hh (GRU without b_hn); out: the gate activations
  const void* h0;       // (B, H) or null
  const void* c0;       // LSTM (B, H) or null
  void* y;              // (T, B, H) out: h_t
  void* h_n;            // (B, H) out: the last step's h
  void* c;              // LSTM (T or 2, B, H) out: c_t
  void* tanh_c;         // LSTM (T or 1, B, H) out: tanh(c_t)
  void* c_n;            // LSTM (B, H) out: the last step's c
  void* hn;             // GRU (T or 1, B, H) out: W_hn h_{t-1} + b_hn
};
// The backward recurrence over all T steps (Note [RNN layer algorithm]); the saved tensors as the forward
// with keep_all wrote them.
struct RnnBackwardArgs {
  RnnMode mode;
  DType dtype;
  int64_t T, B, H;
  bool reverse;
  const void* gates;    // (T, B, G*H)
  const void* w_hh;     // (G*H, H)
  const void* h0;       // (B, H) or null
  const void* c0;       // LSTM (B, H) or null
  const void* y;        // (T, B, H)
  const void* c;        // LSTM (T, B, H)
  const void* tanh_c;   // LSTM (T, B, H)
  const void* hn;       // GRU (T, B, H)
  const void* dy;       // (T, B, H) or null: gradient w.r.t. the output sequence
  const void* dh_n;     // (B, H) or null
  const void* dc_n;     // LSTM (B, H) or null
  void* dgates;         // (T, B, G*H) out: gradient w.r.t. the gate pre-activations (GRU: the input side)
  void* dgh;            // GRU (T, B, 3H) out: gradient w.r.t. W_h* h_{t-1} + b_h*
  void* dh0;            // (B, H) out, or null when not needed
  void* dc0;            // LSTM (B, H) out, or null when not needed
  void* db_ih;          // (G*H) out, or null: column sums of dgates over all steps and rows
  void* db_hh;          // GRU (G*H) out, or null: column sums of dgh (other modes: db_hh = db_ih)
};
// C (m, n) (= or +=) A^T @ B for A (k, m), B (k, n), contiguous: dW_hh (a private GEMM on AVX-512 builds,
// else BLAS: Note [RNN step GEMM] in kernels/cpu/rnn.cpp).
using RnnWeightGradFn = void(DType dtype, int64_t m, int64_t n, int64_t k, const void* a, const void* b,
                             bool accumulate, void* c);
using RnnForwardFn = void(const RnnForwardArgs& a);
using RnnBackwardFn = void(const RnnBackwardArgs& a);
NC_DECLARE_KERNEL(rnn_weight_grad_kernel, RnnWeightGradFn);
NC_DECLARE_KERNEL(rnn_forward_kernel, RnnForwardFn);
NC_DECLARE_KERNEL(rnn_backward_kernel, RnnBackwardFn);

// ---- public ops (ops/rnn.cpp)

// One layer in one direction over a whole sequence (Note [RNN layer algorithm]). x (T, B, F) with T >= 1;
// h0, c0 (B, H) or undefined (zeros; c0 is LSTM only); b_ih, b_hh both defined or both undefined.
// Returns {y (T, B, H), h_n (B, H)} plus c_n (B, H) for LSTM; differentiable in every input.
TensorList rnn_layer(RnnMode mode, const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                     const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh, bool reverse);

// weight (N, D) rows gathered by ids (int64, any shape) -> (*ids.shape, D). Ids must lie in [0, N)
// (IndexError otherwise). The gradient is scattered back (summed over repeats) into the rows used,
// except row padding_idx (if >= 0), which gets none: PyTorch's nn.Embedding.
Tensor embedding(const Tensor& weight, const Tensor& ids, int64_t padding_idx);

}  // namespace nc
