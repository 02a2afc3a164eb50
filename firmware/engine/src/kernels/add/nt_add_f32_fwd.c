#include "nt/kernels.h"

void nt_add_f32_fwd(int32_t count, const float *a, const float *b, float *y)
{
    for (int32_t i = 0; i < count; ++i) {
        y[i] = a[i] + b[i];
    }
}
