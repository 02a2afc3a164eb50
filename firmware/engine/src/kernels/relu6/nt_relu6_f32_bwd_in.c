#include "nt/kernels.h"

void nt_relu6_f32_bwd_in(int32_t count, const float *y, const float *dy, float *dx)
{
    for (int32_t i = 0; i < count; ++i) {
        if (y[i] > 0.0f && y[i] < 6.0f) {
            dx[i] += dy[i];
        }
    }
}
