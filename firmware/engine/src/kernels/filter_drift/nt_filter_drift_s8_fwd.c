#include <math.h>

#include "nt/kernels.h"

void nt_filter_drift_s8_fwd(int32_t n, int32_t positions, int32_t c, float y_scale, int32_t y_zero, const int8_t *y, const float *source,
                     float momentum, float *score)
{
    const float inv_positions = 1.0f / (float)positions;
    for (int32_t b = 0; b < n; ++b) {
        const int8_t *yb = y + (size_t)b * positions * c;
        for (int32_t ch = 0; ch < c; ++ch) {
            int32_t sum = 0;
            for (int32_t i = 0; i < positions; ++i) {
                sum += yb[(size_t)i * c + ch];
            }
            const float mean = y_scale * ((float)sum * inv_positions - (float)y_zero);
            const float z = (mean - source[ch]) * source[c + ch];
            score[ch] = momentum * score[ch] + (1.0f - momentum) * fminf(z * z, 1e30f);
        }
    }
}
