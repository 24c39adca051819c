// The fused optimizer updates (sgd_step, optim_step with Adam / AdamW / AMSGrad) over several steps and
// several parameters, against the per-value rules in ref/optim_ref.h.
#include "ref/optim_ref.h"
#include "testing.h"

using namespace nc;
using namespace nc::testing;

namespace {

struct Param {
  Tensor p;
  std::vector<double> ref_p, ref_buf, ref_m, ref_v, ref_vmax;
};

// Parameters of the given sizes (one large enough for the threaded path), with fresh random gradients
// set before each step by next_grads().
std::vector<Param> make_params(Rng& rng, DType D, const std::vector<int64_t>& sizes) {
  std::vector<Param> ps;
  for (int64_t n : sizes) {
    Param q;
    q.p = make({n}, rng.uniform_vec(n, -1, 1), D);
    q.ref_p = values(q.p);
    q.ref_buf.assign(n, 0.0), q.ref_m.assign(n, 0.0), q.ref_v.assign(n, 0.0), q.ref_vmax.assign(n, 0.0);
    ps.push_back(q);
  }
  return ps;
}

void next_grads(Rng& rng, std::vector<Param>& ps) {
  for (Param& q : ps) q.p.set_grad(make(q.p.shape(), rng.uniform_vec(q.p.numel(), -1, 1), q.p.dtype()));
}

TensorList tensors(const std::vector<Param>& ps) {
  TensorList t;
  for (const Param& q : ps) t.push_back(q.p);
  return t;
}

}  // namespace

NC_TEST(sgd_matches_reference) {
  Rng rng(71);
  struct Case {
    double lr, momentum, dampening, wd;
    bool nesterov;
  };
  for (Case c : {Case{0.1, 0, 0, 0, false}, Case{0.05, 0.9, 0, 0, false}, Case{0.05, 0.9, 0.1, 1e-2, false},
                 Case{0.02, 0.8, 0, 5e-3, true}}) {
    NC_FOR_FLOAT_TYPES({
      DType D = dtype_of<T>::value;
      std::vector<Param> ps = make_params(rng, D, {7, 100003});
      TensorList params = tensors(ps), bufs(ps.size());
      SgdOptions o{c.lr, c.momentum, c.dampening, c.wd, c.nesterov, false};
      ref::SgdRef r{c.lr, c.momentum, c.dampening, c.wd, c.nesterov};
      for (int step = 0; step < 3; ++step) {
        next_grads(rng, ps);
        sgd_step(params, bufs, o);
        for (Param& q : ps) {
          std::vector<double> g = values(q.p.grad());
          for (size_t i = 0; i < g.size(); ++i) ref::sgd_update(r, q.ref_p[i], g[i], q.ref_buf[i], step == 0);
        }
      }
      for (size_t k = 0; k < ps.size(); ++k) {
        std::string name = str("sgd lr=", c.lr, " momentum=", c.momentum, " dampening=", c.dampening, " wd=", c.wd,
                               " nesterov=", c.nesterov, " ", dtype_name(D), " n=", ps[k].p.numel());
        CHECK_CLOSE(values(ps[k].p), ps[k].ref_p, tol_for(D, 1e-6, 1e-14), tol_for(D, 1e-5, 1e-13), name);
        if (c.momentum != 0) CHECK_CLOSE(values(bufs[k]), ps[k].ref_buf, tol_for(D, 1e-6, 1e-14),
                                         tol_for(D, 1e-5, 1e-13), name + " buffer");
      }
    });
  }
}

NC_TEST(adam_matches_reference) {
  Rng rng(72);
  struct Case {
    double lr, wd;
    bool amsgrad, decoupled;
  };
  for (Case c : {Case{1e-2, 0, false, false}, Case{1e-2, 0.1, false, false}, Case{5e-3, 0.01, true, false},
                 Case{1e-2, 0.05, false, true}}) {
    NC_FOR_FLOAT_TYPES({
      DType D = dtype_of<T>::value;
      std::vector<Param> ps = make_params(rng, D, {5, 70001});
      TensorList params = tensors(ps);
      std::vector<TensorList> state(static_cast<size_t>(optim_num_states(OptimRule::Adam)), TensorList(ps.size()));
      std::vector<int64_t> steps(ps.size(), 0);
      std::vector<double> mu;
      OptimOptions o;
      o.rule = OptimRule::Adam, o.lr = c.lr, o.eps = 1e-8, o.weight_decay = c.wd, o.beta1 = 0.9, o.beta2 = 0.999;
      o.amsgrad = c.amsgrad, o.decoupled_weight_decay = c.decoupled;
      ref::AdamRef r;
      r.lr = c.lr, r.weight_decay = c.wd, r.amsgrad = c.amsgrad, r.decoupled = c.decoupled;
      for (int step = 1; step <= 4; ++step) {
        next_grads(rng, ps);
        optim_step(params, state, steps, mu, o);
        for (Param& q : ps) {
          std::vector<double> g = values(q.p.grad());
          for (size_t i = 0; i < g.size(); ++i)
            ref::adam_update(r, step, q.ref_p[i], g[i], q.ref_m[i], q.ref_v[i], q.ref_vmax[i]);
        }
      }
      CHECK_EQ(steps[0], 4);
      for (size_t k = 0; k < ps.size(); ++k) {
        std::string name = str("adam lr=", c.lr, " wd=", c.wd, " amsgrad=", c.amsgrad, " decoupled=", c.decoupled, " ",
                               dtype_name(D), " n=", ps[k].p.numel());
        // Adam's step is ~lr per value whatever the gradient scale; float32 keeps ~1e-6 of it.
        CHECK_CLOSE(values(ps[k].p), ps[k].ref_p, tol_for(D, 2e-6, 1e-13), tol_for(D, 1e-5, 1e-12), name);
        CHECK_CLOSE(values(state[0][k]), ps[k].ref_m, tol_for(D, 1e-6, 1e-14), tol_for(D, 1e-5, 1e-13), name + " exp_avg");
        CHECK_CLOSE(values(state[1][k]), ps[k].ref_v, tol_for(D, 1e-7, 1e-15), tol_for(D, 1e-5, 1e-13), name + " exp_avg_sq");
        CHECK(state[2][k].defined() == c.amsgrad);
      }
    });
  }
}

NC_TEST(parameters_without_gradients_are_skipped) {
  Tensor a = make({3}, {1, 2, 3}, DType::Float32), b = make({2}, {4, 5}, DType::Float32);
  b.set_grad(make({2}, {1, 1}, DType::Float32));
  TensorList bufs(2);
  sgd_step({a, b}, bufs, SgdOptions{0.5, 0, 0, 0, false, false});
  CHECK_CLOSE(values(a), (std::vector<double>{1, 2, 3}), 0, 0, "untouched");
  CHECK_CLOSE(values(b), (std::vector<double>{3.5, 4.5}), 0, 0, "updated");
  CHECK_THROWS(sgd_step({a, b}, bufs = TensorList(1), SgdOptions{0.5, 0, 0, 0, false, false}), ValueError,
               "momentum buffers");
}
