#include <string.h>

#include "nt/elastic.h"

/* The trainable parameters of the plan's training section, as a bit set over the tensors. */
static void param_bits(const nt_plan_t *plan, uint8_t *bits)
{
    memset(bits, 0, NT_PLAN_MAX_TENSORS / 8u);
    for (uint32_t i = 0; i < plan->n_params; ++i) {
        bits[plan->params[i] >> 3] |= (uint8_t)(1u << (plan->params[i] & 7u));
    }
}

static int is_param(const uint8_t *bits, uint16_t t)
{
    return t != NT_PLAN_NONE && ((bits[t >> 3] >> (t & 7u)) & 1u) != 0u;
}

int32_t nt_elastic_candidates(const nt_plan_t *plan, uint16_t *tensors, uint16_t *ops, int32_t max)
{
    uint8_t bits[NT_PLAN_MAX_TENSORS / 8u];
    param_bits(plan, bits);
    int32_t n = 0;
    for (uint32_t i = plan->n_ops; i-- > 0;) {
        for (int k = 0; k < 6; ++k) {
            const uint16_t t = plan->ops[i].in[k];
            if (!is_param(bits, t)) {
                continue;
            }
            if (n == max) {
                return -1;
            }
            tensors[n] = t;
            ops[n] = (uint16_t)i;
            ++n;
        }
    }
    return n;
}

void nt_elastic_costs(const nt_plan_t *plan, int32_t n, const uint16_t *tensors, const uint16_t *ops, const uint32_t *op_dx, const uint32_t *op_dw,
                      nt_elastic_tensor_t *out)
{
    for (int32_t i = 0; i < n; ++i) {
        /* This op's candidates: [first, last]. */
        int32_t first = i, last = i;
        while (first > 0 && ops[first - 1] == ops[i]) {
            --first;
        }
        while (last + 1 < n && ops[last + 1] == ops[i]) {
            ++last;
        }
        uint64_t elements = 0u, own = 1u;
        for (int32_t j = first; j <= last; ++j) {
            const nt_plan_tensor_t *t = &plan->tensors[tensors[j]];
            const uint64_t e = (uint64_t)t->dims[0] * t->dims[1] * t->dims[2] * t->dims[3];
            elements += e;
            own = j == i ? e : own;
        }
        out[i].t_dw = (uint32_t)((uint64_t)op_dw[ops[i]] * own / (elements > 0u ? elements : 1u));
        out[i].t_dy = 0u;
        if (i == last) {
            /* Passing the gradient on below this op: its own input gradient and every op's down to the next candidate op. */
            const uint32_t below = last + 1 < n ? (uint32_t)ops[last + 1] + 1u : 0u;
            uint64_t dy = 0u;
            for (uint32_t op = below; op <= ops[i]; ++op) {
                dy += op_dx[op];
            }
            out[i].t_dy = dy > UINT32_MAX ? UINT32_MAX : (uint32_t)dy;
        }
    }
}
