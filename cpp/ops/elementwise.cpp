// Elementwise ops with broadcasting, type promotion and their gradients.
#include <cmath>
#include <limits>
#include "ops/ops.h"

namespace nc {

namespace {

bool is_float_only(UnaryOp op) {
  switch (op) {
    case UnaryOp::Neg: case UnaryOp::Abs: case UnaryOp::Sign: case UnaryOp::Square: case UnaryOp::Clamp:
    case UnaryOp::Relu:
      return false;
    default:
      return true;
  }
}

struct UnaryBackward : Node {
  UnaryOp op;
  double p0, p1;
  Tensor x, y;  // the one the derivative needs (Note [Saved tensors])
  UnaryBackward(UnaryOp o, double a, double b) : op(o), p0(a), p1(b) {}
  TensorList apply(TensorList&& g) override {
    Tensor dx = empty_like(g[0]);
    unary_backward_kernel(dx.device(), op, dx, g[0], x, y, p0, p1);
    return {dx};
  }
  void release() override { x = y = Tensor(); }
  std::string name() const override { return "UnaryBackward"; }
};

struct BinaryBackward : Node {
  BinaryOp op;
  Shape a_shape, b_shape;
  Tensor a, b, out;
  explicit BinaryBackward(BinaryOp o) : op(o) {}
  TensorList apply(TensorList&& gs) override {
    const Tensor& g = gs[0];
    Tensor ga, gb;
    switch (op) {
      case BinaryOp::Add:
        ga = g, gb = g;
        break;
      case BinaryOp::Sub:
        ga = g;
        if (needs_grad(1)) gb = neg(g);
        break;
      case BinaryOp::Mul:
        if (needs_grad(0)) ga = mul(g, b);
        if (needs_grad(1)) gb = mul(g, a);
        break;
      case BinaryOp::Div:
        if (needs_grad(0)) ga = div(g, b);
        if (needs_grad(1)) gb = neg(div(mul(g, out), b));
        break;
      case BinaryOp::Pow: {
        if (needs_grad(0)) {
          // d/da a^b = b * a^(b-1)
          Tensor bm1 = sub(b, scalar_tensor(1, b.dtype()));
          ga = mul(g, mul(b, binary(BinaryOp::Pow, a, bm1)));
        }
        if (needs_grad(1)) {
          // d/db a^b = a^b * log(a); taken as 0 where a == 0 (the limit for b > 0)
          Tensor l = log(a);
          Tensor zero = scalar_tensor(0, a.dtype());
          gb = mul(g, where(binary(BinaryOp::Eq, a, zero), zero, mul(out, l)));
        }
        break;
      }
      case BinaryOp::Maximum: case BinaryOp::Minimum: {
        // The larger (smaller) input takes the gradient; ties split it evenly.
        BinaryOp win = op == BinaryOp::Maximum ? BinaryOp::Gt : BinaryOp::Lt;
        Tensor half = scalar_tensor(0.5, g.dtype());
        Tensor wa = add(to_dtype(binary(win, a, b), g.dtype()), mul(to_dtype(binary(BinaryOp::Eq, a, b), g.dtype()), half));
        if (needs_grad(0)) ga = mul(g, wa);
        if (needs_grad(1)) gb = mul(g, sub(scalar_tensor(1, g.dtype()), wa));
        break;
      }
      default:
        break;
    }
    if (ga.defined()) ga = sum_to(ga, a_shape);
    if (gb.defined()) gb = sum_to(gb, b_shape);
    return {ga, gb};
  }
  void release() override { a = b = out = Tensor(); }
  std::string name() const override { return "BinaryBackward"; }
};

struct WhereBackward : Node {
  Tensor cond;
  Shape a_shape, b_shape;
  TensorList apply(TensorList&& gs) override {
    const Tensor& g = gs[0];
    Tensor zero = scalar_tensor(0, g.dtype());
    Tensor ga, gb;
    if (needs_grad(1)) ga = sum_to(where(cond, g, zero), a_shape);
    if (needs_grad(2)) gb = sum_to(where(cond, zero, g), b_shape);
    return {Tensor(), ga, gb};
  }
  void release() override { cond = Tensor(); }
  std::string name() const override { return "WhereBackward"; }
};

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x_in, double p0, double p1) {
  Tensor x = x_in;
  if (x.dtype() == DType::Bool || (is_float_only(op) && !is_floating(x.dtype())))
    x = to_dtype(x, is_float_only(op) ? DType::Float32 : DType::Int64);
  Tensor y = empty_like(x);
  unary_kernel(x.device(), op, y, x, p0, p1);
  if (auto n = make_node<UnaryBackward>({&x}, op, p0, p1)) {
    if (unary_backward_uses_output(op)) n->y = n->save(y);
    else n->x = n->save(x);
    set_history(y, n);
  }
  return y;
}

Tensor clamp(const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
  NC_CHECK(lo || hi, ValueError, "clamp: at least one of min and max must be given");
  double l = lo.value_or(-std::numeric_limits<double>::infinity());
  double h = hi.value_or(std::numeric_limits<double>::infinity());
  NC_CHECK(!(l > h), ValueError, "clamp: min ", l, " is greater than max ", h);
  return unary(UnaryOp::Clamp, x, l, h);
}

Tensor binary(BinaryOp op, const Tensor& a_in, const Tensor& b_in) {
  NC_CHECK(a_in.device() == b_in.device(), RuntimeError, "binary op: tensors on different devices");
  DType ct = promote(a_in.dtype(), b_in.dtype());
  bool cmp = is_comparison(op);
  if (!cmp) {
    if (op == BinaryOp::Div && !is_floating(ct)) ct = DType::Float32;  // true division
    if (ct == DType::Bool) ct = DType::Int64;
  }
  Tensor a = to_dtype(a_in, ct), b = to_dtype(b_in, ct);
  if (op == BinaryOp::Pow && ct == DType::Int64) {
    NoGradGuard ng;
    Tensor neg_exp = reduce(ReduceOp::Any, binary(BinaryOp::Lt, b, scalar_tensor(0, ct)), {}, false);
    NC_CHECK(!contiguous_copy(neg_exp).data<bool>()[0], ValueError,
             "pow: integers to negative integer powers are not allowed; convert to float first");
  }
  const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt",
                         "ge", "logical_and", "logical_or", "logical_xor"};
  Shape shape = a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), names[int(op)]);
  Tensor out = Tensor::empty(shape, cmp ? DType::Bool : ct, a.device());
  binary_kernel(a.device(), op, out, a.shape() == shape ? a : expand(a.detach(), shape),
                b.shape() == shape ? b : expand(b.detach(), shape));
  if (!cmp && is_floating(ct)) {
    if (auto n = make_node<BinaryBackward>({&a, &b}, op)) {
      n->a_shape = a.shape();
      n->b_shape = b.shape();
      if (op != BinaryOp::Add && op != BinaryOp::Sub) {
        n->a = n->save(a);
        n->b = n->save(b);
      }
      if (op == BinaryOp::Div || op == BinaryOp::Pow) n->out = n->save(out);
      set_history(out, n);
    }
  }
  return out;
}

Tensor where(const Tensor& cond_in, const Tensor& a_in, const Tensor& b_in) {
  Tensor cond = cond_in.dtype() == DType::Bool ? cond_in : binary(BinaryOp::Ne, cond_in, scalar_tensor(0, cond_in.dtype()));
  DType ct = promote(a_in.dtype(), b_in.dtype());
  Tensor a = to_dtype(a_in, ct), b = to_dtype(b_in, ct);
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = Tensor::empty(shape, ct, a.device());
  where_kernel(a.device(), out, expand(cond.detach(), shape), expand(a.detach(), shape), expand(b.detach(), shape));
  if (is_floating(ct)) {
    if (auto n = make_node<WhereBackward>({&cond, &a, &b})) {
      n->cond = n->save(cond);
      n->a_shape = a.shape();
      n->b_shape = b.shape();
      set_history(out, n);
    }
  }
  return out;
}

Tensor wrap_scalar(double v, bool is_integer, const Tensor& like) {
  DType d;
  if (is_integer) d = like.dtype() == DType::Bool ? DType::Int64 : like.dtype();
  else d = is_floating(like.dtype()) ? like.dtype() : DType::Float32;
  return scalar_tensor(v, d);
}

}  // namespace nc
