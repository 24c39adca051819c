// Fused optimizer updates: one pass over each parameter, no temporaries.
#include <algorithm>
#include <cmath>
#include "core/parallel.h"
#include "ops/kernels.h"

#if defined(_MSC_VER)
#define NC_R __restrict
#else
#define NC_R __restrict__
#endif

namespace nc {
namespace {

// Each option combination gets its own branch-free loop over [lo, hi), in a function with restrict
// pointers (captured pointers in a lambda lose restrict, and the loop would not vectorise).
template <class T>
void sgd_range(int64_t lo, int64_t hi, T* NC_R p, const T* NC_R g, T* NC_R buf, bool first, bool nesterov, T lr,
               T mom, T damp, T wd, T sign) {
  if (!buf) {
    for (int64_t i = lo; i < hi; ++i) p[i] -= lr * (sign * g[i] + wd * p[i]);
  } else if (first) {
    const T scale = nesterov ? T(1) + mom : T(1);  // buf = d, step d (+ mom * d)
    for (int64_t i = lo; i < hi; ++i) {
      T d = sign * g[i] + wd * p[i];
      buf[i] = d;
      p[i] -= lr * scale * d;
    }
  } else if (nesterov) {
    for (int64_t i = lo; i < hi; ++i) {
      T d = sign * g[i] + wd * p[i];
      T v = mom * buf[i] + damp * d;
      buf[i] = v;
      p[i] -= lr * (d + mom * v);
    }
  } else {
    for (int64_t i = lo; i < hi; ++i) {
      T d = sign * g[i] + wd * p[i];
      T v = mom * buf[i] + damp * d;
      buf[i] = v;
      p[i] -= lr * v;
    }
  }
}

template <class T>
void sgd_typed(int64_t n, T* p, const T* g, T* buf, bool first, const SgdOptions& o) {
  const T lr = T(o.lr), mom = T(o.momentum), damp = T(1 - o.dampening), wd = T(o.weight_decay);
  const T sign = o.maximize ? T(-1) : T(1);
  parallel_for(0, n, kGrainElementwise, [&](int64_t b, int64_t e) {
    sgd_range<T>(b, e, p, g, buf, first, o.nesterov, lr, mom, damp, wd, sign);
  });
}

void sgd_cpu(DType dtype, int64_t n, void* p, const void* g, void* buf, bool first, const SgdOptions& o) {
  dispatch_float(dtype, "sgd", [&](auto tag) {
    using T = decltype(tag);
    sgd_typed<T>(n, static_cast<T*>(p), static_cast<const T*>(g), static_cast<T*>(buf), first, o);
  });
}

// The adaptive rules, as torch.optim's documentation (PyTorch 2.x) states them, per value, with
// g = (maximize ? -grad : grad) + wd * p (coupled weight decay) or p *= 1 - lr * wd first (decoupled):
//   Adagrad   sum += g^2;  p -= clr * g / (sqrt(sum) + eps)
//   RMSprop   v = alpha v + (1 - alpha) g^2;  centered: ga = lerp(ga, g, 1 - alpha), v~ = v - ga^2, else v~ = v;
//             d = sqrt(v~) + eps;  momentum > 0: buf = momentum buf + g / d, p -= lr buf;  else p -= lr g / d
//   Adadelta  v = rho v + (1 - rho) g^2;  dx = sqrt(u + eps) / sqrt(v + eps) * g;  u = rho u + (1 - rho) dx^2;
//             p -= lr dx
//   Adam      m = lerp(m, g, 1 - beta1);  v = beta2 v + (1 - beta2) g^2;  amsgrad: vmax = max(vmax, v), v~ = vmax;
//             p -= lr / (1 - beta1^t) * m / (sqrt(v~) / sqrt(1 - beta2^t) + eps)
//   Adamax    m = lerp(m, g, 1 - beta1);  u = max(beta2 u, |g| + eps);  p -= lr / (1 - beta1^t) * m / u
//   NAdam     m, v as Adam;  d = sqrt(v / (1 - beta2^t)) + eps;
//             p -= lr (1 - mu_t) / (1 - prod mu) * g / d;  p -= lr mu_{t+1} / (1 - prod mu * mu_{t+1}) * m / d
// Refs: torch.optim.{Adagrad,RMSprop,Adadelta,Adam,AdamW,Adamax,NAdam} docs (pseudo-code sections).
// Scalars of one update, in the value type. g(i) = sign * grad[i] + wd * p[i] (wd = 0 when decoupled).
template <class T>
struct Coef {
  T sign, wd, shrink, eps, lr, a, b, c, b1c /*1 - beta1*/, b2, b2c /*1 - beta2*/, k, kc /*alpha or rho, 1 - it*/, mom;
};

// One loop per rule (and per option that changes the loop), over values [lo, hi), with restrict
// pointers so the compiler vectorises it.

template <class T>
void adagrad_range(int64_t lo, int64_t hi, T* NC_R p, const T* NC_R grad, T* NC_R sum, const Coef<T> c) {
  for (int64_t i = lo; i < hi; ++i) {
    T g = c.sign * grad[i] + c.wd * p[i];
    T s = sum[i] + g * g;
    sum[i] = s;
    p[i] -= c.a * g / (std::sqrt(s) + c.eps);
  }
}

template <class T, bool kCentered, bool kMomentum>
void rmsprop_range(int64_t lo, int64_t hi, T* NC_R p, const T* NC_R grad, T* NC_R sq, T* NC_R buf, T* NC_R gavg,
                   const Coef<T> c) {
  for (int64_t i = lo; i < hi; ++i) {
    T g = c.sign * grad[i] + c.wd * p[i];
    T v = c.k * sq[i] + c.kc * g * g;
    sq[i] = v;
    if constexpr (kCentered) {
      T ga = gavg[i] + c.kc * (g - gavg[i]);
      gavg[i] = ga;
      v -= ga * ga;
    }
    T d = std::sqrt(v) + c.eps;
    if constexpr (kMomentum) {
      T u = c.mom * buf[i] + g / d;
      buf[i] = u;
      p[i] -= c.lr * u;
    } else {
      p[i] -= c.lr * g / d;
    }
  }
}

template <class T>
void adadelta_range(int64_t lo, int64_t hi, T* NC_R p, const T* NC_R grad, T* NC_R sq, T* NC_R acc,
                    const Coef<T> c) {
  for (int64_t i = lo; i < hi; ++i) {
    T g = c.sign * grad[i] + c.wd * p[i];
    T v = c.k * sq[i] + c.kc * g * g;
    sq[i] = v;
    T dx = std::sqrt(acc[i] + c.eps) / std::sqrt(v + c.eps) * g;
    acc[i] = c.k * acc[i] + c.kc * dx * dx;
    p[i] -= c.lr * dx;
  }
}

template <class T, bool kAmsgrad>
void adam_range(int64_t lo, int64_t hi, T* NC_R p, const T* NC_R grad, T* NC_R m_, T* NC_R v_, T* NC_R vmax,
                const Coef<T> c) {
  for (int64_t i = lo; i < hi; ++i) {
    T g = c.sign * grad[i] + c.wd * p[i];
    T m = m_[i] + c.b1c * (g - m_[i]);
    T v = c.b2 * v_[i] + c.b2c * g * g;
    m_[i] = m;
    v_[i] = v;
    if constexpr (kAmsgrad) {
      v = std::max(vmax[i], v);
      vmax[i] = v;
    }
    p[i] = c.shrink * p[i] - c.a * m / (std::sqrt(v) / c.b + c.eps);
  }
}

template <class T>
void adamax_range(int64_t lo, int64_t hi, T* NC_R p, const T* NC_R grad, T* NC_R m_, T* NC_R u_, const Coef<T> c) {
  for (int64_t i = lo; i < hi; ++i) {
    T g = c.sign * grad[i] + c.wd * p[i];
    T m = m_[i] + c.b1c * (g - m_[i]);
    T u = std::max(c.b2 * u_[i], std::abs(g) + c.eps);
    m_[i] = m;
    u_[i] = u;
    p[i] -= c.a * m / u;
  }
}

template <class T>
void nadam_range(int64_t lo, int64_t hi, T* NC_R p, const T* NC_R grad, T* NC_R m_, T* NC_R v_, const Coef<T> c) {
  for (int64_t i = lo; i < hi; ++i) {
    T g = c.sign * grad[i] + c.wd * p[i];
    T m = m_[i] + c.b1c * (g - m_[i]);
    T v = c.b2 * v_[i] + c.b2c * g * g;
    m_[i] = m;
    v_[i] = v;
    T d = std::sqrt(v / c.c) + c.eps;
    T q = c.shrink * p[i] - c.a * g / d;
    p[i] = q - c.b * m / d;
  }
}

#undef NC_R

template <class T>
void optim_typed(int64_t n, T* p, const T* grad, T* const* st, const OptimOptions& o, const OptimStepScalars& s) {
  Coef<T> c{};
  c.sign = o.maximize ? T(-1) : T(1);
  c.wd = o.decoupled_weight_decay ? T(0) : T(o.weight_decay);
  c.shrink = o.decoupled_weight_decay ? T(1 - o.lr * o.weight_decay) : T(1);
  c.eps = T(o.eps);
  c.lr = T(o.lr);
  c.a = T(s.a);
  c.b = T(s.b);
  c.c = T(s.c);
  c.b1c = T(1 - o.beta1);
  c.b2 = T(o.beta2);
  c.b2c = T(1 - o.beta2);
  c.k = T(o.rule == OptimRule::Adadelta ? o.rho : o.alpha);
  c.kc = T(1 - (o.rule == OptimRule::Adadelta ? o.rho : o.alpha));
  c.mom = T(o.momentum);
  T* s0 = st[0];
  T* s1 = st[1];
  T* s2 = st[2];
  auto run = [&](auto&& range) { parallel_for(0, n, kGrainElementwise, range); };
  switch (o.rule) {
    case OptimRule::Adagrad:
      run([&](int64_t b, int64_t e) { adagrad_range<T>(b, e, p, grad, s0, c); });
      break;
    case OptimRule::RMSprop:
      run([&](int64_t b, int64_t e) {
        if (s1 && s2) rmsprop_range<T, true, true>(b, e, p, grad, s0, s1, s2, c);
        else if (s2) rmsprop_range<T, true, false>(b, e, p, grad, s0, s1, s2, c);
        else if (s1) rmsprop_range<T, false, true>(b, e, p, grad, s0, s1, s2, c);
        else rmsprop_range<T, false, false>(b, e, p, grad, s0, s1, s2, c);
      });
      break;
    case OptimRule::Adadelta:
      run([&](int64_t b, int64_t e) { adadelta_range<T>(b, e, p, grad, s0, s1, c); });
      break;
    case OptimRule::Adam:
      run([&](int64_t b, int64_t e) {
        if (s2) adam_range<T, true>(b, e, p, grad, s0, s1, s2, c);
        else adam_range<T, false>(b, e, p, grad, s0, s1, s2, c);
      });
      break;
    case OptimRule::Adamax:
      run([&](int64_t b, int64_t e) { adamax_range<T>(b, e, p, grad, s0, s1, c); });
      break;
    case OptimRule::NAdam:
      run([&](int64_t b, int64_t e) { nadam_range<T>(b, e, p, grad, s0, s1, c); });
      break;
  }
}

void optim_cpu(DType dtype, int64_t n, void* p, const void* g, void* const* state, const OptimOptions& o,
               const OptimStepScalars& s) {
  dispatch_float(dtype, "optim", [&](auto tag) {
    using T = decltype(tag);
    T* st[kMaxOptimStates];
    for (int k = 0; k < kMaxOptimStates; ++k) st[k] = static_cast<T*>(state[k]);
    optim_typed<T>(n, static_cast<T*>(p), static_cast<const T*>(g), st, o, s);
  });
}

}  // namespace

NC_REGISTER_KERNEL(sgd_kernel, CPU, sgd_cpu);
NC_REGISTER_KERNEL(optim_kernel, CPU, optim_cpu);

}  // namespace nc
