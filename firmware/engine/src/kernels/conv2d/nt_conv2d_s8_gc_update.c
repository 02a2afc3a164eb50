#include "nt/kernels.h"

#include "nt_conv2d_s8_generic.h"
#include "nt_conv2d_s8_qas.h"

/* sq[1] += db^2 (0 when the bias does not train), and with `weights` sq[0] += the squared real dW of each of filter co's
 * weights over the batch (their importance): the sum over the samples and patches of gbar times the weight's sum (the
 * one shared sum when taps = 1). Kept out of line: the updates' loops stay as they were without it. */
__attribute__((noinline)) static void add_squares(const nt_conv2d_params_t *p, int32_t co, int32_t patches, int32_t taps, const float *sums,
                                                  const float *gbar, float db, int weights, float *sq)
{
    sq[1] += db * db;
    if (!weights) {
        return;
    }
    const int32_t k = p->kernel;
    const int depthwise = nt_s8_depthwise(p);
    const int32_t cig = depthwise ? 1 : p->in_c / p->groups;
    const int32_t ci0 = depthwise ? co : (co / (p->out_c / p->groups)) * cig;
    for (int32_t tap = 0; tap < k * k; ++tap) {
        for (int32_t ci = 0; ci < cig; ++ci) {
            float dw = 0.0f;
            for (int32_t n = 0; n < p->n; ++n) {
                for (int32_t q = 0; q < patches; ++q) {
                    dw += gbar[((size_t)n * patches + q) * p->out_c + co] * sums[(((size_t)n * patches + q) * taps + (taps == 1 ? 0 : tap)) * p->in_c + ci0 + ci];
                }
            }
            sq[0] += dw * dw;
        }
    }
}

/* Over patches, or with the taps sharing one sum: each weight's gradient is summed over the patches, then stepped. */
__attribute__((noinline)) static void patch_update(const nt_conv2d_params_t *p, const nt_gc_grid_t *grid, int32_t taps, const float *sums, const float *gbar, const float *scales,
                         float lr, const uint8_t *ages, int8_t *w, int32_t *b, uint32_t *rng, float *sq)
{
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const int32_t patches = grid->rows * grid->cols;
    const float x_scale = scales[p->out_c];
    const int depthwise = nt_s8_depthwise(p);
    const float bias_limit = nt_qas_bias_limit(p);
    for (int32_t co = 0; co < p->out_c; ++co) {
        if (ages && ages[co] != 0u) {
            continue;
        }
        float db = 0.0f; /* the batch's bias gradient: each patch's mean times its positions */
        int any = 0;
        for (int32_t n = 0; n < p->n; ++n) {
            for (int32_t q = 0; q < patches; ++q) {
                const float g = gbar[((size_t)n * patches + q) * p->out_c + co];
                db += g * (float)nt_gc_patch_positions(grid, p->out_h, p->out_w, q / grid->cols, q % grid->cols);
                any |= g != 0.0f;
            }
        }
        if (!any) {
            continue; /* nothing to learn: no random numbers drawn either */
        }
        const float s_w = scales[co];
        if (b) {
            b[co] = nt_qas_step_bias(b[co], lr, db, x_scale, s_w, bias_limit);
        }
        if (sq) {
            add_squares(p, co, patches, taps, sums, gbar, b ? db : 0.0f, w != NULL, sq);
        }
        if (!w) {
            continue;
        }
        const int32_t ci0 = depthwise ? co : (co / cog) * cig;
        const int32_t cis = depthwise ? 1 : cig;
        const float f = lr / s_w * 65536.0f;
        for (int32_t n = 0; n < p->n; ++n) {
            const float *gn = gbar + (size_t)n * patches * p->out_c + co;
            const float *sn = sums + (size_t)n * patches * taps * p->in_c;
            for (int32_t tap = 0; tap < k * k; ++tap) {
                for (int32_t ci = 0; ci < cis; ++ci) {
                    float dw = 0.0f; /* this sample's dW of the weight over s_x: sum over the patches of gbar * sum */
                    for (int32_t q = 0; q < patches; ++q) {
                        dw += gn[(size_t)q * p->out_c] * sn[((size_t)q * taps + (taps == 1 ? 0 : tap)) * p->in_c + ci0 + ci];
                    }
                    nt_qas_step_weights(w + nt_s8_weight_of(p, co, tap, ci), 1u, &dw, 1u, 1, f, rng);
                }
            }
        }
    }
}

void nt_conv2d_s8_gc_update(const nt_conv2d_params_t *p, const nt_gc_grid_t *grid, int32_t taps, const float *sums, const float *gbar,
                            const float *scales, float lr, const uint8_t *ages, int8_t *w, int32_t *b, uint32_t *rng, float *sq)
{
    if (grid->rows * grid->cols != 1 || taps != p->kernel * p->kernel) {
        patch_update(p, grid, taps, sums, gbar, scales, lr, ages, w, b, rng, sq);
        return;
    }
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const float positions = (float)(p->out_h * p->out_w);
    const float x_scale = scales[p->out_c];
    const int depthwise = nt_s8_depthwise(p);
    const float bias_limit = nt_qas_bias_limit(p);
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
            b[co] = nt_qas_step_bias(b[co], lr, g * positions, x_scale, s_w, bias_limit); /* db = g * positions */
        }
        if (sq) {
            add_squares(p, co, 1, k * k, sums, gbar, b ? g * positions : 0.0f, w != NULL, sq);
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
                nt_qas_step_weights(w + co, (size_t)p->out_c, sn + co, (size_t)p->in_c, k * k, f, rng);
            } else if (p->groups == 1) {
                /* OHWI w[co][tap][ci] and sums[tap][ci] run in the same order. */
                nt_qas_step_weights(w + nt_s8_weight_of(p, co, 0, 0), 1u, sn, 1u, k * k * cig, f, rng);
            } else {
                for (int32_t tap = 0; tap < k * k; ++tap) {
                    nt_qas_step_weights(w + nt_s8_weight_of(p, co, tap, 0), 1u, sn + (size_t)tap * p->in_c + ci0, 1u, cig, f, rng);
                }
            }
        }
    }
}
