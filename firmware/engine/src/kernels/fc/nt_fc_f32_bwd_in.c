#include "nt/kernels.h"

void nt_fc_f32_bwd_in(int32_t n, int32_t in, int32_t out, const float *dy, const float *w, float *dx)
{
    for (int32_t s = 0; s < n; ++s) {
        const float *dyr = dy + (size_t)s * out;
        float *dxr = dx + (size_t)s * in;
        for (int32_t i = 0; i < in; ++i) {
            const float *wr = w + (size_t)i * out;
            float acc = 0.0f;
            for (int32_t o = 0; o < out; ++o) {
                acc += wr[o] * dyr[o];
            }
            dxr[i] += acc;
        }
    }
}
