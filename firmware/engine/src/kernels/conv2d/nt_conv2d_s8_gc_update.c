#include <math.h>

#include "nt/kernels.h"

#include "nt_conv2d_s8_generic.h"

/* A 32-bit linear congruential generator (Numerical Recipes' constants): its top 16 bits are the rounding's
 * uniform fraction. */
static inline uint32_t next_state(uint32_t state)
{
    return state * 1664525u + 1013904223u;
}

/* w[i * w_step] -= SR(f * s[i * s_step]) for i < count, clamped to [-127, 127]. The step is taken in 1/65536
 * quanta (truncated: a bias below 2^-16 of a quantum) and bounded so that nothing overflows; then
 * floor(w - step + u) is an arithmetic shift. */
static void step_weights(int8_t *w, size_t w_step, const float *s, size_t s_step, int32_t count, float f, uint32_t *rng)
{
    uint32_t state = *rng;
    for (int32_t i = 0; i < count; ++i) {
        const float v = fminf(fmaxf(f * s[(size_t)i * s_step], -16777216.0f), 16777216.0f);
        state = next_state(state);
        int8_t *wi = w + (size_t)i * w_step;
        int32_t next = ((int32_t)*wi * 65536 - (int32_t)v + (int32_t)(state >> 16)) >> 16;
        next = next > 127 ? 127 : next < -127 ? -127 : next;
        *wi = (int8_t)next;
    }
    *rng = state;
}

void nt_conv2d_s8_gc_update(const nt_conv2d_params_t *p, const float *sums, const float *gbar, const float *scales, float lr,
                            const uint8_t *ages, int8_t *w, int32_t *b, uint32_t *rng)
{
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const float positions = (float)(p->out_h * p->out_w);
    const float x_scale = scales[p->out_c];
    const int depthwise = nt_s8_depthwise(p);
    /* The accumulator b + sum (x + offset) * w must stay inside int32 (and inside the optimized kernels' doubled
     * range): the bias stays within 2^30 less the largest sum of products. */
    const int64_t products = (int64_t)k * k * cig * 255 * 128;
    const float bias_limit = products < (1ll << 30) - 128 ? (float)((1ll << 30) - 128 - products) : 0.0f; /* (floats are 64 apart there) */
    for (int32_t co = 0; co < p->out_c; ++co) {
        if (ages && ages[co] != 0u) {
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
            const float next = fminf(fmaxf((float)b[co] - rintf(lr * g * positions / (x_scale * s_w)), -bias_limit), bias_limit);
            b[co] = (int32_t)next;
        }
        if (!w) {
            continue;
        }
        /* dW = sum_n gbar[n,co] * sums[n] (g * S for one sample); QAS: delta w_q = lr * (s_w dW) / s_w^2, taken as
         * (lr / s_w) * gbar * S in 1/65536 quanta, sample by sample for a batch (each sample's step rounded). */
        const int32_t ci0 = (co / cog) * cig;
        for (int32_t n = 0; n < p->n; ++n) {
            const float f = lr / s_w * gbar[(size_t)n * p->out_c + co] * 65536.0f;
            const float *sn = sums + (size_t)n * k * k * p->in_c;
            if (depthwise) {
                step_weights(w + co, (size_t)p->out_c, sn + co, (size_t)p->in_c, k * k, f, rng);
            } else if (p->groups == 1) {
                /* OHWI w[co][tap][ci] and sums[tap][ci] run in the same order. */
                step_weights(w + nt_s8_weight_of(p, co, 0, 0), 1u, sn, 1u, k * k * cig, f, rng);
            } else {
                for (int32_t tap = 0; tap < k * k; ++tap) {
                    step_weights(w + nt_s8_weight_of(p, co, tap, 0), 1u, sn + (size_t)tap * p->in_c + ci0, 1u, cig, f, rng);
                }
            }
        }
    }
}
