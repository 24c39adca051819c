// Shared harness of the native benchmark binaries: options (--size tiny|default, --json, --threads,
// --repeat), the machine's measured peaks (sgemm GFLOP/s of a large GEMM, copy bandwidth), timing
// (median of samples), result checks against a scalar reference (a mismatch exits 1 before any timing),
// and the report as a table or as JSON.
#pragma once
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace nc::bench {

enum class Size { Tiny, Default };

struct Options {
  Size size = Size::Default;
  bool json = false;
  int threads = 0;   // 0: OpenMP's default
  int repeat = 0;    // samples per workload; 0: 11 (default size) or 3 (tiny)
  bool tiny() const { return size == Size::Tiny; }
};
// Parses argv; prints usage and exits on --help (0) or on a bad argument (2).
Options parse_args(int argc, char** argv, const char* program, const char* what);

// The machine's rates at the benchmark's thread count, best of all samples so far.
struct Machine {
  int threads = 0;
  int64_t sgemm_n = 0;          // sgemm of n x n x n through gemm_kernel
  double sgemm_gflops = 0;
  int64_t stream_bytes = 0;     // size of each array of the bandwidth kernels
  double bandwidth_gbs = 0;     // the faster of: a parallel memcpy (read + write bytes counted) and a += b
                                // (2 reads + 1 write counted); the memcpy's read-for-ownership is not counted
  std::string bandwidth_kernel;  // "memcpy" or "a += b"
  std::string openblas_coretype;  // OPENBLAS_CORETYPE as set in the environment ("" if unset)
};

// Measures the machine's rates: a few samples at construction and one more each time sample() is called, so
// that the best rates come from the same minutes as the workloads (the machines are shared and noisy).
class MachineProbe {
 public:
  explicit MachineProbe(const Options& o);
  void sample();
  const Machine& best() const { return m_; }

 private:
  Machine m_;
  std::vector<float> a_, b_, c_;    // sgemm operands
  std::vector<float> src_, dst_;    // bandwidth arrays
};

// Median and minimum seconds per call of fn over the samples (each sample may run fn several times so
// that it lasts long enough to time). One untimed call first (warm-up).
struct Timing {
  std::vector<double> samples;
  double median = 0, min = 0;
  int64_t calls_per_sample = 1;
};
Timing time_it(const Options& o, const std::function<void()>& fn);

// Accumulates |got - want| <= atol + rtol * |want| checks of one workload.
struct Check {
  double atol, rtol;
  int64_t count = 0, bad = 0;
  double max_abs_err = 0;
  std::string first_bad;
  Check(double a, double r) : atol(a), rtol(r) {}
  void add(double got, double want, const std::string& where);
  bool ok() const { return bad == 0 && count > 0; }
  void merge(const Check& o);  // counts and worst error of another check (for a combined report line)
};

enum class Metric { GFlops, GBs };

struct Result {
  std::string name, shape;
  Metric metric;
  double work;  // flops or bytes per call
  Timing timing;
  Check check;
};

class Report {
 public:
  Report(std::string benchmark, const Options& o, MachineProbe& probe)
      : bench_(std::move(benchmark)), o_(o), probe_(probe) {}
  // Exits 1 (after printing the failed check) if the check failed or checked nothing: no timing of wrong code.
  static void require(const std::string& name, const Check& c);
  // Records a result and takes one more machine sample.
  void add(Result r) {
    results_.push_back(std::move(r));
    probe_.sample();
  }
  void print() const;

 private:
  std::string bench_;
  Options o_;
  MachineProbe& probe_;
  std::vector<Result> results_;
};

// Deterministic random fill.
void fill_uniform(std::mt19937_64& gen, float* p, int64_t n, float lo, float hi);
void fill_uniform(std::mt19937_64& gen, double* p, int64_t n, double lo, double hi);
// Up to `count` distinct random indices in [0, n), always including 0 and n - 1; all of them if n <= count.
std::vector<int64_t> sample_indices(std::mt19937_64& gen, int64_t n, int64_t count);

}  // namespace nc::bench
