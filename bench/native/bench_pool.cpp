// Max and average pooling forward and forward + backward through the public op (pool_nd), float32. Every
// output and input gradient is checked against ref/pool_ref.h before timing. Pooling is memory-bound, so the
// rate is GB/s of the minimum traffic, 4-byte values and 8-byte indices:
//   forward without grad: read x, write y;
//   forward + backward:   forward (max also writes the indices), then read dy (and max's indices), write dx.
#include <cstdio>
#include "autograd/node.h"
#include "bench.h"
#include "ops/pool.h"
#include "ref/pool_ref.h"

using namespace nc;
using namespace nc::bench;

namespace {

struct Case {
  const char* name;
  PoolMode mode;
  int64_t k, s, p;
  bool backward;
};

void run_case(const Options& o, const Case& c, const Shape& xs, Report& report, std::mt19937_64& gen) {
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
  ref::PoolDims d{};
  d.P = N * C, d.H = H, d.W = W, d.K = c.k, d.S = c.s, d.PAD = c.p, d.D = 1, d.count_include_pad = true;
  const int64_t OH = d.OH(), OW = d.OW();
  Tensor x = Tensor::empty(xs, DType::Float32), dy = Tensor::empty({N, C, OH, OW}, DType::Float32);
  fill_uniform(gen, x.data<float>(), x.numel(), -1, 1);
  fill_uniform(gen, dy.data<float>(), dy.numel(), -1, 1);
  PoolOptions opt;
  opt.kernel_size = {c.k};
  opt.stride = {c.s};
  opt.padding = {c.p};
  const char* opname = c.mode == PoolMode::Max ? "max_pool2d" : "avg_pool2d";
  const bool max = c.mode == PoolMode::Max;
  const double nx = double(x.numel()), ny = double(dy.numel());
  char shape[96];
  std::snprintf(shape, sizeof shape, "%lldx%lldx%lldx%lld k%lld s%lld p%lld", (long long)N, (long long)C, (long long)H,
                (long long)W, (long long)c.k, (long long)c.s, (long long)c.p);
  Check chk(1e-6, 1e-5);
  if (!c.backward) {
    Tensor y;
    {
      NoGradGuard ng;
      y = pool_nd(c.mode, x, 2, opt, false, opname).first;
    }
    const float* px = x.data<float>();
    for (int64_t pl = 0, e = 0; pl < d.P; ++pl)
      for (int64_t i = 0; i < OH; ++i)
        for (int64_t j = 0; j < OW; ++j, ++e)
          chk.add(y.data<float>()[e], max ? ref::maxpool_at(d, px, pl, i, j).first : ref::avgpool_at(d, px, pl, i, j).first,
                  "y[" + std::to_string(e) + "]");
    Report::require(c.name, chk);
    report.add(Result{c.name, shape, Metric::GBs, 4 * (nx + ny), time_it(o, [&] {
                        NoGradGuard ng;
                        pool_nd(c.mode, x, 2, opt, false, opname);
                      }), chk});
    return;
  }
  x.set_requires_grad(true);
  auto fwd_bwd = [&] {
    x.set_grad(Tensor());
    Tensor y = pool_nd(c.mode, x, 2, opt, false, opname).first;
    run_backward({y}, {dy}, false);
  };
  fwd_bwd();
  std::vector<double> dx = max ? ref::maxpool_backward(d, x.data<float>(), dy.data<float>())
                               : ref::avgpool_backward(d, x.data<float>(), dy.data<float>());
  const float* g = x.grad().data<float>();
  for (size_t e = 0; e < dx.size(); ++e) chk.add(g[e], dx[e], "dx[" + std::to_string(e) + "]");
  Report::require(c.name, chk);
  const double bytes = max ? 4 * nx + 4 * ny + 8 * ny + 4 * ny + 8 * ny + 4 * nx : 4 * nx + 4 * ny + 4 * ny + 4 * nx;
  report.add(Result{c.name, shape, Metric::GBs, bytes, time_it(o, fwd_bwd), chk});
  x.set_requires_grad(false);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv, "bench_pool", "max / average pooling, forward and forward + backward (float32).");
  MachineProbe m(o);
  // compare.py's activation: 8x64x56x56
  Shape xs = o.tiny() ? Shape{2, 3, 9, 10} : Shape{8, 64, 56, 56};
  std::vector<Case> cases = {{"maxpool2x2 fwd", PoolMode::Max, 2, 2, 0, false},
                             {"maxpool2x2 fwd+bwd", PoolMode::Max, 2, 2, 0, true},
                             {"avgpool2x2 fwd+bwd", PoolMode::Avg, 2, 2, 0, true},
                             {"maxpool3x3/2 fwd+bwd", PoolMode::Max, 3, 2, 1, true}};
  Report report("bench_pool: pooling through the public op, float32 (rate: minimum traffic)", o, m);
  std::mt19937_64 gen(3);
  for (const Case& c : cases) run_case(o, c, xs, report, gen);
  report.print();
  return 0;
}
