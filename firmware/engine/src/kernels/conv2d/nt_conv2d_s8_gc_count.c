#include "nt/kernels.h"

void nt_conv2d_s8_gc_count(int32_t n, int32_t h, int32_t w, int32_t c, const nt_gc_grid_t *grid, int32_t act_min, int32_t act_max, const int8_t *y,
                           float *active)
{
    const size_t per_sample = (size_t)grid->rows * grid->cols * c;
    for (int32_t b = 0; b < n; ++b) {
        const int8_t *yb = y + (size_t)b * h * w * c;
        float *ab = active + (size_t)b * per_sample;
        for (size_t i = 0; i < per_sample; ++i) {
            ab[i] = 0.0f;
        }
        for (int32_t i = 0; i < h * w; ++i) {
            const int8_t *row = yb + (size_t)i * c;
            float *a = ab + ((size_t)(i / w / grid->patch_h) * grid->cols + i % w / grid->patch_w) * c;
            for (int32_t ch = 0; ch < c; ++ch) {
                a[ch] += (row[ch] > act_min && row[ch] < act_max) ? 1.0f : 0.0f;
            }
        }
    }
}
