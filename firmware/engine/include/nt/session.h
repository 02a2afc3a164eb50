/* A training session: one plan running over a board's memory banks, its learned weights kept in a slot store.
 * The device app's protocol (firmware/app/trainer) and the nanoFramework API (firmware/nanoframework) both drive
 * the engine through it, so a plan starts, trains, infers and saves the same way whichever face a user sees. */
#ifndef NT_SESSION_H
#define NT_SESSION_H

#include <stdint.h>

#include "nt/elastic.h"
#include "nt/exec.h"
#include "nt/plan.h"
#include "nt/slots.h"
#include "nt/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most memory banks a board may give a session. */
#define NT_SESSION_MAX_BANKS 8u

/** Guard bytes after each arena space (NT_SESSION_GUARD_WORD repeated), checked after every step: on the host build and
 * in debug firmware (NT_SESSION_GUARDS); 0 in release firmware, whose plans are laid out to the byte. */
#if defined(NT_SESSION_GUARDS)
#define NT_SESSION_GUARD_BYTES 16u
#else
#define NT_SESSION_GUARD_BYTES 0u
#endif
#define NT_SESSION_GUARD_WORD 0x6E74A55Au

/** A memory bank's free bytes, [start, limit), for the plan's spaces; `name` is what plans call it (8 chars at most). */
typedef struct nt_session_bank {
    const char *name;
    uint8_t *start;
    uint8_t *limit;
} nt_session_bank_t;

/** What a session runs on: the board's id, its banks, where weights persist and how work is counted. */
typedef struct nt_session_board {
    const char *id;                          /**< a plan made for another board is refused; "" accepts any */
    const nt_session_bank_t *banks;          /**< n_banks of them, at most NT_SESSION_MAX_BANKS */
    uint32_t n_banks;
    const nt_slot_store_t *store;            /**< the two weight slots; NULL: nothing persists (save is unsupported) */
    nt_exec_clock_fn clock;                  /**< counter read around each phase; NULL: nothing is counted */
    uint64_t (*to_instructions)(uint64_t ticks); /**< counter ticks to instructions; NULL: one tick is one instruction */
} nt_session_board_t;

/** Why a call failed: a status, the index (and plan section) at fault and a sentence for people. */
typedef struct nt_failure {
    nt_status status;
    uint32_t index;
    uint8_t section;
    char detail[96];
} nt_failure_t;

/** A failure with this status, index and the start of its detail. */
nt_failure_t nt_failure(nt_status status, uint32_t index, const char *text);

/** Appends text to f->detail (truncated to fit). */
void nt_failure_add(nt_failure_t *f, const char *text);

/** Appends an unsigned decimal number to f->detail. */
void nt_failure_number(nt_failure_t *f, uint32_t value);

/** The state of a session; no heap, lives wherever the caller puts it. */
typedef struct nt_session {
    const nt_session_board_t *board;
    nt_plan_t plan;
    nt_exec_t exec;
    uint8_t running;                          /**< a plan is loaded and its executor initialised */
    uint32_t plan_crc;
    uint32_t plan_bytes;
    uint32_t restored_sequence;               /**< the weight slot restored at start, 0 for none */
    uint32_t steps;                           /**< training steps since the plan started */
    uint32_t planned[NT_SESSION_MAX_BANKS];   /**< bytes of each bank the plan's spaces take */
    nt_elastic_t *elastic;                    /**< elastic selection's state while it runs (in the plan's workspace), else NULL */
    uint32_t *guards[NT_PLAN_MAX_SPACES];     /**< each arena space's guard words (NT_SESSION_GUARD_BYTES), or NULL */
    uint8_t faulted;                          /**< a check failed: training and saving are refused until a restart */
} nt_session_t;

/** What a training step reports. */
typedef struct nt_session_step {
    float loss;
    uint64_t instructions[NT_PHASE_COUNT];    /**< per phase (nt_exec_phase), by the board's counter */
} nt_session_step_t;

/**
 * Starts the plan of `len` bytes at `bytes` (which must stay in place while it runs) on `board`: loads and checks it,
 * places each arena space in the bank it names (a plan laid out without banks, spaces "state"/"arena", goes to the
 * bank with the most free memory), initialises the executor, and restores the newest valid weights the store holds
 * for this plan. On failure nothing runs and `f` says why.
 * @return NT_OK; the loader's status; NT_ERR_BOARD (another board's plan, or a space naming no bank);
 *         NT_ERR_NO_MEMORY (a space does not fit its bank).
 */
nt_status nt_session_start(nt_session_t *s, const nt_session_board_t *board, const uint8_t *bytes, uint32_t len,
                           nt_failure_t *f);

/**
 * Checks the guard words after every arena space (see NT_SESSION_GUARD_BYTES); nt_session_train and nt_session_infer do
 * it after each step. A broken guard means a kernel wrote past its space: the session is marked faulted (train, infer
 * and save then answer NT_ERR_FAULT, so memory that is not trusted never reaches the weight slots) and `f` names the
 * space. @return NT_OK or NT_ERR_FAULT.
 */
nt_status nt_session_check(nt_session_t *s, nt_failure_t *f);

/** Marks the session faulted (a check outside it failed: the stack guard, the step budget). */
void nt_session_fault(nt_session_t *s);

/** Stops the running plan (if any); the weights saved stay saved. */
void nt_session_stop(nt_session_t *s);

/** The plan's input tensor (f32, batch x H x W x C) to fill before nt_session_train or nt_session_infer; NULL when none runs. */
float *nt_session_input(nt_session_t *s);

/**
 * Fills the input tensor from 8-bit pixels, one per input value in NHWC order: unsigned pixels p in 0..255 become
 * (p - 127.5) / 127.5, signed ones q in -128..127 (p - 128) become (q + 0.5) / 127.5, the normalisation the host
 * tool trains with. @return NT_OK; NT_ERR_STATE (no plan); NT_ERR_RANGE (count is not the input's element count).
 */
nt_status nt_session_input_pixels(nt_session_t *s, const uint8_t *pixels, uint32_t count, int is_signed);

/**
 * One SGD step (learning rate lr, in [0, 16]) on the input already in place and `labels` (one per sample of the
 * batch): under elastic selection when it runs. Writes the loss and counts to *step and each sample's predicted class
 * to predictions (batch bytes); either may be NULL.
 * @return NT_OK; NT_ERR_STATE (no plan, or it has no training section); NT_ERR_RANGE (lr or a label out of range);
 *         NT_ERR_FAULT (a guard broke, now or before: see nt_session_check); the executor's status.
 */
nt_status nt_session_train(nt_session_t *s, const uint8_t *labels, float lr, nt_session_step_t *step, uint8_t *predictions);

/**
 * Runs the forward pass on the input in place: each sample's predicted class to predictions (batch bytes, or NULL),
 * the instructions it took to *instructions (or NULL). The logits stay in the plan's logits tensor (nt_session_logits).
 * @return NT_OK, NT_ERR_STATE (no plan) or NT_ERR_FAULT (see nt_session_check).
 */
nt_status nt_session_infer(nt_session_t *s, uint8_t *predictions, uint64_t *instructions);

/** The logits of the last forward pass (f32, batch x classes), or NULL when no plan runs. */
const float *nt_session_logits(const nt_session_t *s);

/**
 * Starts elastic selection: each step then costs at most rho of a full one (nt/elastic.h); rho 0 stops it and every
 * parameter trains again. @return NT_OK; NT_ERR_STATE (no plan, or it reserves no elastic workspace); as
 * nt_elastic_start.
 */
nt_status nt_session_set_speed(nt_session_t *s, float rho, uint16_t window, uint16_t calibration);

/**
 * Saves the trainable tensors to the slot that is not the newest copy; writes the slot and its sequence number.
 * @return NT_OK; NT_ERR_STATE (no plan); NT_ERR_UNSUPPORTED (no store); NT_ERR_FAULT (the session faulted: nothing
 *         is written, the slots keep the last good weights); as nt_slots_save.
 */
nt_status nt_session_save(nt_session_t *s, uint32_t *slot, uint32_t *sequence);

/**
 * Restores the newest valid weights saved for the running plan; writes their sequence number (0 when there were none,
 * and the weights stay as they are). @return NT_OK; NT_ERR_STATE (no plan); NT_ERR_UNSUPPORTED (no store); as
 * nt_slots_restore.
 */
nt_status nt_session_restore(nt_session_t *s, uint32_t *sequence);

#ifdef __cplusplus
}
#endif

#endif /* NT_SESSION_H */
