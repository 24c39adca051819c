// Normalization kernels (formulas: Note [Batch-norm statistics] and the kernel comments in ops/norm.h).
// Layouts: x, y, dy, dx are contiguous; batch and group norm see (N, C, S), layer norm (M, D).
//
// Batch norm has two paths. Long rows (S >= kLongRow): threads split the channels and each channel is done
// start to finish by one thread (its N rows of S values fit in L2 for common sizes), so the forward reads x
// from memory once for the mean and then from cache for the variance and the output; the backward reads
// (x, dy) once for the two sums and again from cache for dx. Short rows ((N, C) inputs, small images):
// threads split the channels into blocks and walk the N rows of each block with one accumulator per column
// c*S + s, vectorised along the columns.
//
// Sums run in T with 4 vectors of independent partial sums over blocks of kBlock values, then in double
// across blocks and rows; variances are two-pass (sum of squared deviations from the mean), and gradients
// use deviations x - mean, so large means cost no precision.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>
#include "core/parallel.h"
#include "kernels/cpu/vmath.h"
#include "ops/norm.h"

namespace nc {
namespace {

template <class T> constexpr int kLanes = kVecBytes / static_cast<int>(sizeof(T));
constexpr int64_t kBlock = 4096;    // values summed in T before the partial sum moves to double
constexpr int64_t kLongRow = 64;    // batch norm: rows at least this long take the per-channel path

template <class T, int U>
inline T hsum(T* acc) {
  for (int w = U / 2; w > 0; w /= 2)
    for (int k = 0; k < w; ++k) acc[k] += acc[k + w];
  return acc[0];
}

// (sum of fa(i), sum of fb(i)) over i in [0, n): 4 vectors of partial sums each, then one vector, then scalars.
template <class T, class FA, class FB>
std::pair<double, double> sum2(int64_t n, const FA& fa, const FB& fb) {
  constexpr int L = kLanes<T>, U = 4 * L;
  double ta = 0, tb = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    int64_t b1 = std::min(n, b0 + kBlock), i = b0;
    T a[U] = {}, b[U] = {};
    for (; i + U <= b1; i += U)
      for (int k = 0; k < U; ++k) a[k] += fa(i + k), b[k] += fb(i + k);
    for (; i + L <= b1; i += L)
      for (int k = 0; k < L; ++k) a[k] += fa(i + k), b[k] += fb(i + k);
    T ra = 0, rb = 0;
    for (; i < b1; ++i) ra += fa(i), rb += fb(i);
    ta += double(hsum<T, U>(a)) + double(ra);
    tb += double(hsum<T, U>(b)) + double(rb);
  }
  return {ta, tb};
}

template <class T, class F>
double sum1(int64_t n, const F& f) {
  constexpr int L = kLanes<T>, U = 4 * L;
  double t = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    int64_t b1 = std::min(n, b0 + kBlock), i = b0;
    T a[U] = {};
    for (; i + U <= b1; i += U)
      for (int k = 0; k < U; ++k) a[k] += f(i + k);
    for (; i + L <= b1; i += L)
      for (int k = 0; k < L; ++k) a[k] += f(i + k);
    T r = 0;
    for (; i < b1; ++i) r += f(i);
    t += double(hsum<T, U>(a)) + double(r);
  }
  return t;
}

template <class T>
double row_sum(const T* p, int64_t n) {
  return sum1<T>(n, [p](int64_t i) { return p[i]; });
}
template <class T>
double row_sq_dev(const T* p, int64_t n, T m) {
  return sum1<T>(n, [p, m](int64_t i) {
    T d = p[i] - m;
    return d * d;
  });
}
// (sum dy, sum dy * (x - m))
template <class T>
std::pair<double, double> row_dy_dev(const T* dy, const T* x, int64_t n, T m) {
  return sum2<T>(n, [dy](int64_t i) { return dy[i]; }, [dy, x, m](int64_t i) { return dy[i] * (x[i] - m); });
}

// out = (x - m) * a + b over n values
template <class T>
inline void affine_dev(T* out, const T* x, int64_t n, T m, T a, T b) {
  for (int64_t i = 0; i < n; ++i) out[i] = (x[i] - m) * a + b;
}
// dx = a * dy + b * (x - m) + c over n values
template <class T>
inline void grad_row(T* dx, const T* dy, const T* x, int64_t n, T a, T b, T m, T c) {
  for (int64_t i = 0; i < n; ++i) dx[i] = a * dy[i] + b * (x[i] - m) + c;
}

template <class T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}
template <class T>
T* mut_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

// Channels per thread chunk: enough that a chunk has ~kGrainElementwise values.
int64_t channel_grain(int64_t per_channel) {
  return std::max<int64_t>(1, kGrainElementwise / std::max<int64_t>(per_channel, 1));
}

// ------------------------------------------------------------------------------------------ batch norm

template <class T>
struct BnForward {
  T* Y;
  T *SM, *SI, *RM, *RV;
  const T *X, *W, *B;
  bool training;
  double momentum, eps;
  int64_t N, C, S, M;

  // Records channel c's statistics (save_mean/invstd, running update); returns the scale weight * invstd.
  T finish(int64_t c, double mean, double var) const {
    double invstd = 1.0 / std::sqrt(var + eps);
    SM[c] = T(mean);
    SI[c] = T(invstd);
    if (training && RM) {
      RM[c] = T((1 - momentum) * double(RM[c]) + momentum * mean);
      RV[c] = T((1 - momentum) * double(RV[c]) + momentum * var * double(M) / double(M - 1));
    }
    return T((W ? double(W[c]) : 1.0) * invstd);
  }
  T bias(int64_t c) const { return B ? B[c] : T(0); }

  // Training, long rows: channels [c0, c1), each start to finish.
  void train_rows(int64_t c0, int64_t c1) const {
    for (int64_t c = c0; c < c1; ++c) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) s += row_sum(X + (n * C + c) * S, S);
      T m = T(s / double(M));
      double q = 0;
      for (int64_t n = 0; n < N; ++n) q += row_sq_dev(X + (n * C + c) * S, S, m);
      T a = finish(c, double(m), q / double(M)), b = bias(c);
      for (int64_t n = 0; n < N; ++n) affine_dev(Y + (n * C + c) * S, X + (n * C + c) * S, S, m, a, b);
    }
  }

  // Training, short rows: channels [c0, c1) as J = (c1 - c0) * S columns of an (N, C*S) matrix.
  void train_columns(int64_t c0, int64_t c1) const {
    int64_t j0 = c0 * S, J = (c1 - c0) * S, ld = C * S;
    std::vector<double> acc(J, 0.0);
    std::vector<T> mcol(J), acol(J), bcol(J);
    for (int64_t n = 0; n < N; ++n) {
      const T* p = X + n * ld + j0;
      for (int64_t j = 0; j < J; ++j) acc[j] += double(p[j]);
    }
    for (int64_t c = c0; c < c1; ++c) {
      double s = 0;
      for (int64_t k = 0; k < S; ++k) s += acc[(c - c0) * S + k];
      T m = T(s / double(M));
      for (int64_t k = 0; k < S; ++k) mcol[(c - c0) * S + k] = m;
    }
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t n = 0; n < N; ++n) {
      const T* p = X + n * ld + j0;
      for (int64_t j = 0; j < J; ++j) {
        T d = p[j] - mcol[j];
        acc[j] += double(d * d);
      }
    }
    for (int64_t c = c0; c < c1; ++c) {
      double q = 0;
      for (int64_t k = 0; k < S; ++k) q += acc[(c - c0) * S + k];
      T a = finish(c, double(mcol[(c - c0) * S]), q / double(M)), b = bias(c);
      for (int64_t k = 0; k < S; ++k) acol[(c - c0) * S + k] = a, bcol[(c - c0) * S + k] = b;
    }
    for (int64_t n = 0; n < N; ++n) {
      const T* p = X + n * ld + j0;
      T* o = Y + n * ld + j0;
      for (int64_t j = 0; j < J; ++j) o[j] = (p[j] - mcol[j]) * acol[j] + bcol[j];
    }
  }

  void run() const {
    if (training) {
      if (S >= kLongRow) {
        parallel_for(0, C, channel_grain(N * S), [&](int64_t c0, int64_t c1) { train_rows(c0, c1); });
      } else {
        parallel_for(0, C, channel_grain(N * S), [&](int64_t c0, int64_t c1) { train_columns(c0, c1); });
      }
      return;
    }
    // Evaluation: per-channel constants, then an elementwise pass over rows (n, c) or over n.
    std::vector<T> mean(C), a(C), b(C);
    for (int64_t c = 0; c < C; ++c) {
      mean[c] = RM[c];
      a[c] = finish(c, double(RM[c]), double(RV[c]));
      b[c] = bias(c);
    }
    if (S >= kLongRow) {
      parallel_for(0, N * C, channel_grain(S), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          int64_t c = r % C;
          affine_dev(Y + r * S, X + r * S, S, mean[c], a[c], b[c]);
        }
      });
    } else {
      std::vector<T> mcol(C * S), acol(C * S), bcol(C * S);
      for (int64_t j = 0; j < C * S; ++j) mcol[j] = mean[j / S], acol[j] = a[j / S], bcol[j] = b[j / S];
      int64_t ld = C * S;
      parallel_for(0, N, channel_grain(ld), [&](int64_t n0, int64_t n1) {
        for (int64_t n = n0; n < n1; ++n) {
          const T* p = X + n * ld;
          T* o = Y + n * ld;
          for (int64_t j = 0; j < ld; ++j) o[j] = (p[j] - mcol[j]) * acol[j] + bcol[j];
        }
      });
    }
  }
};

void batch_norm_cpu(const Tensor& y, const Tensor& save_mean, const Tensor& save_invstd, const Tensor& x,
                    const Tensor& weight, const Tensor& bias, const Tensor& running_mean, const Tensor& running_var,
                    bool training, double momentum, double eps, int64_t N, int64_t C, int64_t S) {
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    BnForward<T> f{y.data<T>(), save_mean.data<T>(), save_invstd.data<T>(), mut_or_null<T>(running_mean),
                   mut_or_null<T>(running_var), x.data<T>(), ptr_or_null<T>(weight), ptr_or_null<T>(bias),
                   training, momentum, eps, N, C, S, N * S};
    f.run();
  });
}

template <class T>
struct BnBackward {
  T *DX, *DW, *DB;
  const T *DY, *X, *W, *MEAN, *INV;
  bool batch_stats;
  int64_t N, C, S, M;

  bool need_sums() const { return batch_stats || DW || DB; }

  // Channel c's sums done: record dweight/dbias, return dx's coefficients (a, b, c) of a*dy + b*(x - m) + c.
  void coefficients(int64_t c, double sdy, double sdyx, T& a, T& b, T& k) const {
    double inv = double(INV[c]), w = W ? double(W[c]) : 1.0;
    if (DW) DW[c] = T(sdyx * inv);
    if (DB) DB[c] = T(sdy);
    a = T(w * inv);
    if (batch_stats) {
      b = T(-w * inv * inv * inv * sdyx / double(M));
      k = T(-w * inv * sdy / double(M));
    } else {
      b = k = T(0);
    }
  }

  void rows(int64_t c0, int64_t c1) const {
    for (int64_t c = c0; c < c1; ++c) {
      T m = MEAN[c];
      double sdy = 0, sdyx = 0;
      if (need_sums())
        for (int64_t n = 0; n < N; ++n) {
          auto s = row_dy_dev(DY + (n * C + c) * S, X + (n * C + c) * S, S, m);
          sdy += s.first, sdyx += s.second;
        }
      T a, b, k;
      coefficients(c, sdy, sdyx, a, b, k);
      if (DX)
        for (int64_t n = 0; n < N; ++n) {
          int64_t o = (n * C + c) * S;
          grad_row(DX + o, DY + o, X + o, S, a, b, m, k);
        }
    }
  }

  void columns(int64_t c0, int64_t c1) const {
    int64_t j0 = c0 * S, J = (c1 - c0) * S, ld = C * S;
    std::vector<T> mcol(J), acol(J), bcol(J), kcol(J);
    for (int64_t j = 0; j < J; ++j) mcol[j] = MEAN[c0 + j / S];
    std::vector<double> sdy(need_sums() ? J : 0, 0.0), sdyx(need_sums() ? J : 0, 0.0);
    if (need_sums())
      for (int64_t n = 0; n < N; ++n) {
        const T* g = DY + n * ld + j0;
        const T* p = X + n * ld + j0;
        for (int64_t j = 0; j < J; ++j) {
          sdy[j] += double(g[j]);
          sdyx[j] += double(g[j] * (p[j] - mcol[j]));
        }
      }
    for (int64_t c = c0; c < c1; ++c) {
      double s1 = 0, s2 = 0;
      if (need_sums())
        for (int64_t k = 0; k < S; ++k) s1 += sdy[(c - c0) * S + k], s2 += sdyx[(c - c0) * S + k];
      T a, b, k;
      coefficients(c, s1, s2, a, b, k);
      for (int64_t i = (c - c0) * S; i < (c - c0 + 1) * S; ++i) acol[i] = a, bcol[i] = b, kcol[i] = k;
    }
    if (DX)
      for (int64_t n = 0; n < N; ++n) {
        const T* g = DY + n * ld + j0;
        const T* p = X + n * ld + j0;
        T* o = DX + n * ld + j0;
        for (int64_t j = 0; j < J; ++j) o[j] = acol[j] * g[j] + bcol[j] * (p[j] - mcol[j]) + kcol[j];
      }
  }

  void run() const {
    if (S >= kLongRow)
      parallel_for(0, C, channel_grain(N * S), [&](int64_t c0, int64_t c1) { rows(c0, c1); });
    else
      parallel_for(0, C, channel_grain(N * S), [&](int64_t c0, int64_t c1) { columns(c0, c1); });
  }
};

void batch_norm_backward_cpu(const Tensor& dx, const Tensor& dweight, const Tensor& dbias, const Tensor& dy,
                             const Tensor& x, const Tensor& weight, const Tensor& mean, const Tensor& invstd,
                             bool batch_stats, int64_t N, int64_t C, int64_t S) {
  dispatch_float(dy.dtype(), "batch_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    BnBackward<T> b{mut_or_null<T>(dx), mut_or_null<T>(dweight), mut_or_null<T>(dbias), dy.data<T>(), x.data<T>(),
                    ptr_or_null<T>(weight), mean.data<T>(), invstd.data<T>(), batch_stats, N, C, S, N * S};
    b.run();
  });
}

// ------------------------------------------------------------------------------------------ group norm

template <class T>
void group_norm_fwd(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& var, const Tensor& x,
                    const Tensor& weight, const Tensor& bias, int64_t N, int64_t C, int64_t S, int64_t G,
                    double eps) {
  const T* X = x.data<T>();
  const T *W = ptr_or_null<T>(weight), *B = ptr_or_null<T>(bias);
  T *Y = y.data<T>(), *MEAN = mean.data<T>(), *RSTD = rstd.data<T>(), *VAR = mut_or_null<T>(var);
  int64_t Cg = C / G, K = Cg * S;
  double Kd = double(std::max<int64_t>(K, 1));
  parallel_for(0, N * G, channel_grain(K), [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {  // q = n * G + g; the group's K values are contiguous
      const T* p = X + q * K;
      T* o = Y + q * K;
      T m = T(row_sum(p, K) / Kd);
      double v = row_sq_dev(p, K, m) / Kd, r = 1.0 / std::sqrt(v + eps);
      MEAN[q] = m;
      RSTD[q] = T(r);
      if (VAR) VAR[q] = T(v);
      int64_t c0 = (q % G) * Cg;
      if (S == 1 && Cg > 1) {
        T rt = T(r);
        for (int64_t k = 0; k < Cg; ++k)
          o[k] = (p[k] - m) * (W ? W[c0 + k] * rt : rt) + (B ? B[c0 + k] : T(0));
      } else {
        for (int64_t k = 0; k < Cg; ++k) {
          int64_t c = c0 + k;
          affine_dev(o + k * S, p + k * S, S, m, T((W ? double(W[c]) : 1.0) * r), B ? B[c] : T(0));
        }
      }
    }
  });
}

template <class T>
void group_norm_bwd(const Tensor& dx, const Tensor& dweight, const Tensor& dbias, const Tensor& dy, const Tensor& x,
                    const Tensor& weight, const Tensor& mean, const Tensor& rstd, int64_t N, int64_t C, int64_t S,
                    int64_t G) {
  const T *DY = dy.data<T>(), *X = x.data<T>(), *W = ptr_or_null<T>(weight);
  const T *MEAN = mean.data<T>(), *RSTD = rstd.data<T>();
  T *DX = mut_or_null<T>(dx), *DW = mut_or_null<T>(dweight), *DB = mut_or_null<T>(dbias);
  int64_t Cg = C / G, K = Cg * S;
  double Kd = double(std::max<int64_t>(K, 1));
  // Per (n, c): sum of dy and of dy * (x - mean) over the plane.
  std::vector<double> sdy(N * C), sdyx(N * C);
  parallel_for(0, N * G, channel_grain(K), [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      int64_t n = q / G, c0 = (q % G) * Cg;
      T m = MEAN[q];
      double r = double(RSTD[q]), sg = 0, sgx = 0;  // sums of g = dy * w and of g * (x - mean)
      for (int64_t k = 0; k < Cg; ++k) {
        int64_t c = c0 + k, o = q * K + k * S;
        auto s = row_dy_dev(DY + o, X + o, S, m);
        sdy[n * C + c] = s.first, sdyx[n * C + c] = s.second;
        double w = W ? double(W[c]) : 1.0;
        sg += w * s.first, sgx += w * s.second;
      }
      if (!DX) continue;
      T b = T(-r * r * r * sgx / Kd), kk = T(-r * sg / Kd);
      for (int64_t k = 0; k < Cg; ++k) {
        int64_t c = c0 + k, o = q * K + k * S;
        grad_row(DX + o, DY + o, X + o, S, T((W ? double(W[c]) : 1.0) * r), b, m, kk);
      }
    }
  });
  if (DW || DB)
    for (int64_t c = 0; c < C; ++c) {
      double w = 0, b = 0;
      for (int64_t n = 0; n < N; ++n) {
        w += double(RSTD[n * G + c / Cg]) * sdyx[n * C + c];
        b += sdy[n * C + c];
      }
      if (DW) DW[c] = T(w);
      if (DB) DB[c] = T(b);
    }
}

void group_norm_cpu(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& var, const Tensor& x,
                    const Tensor& weight, const Tensor& bias, int64_t N, int64_t C, int64_t S, int64_t G,
                    double eps) {
  dispatch_float(x.dtype(), "group_norm", [&](auto tag) {
    group_norm_fwd<decltype(tag)>(y, mean, rstd, var, x, weight, bias, N, C, S, G, eps);
  });
}

void group_norm_backward_cpu(const Tensor& dx, const Tensor& dweight, const Tensor& dbias, const Tensor& dy,
                             const Tensor& x, const Tensor& weight, const Tensor& mean, const Tensor& rstd, int64_t N,
                             int64_t C, int64_t S, int64_t G) {
  dispatch_float(dy.dtype(), "group_norm_backward", [&](auto tag) {
    group_norm_bwd<decltype(tag)>(dx, dweight, dbias, dy, x, weight, mean, rstd, N, C, S, G);
  });
}

// ------------------------------------------------------------------------------------------ layer norm

template <class T>
void layer_norm_fwd(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& weight,
                    const Tensor& bias, int64_t M, int64_t D, double eps) {
  const T *X = x.data<T>(), *W = ptr_or_null<T>(weight), *B = ptr_or_null<T>(bias);
  T *Y = y.data<T>(), *MEAN = mean.data<T>(), *RSTD = rstd.data<T>();
  if (D == 0) return;
  parallel_for(0, M, channel_grain(D), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* p = X + r * D;
      T* o = Y + r * D;
      T m = T(row_sum(p, D) / double(D));
      T rs = T(1.0 / std::sqrt(row_sq_dev(p, D, m) / double(D) + eps));
      MEAN[r] = m;
      RSTD[r] = rs;
      if (W && B) {
        for (int64_t d = 0; d < D; ++d) o[d] = (p[d] - m) * rs * W[d] + B[d];
      } else if (W) {
        for (int64_t d = 0; d < D; ++d) o[d] = (p[d] - m) * rs * W[d];
      } else {
        affine_dev(o, p, D, m, rs, T(0));
        if (B)
          for (int64_t d = 0; d < D; ++d) o[d] += B[d];
      }
    }
  });
}

template <class T>
void layer_norm_bwd(const Tensor& dx, const Tensor& dweight, const Tensor& dbias, const Tensor& dy, const Tensor& x,
                    const Tensor& weight, const Tensor& mean, const Tensor& rstd, int64_t M, int64_t D) {
  const T *DY = dy.data<T>(), *X = x.data<T>(), *W = ptr_or_null<T>(weight);
  const T *MEAN = mean.data<T>(), *RSTD = rstd.data<T>();
  T *DX = mut_or_null<T>(dx), *DW = mut_or_null<T>(dweight), *DB = mut_or_null<T>(dbias);
  if (D == 0) return;
  // dweight/dbias: each of K row chunks sums into its own buffer row, then the K rows are added.
  int64_t K = M * D < kGrainElementwise ? 1 : std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), M));
  bool partial = DW || DB;
  std::vector<T> pw(partial ? K * D : 0, T(0)), pb(partial ? K * D : 0, T(0));
  parallel_for(0, K, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      T *bw = partial ? pw.data() + k * D : nullptr, *bb = partial ? pb.data() + k * D : nullptr;
      for (int64_t r = M * k / K; r < M * (k + 1) / K; ++r) {
        const T *g = DY + r * D, *p = X + r * D;
        T m = MEAN[r], rs = RSTD[r];
        if (DX) {
          std::pair<double, double> s =
              W ? sum2<T>(D, [g, W](int64_t i) { return g[i] * W[i]; },
                          [g, p, W, m](int64_t i) { return g[i] * W[i] * (p[i] - m); })
                : row_dy_dev(g, p, D, m);
          double r1 = double(rs);
          T b = T(-r1 * r1 * r1 * s.second / double(D)), c = T(-r1 * s.first / double(D));
          T* o = DX + r * D;
          if (W) {
            for (int64_t d = 0; d < D; ++d) o[d] = rs * W[d] * g[d] + b * (p[d] - m) + c;
          } else {
            grad_row(o, g, p, D, rs, b, m, c);
          }
        }
        if (DW)
          for (int64_t d = 0; d < D; ++d) bw[d] += g[d] * (p[d] - m) * rs;
        if (DB)
          for (int64_t d = 0; d < D; ++d) bb[d] += g[d];
      }
    }
  });
  if (DW || DB)
    for (int64_t d = 0; d < D; ++d) {
      T w = 0, b = 0;
      for (int64_t k = 0; k < K; ++k) w += pw[k * D + d], b += pb[k * D + d];
      if (DW) DW[d] = w;
      if (DB) DB[d] = b;
    }
}

void layer_norm_cpu(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& weight,
                    const Tensor& bias, int64_t M, int64_t D, double eps) {
  dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    layer_norm_fwd<decltype(tag)>(y, mean, rstd, x, weight, bias, M, D, eps);
  });
}

void layer_norm_backward_cpu(const Tensor& dx, const Tensor& dweight, const Tensor& dbias, const Tensor& dy,
                             const Tensor& x, const Tensor& weight, const Tensor& mean, const Tensor& rstd, int64_t M,
                             int64_t D) {
  dispatch_float(dy.dtype(), "layer_norm_backward", [&](auto tag) {
    layer_norm_bwd<decltype(tag)>(dx, dweight, dbias, dy, x, weight, mean, rstd, M, D);
  });
}

}  // namespace

NC_REGISTER_KERNEL(batch_norm_kernel, CPU, batch_norm_cpu);
NC_REGISTER_KERNEL(batch_norm_backward_kernel, CPU, batch_norm_backward_cpu);
NC_REGISTER_KERNEL(group_norm_kernel, CPU, group_norm_cpu);
NC_REGISTER_KERNEL(group_norm_backward_kernel, CPU, group_norm_backward_cpu);
NC_REGISTER_KERNEL(layer_norm_kernel, CPU, layer_norm_cpu);
NC_REGISTER_KERNEL(layer_norm_backward_kernel, CPU, layer_norm_backward_cpu);

}  // namespace nc
