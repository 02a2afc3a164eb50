/* nt_requantize_fast (the optimized kernels' requantization) equals TFLite's formulation in nt/quant.h
 * for every multiplier the quantizer produces, on edge and random accumulators. */
#include <stddef.h>
#include <stdint.h>

#include "../../firmware/engine/src/kernels/nt_s8_requantize_fast.h"
#include "nt/quant.h"
#include "nt_test.h"

static uint64_t state = 0x9E3779B97F4A7C15ull;

static uint32_t next(void)
{
    nt_test_xorshift(&state);
    return (uint32_t)(state >> 16);
}

int main(void)
{
    const int32_t edges[] = { 0, 1, -1, 2, -2, 127, -128, 1 << 20, -(1 << 20), INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1 };
    for (int trial = 0; trial < 2000000; ++trial) {
        const int32_t multiplier = trial % 97 == 0 ? 0 : (int32_t)((1u << 30) | (next() & 0x3FFFFFFFu));
        int32_t shift = -(int32_t)(next() % 32u);
        if (trial % 11 == 0) {
            shift = (int32_t)(next() % 8u); /* left shifts, as the add kernel's rescaling uses */
        }
        int32_t acc;
        if (trial % 5 == 0) {
            acc = edges[next() % (sizeof edges / sizeof edges[0])];
        } else {
            acc = (int32_t)next();
            acc >>= (int32_t)(next() % 31u);
        }
        if (shift > 0) {
            acc >>= shift; /* keep acc << shift inside int32, as real accumulators are */
        }
        NT_CHECK_EQ_U((uint32_t)nt_requantize(acc, multiplier, shift), (uint32_t)nt_requantize_fast(acc, multiplier, shift));
        if (shift < 0) {
            const int32_t small = acc / 2; /* |small| < 2^30 */
            NT_CHECK_EQ_U((uint32_t)nt_requantize(small, multiplier, shift),
                          (uint32_t)nt_requantize_right_doubled(small * 2, multiplier, -shift - 1));
        }
    }
    /* Multipliers with few bits set put many products exactly on a rounding tie, in both roundings. */
    const int32_t tie_multipliers[] = { 1 << 30, (1 << 30) | (1 << 29), (1 << 30) | (1 << 28) | (1 << 27), INT32_MAX };
    for (size_t i = 0; i < sizeof tie_multipliers / sizeof tie_multipliers[0]; ++i) {
        for (int32_t shift = -12; shift <= 3; ++shift) {
            for (int32_t acc = -70000; acc <= 70000; ++acc) {
                NT_CHECK_EQ_U((uint32_t)nt_requantize(acc, tie_multipliers[i], shift),
                              (uint32_t)nt_requantize_fast(acc, tie_multipliers[i], shift));
                if (shift < 0) {
                    NT_CHECK_EQ_U((uint32_t)nt_requantize(acc, tie_multipliers[i], shift),
                                  (uint32_t)nt_requantize_right_doubled(acc * 2, tie_multipliers[i], -shift - 1));
                }
            }
        }
    }
    return 0;
}
