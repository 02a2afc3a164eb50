#include "nt/kernels.h"

void nt_relu6_f32_fwd(int32_t count, const float *x, float *y)
{
    for (int32_t i = 0; i < count; ++i) {
        const float v = x[i];
        y[i] = v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    }
}
