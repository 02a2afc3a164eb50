#include "nt/kernels.h"

void nt_relu6_f32_gc_bwd_in(int32_t n, int32_t positions, int32_t c, const float *active, const float *gbar, float *dxbar)
{
    const float inv_positions = 1.0f / (float)positions;
    for (int32_t i = 0; i < n * c; ++i) {
        dxbar[i] += gbar[i] * (active[i] * inv_positions);
    }
}
