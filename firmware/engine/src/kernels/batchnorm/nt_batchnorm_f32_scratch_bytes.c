#include "nt/kernels.h"

size_t nt_batchnorm_f32_scratch_bytes(const nt_batchnorm_params_t *p)
{
    return 2u * (size_t)p->c * sizeof(float);
}
