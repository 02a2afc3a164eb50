/* Elastic selection: the solver's choice is the optimum of the unit-rounded problem (checked against every
 * subset on random small problems), never costs more than the budget in instructions, always includes the
 * chain down to its deepest tensor, and leaves out everything when nothing fits. A plan's candidates come in depth
 * order from the loss, and their costs split each op's ticks as documented. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nt/elastic.h"
#include "nt_test.h"

static uint64_t state = 0x452821E638D01377ull;

static uint32_t next(void)
{
    nt_test_xorshift(&state);
    return (uint32_t)(state >> 32);
}

static uint64_t up(uint64_t cost, uint64_t unit) { return (cost + unit - 1u) / unit; }

/* Units of a selection (deepest chosen tensor's chain plus the chosen tensors' own costs), or UINT64_MAX when empty. */
static uint64_t units_of(int32_t n, const nt_elastic_tensor_t *t, const uint8_t *sel, uint64_t unit, uint64_t *instructions)
{
    int32_t deepest = -1;
    for (int32_t i = 0; i < n; ++i) {
        deepest = sel[i] ? i : deepest;
    }
    if (deepest < 0) {
        return UINT64_MAX;
    }
    uint64_t total = 0u, exact = 0u;
    for (int32_t j = 0; j < deepest; ++j) {
        total += up(t[j].t_dy, unit);
        exact += t[j].t_dy;
    }
    for (int32_t j = 0; j < n; ++j) {
        if (sel[j]) {
            total += up(t[j].t_dw, unit);
            exact += t[j].t_dw;
        }
    }
    if (instructions) {
        *instructions = exact;
    }
    return total;
}

static void check_random(int32_t n, int32_t units)
{
    nt_elastic_tensor_t t[12];
    for (int32_t i = 0; i < n; ++i) {
        t[i].t_dw = 1000u + next() % 200000u;
        t[i].t_dy = 1000u + next() % 100000u;
        t[i].importance = (next() % 4u == 0u) ? 0.0f : (float)(next() % 10000u) / 100.0f;
    }
    const uint64_t budget = 5000u + next() % 800000u;
    static uint8_t scratch[1 << 14];
    NT_CHECK(nt_elastic_select_scratch_bytes(n, units) <= sizeof scratch);
    uint8_t sel[12];
    const int32_t count = nt_elastic_select(n, t, budget, units, scratch, sel);
    const uint64_t unit = (budget + (uint64_t)units - 1u) / (uint64_t)units, capacity = budget / unit;
    /* The optimum over every non-empty subset. */
    float optimum = -1.0f;
    uint8_t s[12];
    for (uint32_t mask = 1u; mask < (1u << n); ++mask) {
        float value = 0.0f;
        for (int32_t i = 0; i < n; ++i) {
            s[i] = (uint8_t)((mask >> i) & 1u);
            value += s[i] ? t[i].importance : 0.0f;
        }
        if (units_of(n, t, s, unit, NULL) <= capacity && value > optimum) {
            optimum = value;
        }
    }
    int32_t chosen = 0;
    float value = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
        chosen += sel[i];
        value += sel[i] ? t[i].importance : 0.0f;
    }
    NT_CHECK(count == chosen);
    if (optimum < 0.0f) {
        NT_CHECK(count == 0);
        return;
    }
    uint64_t instructions = 0u;
    NT_CHECK(count > 0 && units_of(n, t, sel, unit, &instructions) <= capacity);
    NT_CHECK(instructions <= budget);
    NT_CHECK(fabsf(value - optimum) <= 1e-4f * fmaxf(1.0f, optimum));
}

static void check_edges(void)
{
    static uint8_t scratch[4096];
    uint8_t sel[3];
    NT_CHECK(nt_elastic_select_scratch_bytes(3, 400) <= sizeof scratch);
    const nt_elastic_tensor_t t[3] = { { 100u, 50u, 1.0f }, { 100u, 50u, 5.0f }, { 100u, 50u, 9.0f } };
    /* Nothing fits: the shallowest tensor alone costs more than the budget. */
    NT_CHECK(nt_elastic_select(3, t, 99u, 16, scratch, sel) == 0 && sel[0] == 0u && sel[1] == 0u && sel[2] == 0u);
    /* Everything fits: 3 * 100 + 2 * 50 = 400. */
    NT_CHECK(nt_elastic_select(3, t, 400u, 400, scratch, sel) == 3 && sel[0] && sel[1] && sel[2]);
    /* 250: the deepest alone with its chain (100 + 100 = 200) beats the two shallower (200, importance 6). */
    NT_CHECK(nt_elastic_select(3, t, 250u, 250, scratch, sel) == 1 && !sel[0] && !sel[1] && sel[2]);
    NT_CHECK(nt_elastic_select(0, t, 250u, 16, scratch, sel) == -1 && nt_elastic_select(3, t, 250u, 0, scratch, sel) == -1);
    NT_CHECK(nt_elastic_select_scratch_bytes(0, 4) == 0u);
}

/* Candidates and their costs on a hand-built plan: op 0 conv (w 0, b 1) <- input 10; op 1 add (no parameters);
 * op 2 conv (w 2 only trained); op 3 fc (w 3, b 4). Depth order from the loss: fc.w, fc.b, conv2.w, conv0.w, conv0.b. */
static void check_costs(void)
{
    nt_plan_tensor_t tensors[12];
    memset(tensors, 0, sizeof tensors);
    const uint16_t dims[5][4] = { { 1, 3, 3, 4 }, { 1, 1, 1, 4 }, { 1, 1, 8, 4 }, { 1, 1, 10, 8 }, { 1, 1, 1, 10 } };
    for (int i = 0; i < 5; ++i) {
        memcpy(tensors[i].dims, dims[i], sizeof dims[i]);
    }
    nt_plan_op_t ops[4];
    memset(ops, 0xFF, sizeof ops); /* every operand NONE */
    ops[0].in[0] = 10, ops[0].in[1] = 0, ops[0].in[2] = 1;
    ops[1].in[0] = 10, ops[1].in[1] = 11;
    ops[2].in[0] = 10, ops[2].in[1] = 2, ops[2].in[2] = 9; /* its bias (9) is frozen */
    ops[3].in[0] = 11, ops[3].in[1] = 3, ops[3].in[2] = 4;
    const uint16_t params[5] = { 4, 0, 2, 3, 1 };
    nt_plan_t plan;
    memset(&plan, 0, sizeof plan);
    plan.tensors = tensors, plan.n_tensors = 12, plan.ops = ops, plan.n_ops = 4, plan.params = params, plan.n_params = 5;
    uint16_t t[8], o[8];
    NT_CHECK(nt_elastic_candidates(&plan, t, o, 4) == -1);
    NT_CHECK(nt_elastic_candidates(&plan, t, o, 8) == 5);
    const uint16_t want_t[5] = { 3, 4, 2, 0, 1 }, want_o[5] = { 3, 3, 2, 0, 0 };
    for (int i = 0; i < 5; ++i) {
        NT_CHECK(t[i] == want_t[i] && o[i] == want_o[i]);
    }
    const uint32_t dx[4] = { 0, 70, 300, 50 }, dw[4] = { 360, 0, 200, 880 };
    nt_elastic_tensor_t c[5];
    nt_elastic_costs(&plan, 5, t, o, dx, dw, c);
    /* fc: 80 + 10 elements share 880; the input gradient (50) on its last candidate. conv2: 200, and passing on
     * below it its own dx and the add's (300 + 70). conv0: 36 + 4 elements share 360; nothing below. */
    NT_CHECK(c[0].t_dw == 782 && c[1].t_dw == 97 && c[0].t_dy == 0 && c[1].t_dy == 50);
    NT_CHECK(c[2].t_dw == 200 && c[2].t_dy == 370);
    NT_CHECK(c[3].t_dw == 324 && c[4].t_dw == 36 && c[3].t_dy == 0 && c[4].t_dy == 0);
}

int main(void)
{
    check_costs();
    for (int trial = 0; trial < 2000; ++trial) {
        check_random(1 + (int32_t)(next() % 10u), 1 + (int32_t)(next() % 300u));
    }
    check_edges();
    return 0;
}
