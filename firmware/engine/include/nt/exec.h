/* The executor: runs a loaded plan over caller-given memory, forward, backward and update. */
#ifndef NT_EXEC_H
#define NT_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "nt/plan.h"
#include "nt/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** SGD settings for nt_exec_update. */
typedef struct nt_sgd_config {
    float lr;            /**< learning rate */
    float momentum;      /**< 0 for plain SGD; needs momentum tensors otherwise */
    float weight_decay;  /**< L2 coefficient added to the gradient */
} nt_sgd_config_t;

/** Phases the executor can time (nt_exec_set_clock). */
typedef enum nt_exec_phase {
    NT_PHASE_FORWARD = 0,
    NT_PHASE_LOSS = 1,
    NT_PHASE_BACKWARD_DX = 2,  /**< input gradients (and everything of ops without weights) */
    NT_PHASE_BACKWARD_DW = 3,  /**< weight and bias gradients */
    NT_PHASE_UPDATE = 4,
    NT_PHASE_COUNT = 5
} nt_exec_phase;

/** A monotonic counter (SysTick ticks on a board), read around each timed piece of work. */
typedef uint64_t (*nt_exec_clock_fn)(void);

/** Executor state; no heap, lives wherever the caller puts it. */
typedef struct nt_exec {
    const nt_plan_t *plan;
    nt_exec_clock_fn clock;               /**< NULL: nothing is timed */
    uint64_t ticks[NT_PHASE_COUNT];       /**< clock ticks per phase since the last nt_exec_clear_ticks */
    uint8_t *space[NT_PLAN_MAX_SPACES];  /**< base of each space; space 0 is the plan's blob */
    uint8_t bn_training;                  /**< batch norm uses batch statistics (host pretraining) */
    uint8_t bn_update_running;            /**< batch norm in training mode also updates running statistics */
    uint8_t requires_grad[NT_PLAN_MAX_TENSORS / 8u];
    uint32_t rng;                         /**< LCG state of the int8 updates' stochastic rounding */
    uint32_t steps;                       /**< training steps taken (nt_exec_train_step), which count rounds */
    uint8_t training;                     /**< the forward of a training step is running */
    uint32_t *op_dx;                      /**< nt_exec_set_op_ticks: each op's input-gradient ticks in the last backward */
    uint32_t *op_dw;                      /**< ... and its weight-gradient and update ticks; NULL: not kept */
    uint32_t op;                          /**< the op whose backward is running */
    float *importance;                    /**< nt_exec_set_importance: per tensor, or NULL */
    uint32_t *op_fwd;                     /**< nt_exec_set_op_forward_ticks: each op's ticks in the last forward, or NULL */
} nt_exec_t;

/**
 * Binds a loaded plan to memory: spaces[i] (i >= 1) is the base of arena space i, space_bytes[i] its
 * size; spaces[0] and space_bytes[0] are ignored (space 0 is the plan's blob). Checks every space is
 * large enough and aligned as the plan requires, copies NT_TENSOR_INIT tensors from the blob and
 * zeroes NT_TENSOR_ZERO tensors. Batch norm starts in inference mode; the rounding state starts at a fixed seed.
 * @return NT_OK, NT_ERR_NO_MEMORY (a space too small; err names it), NT_ERR_ARG (misaligned or NULL).
 */
nt_status nt_exec_init(nt_exec_t *ex, const nt_plan_t *plan, uint8_t *const *spaces, const uint32_t *space_bytes,
                       nt_plan_error_t *err);

/**
 * Chooses how batch norm runs: `training` non-zero uses batch statistics (and allows backward through
 * it), zero uses the running statistics; `update_running` non-zero also updates those in training mode.
 */
void nt_exec_set_batchnorm_mode(nt_exec_t *ex, int training, int update_running);

/** Times the phases with `clock` (NULL stops timing); the ticks accumulate in ex->ticks. */
void nt_exec_set_clock(nt_exec_t *ex, nt_exec_clock_fn clock);

/**
 * Keeps, for each op, the clock ticks its backward spent in the last nt_exec_backward or nt_exec_train_step: dx[i] on
 * its input gradients (NT_PHASE_BACKWARD_DX), dw[i] on its weight gradients and their updates (BACKWARD_DW and
 * UPDATE); both are plan->n_ops long and zeroed at each backward's start (ops that did not run stay 0). The costs
 * elastic selection weighs (nt/elastic.h). NULL arrays stop it; needs a clock to count anything.
 */
void nt_exec_set_op_ticks(nt_exec_t *ex, uint32_t *dx, uint32_t *dw);

/**
 * Keeps, for each op, the clock ticks its forward took in the last nt_exec_forward (fwd: plan->n_ops entries, written
 * at each forward; the loss op's stays 0): where a forward pass spends its instructions (the trainstep app prints
 * them). NULL stops it; needs a clock to count anything.
 */
void nt_exec_set_op_forward_ticks(nt_exec_t *ex, uint32_t *fwd);

/**
 * Accumulates each trained parameter's importance (ElasticTrainer, DESIGN.md §6.4) in importance[tensor index]
 * (plan->n_tensors floats, left to the caller to zero): every update adds lr * |g|^2, the first-order loss change
 * of the step, with g the real gradient it applied (an int8 conv's: dW and db in real units, and lr the int8
 * rate, since QAS moves the real weight by lr * dW). NULL stops it.
 */
void nt_exec_set_importance(nt_exec_t *ex, float *importance);

/** Zeroes ex->ticks. */
void nt_exec_clear_ticks(nt_exec_t *ex);

/** Address of tensor `index` (any dtype); NULL when the index is out of range. */
void *nt_exec_tensor(const nt_exec_t *ex, uint16_t index);

/** Runs every op except the loss: from the input tensor to the logits. */
void nt_exec_forward(nt_exec_t *ex);

/** Softmax cross-entropy on the logits and the labels tensor; writes the logits' gradient. Returns the mean loss. */
float nt_exec_loss(nt_exec_t *ex);

/**
 * Backward pass after nt_exec_loss: runs the ops in reverse, accumulating weight gradients of trainable
 * parameters and input gradients only as far back as a trainable parameter needs them; each activation
 * gradient is zeroed just before its first writer (NT_OP_FLAG_ZERO_GRAD_*). For plans whose parameter
 * gradients share memory (NT_PLAN_FUSED_UPDATE) use nt_exec_train_step instead.
 * @param trainable n_tensors bytes, non-zero for each parameter to train, or NULL for every parameter
 *                  of the plan's training section.
 * @return NT_OK; NT_ERR_ARG when `trainable` marks a tensor that is not a trainable parameter;
 *         NT_ERR_STATE for a backward through batch norm in inference mode, a fused-update plan, or a
 *         trainable int8 parameter (no gradient tensor: only nt_exec_train_step updates it).
 */
nt_status nt_exec_backward(nt_exec_t *ex, const uint8_t *trainable);

/** Applies SGD to each trainable parameter (same mask as nt_exec_backward) and clears its gradient. */
nt_status nt_exec_update(nt_exec_t *ex, const nt_sgd_config_t *sgd, const uint8_t *trainable);

/**
 * One training step: forward, loss, then backward with each trainable parameter updated right after its
 * op's backward (so a parameter gradient lives only for that op; any plan). Writes the loss to *loss
 * and each sample's predicted class (argmax of its logits, batch bytes) to predictions, each when not
 * NULL. Returns as nt_exec_backward.
 */
nt_status nt_exec_train_step(nt_exec_t *ex, const nt_sgd_config_t *sgd, const uint8_t *trainable, float *loss,
                            uint8_t *predictions);

#ifdef __cplusplus
}
#endif

#endif /* NT_EXEC_H */
