#include "nt/kernels.h"

void nt_conv2d_s8_gc_count(int32_t n, int32_t positions, int32_t c, int32_t act_min, int32_t act_max, const int8_t *y, float *active)
{
    for (int32_t b = 0; b < n; ++b) {
        const int8_t *yb = y + (size_t)b * positions * c;
        float *a = active + (size_t)b * c;
        for (int32_t ch = 0; ch < c; ++ch) {
            a[ch] = 0.0f;
        }
        for (int32_t i = 0; i < positions; ++i) {
            const int8_t *row = yb + (size_t)i * c;
            for (int32_t ch = 0; ch < c; ++ch) {
                a[ch] += (row[ch] > act_min && row[ch] < act_max) ? 1.0f : 0.0f;
            }
        }
    }
}
