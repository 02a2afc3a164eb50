#include "nt/kernels.h"

void nt_conv2d_s8_bwd_clamp(int32_t elements, int32_t act_min, int32_t act_max, const int8_t *y, float *dy)
{
    for (int32_t i = 0; i < elements; ++i) {
        if (y[i] <= act_min || y[i] >= act_max) {
            dy[i] = 0.0f;
        }
    }
}
