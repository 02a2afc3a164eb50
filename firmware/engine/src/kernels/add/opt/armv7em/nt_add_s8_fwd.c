/* nt_add_s8_fwd for ARMv7E-M: the reference's arithmetic with each requantization as nt_requantize_fast (one SMLAL
 * and shifts instead of the 64-bit multiply, rounding and saturation steps), equal to nt_requantize for the
 * multipliers in {0} U [2^30, 2^31) the plan loader lets through (check_add_s8). Bit-exact. */
#include "nt/kernels.h"
#include "nt/quant.h"
#include "../../../nt_s8_requantize_fast.h"

void nt_add_s8_fwd(int32_t count, const nt_add_s8_quant_t *q, const int8_t *a, const int8_t *b, int8_t *y)
{
    const nt_add_s8_quant_t p = *q; /* kept in registers: y may alias a or b */
    for (int32_t i = 0; i < count; ++i) {
        const int32_t xa = (int32_t)((uint32_t)((int32_t)a[i] + p.input1_offset) << p.left_shift);
        const int32_t xb = (int32_t)((uint32_t)((int32_t)b[i] + p.input2_offset) << p.left_shift);
        const int32_t s = nt_requantize_fast(xa, p.input1_multiplier, p.input1_shift) + nt_requantize_fast(xb, p.input2_multiplier, p.input2_shift);
        const int32_t v = nt_requantize_fast(s, p.output_multiplier, p.output_shift) + p.output_offset;
        y[i] = (int8_t)(v < p.act_min ? p.act_min : (v > p.act_max ? p.act_max : v));
    }
}
