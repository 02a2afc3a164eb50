#include "nt/kernels.h"

void nt_gap_f32_bwd_in(int32_t n, int32_t h, int32_t w, int32_t c, const float *dy, float *dx)
{
    const float count = (float)(h * w);
    for (int32_t b = 0; b < n; ++b) {
        const float *dyr = dy + (size_t)b * c;
        float *dxb = dx + (size_t)b * h * w * c;
        for (int32_t i = 0; i < h * w; ++i) {
            for (int32_t k = 0; k < c; ++k) {
                dxb[(size_t)i * c + k] += dyr[k] / count;
            }
        }
    }
}
