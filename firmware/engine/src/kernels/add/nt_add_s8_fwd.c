#include "nt/kernels.h"
#include "nt/quant.h"

void nt_add_s8_fwd(int32_t count, const nt_add_s8_quant_t *q, const int8_t *a, const int8_t *b, int8_t *y)
{
    for (int32_t i = 0; i < count; ++i) {
        const int32_t xa = (int32_t)((uint32_t)((int32_t)a[i] + q->input1_offset) << q->left_shift);
        const int32_t xb = (int32_t)((uint32_t)((int32_t)b[i] + q->input2_offset) << q->left_shift);
        const int32_t sa = nt_requantize(xa, q->input1_multiplier, q->input1_shift);
        const int32_t sb = nt_requantize(xb, q->input2_multiplier, q->input2_shift);
        int32_t v = nt_requantize(sa + sb, q->output_multiplier, q->output_shift) + q->output_offset;
        v = v < q->act_min ? q->act_min : v;
        v = v > q->act_max ? q->act_max : v;
        y[i] = (int8_t)v;
    }
}
