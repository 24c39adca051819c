// The fused optimizer updates over a group of parameters: SGD with momentum (sgd_step) and Adam (optim_step),
// float32. Two steps are checked against the per-value rules of ref/optim_ref.h (the first step initialises
// the state, the second runs the steady-state loop) before timing. Memory-bound: the rate is GB/s of the
// minimum traffic per step, SGD momentum reads p, g, buf and writes p, buf (20 bytes per value); Adam reads
// p, g, m, v and writes p, m, v (28 bytes per value).
#include <cstdio>
#include "bench.h"
#include "ops/ops.h"
#include "ref/optim_ref.h"

using namespace nc;
using namespace nc::bench;

namespace {

TensorList make_params(std::mt19937_64& gen, int64_t count, int64_t n) {
  TensorList ps;
  for (int64_t i = 0; i < count; ++i) {
    Tensor p = Tensor::empty({n}, DType::Float32), g = Tensor::empty({n}, DType::Float32);
    fill_uniform(gen, p.data<float>(), n, -1, 1);
    fill_uniform(gen, g.data<float>(), n, -1, 1);
    p.set_grad(g);
    ps.push_back(p);
  }
  return ps;
}

// Float copies of every parameter and gradient, as doubles, for the reference.
std::vector<std::vector<double>> snapshot(const TensorList& ps, bool grads) {
  std::vector<std::vector<double>> out;
  for (const Tensor& p : ps) {
    const float* d = grads ? p.grad().data<float>() : p.data<float>();
    out.emplace_back(d, d + p.numel());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv, "bench_optim", "Fused optimizer steps: SGD with momentum and Adam (float32).");
  MachineProbe m(o);
  // compare.py's adam_10m / sgd_momentum_10m: ten 1000x1000 parameters
  const int64_t count = o.tiny() ? 3 : 10, n = o.tiny() ? 10000 : 1000000;
  char shape[64];
  std::snprintf(shape, sizeof shape, "%lld x %lld values", (long long)count, (long long)n);
  const double values = double(count * n);
  Report report("bench_optim: fused optimizer steps over one parameter group, float32 (rate: minimum traffic)", o, m);
  std::mt19937_64 gen(5);

  {  // SGD, momentum 0.9, weight decay 1e-4
    TensorList ps = make_params(gen, count, n), bufs(ps.size());
    SgdOptions so{0.01, 0.9, 0.0, 1e-4, false, false};
    ref::SgdRef r{0.01, 0.9, 0.0, 1e-4, false};
    auto p_ref = snapshot(ps, false), g_ref = snapshot(ps, true);
    std::vector<std::vector<double>> buf_ref(ps.size(), std::vector<double>(n, 0.0));
    Check chk(1e-6, 1e-5);
    for (int step = 0; step < 2; ++step) {
      sgd_step(ps, bufs, so);
      for (size_t k = 0; k < ps.size(); ++k)
        for (int64_t i = 0; i < n; ++i) ref::sgd_update(r, p_ref[k][i], g_ref[k][i], buf_ref[k][i], step == 0);
    }
    for (size_t k = 0; k < ps.size(); ++k)
      for (int64_t i = 0; i < n; ++i) {
        chk.add(ps[k].data<float>()[i], p_ref[k][i], "p" + std::to_string(k) + "[" + std::to_string(i) + "]");
        chk.add(bufs[k].data<float>()[i], buf_ref[k][i], "buf" + std::to_string(k) + "[" + std::to_string(i) + "]");
      }
    Report::require("sgd momentum", chk);
    report.add(Result{"sgd momentum", shape, Metric::GBs, 20 * values, time_it(o, [&] { sgd_step(ps, bufs, so); }), chk});
  }
  {  // Adam, torch.optim.Adam's defaults
    TensorList ps = make_params(gen, count, n);
    std::vector<TensorList> state(static_cast<size_t>(optim_num_states(OptimRule::Adam)), TensorList(ps.size()));
    std::vector<int64_t> steps(ps.size(), 0);
    std::vector<double> mu;
    OptimOptions ao;
    ao.rule = OptimRule::Adam, ao.lr = 1e-3, ao.eps = 1e-8, ao.beta1 = 0.9, ao.beta2 = 0.999;
    ref::AdamRef r;
    r.lr = 1e-3;
    auto p_ref = snapshot(ps, false), g_ref = snapshot(ps, true);
    std::vector<std::vector<double>> m_ref(ps.size(), std::vector<double>(n, 0.0)), v_ref = m_ref, vmax = m_ref;
    Check chk(1e-7, 1e-5);
    for (int step = 1; step <= 2; ++step) {
      optim_step(ps, state, steps, mu, ao);
      for (size_t k = 0; k < ps.size(); ++k)
        for (int64_t i = 0; i < n; ++i) ref::adam_update(r, step, p_ref[k][i], g_ref[k][i], m_ref[k][i], v_ref[k][i], vmax[k][i]);
    }
    for (size_t k = 0; k < ps.size(); ++k)
      for (int64_t i = 0; i < n; ++i) {
        chk.add(ps[k].data<float>()[i], p_ref[k][i], "p" + std::to_string(k) + "[" + std::to_string(i) + "]");
        chk.add(state[0][k].data<float>()[i], m_ref[k][i], "exp_avg" + std::to_string(k) + "[" + std::to_string(i) + "]");
        chk.add(state[1][k].data<float>()[i], v_ref[k][i], "exp_avg_sq" + std::to_string(k) + "[" + std::to_string(i) + "]");
      }
    Report::require("adam", chk);
    report.add(Result{"adam", shape, Metric::GBs, 28 * values,
                      time_it(o, [&] { optim_step(ps, state, steps, mu, ao); }), chk});
  }
  report.print();
  return 0;
}
