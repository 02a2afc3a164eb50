/* The plain int8 convolution loop, shared by the reference kernel and the optimized variants (which use it
 * for the shapes they have no fast path for). Internal to the engine. */
#ifndef NT_CONV2D_S8_GENERIC_H
#define NT_CONV2D_S8_GENERIC_H

#include "nt/kernels.h"
#include "nt/quant.h"

static inline int8_t nt_s8_finish(const nt_s8_quant_t *q, int32_t acc, int32_t co)
{
    int32_t v = nt_requantize(acc, q->multiplier[co], q->shift[co]) + q->output_offset;
    v = v < q->act_min ? q->act_min : v;
    v = v > q->act_max ? q->act_max : v;
    return (int8_t)v;
}

/* Depthwise: one input and one output channel per group (weights [kh][kw][1][c]); with a single channel both
 * layouts are the same. */
static inline int nt_s8_depthwise(const nt_conv2d_params_t *p)
{
    return p->in_c == p->groups && p->out_c == p->groups;
}

/* Index of weight (co, tap = kh*k + kw, ci_g) in the int8 layouts: OHWI w[co][kh][kw][ci_g], or [kh][kw][1][c] when
 * `depthwise` (nt_s8_depthwise). Plain values, so that loops keep them in registers. (The loop below spells the
 * same layout out in its own order: through this helper it costs the boards more instructions.) */
static inline size_t nt_s8_weight_at(int depthwise, int32_t taps, int32_t cin_g, int32_t out_c, int32_t co, int32_t tap, int32_t ci_g)
{
    return depthwise ? (size_t)tap * out_c + co : ((size_t)co * taps + tap) * cin_g + ci_g;
}

/* nt_s8_weight_at for a conv's parameters. */
static inline size_t nt_s8_weight_of(const nt_conv2d_params_t *p, int32_t co, int32_t tap, int32_t ci_g)
{
    return nt_s8_weight_at(nt_s8_depthwise(p), p->kernel * p->kernel, p->in_c / p->groups, p->out_c, co, tap, ci_g);
}

static inline void nt_conv2d_s8_generic(const nt_conv2d_params_t *p, const nt_s8_quant_t *q, const int8_t *x, const int8_t *w,
                                        const int32_t *b, int8_t *y)
{
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t cout_g = p->out_c / p->groups;
    const int32_t depthwise = cin_g == 1 && cout_g == 1;
    const int32_t k = p->kernel;
    for (int32_t n = 0; n < p->n; ++n) {
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                int8_t *yrow = y + (((size_t)n * p->out_h + oh) * p->out_w + ow) * p->out_c;
                for (int32_t co = 0; co < p->out_c; ++co) {
                    const int32_t g = co / cout_g;
                    int32_t acc = b ? b[co] : 0;
                    for (int32_t kh = 0; kh < k; ++kh) {
                        const int32_t ih = oh * p->stride - p->pad + kh;
                        if (ih < 0 || ih >= p->in_h) {
                            continue;
                        }
                        for (int32_t kw = 0; kw < k; ++kw) {
                            const int32_t iw = ow * p->stride - p->pad + kw;
                            if (iw < 0 || iw >= p->in_w) {
                                continue;
                            }
                            const int8_t *xrow = x + (((size_t)n * p->in_h + ih) * p->in_w + iw) * p->in_c + (size_t)g * cin_g;
                            if (depthwise) {
                                acc += ((int32_t)xrow[0] + q->input_offset) * w[((size_t)kh * k + kw) * p->out_c + co];
                                continue;
                            }
                            const int8_t *wrow = w + (((size_t)co * k + kh) * k + kw) * cin_g;
                            for (int32_t ci = 0; ci < cin_g; ++ci) {
                                acc += ((int32_t)xrow[ci] + q->input_offset) * wrow[ci];
                            }
                        }
                    }
                    yrow[co] = nt_s8_finish(q, acc, co);
                }
            }
        }
    }
}

#endif
