#include <string.h>

#include "nt/elastic.h"

/* The host tool sizes workspaces with the same layout (NanoTrain.Core.Plan.ElasticState): the head's size is part of it. */
_Static_assert(sizeof(nt_elastic_t) == 120u, "nt_elastic_t changed: update ElasticState.HeadBytes");

/* The workspace's arrays after the nt_elastic_t head, each 8-byte aligned. */
enum { TENSORS, OPS, COSTS, ESTIMATES, SELECTED, SAMPLES, TOTALS, MASK, IMPORTANCE, OP_TICKS, SCRATCH, SLOTS };

static size_t align8(size_t bytes)
{
    return (bytes + 7u) & ~(size_t)7u;
}

/* Each slot's bytes for these counts. */
static void slot_bytes(uint32_t n_tensors, uint32_t n_ops, uint32_t n, size_t *bytes)
{
    bytes[TENSORS] = n * sizeof(uint16_t);
    bytes[OPS] = n * sizeof(uint16_t);
    bytes[COSTS] = n * sizeof(nt_elastic_tensor_t);
    bytes[ESTIMATES] = n * sizeof(float);
    bytes[SELECTED] = n;
    bytes[SAMPLES] = (size_t)NT_ELASTIC_MAX_CALIBRATION * n * 2u * sizeof(uint32_t);
    bytes[TOTALS] = (size_t)NT_ELASTIC_MAX_CALIBRATION * 2u * sizeof(uint64_t);
    bytes[MASK] = n_tensors;
    bytes[IMPORTANCE] = n_tensors * sizeof(float);
    bytes[OP_TICKS] = 2u * n_ops * sizeof(uint32_t);
    bytes[SCRATCH] = nt_elastic_select_scratch_bytes(n > 0u ? (int32_t)n : 1, NT_ELASTIC_UNITS);
}

size_t nt_elastic_state_bytes(uint32_t n_tensors, uint32_t n_ops, uint32_t candidates)
{
    size_t bytes[SLOTS];
    slot_bytes(n_tensors, n_ops, candidates, bytes);
    size_t total = align8(sizeof(nt_elastic_t));
    for (int i = 0; i < SLOTS; ++i) {
        total += align8(bytes[i]);
    }
    return total;
}

static void *slot(const nt_elastic_t *el, int which)
{
    return (uint8_t *)(uintptr_t)el + el->layout[which];
}

nt_status nt_elastic_start(nt_elastic_t *el, size_t bytes, nt_exec_t *ex, float rho, uint16_t window, uint16_t calibration)
{
    if (!el || !ex || !(rho > 0.0f && rho <= 1.0f) || window == 0u || calibration < 1u || calibration > NT_ELASTIC_MAX_CALIBRATION) {
        return NT_ERR_ARG;
    }
    const nt_plan_t *plan = ex->plan;
    if (!ex->clock || plan->n_params == 0u) {
        return NT_ERR_STATE;
    }
    if (bytes < nt_elastic_state_bytes(plan->n_tensors, plan->n_ops, plan->n_params)) {
        return NT_ERR_NO_MEMORY;
    }
    memset(el, 0, nt_elastic_state_bytes(plan->n_tensors, plan->n_ops, plan->n_params));
    size_t sizes[SLOTS];
    slot_bytes(plan->n_tensors, plan->n_ops, plan->n_params, sizes);
    size_t at = align8(sizeof(nt_elastic_t));
    for (int i = 0; i < SLOTS; ++i) {
        el->layout[i] = (uint32_t)at;
        at += align8(sizes[i]);
    }
    const int32_t n = nt_elastic_candidates(plan, slot(el, TENSORS), slot(el, OPS), plan->n_params);
    if (n <= 0) {
        return NT_ERR_STATE;
    }
    el->n = (uint16_t)n;
    el->rho = rho;
    el->window = window;
    el->calibration = calibration;
    uint32_t *ticks = slot(el, OP_TICKS);
    nt_exec_set_op_ticks(ex, ticks, ticks + plan->n_ops);
    nt_exec_set_importance(ex, slot(el, IMPORTANCE));
    return NT_OK;
}

void nt_elastic_stop(nt_exec_t *ex)
{
    nt_exec_set_op_ticks(ex, NULL, NULL);
    nt_exec_set_importance(ex, NULL);
}

nt_status nt_elastic_use_costs(nt_elastic_t *el, const nt_elastic_tensor_t *costs, uint64_t full, uint64_t fixed)
{
    if (el->step >= el->calibration || !costs) {
        return NT_ERR_STATE;
    }
    nt_elastic_tensor_t *own = slot(el, COSTS);
    for (uint32_t i = 0; i < el->n; ++i) {
        own[i].t_dw = costs[i].t_dw;
        own[i].t_dy = costs[i].t_dy;
    }
    el->full = full;
    el->fixed = fixed;
    el->given = 1u;
    return NT_OK;
}

nt_elastic_tensor_t nt_elastic_cost(const nt_elastic_t *el, uint32_t i)
{
    const nt_elastic_tensor_t none = { 0u, 0u, 0.0f };
    return i < el->n && el->step >= el->calibration ? ((const nt_elastic_tensor_t *)slot(el, COSTS))[i] : none;
}

int nt_elastic_selected(const nt_elastic_t *el, uint32_t i)
{
    return i < el->n && (el->step < el->calibration || ((const uint8_t *)slot(el, SELECTED))[i] != 0u);
}

/* The median of `count` (<= NT_ELASTIC_MAX_CALIBRATION) values `stride` apart. */
static uint64_t median32(const uint32_t *v, uint32_t count, size_t stride)
{
    uint32_t s[NT_ELASTIC_MAX_CALIBRATION] = { 0 };
    for (uint32_t i = 0; i < count; ++i) {
        uint32_t x = v[i * stride], j = i;
        for (; j > 0 && s[j - 1] > x; --j) {
            s[j] = s[j - 1];
        }
        s[j] = x;
    }
    return count % 2u ? s[count / 2u] : ((uint64_t)s[count / 2u - 1u] + s[count / 2u]) / 2u;
}

static uint64_t median64(const uint64_t *v, uint32_t count, size_t stride)
{
    uint64_t s[NT_ELASTIC_MAX_CALIBRATION] = { 0 };
    for (uint32_t i = 0; i < count; ++i) {
        uint64_t x = v[i * stride];
        uint32_t j = i;
        for (; j > 0 && s[j - 1] > x; --j) {
            s[j] = s[j - 1];
        }
        s[j] = x;
    }
    return count % 2u ? s[count / 2u] : (s[count / 2u - 1u] + s[count / 2u]) / 2u;
}

static void apply(nt_elastic_t *el, const nt_exec_t *ex);

/* Each candidate trained over the `steps` just taken (all of them after calibration) has its importance per step as
 * its estimate; the others keep theirs. Then the knapsack within the budget, the mask, the predicted cost, and a fresh
 * window of importance. */
static void choose(nt_elastic_t *el, const nt_exec_t *ex, uint32_t steps, int all_trained)
{
    const uint64_t t0 = ex->clock();
    const uint16_t *tensors = slot(el, TENSORS);
    nt_elastic_tensor_t *costs = slot(el, COSTS);
    float *estimates = slot(el, ESTIMATES), *importance = slot(el, IMPORTANCE);
    uint8_t *selected = slot(el, SELECTED);
    for (uint32_t i = 0; i < el->n; ++i) {
        if (all_trained || selected[i]) {
            estimates[i] = importance[tensors[i]] / (float)steps;
        }
        costs[i].importance = estimates[i];
    }
    el->chosen = (uint16_t)nt_elastic_select(el->n, costs, el->budget, NT_ELASTIC_UNITS, slot(el, SCRATCH), selected);
    apply(el, ex);
    memset(importance, 0, ex->plan->n_tensors * sizeof(float));
    el->selections++;
    el->since = 0u;
    el->window_loss = 0.0f;
    el->overhead = ex->clock() - t0;
}

nt_status nt_elastic_set_selection(nt_elastic_t *el, const nt_exec_t *ex, const uint8_t *selected)
{
    if (el->step < el->calibration) {
        return NT_ERR_STATE;
    }
    uint8_t *own = slot(el, SELECTED);
    el->chosen = 0u;
    for (uint32_t i = 0; i < el->n; ++i) {
        own[i] = selected[i] != 0u;
        el->chosen = (uint16_t)(el->chosen + own[i]);
    }
    apply(el, ex);
    return NT_OK;
}

/* The training mask and the predicted cost of the current selection. */
static void apply(nt_elastic_t *el, const nt_exec_t *ex)
{
    const uint16_t *tensors = slot(el, TENSORS);
    const nt_elastic_tensor_t *costs = slot(el, COSTS);
    const uint8_t *selected = slot(el, SELECTED);
    uint8_t *mask = slot(el, MASK);
    memset(mask, 0, ex->plan->n_tensors);
    uint64_t predicted = el->fixed, chain = 0u;
    for (uint32_t i = 0; i < el->n; ++i) {
        if (selected[i]) {
            mask[tensors[i]] = 1u;
            predicted += costs[i].t_dw + chain; /* the chain down to here, once: paid from the shallower ones on */
            chain = 0u;
        }
        chain += costs[i].t_dy;
    }
    el->predicted = predicted;
}

nt_status nt_elastic_train_step(nt_elastic_t *el, nt_exec_t *ex, const nt_sgd_config_t *sgd, float *loss, uint8_t *predictions)
{
    const nt_plan_t *plan = ex->plan;
    const int calibrating = el->step < el->calibration;
    uint64_t before[NT_PHASE_COUNT];
    memcpy(before, ex->ticks, sizeof before);
    float step_loss = 0.0f;
    const nt_status st = nt_exec_train_step(ex, sgd, calibrating ? NULL : (const uint8_t *)slot(el, MASK), &step_loss, predictions);
    if (st != NT_OK) {
        return st;
    }
    if (loss) {
        *loss = step_loss;
    }
    if (calibrating && el->given) {
        if (el->step + 1u == el->calibration) {
            const uint64_t target = (uint64_t)((double)el->rho * (double)el->full);
            el->budget = target > el->fixed ? target - el->fixed : 0u;
            ++el->step;
            choose(el, ex, el->calibration, 1);
            return NT_OK;
        }
    } else if (calibrating) {
        /* This step's costs of every candidate and its totals, kept for the medians. */
        nt_elastic_tensor_t *costs = slot(el, COSTS);
        const uint32_t *ticks = slot(el, OP_TICKS);
        nt_elastic_costs(plan, el->n, slot(el, TENSORS), slot(el, OPS), ticks, ticks + plan->n_ops, costs);
        uint32_t *sample = (uint32_t *)slot(el, SAMPLES) + (size_t)el->step * el->n * 2u;
        for (uint32_t i = 0; i < el->n; ++i) {
            sample[2u * i] = costs[i].t_dw;
            sample[2u * i + 1u] = costs[i].t_dy;
        }
        uint64_t *totals = (uint64_t *)slot(el, TOTALS) + 2u * el->step;
        totals[0] = totals[1] = 0u;
        for (int phase = 0; phase < NT_PHASE_COUNT; ++phase) {
            totals[0] += ex->ticks[phase] - before[phase];
        }
        totals[1] = ex->ticks[NT_PHASE_FORWARD] - before[NT_PHASE_FORWARD] + ex->ticks[NT_PHASE_LOSS] - before[NT_PHASE_LOSS];
        if (el->step + 1u == el->calibration) {
            const uint32_t *samples = slot(el, SAMPLES);
            for (uint32_t i = 0; i < el->n; ++i) {
                costs[i].t_dw = (uint32_t)median32(samples + 2u * i, el->calibration, 2u * el->n);
                costs[i].t_dy = (uint32_t)median32(samples + 2u * i + 1u, el->calibration, 2u * el->n);
            }
            const uint64_t *all = slot(el, TOTALS);
            el->full = median64(all, el->calibration, 2u);
            el->fixed = median64(all + 1, el->calibration, 2u);
            const uint64_t target = (uint64_t)((double)el->rho * (double)el->full);
            el->budget = target > el->fixed ? target - el->fixed : 0u;
            ++el->step;
            choose(el, ex, el->calibration, 1);
            return NT_OK;
        }
    } else {
        el->window_loss += step_loss;
        const uint16_t since = ++el->since;
        const float mean = el->window_loss / (float)since;
        const int window_ends = since >= el->window;
        const int plateau = !window_ends && el->last_mean > 0.0f && since >= NT_ELASTIC_PLATEAU_STEPS && 2u * since >= el->window &&
                            mean >= el->last_mean;
        if (window_ends || plateau) {
            el->last_mean = mean;
            el->plateaus += (uint32_t)plateau;
            ++el->step;
            choose(el, ex, since, 0);
            return NT_OK;
        }
    }
    ++el->step;
    return NT_OK;
}
