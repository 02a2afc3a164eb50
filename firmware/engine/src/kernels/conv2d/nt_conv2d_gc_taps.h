/* Output positions whose tap (kh, kw) lands inside the input: the count behind a condensed gradient's sums, and the
 * range an input sum or an exact weight gradient runs over. */
#ifndef NT_CONV2D_GC_TAPS_H
#define NT_CONV2D_GC_TAPS_H

#include "nt/kernels.h"

/* The output rows (or columns) o in [*first, *end) whose tap lands inside the input: 0 <= o*stride - pad + tap < in.
 * They are one run (the input index grows with o); none when *first == *end. */
static inline void nt_tap_outputs(int32_t out, int32_t in, int32_t stride, int32_t pad, int32_t tap, int32_t *first, int32_t *end)
{
    int32_t o0 = 0;
    while (o0 < out && o0 * stride - pad + tap < 0) {
        ++o0;
    }
    int32_t o1 = out;
    while (o1 > o0 && (o1 - 1) * stride - pad + tap >= in) {
        --o1;
    }
    *first = o0;
    *end = o1;
}

/* How many output rows (or columns) the tap lands inside the input for (nt_tap_outputs). */
static inline int32_t nt_gc_valid(int32_t out, int32_t in, int32_t stride, int32_t pad, int32_t tap)
{
    int32_t first, end;
    nt_tap_outputs(out, in, stride, pad, tap, &first, &end);
    return end - first;
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
