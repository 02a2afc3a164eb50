#include "nt/kernels.h"

#include "nt_conv2d_gc_taps.h"
#include "nt_conv2d_s8_generic.h"
#include "nt_conv2d_s8_qas.h"

/* Input channels whose weight gradients one pass over the output positions gathers (a stack array). */
#define NT_S8_DW_CHUNK 32

/* dW of filter co at one tap for input channels c0 .. c0+m-1 of its group (m <= NT_S8_DW_CHUNK), in real units over
 * the batch: dw[j] = s_x * sum over the output positions whose tap lands inside the input of
 * dy[n,oh,ow,co] * (x[n,ih,iw,c0+j] + input_offset), each sum taken in the positions' order. */
static void tap_gradients(const nt_conv2d_params_t *p, int32_t input_offset, float x_scale, const int8_t *x, const float *dy, int32_t co,
                          int32_t kh, int32_t kw, int32_t c0, int32_t m, float *dw)
{
    int32_t oh0, oh1, ow0, ow1;
    nt_tap_outputs(p->out_h, p->in_h, p->stride, p->pad, kh, &oh0, &oh1);
    nt_tap_outputs(p->out_w, p->in_w, p->stride, p->pad, kw, &ow0, &ow1);
    for (int32_t j = 0; j < m; ++j) {
        dw[j] = 0.0f;
    }
    for (int32_t n = 0; n < p->n; ++n) {
        const int8_t *xn = x + (size_t)n * p->in_h * p->in_w * p->in_c + c0;
        const float *dyn = dy + (size_t)n * p->out_h * p->out_w * p->out_c + co;
        for (int32_t oh = oh0; oh < oh1; ++oh) {
            const int32_t ih = oh * p->stride - p->pad + kh;
            for (int32_t ow = ow0; ow < ow1; ++ow) {
                const float g = dyn[((size_t)oh * p->out_w + ow) * p->out_c];
                if (g == 0.0f) {
                    continue; /* clamped by the activation: adds nothing */
                }
                const int8_t *xp = xn + ((size_t)ih * p->in_w + ow * p->stride - p->pad + kw) * p->in_c;
                for (int32_t j = 0; j < m; ++j) {
                    dw[j] += g * (float)((int32_t)xp[j] + input_offset);
                }
            }
        }
    }
    for (int32_t j = 0; j < m; ++j) {
        dw[j] *= x_scale;
    }
}

/* Depthwise dW of filter co (channel c) at every tap in one pass over the output positions: dw[tap], each sum in the
 * positions' order as tap_gradients takes it. */
static void depthwise_gradients(const nt_conv2d_params_t *p, int32_t input_offset, float x_scale, const int8_t *x, const float *dy, int32_t co,
                                int32_t c, float *dw)
{
    const int32_t k = p->kernel;
    for (int32_t tap = 0; tap < k * k; ++tap) {
        dw[tap] = 0.0f;
    }
    for (int32_t n = 0; n < p->n; ++n) {
        const int8_t *xn = x + (size_t)n * p->in_h * p->in_w * p->in_c + c;
        const float *dyn = dy + (size_t)n * p->out_h * p->out_w * p->out_c + co;
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                const float g = dyn[((size_t)oh * p->out_w + ow) * p->out_c];
                if (g == 0.0f) {
                    continue;
                }
                for (int32_t kh = 0; kh < k; ++kh) {
                    const int32_t ih = oh * p->stride - p->pad + kh;
                    if (ih < 0 || ih >= p->in_h) {
                        continue;
                    }
                    for (int32_t kw = 0; kw < k; ++kw) {
                        const int32_t iw = ow * p->stride - p->pad + kw;
                        if (iw >= 0 && iw < p->in_w) {
                            dw[kh * k + kw] += g * (float)((int32_t)xn[((size_t)ih * p->in_w + iw) * p->in_c] + input_offset);
                        }
                    }
                }
            }
        }
    }
    for (int32_t tap = 0; tap < k * k; ++tap) {
        dw[tap] *= x_scale;
    }
}

void nt_conv2d_s8_bwd_update(const nt_conv2d_params_t *p, int32_t input_offset, const int8_t *x, const float *dy, const float *scales, float lr,
                             const uint8_t *ages, int8_t *w, int32_t *b, uint32_t *rng, float *sq)
{
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const int32_t positions = p->n * p->out_h * p->out_w;
    const float x_scale = scales[p->out_c];
    const float bias_limit = nt_qas_bias_limit(p);
    for (int32_t co = 0; co < p->out_c; ++co) {
        if (ages && ages[co] != 0u) {
            continue;
        }
        float db = 0.0f;
        int any = 0;
        for (int32_t i = 0; i < positions; ++i) {
            db += dy[(size_t)i * p->out_c + co];
            any |= dy[(size_t)i * p->out_c + co] != 0.0f;
        }
        if (!any) {
            continue; /* nothing to learn: no random numbers drawn either */
        }
        const float s_w = scales[co];
        if (b) {
            b[co] = nt_qas_step_bias(b[co], lr, db, x_scale, s_w, bias_limit);
            if (sq) {
                sq[1] += db * db;
            }
        }
        if (!w) {
            continue;
        }
        /* QAS: delta w_q = lr * (s_w dW) / s_w^2 = (lr / s_w) * dW, in 1/65536 quanta, weight by weight in the layout's order. */
        const float f = lr / s_w * 65536.0f;
        const int32_t ci0 = (co / cog) * cig;
        float dw[NT_S8_DW_CHUNK > 49 ? NT_S8_DW_CHUNK : 49];
        if (cig == 1) {
            depthwise_gradients(p, input_offset, x_scale, x, dy, co, ci0, dw);
            for (int32_t tap = 0; tap < k * k; ++tap) {
                if (sq) {
                    sq[0] += dw[tap] * dw[tap];
                }
                nt_qas_step_weights(w + nt_s8_weight_of(p, co, tap, 0), 1u, &dw[tap], 1u, 1, f, rng);
            }
            continue;
        }
        for (int32_t tap = 0; tap < k * k; ++tap) {
            for (int32_t c0 = 0; c0 < cig; c0 += NT_S8_DW_CHUNK) {
                const int32_t m = cig - c0 < NT_S8_DW_CHUNK ? cig - c0 : NT_S8_DW_CHUNK;
                tap_gradients(p, input_offset, x_scale, x, dy, co, tap / k, tap % k, ci0 + c0, m, dw);
                if (sq) {
                    for (int32_t j = 0; j < m; ++j) {
                        sq[0] += dw[j] * dw[j];
                    }
                }
                /* Not depthwise: the filter's weights at one tap lie together, in channel order. */
                nt_qas_step_weights(w + nt_s8_weight_of(p, co, tap, c0), 1u, dw, 1u, m, f, rng);
            }
        }
    }
}
