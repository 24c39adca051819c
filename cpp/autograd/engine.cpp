// The backward engine: topological order by dependency counting, newest node first among the
// ready ones, gradients summed per node input before the node runs. Runs entirely in C++.
#include <queue>
#include "autograd/node.h"
#include "ops/ops.h"

namespace nc {

static thread_local bool g_grad_enabled = true;
bool GradMode::enabled() { return g_grad_enabled; }
void GradMode::set_enabled(bool e) { g_grad_enabled = e; }

static std::atomic<uint64_t> g_next_seq{0};
Node::Node() : seq(g_next_seq++) {}

void Node::check_saved_versions() const {
  for (auto& [st, v] : saved_versions)
    NC_CHECK(st->version == v, RuntimeError, "one of the tensors needed for gradient computation (saved by ", name(),
             ") has been modified by an in-place operation since it was used; do in-place updates (optimizer.step(), "
             "x.add_(), x[...] = ...) after backward(), or clone the tensor first");
}

Edge gradient_edge(const Tensor& t) {
  TensorImpl* impl = t.get();
  if (impl->grad_fn) return {impl->grad_fn, impl->output_nr};
  if (!impl->requires_grad) return {};
  auto acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl());
    impl->grad_accumulator = acc;
  }
  return {acc, 0};
}

void collect_edges(Node& node, std::initializer_list<const Tensor*> inputs) {
  node.next.reserve(inputs.size());
  for (const Tensor* t : inputs) node.next.push_back(t->defined() ? gradient_edge(*t) : Edge{});
}

void set_history(Tensor& out, const std::shared_ptr<Node>& node, uint32_t nr) {
  if (!node) return;
  out.get()->grad_fn = node;
  out.get()->output_nr = nr;
}

// Adds g into the accumulated gradient `acc`, stealing g when nothing else holds it.
static void accumulate(Tensor& acc, Tensor&& g) {
  if (!acc.defined()) {
    acc = std::move(g);
  } else {
    acc = add(acc, g);
  }
}

TensorList AccumulateGrad::apply(TensorList&& grads) {
  Tensor g = std::move(grads[0]);
  if (!g.defined()) return {};
  Tensor var(variable);
  NC_CHECK(g.shape() == var.shape(), RuntimeError, "AccumulateGrad: gradient of shape ", g.shape(),
           " for a tensor of shape ", var.shape());
  if (g.dtype() != var.dtype()) g = to_dtype(g, var.dtype());
  Tensor cur = var.grad();
  if (!cur.defined()) {
    // Steal the incoming gradient when it is a fresh contiguous tensor nobody else holds.
    bool own = g.is_contiguous() && g.impl().use_count() == 1 && g.storage().use_count() == 1 &&
               g.offset() == 0;
    var.set_grad(own ? g.detach() : contiguous_copy(g));
  } else {
    add_(cur, g);  // in place, so references to .grad (optimizers) stay valid
  }
  return {};
}

void run_backward(const TensorList& roots, const TensorList& grads, bool retain_graph) {
  NoGradGuard no_grad;
  // 1. Discover the graph; count, for every node, how many edges point at it.
  std::vector<std::shared_ptr<Node>> nodes;  // every node of this pass, kept alive while we run
  auto visit = [&](const std::shared_ptr<Node>& n) {
    if (n->pending >= 0) return false;
    n->pending = 0;
    n->grad_buffer.assign(n->num_outputs, Tensor());
    nodes.push_back(n);
    return true;
  };
  struct Reset {  // leave every node clean even when a node's backward throws
    std::vector<std::shared_ptr<Node>>& ns;
    ~Reset() {
      for (auto& n : ns) n->pending = -1, n->grad_buffer.clear();
    }
  } reset{nodes};
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    NC_CHECK(r.requires_grad(), RuntimeError,
             "element ", i, " of tensors does not require grad and does not have a grad_fn");
    Edge e = gradient_edge(r);
    visit(e.fn);
    accumulate(e.fn->grad_buffer[e.input_nr], Tensor(grads[i]));
  }
  for (size_t s = 0; s < nodes.size(); ++s) {
    Node* n = nodes[s].get();
    NC_CHECK(!n->released, RuntimeError,
             "trying to backward through the graph a second time (or to use saved tensors after they were freed); "
             "pass retain_graph=True to the first backward() call if you need to");
    for (auto& e : n->next) {
      if (!e.fn) continue;
      visit(e.fn);
      e.fn->pending++;
    }
  }
  // 2. Run nodes whose dependencies are all satisfied, newest first.
  auto cmp = [](Node* a, Node* b) { return a->seq < b->seq; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(cmp)> ready(cmp);
  for (auto& n : nodes)
    if (n->pending == 0) ready.push(n.get());
  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    TensorList in = std::move(n->grad_buffer);
    n->grad_buffer.clear();
    in.resize(n->num_outputs);
    bool any = false;
    for (auto& g : in) any = any || g.defined();
    for (auto& [nr, weak] : n->retained) {
      auto t = weak.lock();
      if (!t || nr >= in.size() || !in[nr].defined()) continue;
      t->grad = (t->grad ? add(Tensor(t->grad), in[nr]) : contiguous_copy(in[nr])).impl();
    }
    if (any) n->check_saved_versions();
    TensorList out = any ? n->apply(std::move(in)) : TensorList{};
    if (!retain_graph) {
      n->release();
      n->saved_versions.clear();
      if (!dynamic_cast<AccumulateGrad*>(n)) n->released = true;
    }
    for (size_t i = 0; i < n->next.size(); ++i) {
      Edge& e = n->next[i];
      if (!e.fn) continue;
      if (i < out.size() && out[i].defined()) accumulate(e.fn->grad_buffer[e.input_nr], std::move(out[i]));
      if (--e.fn->pending == 0) ready.push(e.fn.get());
    }
  }
}

}  // namespace nc
