#include "nt/kernels.h"

void nt_gap_s8_fwd(int32_t n, int32_t h, int32_t w, int32_t c, int32_t act_min, int32_t act_max, const int8_t *x, int8_t *y)
{
    const int32_t count = h * w;
    for (int32_t b = 0; b < n; ++b) {
        for (int32_t k = 0; k < c; ++k) {
            int32_t sum = 0;
            for (int32_t i = 0; i < count; ++i) {
                sum += x[((size_t)b * count + i) * c + k];
            }
            /* Round half away from zero, as TFLite's integer average pool does. */
            int32_t v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
            v = v < act_min ? act_min : v;
            v = v > act_max ? act_max : v;
            y[(size_t)b * c + k] = (int8_t)v;
        }
    }
}
