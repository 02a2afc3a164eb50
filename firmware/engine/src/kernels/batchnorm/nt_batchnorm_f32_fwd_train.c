#include <math.h>

#include "nt/kernels.h"

void nt_batchnorm_f32_fwd_train(const nt_batchnorm_params_t *p, const float *x, const float *gamma, const float *beta,
                                float *running_mean, float *running_var, float *saved_mean, float *saved_invstd, float *y)
{
    const int32_t c = p->c;
    const size_t m = (size_t)p->n * p->h * p->w;
    const float inv_m = 1.0f / (float)m;
    for (int32_t k = 0; k < c; ++k) {
        saved_mean[k] = 0.0f;
        saved_invstd[k] = 0.0f; /* holds the sum of squared deviations until the end */
    }
    for (size_t i = 0; i < m; ++i) {
        const float *row = x + i * c;
        for (int32_t k = 0; k < c; ++k) {
            saved_mean[k] += row[k];
        }
    }
    for (int32_t k = 0; k < c; ++k) {
        saved_mean[k] *= inv_m;
    }
    for (size_t i = 0; i < m; ++i) {
        const float *row = x + i * c;
        for (int32_t k = 0; k < c; ++k) {
            const float d = row[k] - saved_mean[k];
            saved_invstd[k] += d * d;
        }
    }
    for (int32_t k = 0; k < c; ++k) {
        const float var = saved_invstd[k] * inv_m;
        saved_invstd[k] = 1.0f / sqrtf(var + p->eps);
        if (running_mean && running_var) {
            const float unbiased = m > 1 ? var * ((float)m / (float)(m - 1)) : var;
            running_mean[k] = (1.0f - p->momentum) * running_mean[k] + p->momentum * saved_mean[k];
            running_var[k] = (1.0f - p->momentum) * running_var[k] + p->momentum * unbiased;
        }
    }
    for (size_t i = 0; i < m; ++i) {
        const float *row = x + i * c;
        float *out = y + i * c;
        for (int32_t k = 0; k < c; ++k) {
            out[k] = gamma[k] * ((row[k] - saved_mean[k]) * saved_invstd[k]) + beta[k];
        }
    }
}
