#include "nt/kernels.h"
#include "nt_conv2d_f32_generic.h"

void nt_conv2d_f32_bwd_w(const nt_conv2d_params_t *p, const float *x, const float *dy, float *dw, float *db)
{
    nt_conv2d_f32_bwd_w_generic(p, x, dy, dw, db);
}
