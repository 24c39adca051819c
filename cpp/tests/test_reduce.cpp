// Reductions against scalar loops: every ReduceOp over several dim sets of contiguous and permuted
// inputs, var, max along a dim with its indices, long rows (the threaded path) and gradients.
#include <algorithm>
#include <cmath>
#include <functional>
#include "testing.h"

using namespace nc;
using namespace nc::testing;

namespace {

// Reference: reduce x (read through its strides) over `dims` (sorted, empty = all) with fold f,
// starting from init; returns the values in row-major order of the kept dims.
std::vector<double> ref_reduce(const Tensor& x, std::vector<int64_t> dims, double init,
                               const std::function<double(double, double, int64_t)>& f) {
  if (dims.empty())
    for (int64_t d = 0; d < x.dim(); ++d) dims.push_back(d);
  Shape kept;
  std::vector<bool> red(static_cast<size_t>(x.dim()), false);
  for (int64_t d : dims) red[static_cast<size_t>(d)] = true;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!red[d]) kept.push_back(x.shape()[d]);
  std::vector<double> out(static_cast<size_t>(shape_numel(kept)), init);
  std::vector<int64_t> pos(static_cast<size_t>(shape_numel(kept)), 0);  // running index within the group
  std::vector<int64_t> idx(static_cast<size_t>(x.dim()), 0);
  for (int64_t n = 0; n < x.numel(); ++n) {
    int64_t o = 0;
    for (int64_t d = 0; d < x.dim(); ++d)
      if (!red[d]) o = o * x.shape()[d] + idx[d];
    out[o] = f(out[o], at(x, idx), pos[o]++);
    for (int64_t d = x.dim() - 1; d >= 0; --d) {
      if (++idx[d] < x.shape()[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

}  // namespace

NC_TEST(reductions_match_scalar_loops) {
  Rng rng(5);
  NC_FOR_FLOAT_TYPES({
    DType D = dtype_of<T>::value;
    Tensor base = rand_tensor(rng, {3, 4, 5}, D, -2, 2);
    Tensor perm = permute(rand_tensor(rng, {5, 3, 4}, D, -2, 2), {1, 2, 0});  // (3, 4, 5), strided
    for (const Tensor& x : {base, perm}) {
      for (const std::vector<int64_t>& dims : std::vector<std::vector<int64_t>>{{}, {0}, {1}, {2}, {0, 2}, {1, 2}}) {
        std::string where = str(dtype_name(D), x.is_contiguous() ? " contiguous" : " permuted", " dims ",
                                Shape(dims));
        auto sum_f = [](double acc, double v, int64_t) { return acc + v; };
        std::vector<double> s = ref_reduce(x, dims, 0.0, sum_f);
        CHECK_CLOSE(values(sum(x, dims)), s, 1e-12, tol_for(D, 1e-6, 1e-13), "sum " + where);
        int64_t R = x.numel() / static_cast<int64_t>(s.size());
        std::vector<double> m = s;
        for (double& v : m) v /= double(R);
        CHECK_CLOSE(values(mean(x, dims)), m, 1e-12, tol_for(D, 1e-6, 1e-13), "mean " + where);
        auto mx = ref_reduce(x, dims, -INFINITY, [](double a, double v, int64_t) { return std::max(a, v); });
        CHECK_CLOSE(values(reduce(ReduceOp::Max, x, dims, false)), mx, 0, 0, "max " + where);
        auto mn = ref_reduce(x, dims, INFINITY, [](double a, double v, int64_t) { return std::min(a, v); });
        CHECK_CLOSE(values(reduce(ReduceOp::Min, x, dims, false)), mn, 0, 0, "min " + where);
        auto pr = ref_reduce(x, dims, 1.0, [](double a, double v, int64_t) { return a * v; });
        CHECK_CLOSE(values(reduce(ReduceOp::Prod, x, dims, false)), pr, 1e-12, tol_for(D, 1e-5, 1e-12),
                    "prod " + where);
        Tensor k = sum(x, dims, true);
        CHECK_EQ(k.dim(), x.dim());
      }
      // argmax / argmin along one dim: the position of the first extreme.
      for (int64_t d = 0; d < 3; ++d) {
        std::vector<double> best, arg;
        // (value, index) of the first maximum of each line along d.
        std::vector<std::pair<double, int64_t>> bv(static_cast<size_t>(x.numel() / x.shape()[d]), {-INFINITY, -1});
        std::vector<int64_t> idx(3, 0);
        for (int64_t n = 0; n < x.numel(); ++n) {
          int64_t o = 0;
          for (int64_t e = 0; e < 3; ++e)
            if (e != d) o = o * x.shape()[e] + idx[e];
          double v = at(x, idx);
          if (v > bv[o].first) bv[o] = {v, idx[d]};
          for (int64_t e = 2; e >= 0; --e) {
            if (++idx[e] < x.shape()[e]) break;
            idx[e] = 0;
          }
        }
        for (auto& p : bv) arg.push_back(double(p.second)), best.push_back(p.first);
        Tensor am = reduce(ReduceOp::ArgMax, x, {d}, false);
        CHECK_EQ(am.dtype(), DType::Int64);
        CHECK_CLOSE(values(am), arg, 0, 0, str("argmax dim ", d));
        auto [mv, mi] = max_dim(x, d, false, true);
        CHECK_CLOSE(values(mv), best, 0, 0, str("max_dim values dim ", d));
        CHECK_CLOSE(values(mi), arg, 0, 0, str("max_dim indices dim ", d));
      }
    }
  });
}

NC_TEST(var_with_correction) {
  Rng rng(9);
  Tensor x = rand_tensor(rng, {4, 6}, DType::Float64);
  for (double corr : {0.0, 1.0}) {
    std::vector<double> expect;
    for (int64_t i = 0; i < 4; ++i) {
      double m = 0, s = 0;
      for (int64_t j = 0; j < 6; ++j) m += at(x, {i, j}) / 6;
      for (int64_t j = 0; j < 6; ++j) s += (at(x, {i, j}) - m) * (at(x, {i, j}) - m);
      expect.push_back(s / (6 - corr));
    }
    CHECK_CLOSE(values(var(x, {1}, corr, false)), expect, 0, 1e-13, str("var correction ", corr));
  }
}

NC_TEST(long_rows_use_the_threaded_path) {
  // 1-D sums over 10^6 values (chunked per thread) and column sums with I > 1; float32 sums accumulate in double.
  Rng rng(2);
  const int64_t n = 1000003;
  std::vector<double> v = rng.uniform_vec(n, 0, 1);
  Tensor x = make({n}, v, DType::Float32);
  double s = 0;
  for (double e : values(x)) s += e;
  CHECK_NEAR(values(sum(x))[0], s, 0, 1e-6);
  std::vector<double> w = rng.uniform_vec(1000 * 1001, -1, 1);
  Tensor m = make({1000, 1001}, w, DType::Float64);
  std::vector<double> cols(1001, 0.0);
  for (int64_t i = 0; i < 1000; ++i)
    for (int64_t j = 0; j < 1001; ++j) cols[j] += w[i * 1001 + j];
  CHECK_CLOSE(values(sum(m, {0})), cols, 0, 1e-12, "column sums");
  Tensor ints = make({5}, {1, 2, 3, 4, 5}, DType::Int64);
  CHECK_EQ(sum(ints).dtype(), DType::Int64);
  CHECK_EQ(values(reduce(ReduceOp::Prod, ints, {}, false))[0], 120.0);
  Tensor bools = make({4}, {0, 1, 0, 0}, DType::Bool);
  CHECK_EQ(values(reduce(ReduceOp::Any, bools, {}, false))[0], 1.0);
  CHECK_EQ(values(reduce(ReduceOp::All, bools, {}, false))[0], 0.0);
}

NC_TEST(reduction_gradients) {
  // d mean(x, dim 1) = g / R broadcast; d amax = g at the (unique) maximum; d max_dim likewise.
  Tensor x = leaf({2, 3}, {1, 5, 2, -1, 0, -3}, DType::Float64);
  backward(mean(x, {1}), make({2}, {3, 6}, DType::Float64));
  CHECK_CLOSE(values(x.grad()), (std::vector<double>{1, 1, 1, 2, 2, 2}), 0, 1e-15, "mean grad");
  Tensor y = leaf({2, 3}, {1, 5, 2, -1, 0, -3}, DType::Float64);
  backward(reduce(ReduceOp::Max, y, {1}, false), make({2}, {3, 6}, DType::Float64));
  CHECK_CLOSE(values(y.grad()), (std::vector<double>{0, 3, 0, 0, 6, 0}), 0, 0, "amax grad");
  Tensor z = leaf({2, 3}, {1, 5, 2, -1, 0, -3}, DType::Float64);
  backward(max_dim(z, 0, false, false).first, make({3}, {1, 2, 3}, DType::Float64));
  CHECK_CLOSE(values(z.grad()), (std::vector<double>{0, 0, 0, 1, 2, 3}), 0, 0, "min along dim 0 grad");
  CHECK_THROWS(reduce(ReduceOp::Max, make({0}, {}, DType::Float32), {}, false), ValueError, "empty");
  CHECK_THROWS(sum(x, {0, 0}), ValueError, "more than once");
}
