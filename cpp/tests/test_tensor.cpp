// Tensor views and strides (slicing, transposes, contiguity), broadcasting and dtype promotion.
// Values are read back through the strides by testing::values, never through the copy kernel.
#include "testing.h"

using namespace nc;
using namespace nc::testing;

namespace {
// 0, 1, ..., n-1 as a contiguous tensor of the given shape.
Tensor iota(const Shape& shape, DType dtype = DType::Float32) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = double(i);
  return make(shape, v, dtype);
}
}  // namespace

NC_TEST(contiguous_strides_are_row_major) {
  CHECK_EQ(contiguous_strides({2, 3, 4}), (Shape{12, 4, 1}));
  CHECK_EQ(contiguous_strides({}), Shape{});
  CHECK_EQ(contiguous_strides({5}), Shape{1});
  // A zero-size dim does not zero the outer strides (they stay usable for views).
  CHECK_EQ(contiguous_strides({2, 0, 3}), (Shape{3, 3, 1}));
  CHECK_EQ(shape_numel({2, 0, 3}), 0);
  CHECK_EQ(shape_numel({}), 1);
  Tensor t = Tensor::empty({2, 3, 4}, DType::Float64);
  CHECK(t.is_contiguous());
  CHECK_EQ(t.numel(), 24);
  CHECK_EQ(t.storage()->nbytes, size_t(24 * 8));
}

NC_TEST(transpose_is_a_strided_view) {
  Tensor x = iota({2, 3, 4});
  Tensor t = transpose(x, 0, 2);
  CHECK_EQ(t.shape(), (Shape{4, 3, 2}));
  CHECK_EQ(t.strides(), (Shape{1, 4, 12}));
  CHECK(!t.is_contiguous());
  CHECK(t.storage() == x.storage());
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 2; ++k) CHECK_EQ(at(t, {i, j, k}), double(k * 12 + j * 4 + i));
  Tensor c = contiguous(t);
  CHECK(c.is_contiguous());
  CHECK(c.storage() != x.storage());
  CHECK_EQ(c.strides(), (Shape{6, 2, 1}));
  CHECK_CLOSE(values(c), values(t), 0, 0, "contiguous(transpose)");
  // contiguous() of a contiguous tensor is the tensor itself.
  CHECK(contiguous(x).same(x));
  // Transposing back gives the original strides and contiguity.
  Tensor back = transpose(t, 2, 0);
  CHECK(back.is_contiguous());
  CHECK_EQ(back.strides(), x.strides());
}

NC_TEST(permute_follows_the_dims) {
  Tensor x = iota({2, 3, 4});
  Tensor p = permute(x, {2, 0, 1});
  CHECK_EQ(p.shape(), (Shape{4, 2, 3}));
  CHECK_EQ(p.strides(), (Shape{1, 12, 4}));
  for (int64_t a = 0; a < 4; ++a)
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t c = 0; c < 3; ++c) CHECK_EQ(at(p, {a, b, c}), at(x, {b, c, a}));
  CHECK_THROWS(permute(x, {0, 0, 1}), ValueError, "repeats");
  CHECK_THROWS(permute(x, {0, 1}), ValueError, "expected 3 dims");
}

NC_TEST(slice_and_select_offsets) {
  Tensor x = iota({2, 3, 4});
  Tensor s = slice(x, 1, 0, 3, 2);  // rows 0 and 2
  CHECK_EQ(s.shape(), (Shape{2, 2, 4}));
  CHECK_EQ(s.strides(), (Shape{12, 8, 1}));
  CHECK_EQ(s.offset(), 0);
  CHECK(!s.is_contiguous());
  Tensor s2 = slice(x, 2, 1, 4, 1);
  CHECK_EQ(s2.offset(), 1);
  CHECK_EQ(s2.shape(), (Shape{2, 3, 3}));
  std::vector<double> expect;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 1; k < 4; ++k) expect.push_back(double(i * 12 + j * 4 + k));
  CHECK_CLOSE(values(s2), expect, 0, 0, "x[:, :, 1:4]");
  // Out-of-range bounds clamp like Python slicing; an empty slice has no elements.
  CHECK_EQ(slice(x, 2, 2, 100, 1).shape(), (Shape{2, 3, 2}));
  CHECK_EQ(slice(x, 0, 5, 9, 1).numel(), 0);
  // select drops the dim and moves the offset.
  Tensor r = select(x, 1, 2);
  CHECK_EQ(r.shape(), (Shape{2, 4}));
  CHECK_EQ(r.offset(), 8);
  CHECK_EQ(at(r, {1, 3}), 23.0);
  Tensor neg = select(x, -1, -1);
  CHECK_EQ(neg.shape(), (Shape{2, 3}));
  CHECK_EQ(at(neg, {1, 2}), 23.0);
  CHECK_THROWS(select(x, 0, 2), IndexError, "out of bounds");
  CHECK_THROWS(slice(x, 3, 0, 1, 1), IndexError, "out of range");
  CHECK_THROWS(slice(x, 0, 0, 1, 0), ValueError, "step must be positive");
}

NC_TEST(writes_through_a_view_reach_the_base) {
  Tensor x = iota({3, 4}, DType::Float64);
  uint64_t v0 = x.storage()->version;
  Tensor col = select(x, 1, 1);  // x[:, 1], stride 4
  fill_(col, -1.0);
  CHECK(x.storage()->version > v0);  // the base sees the in-place write
  std::vector<double> expect = {0, -1, 2, 3, 4, -1, 6, 7, 8, -1, 10, 11};
  CHECK_CLOSE(values(x), expect, 0, 0, "x after x[:, 1] = -1");
  // copy_ broadcasts a row into a strided (transposed) view.
  Tensor xt = transpose(x, 0, 1);  // (4, 3)
  copy_(slice(xt, 0, 2, 4, 1), make({3}, {100, 200, 300}, DType::Float64));
  CHECK_EQ(at(x, {0, 2}), 100.0);
  CHECK_EQ(at(x, {2, 3}), 300.0);
  CHECK_EQ(at(x, {1, 1}), -1.0);
}

NC_TEST(view_reshape_expand_squeeze) {
  Tensor x = iota({2, 3, 4});
  Tensor v = view(x, {6, -1});
  CHECK_EQ(v.shape(), (Shape{6, 4}));
  CHECK(v.storage() == x.storage());
  // A transposed tensor cannot be viewed flat; reshape copies instead.
  Tensor t = transpose(x, 1, 2);
  CHECK_THROWS(view(t, {24}), RuntimeError, "not compatible");
  Tensor r = reshape(t, {24});
  CHECK(r.is_contiguous());
  CHECK(r.storage() != x.storage());
  CHECK_CLOSE(values(r), values(t), 0, 0, "reshape(transpose)");
  CHECK_THROWS(view(x, {5, -1}), ValueError, "invalid for input of size 24");
  CHECK_THROWS(view(x, {-1, -1}), ValueError, "only one dimension can be -1");
  // expand: stride 0 along the new and the size-1 dims.
  Tensor col = make({3, 1}, {1, 2, 3}, DType::Float32);
  Tensor e = expand(col, {2, 3, 4});
  CHECK_EQ(e.strides(), (Shape{0, 1, 0}));
  CHECK_EQ(at(e, {1, 2, 3}), 3.0);
  CHECK_THROWS(expand(col, {2, 4, 4}), ValueError, "must match");
  // squeeze / unsqueeze / flatten
  Tensor u = unsqueeze(x, 1);
  CHECK_EQ(u.shape(), (Shape{2, 1, 3, 4}));
  CHECK(u.is_contiguous());
  CHECK_EQ(squeeze(u, std::nullopt).shape(), x.shape());
  CHECK_EQ(flatten(x, 1, 2).shape(), (Shape{2, 12}));
  // A size-1 dim's stride does not matter for contiguity.
  Tensor odd = Tensor::make_view(x, {1, 24}, {999, 1}, 0);
  CHECK(odd.is_contiguous());
}

NC_TEST(cat_and_stack) {
  Tensor a = iota({2, 2}), b = make({2, 1}, {10, 11}, DType::Float32);
  Tensor c = cat({a, b}, 1);
  CHECK_EQ(c.shape(), (Shape{2, 3}));
  CHECK_CLOSE(values(c), (std::vector<double>{0, 1, 10, 2, 3, 11}), 0, 0, "cat dim 1");
  Tensor s = stack({a, transpose(a, 0, 1)}, 0);
  CHECK_EQ(s.shape(), (Shape{2, 2, 2}));
  CHECK_CLOSE(values(s), (std::vector<double>{0, 1, 2, 3, 0, 2, 1, 3}), 0, 0, "stack");
}

NC_TEST(broadcast_shapes_rules) {
  CHECK_EQ(broadcast_shapes({3, 1, 5}, {4, 5}, "t"), (Shape{3, 4, 5}));
  CHECK_EQ(broadcast_shapes({}, {2, 3}, "t"), (Shape{2, 3}));
  CHECK_EQ(broadcast_shapes({1}, {0}, "t"), (Shape{0}));
  CHECK_THROWS(broadcast_shapes({3, 2}, {3}, "add"), ValueError, "cannot be broadcast");
}

NC_TEST(binary_broadcasting_matches_scalar_loops) {
  Rng rng(1);
  NC_FOR_FLOAT_TYPES({
    DType D = dtype_of<T>::value;
    // a (3, 1, 5) from a transposed buffer, b (4, 5): every operand strided differently.
    Tensor abuf = rand_tensor(rng, {5, 1, 3}, D);
    Tensor a = permute(abuf, {2, 1, 0});
    Tensor b = rand_tensor(rng, {4, 5}, D);
    for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Maximum}) {
      Tensor y = binary(op, a, b);
      CHECK_EQ(y.shape(), (Shape{3, 4, 5}));
      CHECK_EQ(y.dtype(), D);
      std::vector<double> expect;
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 4; ++j)
          for (int64_t k = 0; k < 5; ++k) {
            T x = T(at(a, {i, 0, k})), z = T(at(b, {j, k}));
            T r = op == BinaryOp::Add ? x + z : op == BinaryOp::Sub ? x - z : op == BinaryOp::Mul ? x * z
                  : op == BinaryOp::Div ? x / z : std::max(x, z);
            expect.push_back(double(r));
          }
      CHECK_CLOSE(values(y), expect, 0, tol_for(D, 1e-6, 1e-15), str("binary op ", int(op), " ", dtype_name(D)));
    }
    // Comparisons give bool.
    Tensor lt = binary(BinaryOp::Lt, a, b);
    CHECK_EQ(lt.dtype(), DType::Bool);
    CHECK_EQ(at(lt, {2, 3, 4}), at(a, {2, 0, 4}) < at(b, {3, 4}) ? 1.0 : 0.0);
  });
}

NC_TEST(dtype_promotion) {
  CHECK_EQ(promote(DType::Int64, DType::Float32), DType::Float32);
  CHECK_EQ(promote(DType::Float32, DType::Float64), DType::Float64);
  CHECK_EQ(promote(DType::Bool, DType::Int64), DType::Int64);
  Tensor i = make({3}, {1, 2, 3}, DType::Int64);
  Tensor f = make({3}, {0.5, 0.25, 0.125}, DType::Float32);
  Tensor y = add(i, f);
  CHECK_EQ(y.dtype(), DType::Float32);
  CHECK_CLOSE(values(y), (std::vector<double>{1.5, 2.25, 3.125}), 0, 0, "int64 + float32");
  Tensor ii = mul(i, i);
  CHECK_EQ(ii.dtype(), DType::Int64);
  CHECK_CLOSE(values(ii), (std::vector<double>{1, 4, 9}), 0, 0, "int64 * int64");
}

NC_TEST(sum_to_undoes_broadcasting) {
  Tensor g = iota({2, 3, 4}, DType::Float64);
  Tensor s = sum_to(g, {3, 1});
  CHECK_EQ(s.shape(), (Shape{3, 1}));
  std::vector<double> expect(3, 0.0);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 4; ++k) expect[j] += double(i * 12 + j * 4 + k);
  CHECK_CLOSE(values(s), expect, 0, 0, "sum_to (3, 1)");
}

NC_TEST(empty_rejects_bad_shapes) {
  CHECK_THROWS(Tensor::empty({2, -1}, DType::Float32), ValueError, "negative dimension");
  CHECK_THROWS(Tensor::empty({int64_t(1) << 40, int64_t(1) << 40}, DType::Float32), ValueError, "too large");
  Tensor z = Tensor::empty({0, 5}, DType::Float32);
  CHECK_EQ(z.numel(), 0);
  CHECK(z.is_contiguous());
}
