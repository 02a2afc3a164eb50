#include "nt/kernels.h"

void nt_gap_f32_gc_bwd_in(int32_t n, int32_t h, int32_t w, int32_t c, int32_t patches, const float *dy, float *dxbar)
{
    const float count = (float)(h * w);
    for (int32_t b = 0; b < n; ++b) {
        for (int32_t p = 0; p < patches; ++p) {
            float *dx = dxbar + ((size_t)b * patches + p) * c;
            for (int32_t i = 0; i < c; ++i) {
                dx[i] += dy[(size_t)b * c + i] / count; /* the value nt_gap_f32_bwd_in adds at every position */
            }
        }
    }
}
