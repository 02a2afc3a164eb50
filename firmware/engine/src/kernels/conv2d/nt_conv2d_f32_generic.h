/* The plain fp32 convolution loops (forward, input gradient, weight gradient), shared by the reference
 * kernels and by the optimized variants for the shapes they have no fast path for. Internal to the engine. */
#ifndef NT_CONV2D_F32_GENERIC_H
#define NT_CONV2D_F32_GENERIC_H

#include "nt/kernels.h"

static inline void nt_conv2d_f32_fwd_generic(const nt_conv2d_params_t *p, const float *x, const float *w, const float *b, float *y)
{
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t cout_g = p->out_c / p->groups;
    const int32_t depthwise = cin_g == 1 && cout_g == 1;
    for (int32_t n = 0; n < p->n; ++n) {
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                float *yrow = y + (((size_t)n * p->out_h + oh) * p->out_w + ow) * p->out_c;
                for (int32_t co = 0; co < p->out_c; ++co) {
                    yrow[co] = b ? b[co] : 0.0f;
                }
                for (int32_t kh = 0; kh < p->kernel; ++kh) {
                    const int32_t ih = oh * p->stride - p->pad + kh;
                    if (ih < 0 || ih >= p->in_h) {
                        continue;
                    }
                    for (int32_t kw = 0; kw < p->kernel; ++kw) {
                        const int32_t iw = ow * p->stride - p->pad + kw;
                        if (iw < 0 || iw >= p->in_w) {
                            continue;
                        }
                        const float *xrow = x + (((size_t)n * p->in_h + ih) * p->in_w + iw) * p->in_c;
                        const float *wk = w + ((size_t)kh * p->kernel + kw) * cin_g * p->out_c;
                        if (depthwise) {
                            /* Same per-element order as the general path, in a loop the compiler vectorizes. */
                            for (int32_t c = 0; c < p->out_c; ++c) {
                                yrow[c] += wk[c] * xrow[c];
                            }
                            continue;
                        }
                        for (int32_t g = 0; g < p->groups; ++g) {
                            for (int32_t ci = 0; ci < cin_g; ++ci) {
                                const float xv = xrow[g * cin_g + ci];
                                const float *wrow = wk + (size_t)ci * p->out_c + (size_t)g * cout_g;
                                float *yg = yrow + (size_t)g * cout_g;
                                for (int32_t co = 0; co < cout_g; ++co) {
                                    yg[co] += wrow[co] * xv;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

static inline void nt_conv2d_f32_bwd_in_generic(const nt_conv2d_params_t *p, const float *dy, const float *w, float *dx)
{
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t cout_g = p->out_c / p->groups;
    const int32_t depthwise = cin_g == 1 && cout_g == 1;
    for (int32_t n = 0; n < p->n; ++n) {
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                const float *dyrow = dy + (((size_t)n * p->out_h + oh) * p->out_w + ow) * p->out_c;
                for (int32_t kh = 0; kh < p->kernel; ++kh) {
                    const int32_t ih = oh * p->stride - p->pad + kh;
                    if (ih < 0 || ih >= p->in_h) {
                        continue;
                    }
                    for (int32_t kw = 0; kw < p->kernel; ++kw) {
                        const int32_t iw = ow * p->stride - p->pad + kw;
                        if (iw < 0 || iw >= p->in_w) {
                            continue;
                        }
                        float *dxrow = dx + (((size_t)n * p->in_h + ih) * p->in_w + iw) * p->in_c;
                        const float *wk = w + ((size_t)kh * p->kernel + kw) * cin_g * p->out_c;
                        if (depthwise) {
                            /* A one-term inner sum from 0 is the product itself: same result as below. */
                            for (int32_t c = 0; c < p->in_c; ++c) {
                                dxrow[c] += wk[c] * dyrow[c];
                            }
                            continue;
                        }
                        for (int32_t g = 0; g < p->groups; ++g) {
                            const float *dyg = dyrow + (size_t)g * cout_g;
                            for (int32_t ci = 0; ci < cin_g; ++ci) {
                                const float *wrow = wk + (size_t)ci * p->out_c + (size_t)g * cout_g;
                                float acc = 0.0f;
                                for (int32_t co = 0; co < cout_g; ++co) {
                                    acc += wrow[co] * dyg[co];
                                }
                                dxrow[g * cin_g + ci] += acc;
                            }
                        }
                    }
                }
            }
        }
    }
}

static inline void nt_conv2d_f32_bwd_w_generic(const nt_conv2d_params_t *p, const float *x, const float *dy, float *dw, float *db)
{
    const int32_t cin_g = p->in_c / p->groups;
    const int32_t cout_g = p->out_c / p->groups;
    const int32_t depthwise = cin_g == 1 && cout_g == 1;
    for (int32_t n = 0; n < p->n; ++n) {
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                const float *dyrow = dy + (((size_t)n * p->out_h + oh) * p->out_w + ow) * p->out_c;
                if (db) {
                    for (int32_t co = 0; co < p->out_c; ++co) {
                        db[co] += dyrow[co];
                    }
                }
                if (!dw) {
                    continue;
                }
                for (int32_t kh = 0; kh < p->kernel; ++kh) {
                    const int32_t ih = oh * p->stride - p->pad + kh;
                    if (ih < 0 || ih >= p->in_h) {
                        continue;
                    }
                    for (int32_t kw = 0; kw < p->kernel; ++kw) {
                        const int32_t iw = ow * p->stride - p->pad + kw;
                        if (iw < 0 || iw >= p->in_w) {
                            continue;
                        }
                        const float *xrow = x + (((size_t)n * p->in_h + ih) * p->in_w + iw) * p->in_c;
                        float *dwk = dw + ((size_t)kh * p->kernel + kw) * cin_g * p->out_c;
                        if (depthwise) {
                            for (int32_t c = 0; c < p->out_c; ++c) {
                                dwk[c] += xrow[c] * dyrow[c];
                            }
                            continue;
                        }
                        for (int32_t g = 0; g < p->groups; ++g) {
                            const float *dyg = dyrow + (size_t)g * cout_g;
                            for (int32_t ci = 0; ci < cin_g; ++ci) {
                                const float xv = xrow[g * cin_g + ci];
                                float *dwrow = dwk + (size_t)ci * p->out_c + (size_t)g * cout_g;
                                for (int32_t co = 0; co < cout_g; ++co) {
                                    dwrow[co] += xv * dyg[co];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#endif
