/* A cheaper evaluation of nt_requantize (nt/quant.h) for the optimized int8 kernels, equal to it for every
 * accumulator whenever the multiplier is >= 0, which the quantizer guarantees (multipliers are in [2^30, 2^31)
 * or 0). Internal to the engine.
 *
 * TFLite's SaturatingRoundingDoublingHighMul(x, m) is (x*m + nudge) / 2^31 truncated toward zero, with
 * nudge = 2^30 for x*m >= 0 and 1 - 2^30 otherwise; for m >= 0 (so never INT32_MIN * INT32_MIN) both cases
 * equal floor((x*m + 2^30) / 2^31), one multiply-accumulate and a 64-bit arithmetic shift. The rounding
 * divide by a power of two is kept as TFLite writes it. */
#ifndef NT_S8_REQUANTIZE_FAST_H
#define NT_S8_REQUANTIZE_FAST_H

#include <stdint.h>

#include "nt/kernels.h"

static inline int32_t nt_requantize_fast(int32_t acc, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t x = (int32_t)((uint32_t)acc << left);
    const int32_t high = (int32_t)(((int64_t)x * multiplier + (1ll << 30)) >> 31);
    const int32_t mask = (int32_t)((1ll << right) - 1);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

/* Requantize, add the output zero point and clamp: one int8 output of a kernel using nt_s8_quant_t. */
static inline int8_t nt_s8_finish_fast(const nt_s8_quant_t *q, int32_t acc, int32_t channel)
{
    int32_t v = nt_requantize_fast(acc, q->multiplier[channel], q->shift[channel]) + q->output_offset;
    v = v < q->act_min ? q->act_min : v;
    v = v > q->act_max ? q->act_max : v;
    return (int8_t)v;
}

#endif
