/* Quantization-aware scaling steps shared by the int8 conv updates (condensed and exact). Internal to the engine. */
#ifndef NT_CONV2D_S8_QAS_H
#define NT_CONV2D_S8_QAS_H

#include <math.h>

#include "nt/kernels.h"

/* A 32-bit linear congruential generator (Numerical Recipes' constants): its top 16 bits are the rounding's
 * uniform fraction. */
static inline uint32_t nt_qas_next_state(uint32_t state)
{
    return state * 1664525u + 1013904223u;
}

/* w[i * w_step] -= SR(f * s[i * s_step]) for i < count, clamped to [-127, 127]. The step is taken in 1/65536
 * quanta (truncated: a bias below 2^-16 of a quantum) and bounded so that nothing overflows; then
 * floor(w - step + u) is an arithmetic shift. */
static inline void nt_qas_step_weights(int8_t *w, size_t w_step, const float *s, size_t s_step, int32_t count, float f, uint32_t *rng)
{
    uint32_t state = *rng;
    for (int32_t i = 0; i < count; ++i) {
        const float v = fminf(fmaxf(f * s[(size_t)i * s_step], -16777216.0f), 16777216.0f);
        state = nt_qas_next_state(state);
        int8_t *wi = w + (size_t)i * w_step;
        int32_t next = ((int32_t)*wi * 65536 - (int32_t)v + (int32_t)(state >> 16)) >> 16;
        next = next > 127 ? 127 : next < -127 ? -127 : next;
        *wi = (int8_t)next;
    }
    *rng = state;
}

/* The bias bound: the accumulator b + sum (x + offset) * w must stay inside int32 (and inside the optimized
 * kernels' doubled range), so the bias stays within 2^30 less the largest sum of products. */
static inline float nt_qas_bias_limit(const nt_conv2d_params_t *p)
{
    const int64_t products = (int64_t)p->kernel * p->kernel * (p->in_c / p->groups) * 255 * 128;
    return products < (1ll << 30) - 128 ? (float)((1ll << 30) - 128 - products) : 0.0f; /* (floats are 64 apart there) */
}

/* QAS bias step: delta b_q = lr * (s_x s_w db) / (s_x s_w)^2, rounded to nearest, kept within the limit. */
static inline int32_t nt_qas_step_bias(int32_t b, float lr, float db, float x_scale, float w_scale, float limit)
{
    return (int32_t)fminf(fmaxf((float)b - rintf(lr * db / (x_scale * w_scale)), -limit), limit);
}

#endif /* NT_CONV2D_S8_QAS_H */
