/* Where weight (co, tap, ci_g) of an int8 conv lives: OHWI w[co][kh][kw][ci_g], or [kh][kw][1][c] depthwise. */
#ifndef NT_CONV2D_S8_GC_WEIGHTS_H
#define NT_CONV2D_S8_GC_WEIGHTS_H

#include "nt/kernels.h"

static inline int nt_gc_depthwise(const nt_conv2d_params_t *p)
{
    return p->groups > 1 && p->groups == p->in_c && p->groups == p->out_c;
}

static inline size_t nt_gc_s8_weight(const nt_conv2d_params_t *p, int32_t co, int32_t tap, int32_t ci_g)
{
    if (nt_gc_depthwise(p)) {
        return (size_t)tap * p->out_c + co;
    }
    const int32_t cig = p->in_c / p->groups;
    return ((size_t)co * p->kernel * p->kernel + tap) * cig + ci_g;
}

#endif /* NT_CONV2D_S8_GC_WEIGHTS_H */
