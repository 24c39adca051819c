// Optimizer steps over whole parameter groups in one call.
#include "ops/ops.h"

namespace nc {

// Parameters with no gradient are skipped, like torch.optim.
void sgd_step(const TensorList& params, TensorList& bufs, const SgdOptions& o) {
  NC_CHECK(bufs.size() == params.size(), ValueError, "sgd_step: ", params.size(), " parameters but ", bufs.size(),
           " momentum buffers");
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    NC_CHECK(p.is_contiguous() && g.is_contiguous(), ValueError, "sgd_step: parameter ", i,
             " or its gradient is not contiguous");
    NC_CHECK(g.dtype() == p.dtype() && g.shape() == p.shape(), ValueError, "sgd_step: gradient of parameter ", i,
             " has shape ", g.shape(), " / dtype ", dtype_name(g.dtype()), " but the parameter has ", p.shape(), " / ",
             dtype_name(p.dtype()));
    bool first = false;
    void* buf = nullptr;
    if (o.momentum != 0) {
      if (!bufs[i].defined()) {
        bufs[i] = Tensor::empty(p.shape(), p.dtype(), p.device());
        first = true;
      }
      buf = bufs[i].raw_data();
    }
    p.storage()->version++;
    sgd_kernel(p.device(), p.dtype(), p.numel(), p.raw_data(), g.raw_data(), buf, first, o);
  }
}

}  // namespace nc
