#include "nt/kernels.h"

#include "nt_conv2d_gc_taps.h"

void nt_conv2d_f32_gc_bwd_in(const nt_conv2d_params_t *p, const float *gbar, const float *w, float *dxbar)
{
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const float inv_positions = 1.0f / (float)(p->in_h * p->in_w);
    /* Output positions per tap, the same for every channel (k <= 7). */
    float taps[7 * 7];
    nt_gc_tap_counts(p, 1.0f, taps);
    for (int32_t n = 0; n < p->n; ++n) {
        const float *g = gbar + (size_t)n * p->out_c;
        float *dx = dxbar + (size_t)n * p->in_c;
        for (int32_t c = 0; c < p->in_c; ++c) {
            const int32_t group = c / cig;
            const int32_t ci = c % cig;
            const float *gp = g + (size_t)group * cog;
            float total = 0.0f;
            for (int32_t tap = 0; tap < k * k; ++tap) {
                const float *wp = w + ((size_t)tap * cig + ci) * p->out_c + (size_t)group * cog;
                float sum = 0.0f;
                for (int32_t co = 0; co < cog; ++co) {
                    sum += wp[co] * gp[co];
                }
                total += taps[tap] * sum;
            }
            dx[c] += total * inv_positions;
        }
    }
}
