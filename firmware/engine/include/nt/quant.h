/* Fixed-point requantization shared by the int8 kernels (TFLite's integer arithmetic, bit for bit).
 *
 * A real multiplier m = s_in * s_w / s_out in (0, 1) ... (any positive value) is stored as a Q31
 * `multiplier` in [2^30, 2^31) and a power-of-two `shift` (positive: left), m ~= multiplier * 2^(shift-31).
 * An int32 accumulator becomes RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << max(shift,0),
 * multiplier), max(-shift,0)): round half away from zero in the high multiply, then round half up (ties away
 * from zero for negatives) in the shift. */
#ifndef NT_QUANT_H
#define NT_QUANT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** (a*b*2 + 2^31) >> 32 with TFLite's rounding; saturates INT32_MIN*INT32_MIN to INT32_MAX. */
static inline int32_t nt_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
    return (int32_t)((ab + nudge) / (1ll << 31));
}

/** x / 2^exponent rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
static inline int32_t nt_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((1ll << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** acc * multiplier * 2^(shift-31), TFLite's MultiplyByQuantizedMultiplier. */
static inline int32_t nt_requantize(int32_t acc, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return nt_rounding_divide_by_pot(nt_sat_rounding_doubling_high_mul((int32_t)((uint32_t)acc << left), multiplier), right);
}

#ifdef __cplusplus
}
#endif

#endif /* NT_QUANT_H */
