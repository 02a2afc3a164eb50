#include "nt/kernels.h"

#include "nt_conv2d_s8_generic.h"

/* Depthwise: each output position adds, tap by tap, its gradient times the tap's weights ([tap][c], channel after
 * channel) into the input position under the tap; every dx element gets its terms in the positions' order. */
static void depthwise_bwd_in(const nt_conv2d_params_t *p, const float *dy, const int8_t *w, const float *w_scale, float *dx)
{
    const int32_t k = p->kernel;
    const int32_t c = p->out_c;
    for (int32_t n = 0; n < p->n; ++n) {
        const float *dyn = dy + (size_t)n * p->out_h * p->out_w * c;
        float *dxn = dx + (size_t)n * p->in_h * p->in_w * c;
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                const float *g = dyn + ((size_t)oh * p->out_w + ow) * c;
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
                        float *d = dxn + ((size_t)ih * p->in_w + iw) * c;
                        const int8_t *wt = w + (size_t)(kh * k + kw) * c;
                        for (int32_t ch = 0; ch < c; ++ch) {
                            d[ch] += g[ch] * w_scale[ch] * (float)wt[ch];
                        }
                    }
                }
            }
        }
    }
}

void nt_conv2d_s8_bwd_in(const nt_conv2d_params_t *p, const float *dy, const int8_t *w, const float *w_scale, float *dx)
{
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    if (nt_s8_depthwise(p)) {
        depthwise_bwd_in(p, dy, w, w_scale, dx);
        return;
    }
    for (int32_t n = 0; n < p->n; ++n) {
        const float *dyn = dy + (size_t)n * p->out_h * p->out_w * p->out_c;
        float *dxn = dx + (size_t)n * p->in_h * p->in_w * p->in_c;
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                const float *g = dyn + ((size_t)oh * p->out_w + ow) * p->out_c;
                /* Each output value scatters back over its window, filter by filter (a filter's weights lie together). */
                for (int32_t co = 0; co < p->out_c; ++co) {
                    if (g[co] == 0.0f) {
                        continue;
                    }
                    const float gs = g[co] * w_scale[co];
                    const int32_t ci0 = (co / cog) * cig;
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
                            float *d = dxn + ((size_t)ih * p->in_w + iw) * p->in_c + ci0;
                            const int8_t *wp = w + nt_s8_weight_at(0, k * k, cig, p->out_c, co, kh * k + kw, 0);
                            for (int32_t ci = 0; ci < cig; ++ci) {
                                d[ci] += gs * (float)wp[ci];
                            }
                        }
                    }
                }
            }
        }
    }
}
