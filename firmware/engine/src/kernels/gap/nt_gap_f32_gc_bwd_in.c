#include "nt/kernels.h"

void nt_gap_f32_gc_bwd_in(int32_t n, int32_t h, int32_t w, int32_t c, const float *dy, float *dxbar)
{
    const float count = (float)(h * w);
    for (int32_t i = 0; i < n * c; ++i) {
        dxbar[i] += dy[i] / count; /* the value nt_gap_f32_bwd_in adds at every position */
    }
}
