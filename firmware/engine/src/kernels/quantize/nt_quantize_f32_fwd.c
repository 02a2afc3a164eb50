#include <math.h>

#include "nt/kernels.h"

void nt_quantize_f32_fwd(int32_t count, float scale, int32_t zero_point, const float *x, int8_t *y)
{
    for (int32_t i = 0; i < count; ++i) {
        /* roundf rounds half away from zero, as the quantizer does. */
        int32_t q = (int32_t)roundf(x[i] / scale) + zero_point;
        q = q < -128 ? -128 : q;
        q = q > 127 ? 127 : q;
        y[i] = (int8_t)q;
    }
}
