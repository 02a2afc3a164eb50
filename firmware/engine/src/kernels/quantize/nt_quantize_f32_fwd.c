#include <math.h>

#include "nt/kernels.h"

void nt_quantize_f32_fwd(int32_t count, float scale, int32_t zero_point, const float *x, int8_t *y)
{
    for (int32_t i = 0; i < count; ++i) {
        /* roundf rounds half away from zero, as the quantizer does. Clamped while still a float: converting a value
         * outside int32's range (or NaN, which lands on -128) to an integer is undefined in C. */
        float q = roundf(x[i] / scale) + (float)zero_point;
        q = q >= -128.0f ? q : -128.0f;
        q = q > 127.0f ? 127.0f : q;
        y[i] = (int8_t)(int32_t)q;
    }
}
