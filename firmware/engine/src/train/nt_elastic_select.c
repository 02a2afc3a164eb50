#include <string.h>

#include "nt/elastic.h"

size_t nt_elastic_select_scratch_bytes(int32_t n, int32_t units)
{
    if (n < 1 || units < 1) {
        return 0u;
    }
    const size_t values = ((size_t)units + 1u) * sizeof(float);
    const size_t bits = ((size_t)n * ((size_t)units + 1u) + 7u) / 8u;
    return values + ((bits + 3u) & ~(size_t)3u);
}

/* Cost in units, rounded up. */
static uint64_t in_units(uint64_t cost, uint64_t unit)
{
    return (cost + unit - 1u) / unit;
}

int32_t nt_elastic_select(int32_t n, const nt_elastic_tensor_t *tensors, uint64_t budget, int32_t units, void *scratch, uint8_t *selected)
{
    if (n < 1 || units < 1 || !tensors || !scratch || !selected) {
        return -1;
    }
    memset(selected, 0, (size_t)n);
    if (budget == 0u) {
        return 0;
    }
    const uint64_t unit = (budget + (uint64_t)units - 1u) / (uint64_t)units;
    const int32_t capacity = (int32_t)(budget / unit); /* <= units */
    float *best = (float *)scratch;                   /* best[c]: most importance of the tensors above within c units */
    uint8_t *take = (uint8_t *)scratch + ((size_t)units + 1u) * sizeof(float);
    const size_t row = (size_t)capacity + 1u;
    memset(best, 0, row * sizeof(float));
    memset(take, 0, ((size_t)n * row + 7u) / 8u);
    uint64_t chain = 0u; /* units of passing the gradient down to the current candidate */
    int32_t best_d = -1, best_c = 0;
    float best_value = -1.0f;
    for (int32_t d = 0; d < n; ++d) {
        const uint64_t own = in_units(tensors[d].t_dw, unit);
        if (chain + own <= (uint64_t)capacity) {
            const int32_t left = capacity - (int32_t)(chain + own);
            const float value = tensors[d].importance + best[left];
            if (value > best_value) {
                best_value = value;
                best_d = d;
                best_c = left;
            }
        }
        /* d joins the tensors above the next candidates: the knapsack's running array, capacities downward. */
        if (own <= (uint64_t)capacity) {
            for (int32_t c = capacity; c >= (int32_t)own; --c) {
                const float with = best[c - (int32_t)own] + tensors[d].importance;
                if (with > best[c]) {
                    best[c] = with;
                    const size_t bit = (size_t)d * row + (size_t)c;
                    take[bit >> 3] |= (uint8_t)(1u << (bit & 7u));
                }
            }
        }
        chain += in_units(tensors[d].t_dy, unit);
        if (chain > (uint64_t)capacity) {
            break; /* no deeper candidate can pay its chain */
        }
    }
    if (best_d < 0) {
        return 0;
    }
    selected[best_d] = 1u;
    int32_t count = 1, c = best_c;
    for (int32_t j = best_d - 1; j >= 0; --j) {
        const size_t bit = (size_t)j * row + (size_t)c;
        if ((take[bit >> 3] >> (bit & 7u)) & 1u) {
            selected[j] = 1u;
            ++count;
            c -= (int32_t)in_units(tensors[j].t_dw, unit);
        }
    }
    return count;
}
