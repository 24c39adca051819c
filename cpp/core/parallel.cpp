#include "core/parallel.h"
#include "core/error.h"

namespace nc {

// OpenBLAS itself stays single-threaded; GEMMs are split across our threads (Note [One thread
// pool] in kernels/cpu/blas.cpp), so this one setting governs BLAS work too.
void set_num_threads(int n) {
  NC_CHECK(n >= 1, ValueError, "set_num_threads: expected a positive number of threads, got ", n);
  omp_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace nc
