// Runs every test case registered in this executable (optionally only names containing argv[1]);
// exits 1 if any CHECK failed or a case threw.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include "testing.h"

namespace nc::testing {

std::vector<TestCase>& registry() {
  static std::vector<TestCase> cases;
  return cases;
}

namespace {
int64_t g_failures = 0;
}

void record_failure(const char* file, int line, const std::string& message) {
  ++g_failures;
  const char* base = file;
  for (const char* p = file; *p; ++p)
    if (*p == '/' || *p == '\\') base = p + 1;
  std::fprintf(stderr, "    %s:%d: %s\n", base, line, message.c_str());
}

int64_t failure_count() { return g_failures; }

std::vector<double> Rng::uniform_vec(int64_t n, double lo, double hi) {
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = uniform(lo, hi);
  return v;
}

std::vector<double> Rng::normal_vec(int64_t n) {
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = normal();
  return v;
}

Tensor make(const Shape& shape, const std::vector<double>& vals, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  NC_CHECK(static_cast<int64_t>(vals.size()) == t.numel(), ValueError, "make: ", vals.size(),
           " values for shape ", shape);
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (size_t i = 0; i < vals.size(); ++i) p[i] = static_cast<T>(vals[i]);
  });
  return t;
}

double at(const Tensor& t, const std::vector<int64_t>& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.strides()[d];
  return dispatch_all(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(t.data<T>()[off]);
  });
}

std::vector<double> values(const Tensor& t) {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(t.numel()));
  if (t.numel() == 0) return out;
  std::vector<int64_t> idx(static_cast<size_t>(t.dim()), 0);
  for (int64_t n = 0; n < t.numel(); ++n) {
    out.push_back(at(t, idx));
    for (int64_t d = t.dim() - 1; d >= 0; --d) {
      if (++idx[d] < t.shape()[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

Tensor rand_tensor(Rng& rng, const Shape& shape, DType dtype, double lo, double hi) {
  return make(shape, rng.uniform_vec(shape_numel(shape), lo, hi), dtype);
}

void check_close(const std::vector<double>& actual, const std::vector<double>& expected, double atol, double rtol,
                 const std::string& what, const char* file, int line) {
  if (actual.size() != expected.size()) {
    record_failure(file, line, str(what, ": ", actual.size(), " values, expected ", expected.size()));
    return;
  }
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    double a = actual[i], e = expected[i];
    bool same_nan = std::isnan(a) && std::isnan(e);
    bool ok = same_nan || (a == e) || std::abs(a - e) <= atol + rtol * std::abs(e);
    if (!ok) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++bad;
      worst = std::max(worst, std::abs(a - e));
    }
  }
  if (bad)
    record_failure(file, line,
                   str(what, ": ", bad, " of ", actual.size(), " values differ (max |diff| ", worst, "); first at ",
                       first, ": ", actual[static_cast<size_t>(first)], " vs expected ",
                       expected[static_cast<size_t>(first)]));
}

void backward(const Tensor& root, const Tensor& grad, bool retain_graph) {
  run_backward({root}, {grad}, retain_graph);
}

Tensor leaf(const Shape& shape, const std::vector<double>& vals, DType dtype) {
  Tensor t = make(shape, vals, dtype);
  t.set_requires_grad(true);
  return t;
}

}  // namespace nc::testing

int main(int argc, char** argv) {
  using namespace nc::testing;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int run = 0, failed = 0;
  for (const TestCase& tc : registry()) {
    if (filter && !std::strstr(tc.name, filter)) continue;
    ++run;
    int64_t before = failure_count();
    auto t0 = std::chrono::steady_clock::now();
    std::printf("[ RUN  ] %s\n", tc.name);
    std::fflush(stdout);
    try {
      tc.fn();
    } catch (const std::exception& e) {
      record_failure(__FILE__, __LINE__, std::string("unexpected exception: ") + e.what());
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    bool ok = failure_count() == before;
    failed += !ok;
    std::printf("[ %s ] %s (%.1f ms)\n", ok ? "  OK" : "FAIL", tc.name, ms);
  }
  std::printf("%d test case(s), %d failed\n", run, failed);
  if (run == 0) {
    std::fprintf(stderr, "no test case matched\n");
    return 1;
  }
  return failed ? 1 : 0;
}
