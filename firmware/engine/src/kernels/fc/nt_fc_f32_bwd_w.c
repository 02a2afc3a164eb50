#include "nt/kernels.h"

void nt_fc_f32_bwd_w(int32_t n, int32_t in, int32_t out, const float *x, const float *dy, float *dw, float *db)
{
    for (int32_t s = 0; s < n; ++s) {
        const float *xr = x + (size_t)s * in;
        const float *dyr = dy + (size_t)s * out;
        if (db) {
            for (int32_t o = 0; o < out; ++o) {
                db[o] += dyr[o];
            }
        }
        for (int32_t i = 0; dw && i < in; ++i) {
            const float xv = xr[i];
            float *dwr = dw + (size_t)i * out;
            for (int32_t o = 0; o < out; ++o) {
                dwr[o] += xv * dyr[o];
            }
        }
    }
}
