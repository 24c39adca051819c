// Elementwise unary and binary ops: every unary op's forward against a scalar formula written here
// (from the op's definition, not from the kernel), and its backward against central differences of
// that formula; binary ops' gradients likewise. Inputs stay off kinks (ReLU at 0, clamp bounds).
#include <cmath>
#include <functional>
#include "testing.h"

using namespace nc;
using namespace nc::testing;

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

struct UnaryCase {
  const char* name;
  UnaryOp op;
  double p0, p1;
  double lo, hi;                  // input domain
  std::vector<double> kinks;      // points where the derivative jumps: inputs keep away from them
  std::function<double(double)> f;
};

std::vector<UnaryCase> unary_cases() {
  const double kSeluA = 1.6732632423543772848170429916717, kSeluL = 1.0507009873554804934193349852946;
  const double kPi = 3.14159265358979323846;
  return {
      {"neg", UnaryOp::Neg, 0, 0, -3, 3, {}, [](double x) { return -x; }},
      {"abs", UnaryOp::Abs, 0, 0, -3, 3, {0}, [](double x) { return std::fabs(x); }},
      {"sign", UnaryOp::Sign, 0, 0, -3, 3, {0}, [](double x) { return double((x > 0) - (x < 0)); }},
      {"square", UnaryOp::Square, 0, 0, -3, 3, {}, [](double x) { return x * x; }},
      {"exp", UnaryOp::Exp, 0, 0, -5, 5, {}, [](double x) { return std::exp(x); }},
      {"log", UnaryOp::Log, 0, 0, 0.05, 5, {}, [](double x) { return std::log(x); }},
      {"sqrt", UnaryOp::Sqrt, 0, 0, 0.05, 5, {}, [](double x) { return std::sqrt(x); }},
      {"reciprocal", UnaryOp::Reciprocal, 0, 0, 0.2, 4, {}, [](double x) { return 1 / x; }},
      {"sin", UnaryOp::Sin, 0, 0, -4, 4, {}, [](double x) { return std::sin(x); }},
      {"cos", UnaryOp::Cos, 0, 0, -4, 4, {}, [](double x) { return std::cos(x); }},
      {"log1p", UnaryOp::Log1p, 0, 0, -0.9, 4, {}, [](double x) { return std::log1p(x); }},
      {"expm1", UnaryOp::Expm1, 0, 0, -3, 3, {}, [](double x) { return std::expm1(x); }},
      {"pow2.5", UnaryOp::PowScalar, 2.5, 0, 0.1, 3, {}, [](double x) { return std::pow(x, 2.5); }},
      {"clamp", UnaryOp::Clamp, -0.5, 0.5, -2, 2, {-0.5, 0.5},
       [](double x) { return std::min(std::max(x, -0.5), 0.5); }},
      {"relu", UnaryOp::Relu, 0, 0, -3, 3, {0}, [](double x) { return x > 0 ? x : 0.0; }},
      {"leaky_relu", UnaryOp::LeakyRelu, 0.1, 0, -3, 3, {0}, [](double x) { return x > 0 ? x : 0.1 * x; }},
      {"sigmoid", UnaryOp::Sigmoid, 0, 0, -8, 8, {}, sigmoid},
      {"tanh", UnaryOp::Tanh, 0, 0, -4, 4, {}, [](double x) { return std::tanh(x); }},
      {"step", UnaryOp::Step, 0, 0, -3, 3, {0}, [](double x) { return x > 0 ? 1.0 : 0.0; }},
      {"elu", UnaryOp::Elu, 1.3, 0, -3, 3, {0}, [](double x) { return x > 0 ? x : 1.3 * (std::exp(x) - 1); }},
      {"selu", UnaryOp::Selu, 0, 0, -3, 3, {0},
       [=](double x) { return kSeluL * (x > 0 ? x : kSeluA * (std::exp(x) - 1)); }},
      {"celu", UnaryOp::Celu, 0.7, 0, -3, 3, {0},
       [](double x) { return std::max(0.0, x) + std::min(0.0, 0.7 * (std::exp(x / 0.7) - 1)); }},
      {"gelu", UnaryOp::Gelu, 0, 0, -4, 4, {}, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {"gelu_tanh", UnaryOp::GeluTanh, 0, 0, -4, 4, {},
       [=](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / kPi) * (x + 0.044715 * x * x * x))); }},
      {"silu", UnaryOp::Silu, 0, 0, -6, 6, {}, [](double x) { return x * sigmoid(x); }},
      {"mish", UnaryOp::Mish, 0, 0, -5, 5, {}, [](double x) { return x * std::tanh(softplus(x)); }},
      // softplus(beta = 2, threshold = 3): linear where beta * x > threshold.
      {"softplus", UnaryOp::Softplus, 2, 3, -4, 4, {1.5},
       [](double x) { return 2 * x > 3 ? x : softplus(2 * x) / 2; }},
      {"softsign", UnaryOp::Softsign, 0, 0, -4, 4, {0}, [](double x) { return x / (1 + std::fabs(x)); }},
      {"hardtanh", UnaryOp::Hardtanh, -1, 1, -3, 3, {-1, 1}, [](double x) { return std::min(std::max(x, -1.0), 1.0); }},
      {"hardsigmoid", UnaryOp::Hardsigmoid, 0, 0, -5, 5, {-3, 3},
       [](double x) { return std::min(std::max(x / 6 + 0.5, 0.0), 1.0); }},
      {"hardswish", UnaryOp::Hardswish, 0, 0, -5, 5, {-3, 3},
       [](double x) { return x * std::min(std::max(x + 3, 0.0), 6.0) / 6; }},
      {"log_sigmoid", UnaryOp::LogSigmoid, 0, 0, -10, 10, {}, [](double x) { return -softplus(-x); }},
  };
}

// n inputs in the case's domain, at least `gap` away from every kink.
std::vector<double> inputs(Rng& rng, const UnaryCase& c, int64_t n, double gap) {
  std::vector<double> v;
  while (static_cast<int64_t>(v.size()) < n) {
    double x = rng.uniform(c.lo, c.hi);
    bool near = false;
    for (double k : c.kinks) near = near || std::fabs(x - k) < gap;
    if (!near) v.push_back(x);
  }
  return v;
}

double central_difference(const std::function<double(double)>& f, double x, double h) {
  return (f(x + h) - f(x - h)) / (2 * h);
}

}  // namespace

NC_TEST(every_unary_op_forward_matches_its_formula) {
  Rng rng(7);
  for (const UnaryCase& c : unary_cases()) {
    NC_FOR_FLOAT_TYPES({
      DType D = dtype_of<T>::value;
      // A transposed (strided) input and a long contiguous one (the threaded, vectorised path).
      std::vector<double> xs = inputs(rng, c, 13 * 11, 1e-3);
      Tensor xt = transpose(make({13, 11}, xs, D), 0, 1);
      std::vector<double> xs_big = inputs(rng, c, 70001, 1e-3);
      for (const Tensor& x : {xt, make({70001}, xs_big, D)}) {
        Tensor y = unary(c.op, x, c.p0, c.p1);
        CHECK_EQ(y.shape(), x.shape());
        CHECK_EQ(y.dtype(), D);
        std::vector<double> expect;
        for (double v : values(x)) expect.push_back(c.f(v));
        // float32: the inputs are float32-rounded already (values(x) reads them back), so the
        // formula sees the same x; a few ulp for the vectorised exp/erf.
        CHECK_CLOSE(values(y), expect, tol_for(D, 2e-6, 1e-13), tol_for(D, 1e-5, 1e-12),
                    str(c.name, " forward ", dtype_name(D), " ", x.shape()));
      }
    });
  }
}

NC_TEST(every_unary_op_backward_matches_central_differences) {
  Rng rng(11);
  for (const UnaryCase& c : unary_cases()) {
    NC_FOR_FLOAT_TYPES({
      DType D = dtype_of<T>::value;
      std::vector<double> xs = inputs(rng, c, 64, 1e-2);
      Tensor x = leaf({8, 8}, xs, D);
      Tensor y = unary(c.op, x, c.p0, c.p1);
      std::vector<double> dy = rng.uniform_vec(64, -1, 1);  // a random upstream gradient, not all ones
      backward(y, make({8, 8}, dy, D));
      std::vector<double> expect, xr = values(x);
      for (size_t i = 0; i < xr.size(); ++i) expect.push_back(dy[i] * central_difference(c.f, xr[i], 1e-6));
      CHECK_CLOSE(values(x.grad()), expect, tol_for(D, 1e-5, 1e-7), tol_for(D, 1e-4, 1e-6),
                  str(c.name, " backward ", dtype_name(D)));
    });
  }
}

NC_TEST(binary_op_gradients_match_central_differences) {
  // a (3, 4) and b (4,) broadcast; L = sum(op(a, b) * g); the gradients are summed over the broadcast dim.
  Rng rng(3);
  struct Case {
    const char* name;
    BinaryOp op;
    std::function<double(double, double)> f;
  };
  std::vector<Case> cases = {
      {"mul", BinaryOp::Mul, [](double a, double b) { return a * b; }},
      {"div", BinaryOp::Div, [](double a, double b) { return a / b; }},
      {"sub", BinaryOp::Sub, [](double a, double b) { return a - b; }},
      {"pow", BinaryOp::Pow, [](double a, double b) { return std::pow(a, b); }},
      {"maximum", BinaryOp::Maximum, [](double a, double b) { return std::max(a, b); }},
  };
  for (const Case& c : cases) {
    std::vector<double> av = rng.uniform_vec(12, 0.5, 2.0), bv = rng.uniform_vec(4, 0.5, 2.0), g = rng.uniform_vec(12, -1, 1);
    Tensor a = leaf({3, 4}, av, DType::Float64), b = leaf({4}, bv, DType::Float64);
    backward(binary(c.op, a, b), make({3, 4}, g, DType::Float64));
    std::vector<double> da(12), db(4, 0.0);
    const double h = 1e-6;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) {
        double x = av[i * 4 + j], z = bv[j], gi = g[i * 4 + j];
        da[i * 4 + j] = gi * (c.f(x + h, z) - c.f(x - h, z)) / (2 * h);
        db[j] += gi * (c.f(x, z + h) - c.f(x, z - h)) / (2 * h);
      }
    CHECK_CLOSE(values(a.grad()), da, 1e-8, 1e-6, str(c.name, " da"));
    CHECK_CLOSE(values(b.grad()), db, 1e-8, 1e-6, str(c.name, " db"));
  }
}

NC_TEST(where_and_int_ops) {
  Tensor cond = make({4}, {1, 0, 0, 1}, DType::Bool);
  Tensor a = make({4}, {1, 2, 3, 4}, DType::Float32), b = make({1}, {-1}, DType::Float32);
  CHECK_CLOSE(values(where(cond, a, b)), (std::vector<double>{1, -1, -1, 4}), 0, 0, "where");
  Tensor i = make({5}, {-3, -1, 0, 2, 7}, DType::Int64);
  Tensor r = unary(UnaryOp::Relu, i);
  CHECK_EQ(r.dtype(), DType::Int64);
  CHECK_CLOSE(values(r), (std::vector<double>{0, 0, 0, 2, 7}), 0, 0, "int relu");
  Tensor cl = clamp(i, -1.5, 2.5);  // integer bounds round inwards: [-1, 2]
  CHECK_CLOSE(values(cl), (std::vector<double>{-1, -1, 0, 2, 2}), 0, 0, "int clamp");
  CHECK_THROWS(clamp(a, 2.0, 1.0), ValueError, "greater than max");
}

NC_TEST(non_finite_inputs) {
  // NaN propagates, infinities saturate. The float32 exp is a polynomial on the exponent bits: a NaN must not
  // reach its float-to-int conversion (undefined behaviour that UBSan reports in the sanitizer build).
  const double nan = std::nan(""), inf = INFINITY;
  std::vector<double> x = {nan, inf, -inf, 1000, -1000, 0};
  NC_FOR_FLOAT_TYPES({
    DType D = dtype_of<T>::value;
    Tensor t = make({6}, x, D);
    CHECK_CLOSE(values(unary(UnaryOp::Exp, t)), (std::vector<double>{nan, inf, 0, inf, 0, 1}), 0, 0,
                str("exp of non-finite ", dtype_name(D)));
    CHECK_CLOSE(values(unary(UnaryOp::Sigmoid, t)), (std::vector<double>{nan, 1, 0, 1, 0, 0.5}), 0, 0,
                str("sigmoid of non-finite ", dtype_name(D)));
    CHECK_CLOSE(values(unary(UnaryOp::Tanh, t)), (std::vector<double>{nan, 1, -1, 1, -1, 0}), 0, 0,
                str("tanh of non-finite ", dtype_name(D)));
    CHECK(std::isnan(values(unary(UnaryOp::Gelu, t))[0]));
    CHECK(std::isnan(values(softmax(make({1, 3}, {0, nan, 1}, D), 1, false))[0]));
  });
}
