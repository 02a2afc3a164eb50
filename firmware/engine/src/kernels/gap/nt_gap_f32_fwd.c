#include "nt/kernels.h"

void nt_gap_f32_fwd(int32_t n, int32_t h, int32_t w, int32_t c, const float *x, float *y)
{
    const float count = (float)(h * w);
    for (int32_t b = 0; b < n; ++b) {
        float *yr = y + (size_t)b * c;
        for (int32_t k = 0; k < c; ++k) {
            yr[k] = 0.0f;
        }
        const float *xb = x + (size_t)b * h * w * c;
        for (int32_t i = 0; i < h * w; ++i) {
            for (int32_t k = 0; k < c; ++k) {
                yr[k] += xb[(size_t)i * c + k];
            }
        }
        for (int32_t k = 0; k < c; ++k) {
            yr[k] /= count;
        }
    }
}
