// Storage for the kernel table entries declared in kernels.h.
#include "ops/kernels.h"

namespace nc {
NC_DEFINE_KERNEL(sgd_kernel, SgdFn);
NC_DEFINE_KERNEL(optim_kernel, OptimFn);
NC_DEFINE_KERNEL(loss_kernel, PointwiseLossFn);
NC_DEFINE_KERNEL(loss_backward_kernel, PointwiseLossBackwardFn);
NC_DEFINE_KERNEL(cross_entropy_kernel, CrossEntropyFn);
NC_DEFINE_KERNEL(cross_entropy_backward_kernel, CrossEntropyBackwardFn);
NC_DEFINE_KERNEL(unary_kernel, UnaryFn);
NC_DEFINE_KERNEL(unary_backward_kernel, UnaryBackwardFn);
NC_DEFINE_KERNEL(binary_kernel, BinaryFn);
NC_DEFINE_KERNEL(where_kernel, WhereFn);
NC_DEFINE_KERNEL(copy_kernel, CopyFn);
NC_DEFINE_KERNEL(fill_kernel, FillFn);
NC_DEFINE_KERNEL(reduce_kernel, ReduceFn);
NC_DEFINE_KERNEL(gemm_kernel, GemmFn);
NC_DEFINE_KERNEL(softmax_kernel, SoftmaxFn);
NC_DEFINE_KERNEL(softmax_backward_kernel, SoftmaxBackwardFn);
NC_DEFINE_KERNEL(index_select_kernel, IndexSelectFn);
NC_DEFINE_KERNEL(index_add_kernel, IndexAddFn);
NC_DEFINE_KERNEL(random_kernel, RandomFn);
}  // namespace nc
