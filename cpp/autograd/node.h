// Autograd graph: a Node turns gradients w.r.t. its outputs into gradients w.r.t. its inputs.
// Note [Saved tensors]: nodes save detached aliases (same storage, no grad_fn) of the tensors
// backward needs, so an output saved by its own node does not form a reference cycle. After a
// backward pass without retain_graph the engine calls release(), which drops them. save() also
// records the storage's version; in-place writes bump it, and the engine refuses to run a node
// whose saved data changed since (the gradient would silently be wrong).
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>
#include "core/tensor.h"

namespace nc {

struct Edge {
  std::shared_ptr<Node> fn;  // null: the input needs no gradient
  uint32_t input_nr = 0;
};

struct Node {
  std::vector<Edge> next;  // one per input of the forward op
  uint64_t seq;            // creation order: the engine runs newer nodes first
  uint32_t num_outputs = 1;
  bool released = false;
  // Non-leaf outputs whose .grad the user asked to keep (retain_grad): (output number, tensor).
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained;

  Node();
  virtual ~Node() = default;
  // grads[i] is the gradient w.r.t. output i (undefined if that output got none). Returns one
  // gradient per input, undefined where needs_grad(i) is false.
  virtual TensorList apply(TensorList&& grads) = 0;
  virtual void release() {}
  virtual std::string name() const = 0;
  bool needs_grad(size_t i) const { return i < next.size() && next[i].fn != nullptr; }
  // A detached alias of t for use in backward, with its version recorded.
  Tensor save(const Tensor& t) {
    saved_versions.emplace_back(t.storage(), t.storage()->version);
    return t.detach();
  }
  void check_saved_versions() const;
  std::vector<std::pair<std::shared_ptr<Storage>, uint64_t>> saved_versions;

  // Engine bookkeeping for the backward pass in progress (one pass at a time per graph):
  // incoming edges not yet processed, and the gradients summed so far per output.
  int64_t pending = -1;  // -1: not part of the current pass
  TensorList grad_buffer;
};

// The leaf sink: adds the incoming gradient into variable.grad.
struct AccumulateGrad : Node {
  std::shared_ptr<TensorImpl> variable;
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> v) : variable(std::move(v)) {}
  TensorList apply(TensorList&& grads) override;
  std::string name() const override { return "AccumulateGrad"; }
};

struct GradMode {
  static bool enabled();
  static void set_enabled(bool e);
};
struct NoGradGuard {
  bool prev;
  NoGradGuard() : prev(GradMode::enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev); }
};

// The edge a gradient for t flows into: its grad_fn, or its AccumulateGrad if it is a leaf that
// requires grad, or nothing.
Edge gradient_edge(const Tensor& t);

// True if grad mode is on and any of the tensors requires grad.
inline bool any_requires_grad(std::initializer_list<const Tensor*> ts) {
  if (!GradMode::enabled()) return false;
  for (const Tensor* t : ts)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

// Connect node to its inputs and make out (output number nr) its result.
void collect_edges(Node& node, std::initializer_list<const Tensor*> inputs);
void set_history(Tensor& out, const std::shared_ptr<Node>& node, uint32_t nr = 0);

// Create NodeT(args...), wire its input edges; returns null when no input requires grad.
template <class NodeT, class... Args>
std::shared_ptr<NodeT> make_node(std::initializer_list<const Tensor*> inputs, Args&&... args) {
  if (!any_requires_grad(inputs)) return nullptr;
  auto n = std::make_shared<NodeT>(std::forward<Args>(args)...);
  collect_edges(*n, inputs);
  return n;
}

void run_backward(const TensorList& roots, const TensorList& grads, bool retain_graph);

}  // namespace nc
