#include <math.h>

#include "nt/kernels.h"

float nt_softmax_ce_f32_fwd_bwd(int32_t n, int32_t classes, const float *logits, const uint8_t *labels, float *dlogits)
{
    float total = 0.0f;
    const float inv_n = 1.0f / (float)n;
    for (int32_t s = 0; s < n; ++s) {
        const float *l = logits + (size_t)s * classes;
        float *d = dlogits + (size_t)s * classes;
        float mx = l[0];
        for (int32_t k = 1; k < classes; ++k) {
            mx = l[k] > mx ? l[k] : mx;
        }
        float sum = 0.0f;
        for (int32_t k = 0; k < classes; ++k) {
            d[k] = expf(l[k] - mx);
            sum += d[k];
        }
        total += logf(sum) - (l[labels[s]] - mx);
        for (int32_t k = 0; k < classes; ++k) {
            d[k] = (d[k] / sum - (k == labels[s] ? 1.0f : 0.0f)) * inv_n;
        }
    }
    return total * inv_n;
}
