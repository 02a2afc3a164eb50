#include "nt/kernels.h"

void nt_batchnorm_f32_bwd(const nt_batchnorm_params_t *p, const float *x, const float *gamma, const float *saved_mean,
                          const float *saved_invstd, const float *dy, float *dx, float *dgamma, float *dbeta, float *scratch)
{
    const int32_t c = p->c;
    const size_t m = (size_t)p->n * p->h * p->w;
    const float fm = (float)m;
    float *sum_dy = scratch;
    float *sum_dy_xhat = scratch + c;
    for (int32_t k = 0; k < c; ++k) {
        sum_dy[k] = 0.0f;
        sum_dy_xhat[k] = 0.0f;
    }
    for (size_t i = 0; i < m; ++i) {
        const float *xr = x + i * c;
        const float *dyr = dy + i * c;
        for (int32_t k = 0; k < c; ++k) {
            const float xhat = (xr[k] - saved_mean[k]) * saved_invstd[k];
            sum_dy[k] += dyr[k];
            sum_dy_xhat[k] += dyr[k] * xhat;
        }
    }
    if (dbeta) {
        for (int32_t k = 0; k < c; ++k) {
            dbeta[k] += sum_dy[k];
        }
    }
    if (dgamma) {
        for (int32_t k = 0; k < c; ++k) {
            dgamma[k] += sum_dy_xhat[k];
        }
    }
    if (!dx) {
        return;
    }
    for (size_t i = 0; i < m; ++i) {
        const float *xr = x + i * c;
        const float *dyr = dy + i * c;
        float *dxr = dx + i * c;
        for (int32_t k = 0; k < c; ++k) {
            const float xhat = (xr[k] - saved_mean[k]) * saved_invstd[k];
            const float scale = gamma[k] * saved_invstd[k] / fm;
            dxr[k] += scale * ((fm * dyr[k] - sum_dy[k]) - xhat * sum_dy_xhat[k]);
        }
    }
}
