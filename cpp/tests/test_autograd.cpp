// The autograd engine: gradients of small graphs against hand-derived values, accumulation into
// .grad, the saved-tensor version check, graph release, and grad mode.
#include <cmath>
#include "testing.h"

using namespace nc;
using namespace nc::testing;

NC_TEST(small_graph_matches_hand_gradients) {
  // c = a*b, d = c + a, L = sum(d*d).  dL/dd = 2d; dL/da = 2d*b + 2d; dL/db = 2d*a.
  // a = (1, 2), b = (3, -0.5): c = (3, -1), d = (4, 1), L = 17, da = (32, 1), db = (8, 4).
  Tensor a = leaf({2}, {1, 2}, DType::Float64), b = leaf({2}, {3, -0.5}, DType::Float64);
  Tensor d = add(mul(a, b), a);
  Tensor L = sum(mul(d, d));
  CHECK_EQ(values(L)[0], 17.0);
  CHECK(!L.is_leaf());
  CHECK(L.grad_fn() != nullptr);
  backward(L, scalar_tensor(1.0, DType::Float64));
  CHECK_CLOSE(values(a.grad()), (std::vector<double>{32, 1}), 0, 0, "dL/da");
  CHECK_CLOSE(values(b.grad()), (std::vector<double>{8, 4}), 0, 0, "dL/db");
}

NC_TEST(matmul_exp_mean_chain) {
  // L = mean(exp(W @ x)) for W (2, 3), x (3, 1): dL/dW[i, j] = exp(z_i) x_j / 2, dL/dx_j = sum_i exp(z_i) W_ij / 2.
  std::vector<double> w = {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}, xv = {1.0, -2.0, 0.5};
  Tensor W = leaf({2, 3}, w, DType::Float64), x = leaf({3, 1}, xv, DType::Float64);
  Tensor L = mean(exp(matmul(W, x)));
  double z[2], expect_L = 0;
  for (int i = 0; i < 2; ++i) {
    z[i] = 0;
    for (int j = 0; j < 3; ++j) z[i] += w[i * 3 + j] * xv[j];
    expect_L += std::exp(z[i]) / 2;
  }
  CHECK_NEAR(values(L)[0], expect_L, 0, 1e-14);
  backward(L, scalar_tensor(1.0, DType::Float64));
  std::vector<double> dW, dx(3, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) dW.push_back(std::exp(z[i]) * xv[j] / 2), dx[j] += std::exp(z[i]) * w[i * 3 + j] / 2;
  CHECK_CLOSE(values(W.grad()), dW, 0, 1e-14, "dL/dW");
  CHECK_CLOSE(values(x.grad()), dx, 0, 1e-14, "dL/dx");
}

NC_TEST(gradient_of_a_reused_input_is_summed) {
  // L = sum(a*a + 3a): dL/da = 2a + 3, from two paths into one leaf.
  Tensor a = leaf({3}, {1, -2, 0.5}, DType::Float32);
  Tensor L = sum(add(mul(a, a), mul(a, scalar_tensor(3.0, DType::Float32))));
  backward(L, scalar_tensor(1.0, DType::Float32));
  CHECK_CLOSE(values(a.grad()), (std::vector<double>{5, -1, 4}), 0, 0, "2a + 3");
}

NC_TEST(backward_accumulates_into_grad) {
  Tensor a = leaf({2}, {1, 2}, DType::Float32);
  Tensor L = sum(mul(a, a));
  backward(L, scalar_tensor(1.0, DType::Float32), /*retain_graph=*/true);
  CHECK_CLOSE(values(a.grad()), (std::vector<double>{2, 4}), 0, 0, "first backward");
  Tensor g_before = a.grad();
  backward(L, scalar_tensor(0.5, DType::Float32));
  CHECK_CLOSE(values(a.grad()), (std::vector<double>{3, 6}), 0, 0, "accumulated");
  // Accumulation is in place: references to .grad (optimizers hold them) see the sum.
  CHECK(a.grad().same(g_before));
  // A graph freed by backward without retain_graph cannot run again.
  CHECK_THROWS(backward(L, scalar_tensor(1.0, DType::Float32)), RuntimeError, "second time");
}

NC_TEST(in_place_write_to_a_saved_tensor_is_detected) {
  Tensor a = leaf({3}, {0.1, 0.2, 0.3}, DType::Float32);
  Tensor e = exp(a);                 // saves its output e for backward
  Tensor L = sum(e);
  mul_(e, 2.0);                      // bumps e's storage version
  CHECK_THROWS(backward(L, scalar_tensor(1.0, DType::Float32)), RuntimeError, "modified by an in-place operation");
  CHECK(!a.grad().defined());
  // Writing to a tensor nobody saved is fine.
  Tensor b = leaf({3}, {1, 2, 3}, DType::Float32);
  Tensor s = add(b, b);  // add saves nothing
  Tensor L2 = sum(s);
  fill_(s, 0.0);
  backward(L2, scalar_tensor(1.0, DType::Float32));
  CHECK_CLOSE(values(b.grad()), (std::vector<double>{2, 2, 2}), 0, 0, "d sum(b + b)");
}

NC_TEST(grad_mode_and_detach) {
  Tensor a = leaf({2}, {1, 2}, DType::Float32);
  {
    NoGradGuard guard;
    Tensor y = mul(a, a);
    CHECK(!y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
  }
  CHECK(GradMode::enabled());
  Tensor d = a.detach();
  CHECK(d.storage() == a.storage());
  CHECK(!d.requires_grad());
  Tensor c = make({2}, {1, 1}, DType::Float32);
  CHECK_THROWS(backward(sum(c), scalar_tensor(1.0, DType::Float32)), RuntimeError, "does not require grad");
  CHECK_THROWS(make({2}, {1, 2}, DType::Int64).set_requires_grad(true), RuntimeError, "floating-point");
}

NC_TEST(views_and_dtype_casts_route_gradients) {
  // L = sum(to_float64(a)[1:, ::2] * 2) with a (3, 3) float32: gradient 2 at the selected cells, 0 elsewhere,
  // delivered back in float32.
  Tensor a = leaf({3, 3}, std::vector<double>(9, 1.0), DType::Float32);
  Tensor v = slice(slice(to_dtype(a, DType::Float64), 0, 1, 3, 1), 1, 0, 3, 2);
  Tensor L = sum(mul(v, scalar_tensor(2.0, DType::Float64)));
  backward(L, scalar_tensor(1.0, DType::Float64));
  CHECK_EQ(a.grad().dtype(), DType::Float32);
  CHECK_CLOSE(values(a.grad()), (std::vector<double>{0, 0, 0, 2, 0, 2, 2, 0, 2}), 0, 0, "slice gradient");
}

NC_TEST(broadcast_gradients_are_reduced) {
  // y = a (3, 1) + b (4,) -> (3, 4); with upstream g: da = row sums of g, db = column sums.
  Tensor a = leaf({3, 1}, {1, 2, 3}, DType::Float64), b = leaf({4}, {0, 0, 0, 0}, DType::Float64);
  Tensor y = add(a, b);
  std::vector<double> g(12);
  for (size_t i = 0; i < 12; ++i) g[i] = double(i) * 0.5;
  backward(y, make({3, 4}, g, DType::Float64));
  std::vector<double> da(3, 0.0), db(4, 0.0);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) da[i] += g[i * 4 + j], db[j] += g[i * 4 + j];
  CHECK_CLOSE(values(a.grad()), da, 0, 0, "da");
  CHECK_CLOSE(values(b.grad()), db, 0, 0, "db");
}
