#include "nt/kernels.h"

size_t nt_conv2d_f32_scratch_bytes(const nt_conv2d_params_t *p)
{
    (void)p; /* direct convolution: no im2col buffer */
    return 0;
}
