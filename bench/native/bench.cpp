#include "bench.h"
#include <omp.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include "core/parallel.h"
#include "core/tensor.h"
#include "ops/kernels.h"

namespace nc::bench {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void usage(const char* program, const char* what, FILE* out) {
  std::fprintf(out,
               "usage: %s [--size tiny|default] [--json] [--threads N] [--repeat N]\n"
               "%s\n"
               "Checks every workload against a scalar reference first (exit 1 on a mismatch), then prints the\n"
               "median time per call and GFLOP/s or GB/s next to the machine's measured sgemm rate and memory\n"
               "bandwidth. --size tiny runs small shapes quickly (CI).\n",
               program, what);
}

std::string fmt_time(double s) {
  char buf[32];
  if (s < 1e-3) std::snprintf(buf, sizeof buf, "%.1f us", s * 1e6);
  else if (s < 1) std::snprintf(buf, sizeof buf, "%.2f ms", s * 1e3);
  else std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

std::string json_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r;
}
}  // namespace

Options parse_args(int argc, char** argv, const char* program, const char* what) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s: %s needs a value\n", program, a.c_str());
        usage(program, what, stderr);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      usage(program, what, stdout);
      std::exit(0);
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--size") {
      std::string v = value();
      if (v == "tiny") o.size = Size::Tiny;
      else if (v == "default") o.size = Size::Default;
      else {
        std::fprintf(stderr, "%s: --size must be tiny or default, got '%s'\n", program, v.c_str());
        std::exit(2);
      }
    } else if (a == "--threads" || a == "--repeat") {
      std::string v = value();
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (!end || *end || n < 1 || n > 4096) {
        std::fprintf(stderr, "%s: %s must be a positive integer, got '%s'\n", program, a.c_str(), v.c_str());
        std::exit(2);
      }
      (a == "--threads" ? o.threads : o.repeat) = static_cast<int>(n);
    } else {
      std::fprintf(stderr, "%s: unknown argument '%s'\n", program, a.c_str());
      usage(program, what, stderr);
      std::exit(2);
    }
  }
  if (o.threads > 0) set_num_threads(o.threads);
  if (o.repeat == 0) o.repeat = o.tiny() ? 3 : 11;
  return o;
}

MachineProbe::MachineProbe(const Options& o) {
  m_.threads = get_num_threads();
  m_.sgemm_n = o.tiny() ? 256 : 2048;
  m_.stream_bytes = o.tiny() ? (int64_t(16) << 20) : (int64_t(256) << 20);
  const char* ct = std::getenv("OPENBLAS_CORETYPE");
  m_.openblas_coretype = ct ? ct : "";
  const size_t nn = static_cast<size_t>(m_.sgemm_n * m_.sgemm_n), ns = static_cast<size_t>(m_.stream_bytes / 4);
  std::mt19937_64 gen(1);
  a_.resize(nn), b_.resize(nn), c_.resize(nn), src_.resize(ns), dst_.resize(ns);
  fill_uniform(gen, a_.data(), int64_t(nn), -1, 1);
  fill_uniform(gen, b_.data(), int64_t(nn), -1, 1);
  fill_uniform(gen, src_.data(), int64_t(ns), -1, 1);
  fill_uniform(gen, dst_.data(), int64_t(ns), -1, 1);
  sample();  // warm-up: first touches, thread start; then discard it
  m_.sgemm_gflops = m_.bandwidth_gbs = 0;
  for (int s = 0; s < (o.tiny() ? 2 : 4); ++s) sample();
}

void MachineProbe::sample() {
  // sgemm through our GEMM entry point (OpenBLAS, blocks split over our threads): what every GEMM-bound
  // kernel here can at best reach.
  const int64_t n = m_.sgemm_n;
  auto t0 = Clock::now();
  gemm_kernel(DeviceType::CPU, DType::Float32, false, false, n, n, n, 1.0, a_.data(), n, b_.data(), n, 0.0, c_.data(), n);
  m_.sgemm_gflops = std::max(m_.sgemm_gflops, 2.0 * double(n) * double(n) * double(n) / seconds_since(t0) / 1e9);
  // Bandwidth: arrays far larger than the caches, each thread on its own contiguous share.
  const int64_t ns = static_cast<int64_t>(src_.size());
  float* dst = dst_.data();
  const float* src = src_.data();
  t0 = Clock::now();
  parallel_for(0, ns, 1 << 18, [&](int64_t lo, int64_t hi) {
    std::memcpy(dst + lo, src + lo, static_cast<size_t>(hi - lo) * sizeof(float));
  });
  double copy = 2.0 * double(m_.stream_bytes) / seconds_since(t0) / 1e9;
  t0 = Clock::now();
  parallel_for(0, ns, 1 << 18, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) dst[i] += src[i];
  });
  double add = 3.0 * double(m_.stream_bytes) / seconds_since(t0) / 1e9;
  if (std::max(copy, add) > m_.bandwidth_gbs) {
    m_.bandwidth_gbs = std::max(copy, add);
    m_.bandwidth_kernel = copy >= add ? "memcpy" : "a += b";
  }
}

Timing time_it(const Options& o, const std::function<void()>& fn) {
  Timing t;
  auto t0 = Clock::now();
  fn();  // warm-up: first-touch allocations, OpenMP thread start
  double once = seconds_since(t0);
  // Samples of at least ~5 ms (default size) so the clock's resolution and one-off stalls matter less.
  const double min_sample = o.tiny() ? 0.0 : 5e-3;
  t.calls_per_sample = once >= min_sample ? 1 : std::min<int64_t>(1000, static_cast<int64_t>(min_sample / std::max(once, 1e-7)) + 1);
  for (int s = 0; s < o.repeat; ++s) {
    auto ts = Clock::now();
    for (int64_t k = 0; k < t.calls_per_sample; ++k) fn();
    t.samples.push_back(seconds_since(ts) / double(t.calls_per_sample));
  }
  std::vector<double> sorted = t.samples;
  std::sort(sorted.begin(), sorted.end());
  size_t n = sorted.size();
  t.median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  t.min = sorted.front();
  return t;
}

void Check::add(double got, double want, const std::string& where) {
  ++count;
  double err = std::fabs(got - want);
  bool good = err <= atol + rtol * std::fabs(want);  // NaN fails
  if (!good) {
    if (bad == 0) {
      char buf[128];
      std::snprintf(buf, sizeof buf, ": got %.9g, expected %.9g", got, want);
      first_bad = where + buf;
    }
    ++bad;
  }
  if (std::isnan(err)) max_abs_err = err;
  else if (!std::isnan(max_abs_err)) max_abs_err = std::max(max_abs_err, err);
}

void Check::merge(const Check& o) {
  count += o.count;
  if (o.bad && !bad) first_bad = o.first_bad;
  bad += o.bad;
  max_abs_err = std::isnan(o.max_abs_err) ? o.max_abs_err : std::max(max_abs_err, o.max_abs_err);
}

void Report::require(const std::string& name, const Check& c) {
  if (c.ok()) return;
  if (c.count == 0) std::fprintf(stderr, "CHECK FAILED: %s: nothing was checked\n", name.c_str());
  else
    std::fprintf(stderr, "CHECK FAILED: %s: %lld of %lld values differ from the scalar reference (atol %g, rtol %g); "
                 "first %s\n", name.c_str(), static_cast<long long>(c.bad), static_cast<long long>(c.count), c.atol,
                 c.rtol, c.first_bad.c_str());
  std::exit(1);
}

void Report::print() const {
  const char* size = o_.tiny() ? "tiny" : "default";
  auto rate = [](const Result& r) { return r.work / r.timing.median / 1e9; };
  const Machine& m = probe_.best();
  auto peak = [&](const Result& r) { return r.metric == Metric::GFlops ? m.sgemm_gflops : m.bandwidth_gbs; };
  if (o_.json) {
    std::printf("{\n  \"benchmark\": \"%s\",\n  \"size\": \"%s\",\n", json_escape(bench_).c_str(), size);
    std::printf("  \"machine\": {\"threads\": %d, \"openblas_coretype\": \"%s\", \"sgemm_n\": %lld, "
                "\"sgemm_gflops\": %.6g, \"stream_bytes\": %lld, \"bandwidth_gbs\": %.6g, \"bandwidth_kernel\": \"%s\"},\n",
                m.threads, json_escape(m.openblas_coretype).c_str(), static_cast<long long>(m.sgemm_n), m.sgemm_gflops,
                static_cast<long long>(m.stream_bytes), m.bandwidth_gbs, m.bandwidth_kernel.c_str());
    std::printf("  \"results\": [\n");
    for (size_t i = 0; i < results_.size(); ++i) {
      const Result& r = results_[i];
      bool flops = r.metric == Metric::GFlops;
      std::printf("    {\"name\": \"%s\", \"shape\": \"%s\", \"check\": \"ok\", \"checked_values\": %lld, "
                  "\"max_abs_err\": %.3g, \"median_s\": %.6g, \"min_s\": %.6g, \"calls_per_sample\": %lld, "
                  "\"samples_s\": [",
                  json_escape(r.name).c_str(), json_escape(r.shape).c_str(), static_cast<long long>(r.check.count),
                  r.check.max_abs_err, r.timing.median, r.timing.min, static_cast<long long>(r.timing.calls_per_sample));
      for (size_t k = 0; k < r.timing.samples.size(); ++k) std::printf("%s%.6g", k ? ", " : "", r.timing.samples[k]);
      std::printf("], \"%s\": %.6g, \"%s\": %.6g, \"fraction_of_%s\": %.4g}%s\n", flops ? "flops" : "bytes", r.work,
                  flops ? "gflops" : "gbs", rate(r), flops ? "sgemm" : "bandwidth", rate(r) / peak(r),
                  i + 1 < results_.size() ? "," : "");
    }
    std::printf("  ]\n}\n");
    return;
  }
  std::printf("%s  (size %s, %d threads, median of %d samples)\n", bench_.c_str(), size, m.threads, o_.repeat);
  if (o_.tiny()) std::printf("tiny sizes check the results; they run in cache and in microseconds, so the rates mean little\n");
  std::printf("machine (best of samples taken between the workloads): sgemm %lldx%lldx%lld %.1f GFLOP/s "
              "(OPENBLAS_CORETYPE=%s), bandwidth %.1f GB/s (%s over %lld MiB arrays)\n",
              static_cast<long long>(m.sgemm_n), static_cast<long long>(m.sgemm_n), static_cast<long long>(m.sgemm_n),
              m.sgemm_gflops, m.openblas_coretype.empty() ? "unset" : m.openblas_coretype.c_str(), m.bandwidth_gbs,
              m.bandwidth_kernel.c_str(), static_cast<long long>(m.stream_bytes >> 20));
  std::printf("(data that stays in the caches can beat the bandwidth; kernels with their own GEMM can beat OpenBLAS)\n");
  std::printf("%-24s %-30s %-14s %10s %10s %16s %12s\n", "workload", "shape", "check", "median", "min", "rate",
              "vs machine");
  for (const Result& r : results_) {
    bool flops = r.metric == Metric::GFlops;
    char chk[32], rt[32], vs[32];
    std::snprintf(chk, sizeof chk, "ok (%.0e)", r.check.max_abs_err);
    std::snprintf(rt, sizeof rt, "%.1f %s", rate(r), flops ? "GFLOP/s" : "GB/s");
    std::snprintf(vs, sizeof vs, "%.0f%% %s", 100 * rate(r) / peak(r), flops ? "sgemm" : "bw");
    std::printf("%-24s %-30s %-14s %10s %10s %16s %12s\n", r.name.c_str(), r.shape.c_str(), chk,
                fmt_time(r.timing.median).c_str(), fmt_time(r.timing.min).c_str(), rt, vs);
  }
}

void fill_uniform(std::mt19937_64& gen, float* p, int64_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < n; ++i) p[i] = d(gen);
}
void fill_uniform(std::mt19937_64& gen, double* p, int64_t n, double lo, double hi) {
  std::uniform_real_distribution<double> d(lo, hi);
  for (int64_t i = 0; i < n; ++i) p[i] = d(gen);
}

std::vector<int64_t> sample_indices(std::mt19937_64& gen, int64_t n, int64_t count) {
  std::vector<int64_t> out;
  if (n <= count) {
    for (int64_t i = 0; i < n; ++i) out.push_back(i);
    return out;
  }
  std::set<int64_t> s{0, n - 1};
  std::uniform_int_distribution<int64_t> d(0, n - 1);
  while (static_cast<int64_t>(s.size()) < count) s.insert(d(gen));
  return std::vector<int64_t>(s.begin(), s.end());
}

}  // namespace nc::bench
