#include "nt/kernels.h"
#include "nt_conv2d_f32_generic.h"

void nt_conv2d_f32_bwd_in(const nt_conv2d_params_t *p, const float *dy, const float *w, float *dx)
{
    nt_conv2d_f32_bwd_in_generic(p, dy, w, dx);
}
