#include <string.h>

#include "nt/kernels.h"

/* A filter's priority: its score relative to the largest, plus its age over the horizon. Non-negative, so its
 * bit pattern orders like its value; computed by the one expression everywhere, so equal inputs give equal bits. */
static uint32_t priority_bits(float score, float inv_max, uint8_t age, float inv_horizon)
{
    const float v = score * inv_max + (float)age * inv_horizon;
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

void nt_filter_drift_select(int32_t c, int32_t count, int32_t horizon, const float *score, uint8_t *age)
{
    float max = 0.0f;
    for (int32_t ch = 0; ch < c; ++ch) {
        max = score[ch] > max ? score[ch] : max;
    }
    const float inv_max = max > 0.0f ? 1.0f / max : 0.0f;
    const float inv_horizon = 1.0f / (float)horizon;
    /* The count-th largest priority t: the largest bit pattern with at least `count` priorities at or above it
     * (bisection over the patterns of the non-negative finite floats). */
    uint32_t lo = 0u, hi = 0x7F7FFFFFu;
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo + 1u) / 2u;
        int32_t above = 0;
        for (int32_t ch = 0; ch < c; ++ch) {
            above += priority_bits(score[ch], inv_max, age[ch], inv_horizon) >= mid;
        }
        if (above >= count) {
            lo = mid;
        } else {
            hi = mid - 1u;
        }
    }
    /* Everything above t (fewer than count), then filters at t in index order until count are chosen. */
    int32_t ties = count;
    for (int32_t ch = 0; ch < c; ++ch) {
        ties -= priority_bits(score[ch], inv_max, age[ch], inv_horizon) > lo;
    }
    for (int32_t ch = 0; ch < c; ++ch) {
        const uint32_t bits = priority_bits(score[ch], inv_max, age[ch], inv_horizon);
        const int chosen = bits > lo || (bits == lo && ties-- > 0);
        age[ch] = chosen ? 0u : age[ch] == 255u ? 255u : (uint8_t)(age[ch] + 1u);
    }
}
