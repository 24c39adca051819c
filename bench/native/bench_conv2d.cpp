// conv2d forward (no grad) and forward + backward (input, weight and bias gradients) through the public op
// (im2col + GEMM). Results are checked against the scalar sums of ref/conv_ref.h on sampled elements (all of
// them at --size tiny) before timing. Work: forward 2*N*OC*OH*OW*(C/G)*KH*KW flops; forward + backward 3x that.
#include <cmath>
#include <cstdio>
#include "autograd/node.h"
#include "bench.h"
#include "ops/conv.h"
#include "ref/conv_ref.h"

using namespace nc;
using namespace nc::bench;

namespace {

struct Case {
  const char* name;
  ref::ConvDims d;
};

ref::ConvDims dims(int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t K, int64_t stride, int64_t pad) {
  ref::ConvDims s{};
  s.N = N, s.C = C, s.H = H, s.W = W, s.OC = OC, s.KH = s.KW = K;
  s.SH = s.SW = stride;
  s.PT = s.PL = s.PB = s.PR = pad;
  return s;
}

std::string shape_of(const ref::ConvDims& s) {
  char b[96];
  std::snprintf(b, sizeof b, "%lldx%lldx%lldx%lld %lld@%lldx%lld s%lld p%lld", (long long)s.N, (long long)s.C,
                (long long)s.H, (long long)s.W, (long long)s.OC, (long long)s.KH, (long long)s.KW, (long long)s.SH,
                (long long)s.PT);
  return b;
}

void run_case(const Options& o, const Case& c, Report& report, std::mt19937_64& gen) {
  const ref::ConvDims& s = c.d;
  const int64_t OH = s.OH(), OW = s.OW();
  Tensor x = Tensor::empty({s.N, s.C, s.H, s.W}, DType::Float32), w = Tensor::empty({s.OC, s.Cg(), s.KH, s.KW}, DType::Float32);
  Tensor b = Tensor::empty({s.OC}, DType::Float32), dy = Tensor::empty({s.N, s.OC, OH, OW}, DType::Float32);
  fill_uniform(gen, x.data<float>(), x.numel(), -1, 1);
  fill_uniform(gen, w.data<float>(), w.numel(), -0.1f, 0.1f);
  fill_uniform(gen, b.data<float>(), b.numel(), -1, 1);
  fill_uniform(gen, dy.data<float>(), dy.numel(), -1, 1);
  ConvOptions opt;
  opt.stride = {s.SH, s.SW};
  opt.padding = {s.PT, s.PL, s.PB, s.PR};
  opt.groups = s.G;
  const double fwd_flops = 2.0 * double(s.N * s.OC * OH * OW) * double(s.Cg() * s.KH * s.KW);
  const int64_t count = o.tiny() ? int64_t(1) << 40 : 512;  // sampled elements per tensor (all when tiny)
  const double red = double(s.Cg() * s.KH * s.KW);
  const double tol = 1e-6 * std::sqrt(red) * 8;

  // Forward, checked then timed without autograd.
  Tensor y;
  {
    NoGradGuard ng;
    y = conv2d(x, w, b, opt);
  }
  Check fchk(tol, tol);
  for (int64_t e : sample_indices(gen, y.numel(), count)) {
    int64_t j = e % OW, i = (e / OW) % OH, oc = (e / (OW * OH)) % s.OC, n = e / (OW * OH * s.OC);
    fchk.add(y.data<float>()[e], ref::conv_y_at(s, x.data<float>(), w.data<float>(), b.data<float>(), n, oc, i, j),
             "y[" + std::to_string(e) + "]");
  }
  std::string fname = std::string(c.name) + " fwd";
  Report::require(fname, fchk);
  report.add(Result{fname, shape_of(s), Metric::GFlops, fwd_flops, time_it(o, [&] {
                      NoGradGuard ng;
                      conv2d(x, w, b, opt);
                    }), fchk});

  // Forward + backward: gradients for x, w and b (cleared before every call so nothing accumulates).
  x.set_requires_grad(true), w.set_requires_grad(true), b.set_requires_grad(true);
  auto fwd_bwd = [&] {
    x.set_grad(Tensor()), w.set_grad(Tensor()), b.set_grad(Tensor());
    Tensor out = conv2d(x, w, b, opt);
    run_backward({out}, {dy}, false);
  };
  fwd_bwd();
  // dx sums OC*KH*KW products, dw and db sum N*OH*OW: tolerances scale with the square root of the count.
  const double tol_w = 1e-6 * std::sqrt(double(s.N * OH * OW)) * 8;
  Check dxc(tol, tol), dwc(tol_w, tol_w), dbc(tol_w, tol_w);
  const float* dyp = dy.data<float>();
  const int64_t HW = s.H * s.W, KK = s.KH * s.KW;
  for (int64_t e : sample_indices(gen, x.numel(), count)) {
    int64_t v = e % s.W, h = (e / s.W) % s.H, ci = (e / HW) % s.C, n = e / (HW * s.C);
    dxc.add(x.grad().data<float>()[e], ref::conv_dx_at(s, dyp, w.data<float>(), n, ci, h, v), "dx[" + std::to_string(e) + "]");
  }
  for (int64_t e : sample_indices(gen, w.numel(), count / 4)) {
    int64_t q = e % s.KW, p = (e / s.KW) % s.KH, ci = (e / KK) % s.Cg(), oc = e / (KK * s.Cg());
    dwc.add(w.grad().data<float>()[e], ref::conv_dw_at(s, dyp, x.data<float>(), oc, ci, p, q), "dw[" + std::to_string(e) + "]");
  }
  for (int64_t oc = 0; oc < s.OC; ++oc)
    dbc.add(b.grad().data<float>()[oc], ref::conv_db_at(s, dyp, oc), "db[" + std::to_string(oc) + "]");
  Report::require(std::string(c.name) + " dx", dxc);
  Report::require(std::string(c.name) + " dw", dwc);
  Report::require(std::string(c.name) + " db", dbc);
  Check bchk = dxc;
  bchk.merge(dwc);
  bchk.merge(dbc);
  std::string bname = std::string(c.name) + " fwd+bwd";
  report.add(Result{bname, shape_of(s), Metric::GFlops, 3 * fwd_flops, time_it(o, fwd_bwd), bchk});
  x.set_requires_grad(false), w.set_requires_grad(false), b.set_requires_grad(false);
}

std::vector<Case> tiny_cases() {
  return {{"conv3x3", dims(2, 4, 10, 10, 8, 3, 1, 1)}, {"conv5x5/2", dims(2, 3, 12, 11, 4, 5, 2, 2)}};
}

std::vector<Case> default_cases() {
  return {{"conv3x3 64->64", dims(8, 64, 56, 56, 64, 3, 1, 1)},  // compare.py's conv2d_fwd / conv2d_fwdbwd
          {"conv5x5 lenet", dims(64, 6, 14, 14, 16, 5, 1, 0)},   // LeNet-5's second convolution, batch 64
          {"conv7x7/2 stem", dims(8, 3, 112, 112, 64, 7, 2, 3)}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv, "bench_conv2d", "conv2d forward and forward + backward (float32).");
  MachineProbe m(o);
  // Built by functions and not assigned: GCC 12 at -O3 warns falsely (-Wnonnull) on vector::operator=.
  const std::vector<Case> cases = o.tiny() ? tiny_cases() : default_cases();
  Report report("bench_conv2d: conv2d through the public op (im2col + GEMM), float32", o, m);
  std::mt19937_64 gen(7);
  for (const Case& c : cases) run_case(o, c, report, gen);
  report.print();
  return 0;
}
