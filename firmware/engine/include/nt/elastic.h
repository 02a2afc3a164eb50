/* Elastic tensor selection (ElasticTrainer, DESIGN.md §6.4): which trainable tensors a step trains so that it
 * costs at most a budget, keeping the most important ones. */
#ifndef NT_ELASTIC_H
#define NT_ELASTIC_H

#include <stddef.h>
#include <stdint.h>

#include "nt/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One trainable tensor, indexed by depth from the output (0: nearest the loss). */
typedef struct nt_elastic_tensor {
    uint32_t t_dw;     /**< cost of its own weight gradient and update (instructions) */
    uint32_t t_dy;     /**< cost of passing the gradient through its layer, neighbours included (instructions) */
    float importance;  /**< accumulated importance (>= 0; e.g. lr * |g|^2 summed over a window) */
} nt_elastic_tensor_t;

/** Bytes of scratch nt_elastic_select needs for n tensors and `units` cost units: the running value array
 * (units + 1 floats) and one decision bit per tensor and capacity. */
size_t nt_elastic_select_scratch_bytes(int32_t n, int32_t units);

/**
 * Chooses the tensors to train within `budget` instructions: for each candidate deepest tensor d, the chain
 * cost sum_{j<d} t_dy(j) is paid, d itself is trained, and a 0/1 knapsack over t_dw of the tensors above it
 * (j < d) maximises the total importance within what is left. One running array over the candidates in depth
 * order (each candidate is evaluated on the tensors above it, then joins them): O(n * units). Costs are counted
 * in units of ceil(budget / units) instructions, each rounded up, so the chosen set never costs more than the
 * budget. Ties keep the shallower candidate and, within one, leave a tensor out.
 * selected: n bytes, written 1 for the tensors chosen, 0 otherwise (all 0 when nothing fits).
 * scratch: nt_elastic_select_scratch_bytes(n, units) bytes, 4-byte aligned.
 * @return the number of tensors chosen, or -1 for bad arguments (n < 1, units < 1, NULL pointers).
 */
int32_t nt_elastic_select(int32_t n, const nt_elastic_tensor_t *tensors, uint64_t budget, int32_t units, void *scratch, uint8_t *selected);

/**
 * The candidates of elastic selection in a loaded plan: the parameters of its training section in depth order from
 * the loss, op by op from the last, each op's in operand order. tensors[i] is the parameter's tensor index, ops[i] its
 * op. Returns how many (at most max), or -1 when there are more than max.
 */
int32_t nt_elastic_candidates(const nt_plan_t *plan, uint16_t *tensors, uint16_t *ops, int32_t max);

/**
 * The candidates' costs from per-op backward ticks (nt_exec_set_op_ticks) of steps that trained them all (or their
 * medians): t_dw is the op's weight-gradient and update ticks shared among its candidates by element count; t_dy, on
 * the op's last candidate, is the op's input-gradient ticks and those of every op between it and the next candidate
 * op below (what selecting anything deeper makes the backward pass through), 0 on the op's other candidates (nothing
 * to pass between tensors of one op). importance is left as it is.
 */
void nt_elastic_costs(const nt_plan_t *plan, int32_t n, const uint16_t *tensors, const uint16_t *ops, const uint32_t *op_dx, const uint32_t *op_dw,
                      nt_elastic_tensor_t *out);

#ifdef __cplusplus
}
#endif

#endif /* NT_ELASTIC_H */
