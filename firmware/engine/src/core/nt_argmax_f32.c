#include "nt/kernels.h"

void nt_argmax_f32(int32_t n, int32_t classes, const float *logits, uint8_t *predictions)
{
    for (int32_t s = 0; s < n; ++s) {
        const float *l = logits + (size_t)s * classes;
        int32_t best = 0;
        for (int32_t k = 1; k < classes; ++k) {
            if (l[k] > l[best]) {
                best = k;
            }
        }
        predictions[s] = (uint8_t)best;
    }
}
