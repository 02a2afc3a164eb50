#include "nt/kernels.h"

void nt_dequantize_s8_fwd(int32_t count, float scale, int32_t zero_point, const int8_t *x, float *y)
{
    for (int32_t i = 0; i < count; ++i) {
        y[i] = scale * (float)((int32_t)x[i] - zero_point);
    }
}
