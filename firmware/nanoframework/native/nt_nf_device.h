/* The device side of the nanoFramework API (NanoTrain.Device.Trainer): one engine session per device, in plain C.
 * The interop stubs (nanotrain_device_native_*.cpp) unpack the CLR's arguments and call these; the host build of the
 * managed API calls the very same functions through P/Invoke, which is how they are tested here. */
#ifndef NT_NF_DEVICE_H
#define NT_NF_DEVICE_H

#include <stdint.h>

#include "nt/session.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped whenever a native method's signature or meaning changes; the managed assembly checks it. */
#define NT_NF_NATIVE_VERSION 1

/** Per-phase instruction counts of a step: forward, loss, input gradients, weight gradients, update. */
#define NT_NF_PHASES 5

/** The board the API runs on: a session board plus the facts a user may ask for. */
typedef struct nt_nf_platform {
    nt_session_board_t board;
    uint8_t *plan_buffer;        /**< where a loaded plan is kept while it runs */
    uint32_t plan_capacity;
    uint32_t clock_hz;
    uint32_t flash_bytes;
} nt_nf_platform_t;

/**
 * Makes `platform` the board every other call uses (it must outlive them) and stops whatever ran. The firmware
 * calls it once at start (nt_nf_platform_board.c); the host build calls it with memory of its own.
 */
void nt_nf_attach(const nt_nf_platform_t *platform);

/** The platform attached, or NULL before nt_nf_attach. */
const nt_nf_platform_t *nt_nf_platform(void);

/** The session (for the stubs' read-only questions). */
const nt_session_t *nt_nf_session(void);

/**
 * Copies a plan into the plan buffer and starts it (nt_session_start); failure details go to *f.
 * @return NT_OK; NT_ERR_STATE (nothing attached); NT_ERR_NO_MEMORY (larger than the buffer); as nt_session_start.
 */
nt_status nt_nf_load(const uint8_t *plan, uint32_t len, nt_failure_t *f);

/**
 * The running plan's shape into shape[8]: batch, height, width, channels, classes, trains (0/1), has an elastic
 * workspace (0/1), training steps so far. @return NT_OK or NT_ERR_STATE (no plan).
 */
nt_status nt_nf_plan_shape(int32_t shape[8]);

/**
 * One training step on 8-bit pixels (nt_session_input_pixels; `count` = the input's element count) and one label per
 * sample of the batch: loss to *loss, predicted classes to predictions (batch bytes), instructions per phase to
 * instructions[NT_NF_PHASES]. Any output pointer may be NULL. @return as nt_session_input_pixels, nt_session_train.
 */
nt_status nt_nf_train(const uint8_t *pixels, uint32_t count, int is_signed, const uint8_t *labels, uint32_t n_labels,
                      float lr, float *loss, uint8_t *predictions, int64_t *instructions);

/**
 * Inference on 8-bit pixels: predicted classes (batch bytes), the forward's instructions, and the logits
 * (batch x classes floats, copied when logits is not NULL and logits_len is at least that). @return as nt_nf_train.
 */
nt_status nt_nf_infer(const uint8_t *pixels, uint32_t count, int is_signed, uint8_t *predictions, int64_t *instructions,
                      float *logits, uint32_t logits_len);

/** The speed target: rho in (0, 1] of a full step (elastic selection), 0 to train every parameter again. */
nt_status nt_nf_set_speed(float rho, uint16_t window, uint16_t calibration);

/** Saves the learned weights: the slot written and its sequence number. @return as nt_session_save. */
nt_status nt_nf_save(uint32_t *slot, uint32_t *sequence);

/** Restores the newest saved weights for the running plan: their sequence number (0: none). @return as nt_session_restore. */
nt_status nt_nf_restore(uint32_t *sequence);

/** Stops the running plan, if any. */
void nt_nf_unload(void);

#ifdef __cplusplus
}
#endif

#endif /* NT_NF_DEVICE_H */
