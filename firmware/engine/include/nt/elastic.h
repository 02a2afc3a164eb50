/* Elastic tensor selection (ElasticTrainer, DESIGN.md §6.4): which trainable tensors a step trains so that it
 * costs at most a budget, keeping the most important ones. */
#ifndef NT_ELASTIC_H
#define NT_ELASTIC_H

#include <stddef.h>
#include <stdint.h>

#include "nt/exec.h"
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

/* ---- at run time ---------------------------------------------------------------------------------------
 * The state lives in a workspace of nt_elastic_state_bytes (the plan's elastic tensor: the planner reserves it, so
 * the worst case is counted), laid out by nt_elastic_start. A run first trains every candidate for `calibration`
 * steps, measuring each candidate's costs with the executor's clock (their medians) and a full step's ticks; then
 * it trains the tensors nt_elastic_select chooses within rho times a full step, and chooses again every `window`
 * steps from the importance each tensor gathered meanwhile (per step trained; a tensor not trained keeps its last
 * estimate, so one that was left out comes back once the trained ones have learned what they could). It also
 * chooses early on a loss plateau: once half a window (and at least NT_ELASTIC_PLATEAU_STEPS steps) has passed since
 * the last selection, if the mean loss since then is no lower than the previous window's, the current choice has
 * stopped paying and the next one is made at once. */

#define NT_ELASTIC_MAX_CALIBRATION 5u /**< calibration steps at most */
#define NT_ELASTIC_UNITS 1024         /**< the solver's cost units */
#define NT_ELASTIC_PLATEAU_STEPS 4u   /**< steps since a selection before a plateau can end its window */

/** Elastic selection's running state (the head of its workspace). Ticks are the executor's clock's. */
typedef struct nt_elastic {
    float rho;            /**< target: a step costs at most rho times a full step (0 < rho <= 1) */
    uint16_t window;      /**< steps between selections */
    uint16_t calibration; /**< steps training every candidate first */
    uint16_t n;           /**< candidates (nt_elastic_candidates) */
    uint16_t chosen;      /**< candidates the current selection trains */
    uint32_t step;        /**< steps since nt_elastic_start */
    uint32_t selections;  /**< selections made */
    uint8_t given;        /**< the costs came from nt_elastic_use_costs: calibration keeps them */
    uint16_t since;       /**< steps since the last selection */
    uint64_t full;        /**< median ticks of a calibration step (forward to update) */
    uint64_t fixed;       /**< median ticks of its forward and loss, paid by every step */
    uint64_t budget;      /**< ticks the backward of a step may take: rho * full - fixed */
    uint64_t predicted;   /**< predicted ticks of a step with the current selection */
    uint64_t overhead;    /**< ticks of the last selection itself */
    uint32_t layout[11];  /**< the workspace's arrays (byte offsets from this struct), set by nt_elastic_start */
    uint32_t plateaus;    /**< selections made early, on a loss plateau (counted in selections too) */
    float window_loss;    /**< sum of the losses since the last selection */
    float last_mean;      /**< mean loss of the window before (0 until one has ended after calibration) */
} nt_elastic_t;

/** Workspace bytes for a plan with these counts (the planner sizes the plan's elastic tensor with this). */
size_t nt_elastic_state_bytes(uint32_t n_tensors, uint32_t n_ops, uint32_t candidates);

/**
 * Starts elastic selection for the executor's plan in `workspace` (bytes long, 8-byte aligned): lists the
 * candidates, points the executor's per-op ticks and importance at the workspace, and zeroes them.
 * @return NT_OK; NT_ERR_ARG for rho outside (0, 1], window 0, calibration outside 1..NT_ELASTIC_MAX_CALIBRATION or
 *         a NULL pointer; NT_ERR_STATE when the executor has no clock or the plan no candidates; NT_ERR_NO_MEMORY
 *         when the workspace is smaller than nt_elastic_state_bytes.
 */
nt_status nt_elastic_start(nt_elastic_t *el, size_t bytes, nt_exec_t *ex, float rho, uint16_t window, uint16_t calibration);

/** One training step under elastic selection (nt_exec_train_step with the current selection's mask); calibrates,
 * and chooses again when a window ends. Returns as nt_exec_train_step. */
nt_status nt_elastic_train_step(nt_elastic_t *el, nt_exec_t *ex, const nt_sgd_config_t *sgd, float *loss, uint8_t *predictions);

/**
 * Installs costs measured elsewhere (another run of the same plan on the board, whose instruction counts a host run
 * cannot make): each candidate's t_dw and t_dy (importance ignored), a full step's and its forward and loss's. The
 * calibration steps still train every candidate (gathering importance) but keep these. Call after nt_elastic_start,
 * before the calibration ends; NT_ERR_STATE otherwise.
 */
nt_status nt_elastic_use_costs(nt_elastic_t *el, const nt_elastic_tensor_t *costs, uint64_t full, uint64_t fixed);

/** Candidate i's costs, as measured (after calibration) or given. */
nt_elastic_tensor_t nt_elastic_cost(const nt_elastic_t *el, uint32_t i);

/** Replaces the current selection with `selected` (n bytes, non-zero to train; the choice of nt_elastic_select until
 * the window ends): its mask and predicted cost. NT_ERR_STATE while calibrating (no costs yet). */
nt_status nt_elastic_set_selection(nt_elastic_t *el, const nt_exec_t *ex, const uint8_t *selected);

/** 1 when candidate i (depth order) is in the current selection (every candidate while calibrating). */
int nt_elastic_selected(const nt_elastic_t *el, uint32_t i);

/** Stops elastic selection: the executor trains every parameter again and keeps no per-op ticks or importance. */
void nt_elastic_stop(nt_exec_t *ex);

#ifdef __cplusplus
}
#endif

#endif /* NT_ELASTIC_H */
