/* The device side of the nanoFramework API (nt_nf_device.h). */
#include "nt_nf_device.h"

#include <string.h>

static const nt_nf_platform_t *platform;
static nt_session_t session;

void nt_nf_attach(const nt_nf_platform_t *p)
{
    nt_session_stop(&session);
    platform = p;
}

const nt_nf_platform_t *nt_nf_platform(void) { return platform; }

const nt_session_t *nt_nf_session(void) { return &session; }

nt_status nt_nf_load(const uint8_t *plan, uint32_t len, nt_failure_t *f)
{
    if (platform == NULL) {
        *f = nt_failure(NT_ERR_STATE, 0, "no board is attached");
        return NT_ERR_STATE;
    }
    if (plan == NULL || len > platform->plan_capacity) {
        *f = nt_failure(NT_ERR_NO_MEMORY, len, "the plan is ");
        nt_failure_number(f, len);
        nt_failure_add(f, " B; the plan buffer holds ");
        nt_failure_number(f, platform->plan_capacity);
        nt_failure_add(f, " B");
        return NT_ERR_NO_MEMORY;
    }
    /* The running plan points into the buffer: it stops before the bytes change. A plan already in the buffer (flashed
     * there with the image) is used in place; one that differs is copied, which a buffer in flash does not keep. */
    nt_session_stop(&session);
    if (memcmp(platform->plan_buffer, plan, len) != 0) {
        memcpy(platform->plan_buffer, plan, len);
        if (memcmp(platform->plan_buffer, plan, len) != 0) {
            *f = nt_failure(NT_ERR_UNSUPPORTED, 0, "the plan buffer did not keep the bytes (it is flash: flash the plan with the image)");
            return NT_ERR_UNSUPPORTED;
        }
    }
    return nt_session_start(&session, &platform->board, platform->plan_buffer, len, f);
}

nt_status nt_nf_plan_shape(int32_t shape[8])
{
    if (!session.running) {
        return NT_ERR_STATE;
    }
    const nt_plan_t *plan = &session.plan;
    const nt_plan_tensor_t *input = &plan->tensors[plan->input];
    shape[0] = plan->batch;
    shape[1] = input->dims[1];
    shape[2] = input->dims[2];
    shape[3] = input->dims[3];
    shape[4] = plan->tensors[plan->logits].dims[3];
    shape[5] = plan->loss != NT_PLAN_NONE;
    shape[6] = plan->elastic != NT_PLAN_NONE;
    shape[7] = (int32_t)session.steps;
    return NT_OK;
}

static nt_status labels_fit(const uint8_t *labels, uint32_t n_labels)
{
    return labels != NULL && n_labels == session.plan.tensors[session.plan.labels].bytes ? NT_OK : NT_ERR_RANGE;
}

nt_status nt_nf_train(const uint8_t *pixels, uint32_t count, int is_signed, const uint8_t *labels, uint32_t n_labels,
                      float lr, float *loss, uint8_t *predictions, int64_t *instructions)
{
    if (!session.running || session.plan.loss == NT_PLAN_NONE) {
        return NT_ERR_STATE;
    }
    nt_status st = labels_fit(labels, n_labels);
    if (st == NT_OK) {
        st = nt_session_input_pixels(&session, pixels, count, is_signed);
    }
    nt_session_step_t step;
    if (st == NT_OK) {
        st = nt_session_train(&session, labels, lr, &step, predictions);
    }
    if (st != NT_OK) {
        return st;
    }
    if (loss != NULL) {
        *loss = step.loss;
    }
    if (instructions != NULL) {
        for (uint32_t i = 0; i < NT_NF_PHASES; ++i) {
            instructions[i] = (int64_t)step.instructions[i];
        }
    }
    return NT_OK;
}

nt_status nt_nf_infer(const uint8_t *pixels, uint32_t count, int is_signed, uint8_t *predictions, int64_t *instructions,
                      float *logits, uint32_t logits_len)
{
    nt_status st = nt_session_input_pixels(&session, pixels, count, is_signed);
    uint64_t n = 0;
    if (st == NT_OK) {
        st = nt_session_infer(&session, predictions, &n);
    }
    if (st != NT_OK) {
        return st;
    }
    if (instructions != NULL) {
        *instructions = (int64_t)n;
    }
    const uint32_t values = (uint32_t)session.plan.batch * session.plan.tensors[session.plan.logits].dims[3];
    if (logits != NULL && logits_len >= values) {
        memcpy(logits, nt_session_logits(&session), 4u * values);
    }
    return NT_OK;
}

nt_status nt_nf_set_speed(float rho, uint16_t window, uint16_t calibration)
{
    return nt_session_set_speed(&session, rho, window, calibration);
}

nt_status nt_nf_save(uint32_t *slot, uint32_t *sequence) { return nt_session_save(&session, slot, sequence); }

nt_status nt_nf_restore(uint32_t *sequence) { return nt_session_restore(&session, sequence); }

void nt_nf_unload(void) { nt_session_stop(&session); }
