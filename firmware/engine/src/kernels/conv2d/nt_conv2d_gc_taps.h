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

#endif /* NT_CONV2D_GC_TAPS_H */
