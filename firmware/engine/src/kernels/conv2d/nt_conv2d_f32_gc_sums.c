#include "nt/kernels.h"

#include "nt_conv2d_gc_taps.h"

void nt_conv2d_f32_gc_sums(const nt_conv2d_params_t *p, const float *x, float *sums)
{
    const int32_t k = p->kernel;
    for (int32_t n = 0; n < p->n; ++n) {
        const float *xn = x + (size_t)n * p->in_h * p->in_w * p->in_c;
        float *sn = sums + (size_t)n * k * k * p->in_c;
        for (int32_t kh = 0; kh < k; ++kh) {
            for (int32_t kw = 0; kw < k; ++kw) {
                float *s = sn + ((size_t)kh * k + kw) * p->in_c;
                for (int32_t c = 0; c < p->in_c; ++c) {
                    s[c] = 0.0f;
                }
                int32_t oh0, oh1, ow0, ow1;
                nt_tap_outputs(p->out_h, p->in_h, p->stride, p->pad, kh, &oh0, &oh1);
                nt_tap_outputs(p->out_w, p->in_w, p->stride, p->pad, kw, &ow0, &ow1);
                for (int32_t oh = oh0; oh < oh1; ++oh) {
                    const int32_t ih = oh * p->stride - p->pad + kh;
                    for (int32_t ow = ow0; ow < ow1; ++ow) {
                        const int32_t iw = ow * p->stride - p->pad + kw;
                        const float *xp = xn + ((size_t)ih * p->in_w + iw) * p->in_c;
                        for (int32_t c = 0; c < p->in_c; ++c) {
                            s[c] += xp[c];
                        }
                    }
                }
            }
        }
    }
}
