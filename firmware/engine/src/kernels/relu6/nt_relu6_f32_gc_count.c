#include "nt/kernels.h"

void nt_relu6_f32_gc_count(int32_t n, int32_t positions, int32_t c, const float *y, float *active)
{
    for (int32_t b = 0; b < n; ++b) {
        float *a = active + (size_t)b * c;
        for (int32_t ch = 0; ch < c; ++ch) {
            a[ch] = 0.0f;
        }
        const float *yb = y + (size_t)b * positions * c;
        for (int32_t p = 0; p < positions; ++p) {
            for (int32_t ch = 0; ch < c; ++ch) {
                const float v = yb[(size_t)p * c + ch];
                a[ch] += (v > 0.0f && v < 6.0f) ? 1.0f : 0.0f;
            }
        }
    }
}
