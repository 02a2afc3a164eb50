#include "nt/kernels.h"

void nt_conv2d_s8_gc_count(int32_t n, int32_t positions, int32_t c, int32_t act_min, int32_t act_max, const int8_t *y, float *active)
{
    for (int32_t b = 0; b < n; ++b) {
        const int8_t *yb = y + (size_t)b * positions * c;
        float *a = active + (size_t)b * c;
        for (int32_t ch = 0; ch < c; ++ch) {
            int32_t count = 0;
            for (int32_t i = 0; i < positions; ++i) {
                const int32_t v = yb[(size_t)i * c + ch];
                count += (v > act_min && v < act_max) ? 1 : 0;
            }
            a[ch] = (float)count;
        }
    }
}
