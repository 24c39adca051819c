// Recurrent layers: validation, buffers, the autograd node, and the layer's GEMMs over all steps around the
// recurrence kernels (Note [RNN layer algorithm] in ops/rnn.h); and the embedding lookup.
#include "ops/rnn.h"

namespace nc {

NC_DEFINE_KERNEL(rnn_weight_grad_kernel, RnnWeightGradFn);
NC_DEFINE_KERNEL(rnn_forward_kernel, RnnForwardFn);
NC_DEFINE_KERNEL(rnn_backward_kernel, RnnBackwardFn);

const char* rnn_mode_name(RnnMode m) {
  switch (m) {
    case RnnMode::Tanh: return "RNN_TANH";
    case RnnMode::Relu: return "RNN_RELU";
    case RnnMode::Lstm: return "LSTM";
    case RnnMode::Gru: return "GRU";
  }
  return "?";
}

namespace {

// Pointer to row block `r` (of `width` elements per row, `rows` rows per block) of a contiguous buffer.
inline char* block(const Tensor& t, int64_t r, int64_t rows, int64_t width) {
  return static_cast<char*>(t.raw_data()) + r * rows * width * static_cast<int64_t>(itemsize(t.dtype()));
}
inline void* ptr_or_null(const Tensor& t) { return t.defined() ? t.raw_data() : nullptr; }

// C (m, n) = op(A) (m, k) @ op(B) (k, n) + beta * C through the BLAS wrapper, row-major, contiguous operands.
void gemm(const Tensor& c, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, const void* b,
          double beta) {
  if (k == 0) {  // nothing to add; BLAS would leave C alone
    if (beta == 0.0) fill_(c, 0);
    return;
  }
  gemm_kernel(c.device(), c.dtype(), ta, tb, m, n, k, 1.0, a, ta ? m : k, b, tb ? k : n, beta, c.raw_data(), n);
}

// gates (T, B, G*H) = X (T*B, F) @ W_ih^T + b_ih + b_hh, the input projection of every step in one GEMM. GRU:
// b_hh's n part stays out (r multiplies it, inside the recurrence).
void input_projection(const Tensor& gates, const Tensor& x, const Tensor& w_ih, const Tensor& b_ih,
                      const Tensor& b_hh, bool gru) {
  const int64_t TB = x.shape()[0] * x.shape()[1], F = x.shape()[2], GH = w_ih.shape()[0];
  double beta = 0.0;
  if (b_ih.defined()) {
    Tensor bias = contiguous_copy(b_ih);
    const int64_t n = gru ? 2 * GH / 3 : GH;  // GRU: the r and z parts
    add_(slice(bias, 0, 0, n, 1), slice(b_hh, 0, 0, n, 1));
    copy_(view(gates, {TB, GH}), bias);
    beta = 1.0;
  }
  gemm(gates, false, true, TB, GH, F, x.raw_data(), w_ih.raw_data(), beta);
}

struct RnnLayerBackward : Node {
  RnnMode mode;
  bool reverse;
  Tensor x, h0, c0, w_ih, w_hh, y, gates, c, tanh_c, hn;  // Note [RNN layer algorithm]: all saved
  bool has_bias = false;
  TensorList apply(TensorList&& gs) override;
  void release() override { x = h0 = c0 = w_ih = w_hh = y = gates = c = tanh_c = hn = Tensor(); }
  std::string name() const override { return std::string(rnn_mode_name(mode)) + "Backward"; }
};

TensorList RnnLayerBackward::apply(TensorList&& gs) {
  const int64_t T = x.shape()[0], B = x.shape()[1], F = x.shape()[2], H = w_hh.shape()[1];
  const int64_t G = rnn_num_gates(mode), GH = G * H;
  const DType dt = x.dtype();
  const DeviceType dev = x.device();
  const bool lstm = mode == RnnMode::Lstm, gru = mode == RnnMode::Gru;
  Tensor dy = gs[0].defined() ? contiguous(gs[0]) : Tensor();
  Tensor dh_n = gs.size() > 1 && gs[1].defined() ? contiguous(gs[1]) : Tensor();
  Tensor dc_n = lstm && gs.size() > 2 && gs[2].defined() ? contiguous(gs[2]) : Tensor();
  Tensor dA = Tensor::empty({T, B, GH}, dt, dev);
  Tensor dAh = gru ? Tensor::empty({T, B, GH}, dt, dev) : dA;  // the gradient that meets W_hh
  const bool need_dh0 = needs_grad(1) && h0.defined();
  const bool need_dc0 = lstm && needs_grad(2) && c0.defined();
  Tensor dh0 = need_dh0 ? Tensor::empty({B, H}, dt, dev) : Tensor();
  Tensor dc0 = need_dc0 ? Tensor::empty({B, H}, dt, dev) : Tensor();
  RnnBackwardArgs a{};
  a.mode = mode, a.dtype = dt, a.T = T, a.B = B, a.H = H, a.reverse = reverse;
  a.gates = gates.raw_data(), a.w_hh = w_hh.raw_data();
  a.h0 = ptr_or_null(h0), a.c0 = ptr_or_null(c0);
  a.y = y.raw_data(), a.c = ptr_or_null(c), a.tanh_c = ptr_or_null(tanh_c), a.hn = ptr_or_null(hn);
  a.dy = ptr_or_null(dy), a.dh_n = ptr_or_null(dh_n), a.dc_n = ptr_or_null(dc_n);
  a.dgates = dA.raw_data(), a.dgh = gru ? dAh.raw_data() : nullptr;
  a.dh0 = ptr_or_null(dh0), a.dc0 = ptr_or_null(dc0);
  Tensor db_ih, db_hh;
  if (has_bias && (needs_grad(5) || (needs_grad(6) && !gru))) db_ih = Tensor::empty({GH}, dt, dev);
  if (has_bias && needs_grad(6) && gru) db_hh = Tensor::empty({GH}, dt, dev);
  a.db_ih = ptr_or_null(db_ih), a.db_hh = ptr_or_null(db_hh);
  rnn_backward_kernel(dev, a);
  if (has_bias && needs_grad(6) && !gru) db_hh = needs_grad(5) ? contiguous_copy(db_ih) : db_ih;
  if (!needs_grad(5)) db_ih = Tensor();
  // After the recurrence, one GEMM each over all T*B rows.
  Tensor dx, dw_ih, dw_hh;
  if (needs_grad(0)) {
    dx = Tensor::empty({T, B, F}, dt, dev);
    gemm(dx, false, false, T * B, F, GH, dA.raw_data(), w_ih.raw_data(), 0.0);  // dX = dA @ W_ih
  }
  if (needs_grad(3)) {
    dw_ih = Tensor::empty({GH, F}, dt, dev);
    gemm(dw_ih, true, false, GH, F, T * B, dA.raw_data(), x.raw_data(), 0.0);  // dW_ih = dA^T @ X
  }
  if (needs_grad(4)) {
    // dW_hh = dA_h^T @ [h_{t-1}]_t. Step t's h_{t-1} is y[t-1] (forward) or y[t+1] (reverse); the first step
    // processed used h0.
    dw_hh = Tensor::empty({GH, H}, dt, dev);
    const void* da = reverse ? dAh.raw_data() : block(dAh, 1, B, GH);
    const void* hprev = reverse ? block(y, 1, B, H) : y.raw_data();
    rnn_weight_grad_kernel(dev, dt, GH, H, (T - 1) * B, da, hprev, false, dw_hh.raw_data());
    if (h0.defined())
      rnn_weight_grad_kernel(dev, dt, GH, H, B, block(dAh, reverse ? T - 1 : 0, B, GH), h0.raw_data(), true,
                             dw_hh.raw_data());
  }
  return {dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh};
}

void check_state(const Tensor& s, const char* what, RnnMode mode, int64_t B, int64_t H, DType dt) {
  if (!s.defined()) return;
  NC_CHECK(s.shape() == Shape({B, H}), ValueError, rnn_mode_name(mode), ": expected ", what, " of shape ",
           Shape({B, H}), ", got ", s.shape());
  NC_CHECK(s.dtype() == dt, TypeError, rnn_mode_name(mode), ": ", what, " has dtype ", dtype_name(s.dtype()),
           " but the input has ", dtype_name(dt));
}

}  // namespace

TensorList rnn_layer(RnnMode mode, const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                     const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh, bool reverse) {
  const char* nm = rnn_mode_name(mode);
  const bool lstm = mode == RnnMode::Lstm, gru = mode == RnnMode::Gru;
  NC_CHECK(x.dim() == 3, ValueError, nm, ": expected a 3-D input (T, B, F), got shape ", x.shape());
  NC_CHECK(is_floating(x.dtype()), TypeError, nm, ": expected a float32 or float64 input, got ", dtype_name(x.dtype()));
  NC_CHECK(w_hh.dim() == 2 && w_ih.dim() == 2, ValueError, nm, ": weights must be 2-D, got shapes ", w_ih.shape(),
           " and ", w_hh.shape());
  const int64_t T = x.shape()[0], B = x.shape()[1], F = x.shape()[2], H = w_hh.shape()[1];
  const int64_t G = rnn_num_gates(mode), GH = G * H;
  const DType dt = x.dtype();
  NC_CHECK(H >= 1, ValueError, nm, ": hidden_size must be at least 1, got weight_hh of shape ", w_hh.shape());
  NC_CHECK(T >= 1, ValueError, nm, ": the sequence length must be at least 1, got input of shape ", x.shape());
  NC_CHECK(w_hh.shape()[0] == GH, ValueError, nm, ": weight_hh must have shape (", G, "*hidden_size, hidden_size) = ",
           Shape({GH, H}), ", got ", w_hh.shape());
  NC_CHECK(w_ih.shape()[0] == GH && w_ih.shape()[1] == F, ValueError, nm, ": input of shape ", x.shape(),
           " has ", F, " features; weight_ih must have shape ", Shape({GH, F}), ", got ", w_ih.shape());
  NC_CHECK(b_ih.defined() == b_hh.defined(), ValueError, nm, ": give both biases or neither");
  for (const Tensor* b : {&b_ih, &b_hh})
    if (b->defined())
      NC_CHECK(b->shape() == Shape({GH}), ValueError, nm, ": biases must have shape ", Shape({GH}), ", got ",
               b->shape());
  for (const Tensor* t : {&w_ih, &w_hh, &b_ih, &b_hh})
    if (t->defined())
      NC_CHECK(t->dtype() == dt, TypeError, nm, ": parameters have dtype ", dtype_name(t->dtype()),
               " but the input has ", dtype_name(dt));
  check_state(h0, "h0", mode, B, H, dt);
  NC_CHECK(lstm || !c0.defined(), ValueError, nm, ": only LSTM takes a cell state");
  check_state(c0, "c0", mode, B, H, dt);

  auto node = make_node<RnnLayerBackward>({&x, &h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh});
  const bool train = node != nullptr;
  const DeviceType dev = x.device();
  Tensor xc = contiguous(x.detach()), wi = contiguous(w_ih.detach()), wh = contiguous(w_hh.detach());
  Tensor bi = b_ih.defined() ? contiguous(b_ih.detach()) : Tensor();
  Tensor bh = b_hh.defined() ? contiguous(b_hh.detach()) : Tensor();
  Tensor h0c = h0.defined() ? contiguous(h0.detach()) : Tensor();
  Tensor c0c = c0.defined() ? contiguous(c0.detach()) : Tensor();

  Tensor gates = Tensor::empty({T, B, GH}, dt, dev);  // pre-activations, then (in place) gate activations
  input_projection(gates, xc, wi, bi, bh, gru);
  Tensor y = Tensor::empty({T, B, H}, dt, dev);
  Tensor h_n = Tensor::empty({B, H}, dt, dev);
  // Without autograd only what the recurrence needs is kept (RnnForwardArgs::keep_all).
  Tensor c, tanh_c, c_n, hn;
  if (lstm) {
    c = Tensor::empty({train ? T : 2, B, H}, dt, dev);
    tanh_c = Tensor::empty({train ? T : 1, B, H}, dt, dev);
    c_n = Tensor::empty({B, H}, dt, dev);
  }
  if (gru) hn = Tensor::empty({train ? T : 1, B, H}, dt, dev);
  Tensor b_hn = gru && bh.defined() ? slice(bh, 0, 2 * H, 3 * H, 1) : Tensor();
  RnnForwardArgs a{};
  a.mode = mode, a.dtype = dt, a.T = T, a.B = B, a.H = H, a.reverse = reverse, a.keep_all = train;
  a.w_hh = wh.raw_data(), a.b_hn = ptr_or_null(b_hn), a.gates = gates.raw_data();
  a.h0 = ptr_or_null(h0c), a.c0 = ptr_or_null(c0c);
  a.y = y.raw_data(), a.h_n = h_n.raw_data();
  a.c = ptr_or_null(c), a.tanh_c = ptr_or_null(tanh_c), a.c_n = ptr_or_null(c_n), a.hn = ptr_or_null(hn);
  rnn_forward_kernel(dev, a);
  if (node) {
    node->mode = mode, node->reverse = reverse;
    node->num_outputs = lstm ? 3 : 2;
    node->x = node->save(xc), node->w_ih = node->save(wi), node->w_hh = node->save(wh);
    if (h0c.defined()) node->h0 = node->save(h0c);
    if (c0c.defined()) node->c0 = node->save(c0c);
    node->y = node->save(y);
    node->gates = node->save(gates);
    if (lstm) node->c = node->save(c), node->tanh_c = node->save(tanh_c);
    if (gru) node->hn = node->save(hn);
    node->has_bias = bi.defined();
    set_history(y, node, 0);
    set_history(h_n, node, 1);
    if (lstm) set_history(c_n, node, 2);
  }
  TensorList out{y, h_n};
  if (lstm) out.push_back(c_n);
  return out;
}

// ---- embedding

namespace {

struct EmbeddingBackward : Node {
  Tensor ids;  // flat, int64, validated
  Shape weight_shape;
  int64_t padding_idx;
  TensorList apply(TensorList&& gs) override {
    const int64_t N = weight_shape[0], D = weight_shape[1], K = ids.numel();
    Tensor dw = zeros(weight_shape, gs[0].dtype());
    Tensor dy = contiguous(reshape(gs[0], {K, D}));
    index_add_kernel(dw.device(), dw, dy, ids, 1, N, D);
    if (padding_idx >= 0) fill_(select(dw, 0, padding_idx), 0);
    return {dw};
  }
  void release() override { ids = Tensor(); }
  std::string name() const override { return "EmbeddingBackward"; }
};

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& ids_in, int64_t padding_idx) {
  NC_CHECK(weight.dim() == 2, ValueError, "embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape ",
           weight.shape());
  NC_CHECK(ids_in.dtype() == DType::Int64, TypeError, "embedding: token ids must be an int64 tensor, got ",
           dtype_name(ids_in.dtype()));
  const int64_t N = weight.shape()[0], D = weight.shape()[1];
  NC_CHECK(padding_idx < N, ValueError, "embedding: padding_idx=", padding_idx, " must be < num_embeddings=", N);
  Tensor ids = contiguous(reshape(ids_in.detach(), {-1}));
  const int64_t* ip = ids.data<int64_t>();
  for (int64_t k = 0; k < ids.numel(); ++k)
    if (ip[k] < 0 || ip[k] >= N)
      NC_FAIL(IndexError, "embedding: token id ", ip[k], " is out of range for num_embeddings=", N,
              " (ids must lie in [0, ", N, "))");
  Tensor w = contiguous(weight.detach());
  Shape s = ids_in.shape();
  s.push_back(D);
  Tensor out = Tensor::empty(s, weight.dtype(), weight.device());
  index_select_kernel(weight.device(), out, w, ids, 1, N, D);
  if (auto n = make_node<EmbeddingBackward>({&weight})) {
    n->ids = contiguous_copy(ids);  // our own copy: the caller may change theirs before backward
    n->weight_shape = weight.shape();
    n->padding_idx = padding_idx;
    set_history(out, n);
  }
  return out;
}

}  // namespace nc
