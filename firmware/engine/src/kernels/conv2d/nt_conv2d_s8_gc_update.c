#include <math.h>

#include "nt/kernels.h"

#include "nt_conv2d_s8_gc_weights.h"

/* xorshift32: the stochastic rounding's uniform numbers, u in [0, 1) from the top 24 bits. */
static inline float next_uniform(uint32_t *state)
{
    uint32_t s = *state;
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    *state = s;
    return (float)(s >> 8) * (1.0f / 16777216.0f);
}

void nt_conv2d_s8_gc_update(const nt_conv2d_params_t *p, const float *sums, const float *gbar, const float *scales, float lr,
                            const uint8_t *filters, int8_t *w, int32_t *b, uint32_t *rng)
{
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const float positions = (float)(p->out_h * p->out_w);
    const float x_scale = scales[p->out_c];
    for (int32_t co = 0; co < p->out_c; ++co) {
        if (filters && !filters[co]) {
            continue;
        }
        float g = 0.0f; /* the batch's gradient of this filter, summed */
        int any = 0;
        for (int32_t n = 0; n < p->n; ++n) {
            g += gbar[(size_t)n * p->out_c + co];
            any |= gbar[(size_t)n * p->out_c + co] != 0.0f;
        }
        if (!any) {
            continue; /* nothing to learn: no random numbers drawn either */
        }
        const float s_w = scales[co];
        if (b) {
            /* db = g * positions; QAS: delta b_q = lr * (s_x s_w db) / (s_x s_w)^2, rounded to nearest. */
            const float step = lr * g * positions / (x_scale * s_w);
            const float next = (float)b[co] - rintf(step);
            b[co] = next > 2147483520.0f ? 2147483520 : next < -2147483520.0f ? -2147483520 : (int32_t)next;
        }
        if (!w) {
            continue;
        }
        /* dW = g * S (over the batch: sum_n gbar[n,co] * sums[n]); QAS: delta w_q = lr * (s_w dW) / s_w^2. */
        const int32_t ci0 = (co / cog) * cig;
        for (int32_t tap = 0; tap < k * k; ++tap) {
            for (int32_t ci = 0; ci < cig; ++ci) {
                float dw = 0.0f;
                for (int32_t n = 0; n < p->n; ++n) {
                    dw += gbar[(size_t)n * p->out_c + co] * sums[((size_t)n * k * k + tap) * p->in_c + ci0 + ci];
                }
                const float step = lr * dw / s_w;
                const size_t at = nt_gc_s8_weight(p, co, tap, ci);
                const float next = floorf((float)w[at] - step + next_uniform(rng));
                w[at] = (int8_t)(next > 127.0f ? 127.0f : next < -127.0f ? -127.0f : next);
            }
        }
    }
}
