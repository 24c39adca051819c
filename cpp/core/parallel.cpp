#include "core/parallel.h"
#include "core/error.h"

extern "C" {
void scipy_openblas_set_num_threads(int num_threads);
int scipy_openblas_get_num_threads(void);
}

namespace nc {

void set_num_threads(int n) {
  NC_CHECK(n >= 1, ValueError, "set_num_threads: expected a positive number of threads, got ", n);
  omp_set_num_threads(n);
  scipy_openblas_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace nc
