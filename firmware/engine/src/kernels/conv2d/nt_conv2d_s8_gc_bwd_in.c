#include "nt/kernels.h"

#include "nt_conv2d_gc_taps.h"
#include "nt_conv2d_s8_generic.h"

void nt_conv2d_s8_gc_bwd_in(const nt_conv2d_params_t *p, const float *gbar, const int8_t *w, const float *w_scale, float *dxbar)
{
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const float inv_positions = 1.0f / (float)(p->in_h * p->in_w);
    const int depthwise = nt_s8_depthwise(p);
    float taps[7 * 7]; /* each tap's output positions over the input's: dx's mean weighs each tap by them */
    nt_gc_tap_counts(p, inv_positions, taps);
    for (int32_t n = 0; n < p->n; ++n) {
        const float *g = gbar + (size_t)n * p->out_c;
        float *dx = dxbar + (size_t)n * p->in_c;
        /* Filter by filter (the int8 layouts keep a filter's weights together), each tap over its input channels. */
        for (int32_t co = 0; co < p->out_c; ++co) {
            if (g[co] == 0.0f) {
                continue;
            }
            const float gs = g[co] * w_scale[co];
            if (depthwise) {
                /* One input channel: its taps lie out_c apart. */
                for (int32_t tap = 0; tap < k * k; ++tap) {
                    dx[co] += gs * taps[tap] * (float)w[nt_s8_weight_at(1, k * k, 1, p->out_c, co, tap, 0)];
                }
                continue;
            }
            float *dxg = dx + (size_t)(co / cog) * cig;
            for (int32_t tap = 0; tap < k * k; ++tap) {
                const float f = gs * taps[tap];
                const int8_t *wp = w + nt_s8_weight_at(0, k * k, cig, p->out_c, co, tap, 0);
                for (int32_t ci = 0; ci < cig; ++ci) {
                    dxg[ci] += f * (float)wp[ci];
                }
            }
        }
    }
}
