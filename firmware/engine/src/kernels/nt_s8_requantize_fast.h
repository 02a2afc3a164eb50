/* A cheaper evaluation of nt_requantize (nt/quant.h) for the optimized int8 kernels, equal to it for every
 * accumulator whenever the multiplier is >= 0, which the quantizer guarantees (multipliers are in [2^30, 2^31)
 * or 0). Internal to the engine.
 *
 * TFLite's SaturatingRoundingDoublingHighMul(x, m) is (x*m + nudge) / 2^31 truncated toward zero, with
 * nudge = 2^30 for x*m >= 0 and 1 - 2^30 otherwise; for m >= 0 (so never INT32_MIN * INT32_MIN) both cases
 * equal floor((x*m + 2^30) / 2^31), one multiply-accumulate and a 64-bit arithmetic shift; the rounding divide
 * by a power of two that follows folds into the same sum (nt_requantize_right). */
#ifndef NT_S8_REQUANTIZE_FAST_H
#define NT_S8_REQUANTIZE_FAST_H

#include <stdint.h>

#include "nt/kernels.h"

/* The right-shift case (shift < 0, r = -shift >= 1), which every convolution and fully connected layer of the
 * zoo uses, in six data operations. With s = (high < 0), TFLite's rounding divide of high by 2^r equals
 * floor((high + 2^(r-1) - s) / 2^r); nesting the floors gives
 *   floor((P + 2^30 - s*2^31) / 2^31) = q,   result = floor((floor(q / 2^(r-1)) + 1) / 2),
 * with P = acc*multiplier. For multiplier >= 0, s may be taken as (acc < 0): the two differ only where
 * high = 0, and there the result is 0 either way. q lies in [-2^31, 2^31 - 2], so nothing overflows. The
 * 64-bit sum is one SMLAL on a Cortex-M; ~shift is r - 1. */
static inline int32_t nt_requantize_right(int32_t acc, int32_t multiplier, int32_t shift)
{
#if defined(__ARM_FEATURE_DSP)
    /* init = 2^30 - s*2^31 as a register pair: low word 0x40000000 or 0xC0000000, high word 0 or -1. */
    uint32_t lo = ((uint32_t)acc & 0x80000000u) | 0x40000000u;
    int32_t hi = acc >> 31;
    __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(acc), "r"(multiplier));
    const int32_t q = (int32_t)(((uint32_t)hi << 1) | (lo >> 31));
#else
    const int64_t init = acc < 0 ? -(1ll << 30) : (1ll << 30);
    const int32_t q = (int32_t)(((int64_t)acc * multiplier + init) >> 31);
#endif
    return ((q >> ~shift) + 1) >> 1;
}

/* nt_requantize_right of acc from acc2 = 2*acc, for |acc| < 2^30: q above is then a rounding high multiply,
 * floor((2^32*(-s) + acc2*multiplier + 2^31) / 2^32), one SMMLAR on a Cortex-M. Kernels that accumulate
 * doubled values (doubled weights or inputs, doubled bias) requantize with it; r_minus_1 = -shift - 1. */
static inline int32_t nt_requantize_right_doubled(int32_t acc2, int32_t multiplier, int32_t r_minus_1)
{
#if defined(__ARM_FEATURE_DSP)
    int32_t q;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(q) : "r"(acc2), "r"(multiplier), "r"(acc2 >> 31));
#else
    const int32_t q = (int32_t)(((int64_t)(acc2 >> 31) * (1ll << 32) + (int64_t)acc2 * multiplier + (1ll << 31)) >> 32);
#endif
    return ((q >> r_minus_1) + 1) >> 1;
}

/* Whether a kernel may accumulate doubled values: |bias| + taps * 255 * 128 < 2^30 bounds every accumulator
 * (|x + input_offset| <= 255, |w| <= 128), so 2*acc stays inside int32. */
static inline int nt_s8_accumulators_fit(const int32_t *b, int32_t channels, int32_t taps)
{
    const int64_t products = (int64_t)taps * 255 * 128;
    if (products >= (1ll << 30)) {
        return 0;
    }
    const uint32_t limit = (uint32_t)((1ll << 30) - products);
    for (int32_t c = 0; c < channels; ++c) {
        const int32_t bias = b ? b[c] : 0;
        /* |bias| < limit as one unsigned comparison: bias + limit - 1 lies in [0, 2*limit - 2]. */
        if ((uint32_t)bias + limit - 1u > 2u * limit - 2u) {
            return 0;
        }
    }
    return 1;
}

/* Whether every channel shifts right (so nt_requantize_right serves all of them) and a kernel may accumulate
 * doubled values (nt_s8_accumulators_fit). The optimized kernels' fast paths need both, except the depthwise one,
 * which requantizes a group of channels with a left shift or none exactly (nt_requantize). */
static inline int nt_s8_doubling_fits(const nt_s8_quant_t *q, const int32_t *b, int32_t channels, int32_t taps)
{
    for (int32_t c = 0; c < channels; ++c) {
        if (q->shift[c] >= 0) {
            return 0;
        }
    }
    return nt_s8_accumulators_fit(b, channels, taps);
}

static inline int32_t nt_requantize_fast(int32_t acc, int32_t multiplier, int32_t shift)
{
    if (shift < 0) {
        return nt_requantize_right(acc, multiplier, shift);
    }
    const int32_t x = (int32_t)((uint32_t)acc << shift);
    return (int32_t)(((int64_t)x * multiplier + (1ll << 30)) >> 31);
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
