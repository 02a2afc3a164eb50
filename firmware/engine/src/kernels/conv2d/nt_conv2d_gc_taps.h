/* Output positions whose tap (kh, kw) lands inside the input: the count behind a condensed gradient's sums. */
#ifndef NT_CONV2D_GC_TAPS_H
#define NT_CONV2D_GC_TAPS_H

#include "nt/kernels.h"

/* Output rows (or columns) oh in [0, out) with 0 <= oh*stride - pad + tap < in. */
static inline int32_t nt_gc_valid(int32_t out, int32_t in, int32_t stride, int32_t pad, int32_t tap)
{
    int32_t count = 0;
    for (int32_t o = 0; o < out; ++o) {
        const int32_t i = o * stride - pad + tap;
        count += (i >= 0 && i < in) ? 1 : 0;
    }
    return count;
}

/* taps[kh*k + kw] = scale * the output positions whose tap (kh, kw) lands inside the input (k <= 7: 49 entries). */
static inline void nt_gc_tap_counts(const nt_conv2d_params_t *p, float scale, float *taps)
{
    for (int32_t kh = 0; kh < p->kernel; ++kh) {
        const int32_t rows = nt_gc_valid(p->out_h, p->in_h, p->stride, p->pad, kh);
        for (int32_t kw = 0; kw < p->kernel; ++kw) {
            taps[kh * p->kernel + kw] = (float)(rows * nt_gc_valid(p->out_w, p->in_w, p->stride, p->pad, kw)) * scale;
        }
    }
}

#endif /* NT_CONV2D_GC_TAPS_H */
