#include "nt/kernels.h"

void nt_conv2d_s8_gc_sums(const nt_conv2d_params_t *p, int32_t input_offset, float x_scale, const int8_t *x, float *sums)
{
    const int32_t k = p->kernel;
    for (int32_t n = 0; n < p->n; ++n) {
        const int8_t *xn = x + (size_t)n * p->in_h * p->in_w * p->in_c;
        float *sn = sums + (size_t)n * k * k * p->in_c;
        for (int32_t kh = 0; kh < k; ++kh) {
            for (int32_t kw = 0; kw < k; ++kw) {
                float *s = sn + ((size_t)kh * k + kw) * p->in_c;
                for (int32_t c = 0; c < p->in_c; ++c) {
                    /* int32 is exact: |x + offset| <= 256 at each of fewer than 2^23 positions. */
                    int32_t acc = 0;
                    int32_t taps = 0;
                    for (int32_t oh = 0; oh < p->out_h; ++oh) {
                        const int32_t ih = oh * p->stride - p->pad + kh;
                        if (ih < 0 || ih >= p->in_h) {
                            continue;
                        }
                        const int8_t *row = xn + (size_t)ih * p->in_w * p->in_c + c;
                        for (int32_t ow = 0; ow < p->out_w; ++ow) {
                            const int32_t iw = ow * p->stride - p->pad + kw;
                            if (iw >= 0 && iw < p->in_w) {
                                acc += row[(size_t)iw * p->in_c];
                                ++taps;
                            }
                        }
                    }
                    s[c] = x_scale * (float)(acc + taps * input_offset);
                }
            }
        }
    }
}
