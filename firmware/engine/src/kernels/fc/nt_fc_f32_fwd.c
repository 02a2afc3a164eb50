#include "nt/kernels.h"

void nt_fc_f32_fwd(int32_t n, int32_t in, int32_t out, const float *x, const float *w, const float *b, float *y)
{
    for (int32_t s = 0; s < n; ++s) {
        const float *xr = x + (size_t)s * in;
        float *yr = y + (size_t)s * out;
        for (int32_t o = 0; o < out; ++o) {
            yr[o] = b ? b[o] : 0.0f;
        }
        for (int32_t i = 0; i < in; ++i) {
            const float xv = xr[i];
            const float *wr = w + (size_t)i * out;
            for (int32_t o = 0; o < out; ++o) {
                yr[o] += wr[o] * xv;
            }
        }
    }
}
