// A tiny test harness for the C++ core: NC_TEST registers a case, CHECK* record failures without
// stopping the case, and test_main.cpp runs every registered case of one executable. No framework
// needed; each test family is one executable that ctest runs.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>
#include "ops/ops.h"

namespace nc::testing {

struct TestCase {
  const char* name;
  void (*fn)();
};
std::vector<TestCase>& registry();
struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

void record_failure(const char* file, int line, const std::string& message);
int64_t failure_count();

// Formats any streamable values into one string (for failure messages).
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  os.precision(10);
  using nc::detail::operator<<;
  (os << ... << args);
  return os.str();
}

}  // namespace nc::testing

#define NC_TEST(name)                                                               \
  static void name();                                                               \
  static const ::nc::testing::Registrar name##_registrar(#name, &name);             \
  static void name()

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) ::nc::testing::record_failure(__FILE__, __LINE__, "CHECK(" #cond ") failed"); \
  } while (0)

#define CHECK_MSG(cond, ...)                                                        \
  do {                                                                              \
    if (!(cond))                                                                    \
      ::nc::testing::record_failure(__FILE__, __LINE__,                             \
                                    "CHECK(" #cond ") failed: " + ::nc::testing::str(__VA_ARGS__)); \
  } while (0)

#define CHECK_EQ(a, b)                                                              \
  do {                                                                              \
    const auto nc_a_ = (a);                                                        \
    const auto nc_b_ = (b);                                                        \
    if (!(nc_a_ == nc_b_))                                                          \
      ::nc::testing::record_failure(__FILE__, __LINE__,                             \
                                    ::nc::testing::str("CHECK_EQ(" #a ", " #b ") failed: ", nc_a_, " != ", nc_b_)); \
  } while (0)

// |a - b| <= atol + rtol * |b|
#define CHECK_NEAR(a, b, atol, rtol)                                                \
  do {                                                                              \
    const double nc_a_ = (a), nc_b_ = (b);                                          \
    if (!(std::abs(nc_a_ - nc_b_) <= (atol) + (rtol) * std::abs(nc_b_)))           \
      ::nc::testing::record_failure(__FILE__, __LINE__,                             \
                                    ::nc::testing::str("CHECK_NEAR(" #a ", " #b ") failed: ", nc_a_, " vs ", nc_b_)); \
  } while (0)

// stmt must throw Exc (an nc error type) whose message contains `fragment`.
#define CHECK_THROWS(stmt, Exc, fragment)                                           \
  do {                                                                              \
    bool nc_thrown_ = false;                                                        \
    try {                                                                           \
      stmt;                                                                         \
    } catch (const Exc& e) {                                                        \
      nc_thrown_ = true;                                                            \
      if (std::string(e.what()).find(fragment) == std::string::npos)                \
        ::nc::testing::record_failure(__FILE__, __LINE__,                           \
                                      ::nc::testing::str(#Exc " message lacks '", fragment, "': ", e.what())); \
    }                                                                               \
    if (!nc_thrown_)                                                                \
      ::nc::testing::record_failure(__FILE__, __LINE__, "expected " #Exc " from: " #stmt); \
  } while (0)

namespace nc::testing {

// ---- tensors from and to plain vectors (reads go through shape/strides, not through our copy kernel)

Tensor make(const Shape& shape, const std::vector<double>& values, DType dtype);
// Every element of t (any strides, any dtype) in row-major order of its shape, as double.
std::vector<double> values(const Tensor& t);

// A tensor's elements converted to T (for comparing with a scalar reference written for T).
template <class T>
std::vector<T> as(const Tensor& t) {
  std::vector<double> v = values(t);
  return std::vector<T>(v.begin(), v.end());
}

// The element at multi-index idx, read through the strides.
double at(const Tensor& t, const std::vector<int64_t>& idx);

// Deterministic random data: each test seeds its own generator.
struct Rng {
  std::mt19937_64 gen;
  explicit Rng(uint64_t seed) : gen(seed) {}
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(gen); }
  double normal() { return std::normal_distribution<double>(0.0, 1.0)(gen); }
  std::vector<double> uniform_vec(int64_t n, double lo, double hi);
  std::vector<double> normal_vec(int64_t n);
};
Tensor rand_tensor(Rng& rng, const Shape& shape, DType dtype, double lo = -1.0, double hi = 1.0);

// Compares every element; records one failure naming the first mismatching index and the count.
void check_close(const std::vector<double>& actual, const std::vector<double>& expected, double atol, double rtol,
                 const std::string& what, const char* file, int line);
// Tolerances that fit the dtype: float32 compares to ~1e-5 relative, float64 to ~1e-12.
inline double tol_for(DType d, double f32, double f64) { return d == DType::Float32 ? f32 : f64; }

// Backward of root with gradient `grad` (run_backward, as Tensor.backward does).
void backward(const Tensor& root, const Tensor& grad, bool retain_graph = false);
// A leaf that requires grad, with the given values.
Tensor leaf(const Shape& shape, const std::vector<double>& values, DType dtype);

}  // namespace nc::testing

#define CHECK_CLOSE(actual, expected, atol, rtol, what) \
  ::nc::testing::check_close((actual), (expected), (atol), (rtol), (what), __FILE__, __LINE__)

// Runs the body (a braced block) with T = float and then T = double.
#define NC_FOR_FLOAT_TYPES(...) \
  do {                          \
    {                           \
      using T = float;          \
      __VA_ARGS__               \
    }                           \
    {                           \
      using T = double;         \
      __VA_ARGS__               \
    }                           \
  } while (0)
