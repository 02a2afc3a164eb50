/* A plan running over a board's banks, with its weights in a slot store (nt/session.h). */
#include "nt/session.h"

#include <string.h>

#include "nt/bytes.h"
#include "nt/kernels.h"

nt_failure_t nt_failure(nt_status status, uint32_t index, const char *text)
{
    nt_failure_t f;
    memset(&f, 0, sizeof f);
    f.status = status;
    f.index = index;
    nt_failure_add(&f, text);
    return f;
}

void nt_failure_add(nt_failure_t *f, const char *text)
{
    size_t at = strlen(f->detail);
    while (*text != '\0' && at + 1u < sizeof f->detail) {
        f->detail[at++] = *text++;
    }
    f->detail[at] = '\0';
}

void nt_failure_number(nt_failure_t *f, uint32_t value)
{
    char digits[11];
    int pos = (int)sizeof digits - 1;
    digits[pos] = '\0';
    do {
        digits[--pos] = (char)('0' + (int)(value % 10u));
        value /= 10u;
    } while (value != 0u);
    nt_failure_add(f, &digits[pos]);
}

static uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1u) & ~(a - 1u); }

static uint32_t bank_free(const nt_session_bank_t *bank) { return (uint32_t)(bank->limit - bank->start); }

/* Bank for a space: the bank of its name, or for a plan laid out without banks ("state", "arena") the bank with the
 * most free memory. */
static int32_t bank_for(const nt_session_board_t *board, const char *name)
{
    for (uint32_t b = 0; b < board->n_banks; ++b) {
        if (strncmp(name, board->banks[b].name, 8) == 0) {
            return (int32_t)b;
        }
    }
    if (strncmp(name, "state", 8) != 0 && strncmp(name, "arena", 8) != 0) {
        return -1;
    }
    uint32_t best = 0;
    for (uint32_t b = 1; b < board->n_banks; ++b) {
        if (bank_free(&board->banks[b]) > bank_free(&board->banks[best])) {
            best = b;
        }
    }
    return (int32_t)best;
}

static uint8_t *param_part(void *ctx, uint32_t index, uint32_t *bytes)
{
    nt_exec_t *ex = (nt_exec_t *)ctx;
    const uint16_t t = ex->plan->params[index];
    *bytes = ex->plan->tensors[t].bytes;
    return (uint8_t *)nt_exec_tensor(ex, t);
}

static nt_slot_parts_t params(nt_session_t *s)
{
    nt_slot_parts_t parts = { s->plan.n_params, &s->exec, param_part };
    return parts;
}

static uint64_t instructions(const nt_session_t *s, uint64_t ticks)
{
    return s->board->to_instructions ? s->board->to_instructions(ticks) : ticks;
}

nt_status nt_session_start(nt_session_t *s, const nt_session_board_t *board, const uint8_t *bytes, uint32_t len,
                           nt_failure_t *f)
{
    memset(f, 0, sizeof *f);
    memset(s, 0, sizeof *s);
    s->board = board;
    if (board == NULL || bytes == NULL || board->n_banks == 0u || board->n_banks > NT_SESSION_MAX_BANKS) {
        *f = nt_failure(NT_ERR_ARG, 0, "no board, no plan bytes, or a bank count outside 1..8");
        return NT_ERR_ARG;
    }
    nt_plan_error_t err;
    nt_status st = nt_plan_load(&s->plan, bytes, len, &err);
    if (st != NT_OK) {
        *f = nt_failure(st, err.index, "the plan does not load");
        f->section = (uint8_t)err.section;
        return st;
    }
    if (board->id != NULL && board->id[0] != '\0' && s->plan.board[0] != '\0' && strcmp(s->plan.board, board->id) != 0) {
        *f = nt_failure(NT_ERR_BOARD, 0, "the plan is for board ");
        nt_failure_add(f, s->plan.board);
        nt_failure_add(f, "; this firmware is for ");
        nt_failure_add(f, board->id);
        return NT_ERR_BOARD;
    }
    uint8_t *spaces[NT_PLAN_MAX_SPACES] = { 0 };
    uint32_t sizes[NT_PLAN_MAX_SPACES] = { 0 };
    uint32_t used[NT_SESSION_MAX_BANKS] = { 0 };
    for (uint32_t i = 1; i < s->plan.n_spaces; ++i) {
        const nt_plan_space_t *space = &s->plan.spaces[i];
        const int32_t bank = bank_for(board, space->name);
        if (bank < 0) {
            *f = nt_failure(NT_ERR_BOARD, i, "memory space ");
            f->section = NT_PLAN_SECTION_SPACES;
            nt_failure_number(f, i);
            nt_failure_add(f, " is not a bank of ");
            nt_failure_add(f, board->id != NULL && board->id[0] != '\0' ? board->id : "this board");
            return NT_ERR_BOARD;
        }
        const nt_session_bank_t *b = &board->banks[bank];
        const uint32_t align = space->align < 16u ? 16u : space->align;
        const uintptr_t base = (uintptr_t)b->start;
        const uint32_t offset = (uint32_t)(align_up((uint32_t)base + used[bank], align) - (uint32_t)base);
        const uint32_t capacity = bank_free(b);
        if ((uint64_t)offset + space->bytes > capacity) {
            *f = nt_failure(NT_ERR_NO_MEMORY, i, "space ");
            f->section = NT_PLAN_SECTION_SPACES;
            nt_failure_number(f, i);
            nt_failure_add(f, " needs ");
            nt_failure_number(f, space->bytes);
            nt_failure_add(f, " B of bank ");
            nt_failure_add(f, b->name);
            nt_failure_add(f, ", which has ");
            nt_failure_number(f, capacity - (used[bank] < capacity ? used[bank] : capacity));
            nt_failure_add(f, " B free");
            return NT_ERR_NO_MEMORY;
        }
        spaces[i] = b->start + offset;
        sizes[i] = space->bytes;
#if defined(NT_SESSION_GUARDS)
        const uint32_t rounded = (space->bytes + 3u) & ~3u;
        if ((uint64_t)offset + rounded + NT_SESSION_GUARD_BYTES > capacity) {
            *f = nt_failure(NT_ERR_NO_MEMORY, i, "no room for the guard words after space ");
            f->section = NT_PLAN_SECTION_SPACES;
            nt_failure_number(f, i);
            return NT_ERR_NO_MEMORY;
        }
        used[bank] = offset + rounded + NT_SESSION_GUARD_BYTES;
        s->guards[i] = (uint32_t *)(void *)(spaces[i] + rounded);
        for (uint32_t w = 0; w < NT_SESSION_GUARD_BYTES / 4u; ++w) {
            s->guards[i][w] = NT_SESSION_GUARD_WORD;
        }
#else
        used[bank] = offset + space->bytes;
#endif
    }
    st = nt_exec_init(&s->exec, &s->plan, spaces, sizes, &err);
    if (st != NT_OK) {
        *f = nt_failure(st, err.index, "the executor refuses the plan");
        f->section = (uint8_t)err.section;
        return st;
    }
    nt_exec_set_clock(&s->exec, board->clock);
    memcpy(s->planned, used, sizeof used);
    s->plan_crc = nt_rd32(bytes + 12);
    s->plan_bytes = len;
    s->running = 1;

    /* The newest valid weights saved for this very plan replace the plan's initial values. */
    if (board->store != NULL) {
        (void)nt_session_restore(s, &s->restored_sequence);
    }
    return NT_OK;
}

nt_status nt_session_check(nt_session_t *s, nt_failure_t *f)
{
    (void)s;
#if defined(NT_SESSION_GUARDS)
    for (uint32_t i = 1; s->running && i < s->plan.n_spaces; ++i) {
        for (uint32_t w = 0; w < NT_SESSION_GUARD_BYTES / 4u; ++w) {
            if (s->guards[i][w] != NT_SESSION_GUARD_WORD) {
                s->faulted = 1;
                if (f != NULL) {
                    *f = nt_failure(NT_ERR_FAULT, i, "a kernel wrote past the end of memory space ");
                    f->section = NT_PLAN_SECTION_SPACES;
                    nt_failure_number(f, i);
                }
                return NT_ERR_FAULT;
            }
        }
    }
#endif
    if (f != NULL) {
        memset(f, 0, sizeof *f);
    }
    return NT_OK;
}

void nt_session_fault(nt_session_t *s) { s->faulted = 1; }

void nt_session_stop(nt_session_t *s)
{
    if (s->running) {
        nt_elastic_stop(&s->exec);
    }
    s->running = 0;
    s->elastic = NULL;
}

float *nt_session_input(nt_session_t *s)
{
    return s->running ? (float *)nt_exec_tensor(&s->exec, s->plan.input) : NULL;
}

nt_status nt_session_input_pixels(nt_session_t *s, const uint8_t *pixels, uint32_t count, int is_signed)
{
    if (!s->running) {
        return NT_ERR_STATE;
    }
    if (pixels == NULL || count != s->plan.tensors[s->plan.input].bytes / 4u) {
        return NT_ERR_RANGE;
    }
    float *input = nt_session_input(s);
    for (uint32_t i = 0; i < count; ++i) {
        const int32_t p = is_signed ? (int32_t)(int8_t)pixels[i] + 128 : (int32_t)pixels[i];
        input[i] = ((float)p - 127.5f) / 127.5f;
    }
    return NT_OK;
}

nt_status nt_session_train(nt_session_t *s, const uint8_t *labels, float lr, nt_session_step_t *step, uint8_t *predictions)
{
    if (!s->running || s->plan.loss == NT_PLAN_NONE) {
        return NT_ERR_STATE;
    }
    if (s->faulted) {
        return NT_ERR_FAULT;
    }
    const nt_plan_tensor_t *label_tensor = &s->plan.tensors[s->plan.labels];
    const uint32_t classes = s->plan.tensors[s->plan.logits].dims[3];
    if (labels == NULL || !(lr >= 0.0f && lr <= 16.0f)) {
        return NT_ERR_RANGE;
    }
    for (uint32_t i = 0; i < label_tensor->bytes; ++i) {
        if (labels[i] >= classes) {
            return NT_ERR_RANGE;
        }
    }
    memcpy(nt_exec_tensor(&s->exec, s->plan.labels), labels, label_tensor->bytes);
    const nt_sgd_config_t sgd = { lr, 0.0f, 0.0f };
    float loss = 0.0f;
    nt_exec_clear_ticks(&s->exec);
    const nt_status st = s->elastic ? nt_elastic_train_step(s->elastic, &s->exec, &sgd, &loss, predictions)
                                    : nt_exec_train_step(&s->exec, &sgd, NULL, &loss, predictions);
    if (nt_session_check(s, NULL) != NT_OK) {
        return NT_ERR_FAULT;
    }
    if (st != NT_OK) {
        return st;
    }
    ++s->steps;
    if (step != NULL) {
        step->loss = loss;
        for (uint32_t phase = 0; phase < NT_PHASE_COUNT; ++phase) {
            step->instructions[phase] = instructions(s, s->exec.ticks[phase]);
        }
    }
    return NT_OK;
}

nt_status nt_session_infer(nt_session_t *s, uint8_t *predictions, uint64_t *count)
{
    if (!s->running) {
        return NT_ERR_STATE;
    }
    if (s->faulted) {
        return NT_ERR_FAULT;
    }
    const uint64_t t0 = s->board->clock ? s->board->clock() : 0u;
    nt_exec_forward(&s->exec);
    if (nt_session_check(s, NULL) != NT_OK) {
        return NT_ERR_FAULT;
    }
    const uint64_t t1 = s->board->clock ? s->board->clock() : 0u;
    if (predictions != NULL) {
        nt_argmax_f32((int32_t)s->plan.batch, (int32_t)s->plan.tensors[s->plan.logits].dims[3], nt_session_logits(s), predictions);
    }
    if (count != NULL) {
        *count = instructions(s, t1 - t0);
    }
    return NT_OK;
}

const float *nt_session_logits(const nt_session_t *s)
{
    return s->running ? (const float *)nt_exec_tensor(&s->exec, s->plan.logits) : NULL;
}

nt_status nt_session_set_speed(nt_session_t *s, float rho, uint16_t window, uint16_t calibration)
{
    if (!s->running) {
        return NT_ERR_STATE;
    }
    if (rho == 0.0f) {
        nt_elastic_stop(&s->exec);
        s->elastic = NULL;
        return NT_OK;
    }
    if (s->plan.elastic == NT_PLAN_NONE) {
        return NT_ERR_STATE;
    }
    nt_elastic_t *el = (nt_elastic_t *)nt_exec_tensor(&s->exec, s->plan.elastic);
    const nt_status st = nt_elastic_start(el, s->plan.tensors[s->plan.elastic].bytes, &s->exec, rho, window, calibration);
    s->elastic = st == NT_OK ? el : NULL;
    if (st != NT_OK) {
        nt_elastic_stop(&s->exec); /* a refused start leaves every parameter training, as before any */
    }
    return st;
}

nt_status nt_session_save(nt_session_t *s, uint32_t *slot, uint32_t *sequence)
{
    if (!s->running) {
        return NT_ERR_STATE;
    }
    if (s->board->store == NULL) {
        return NT_ERR_UNSUPPORTED;
    }
    if (s->faulted || nt_session_check(s, NULL) != NT_OK) {
        return NT_ERR_FAULT; /* memory is not trusted: the slots keep the last good weights */
    }
    const nt_slot_parts_t parts = params(s);
    return nt_slots_save(s->board->store, s->plan_crc, &parts, slot, sequence);
}

nt_status nt_session_restore(nt_session_t *s, uint32_t *sequence)
{
    *sequence = 0;
    if (!s->running) {
        return NT_ERR_STATE;
    }
    if (s->board->store == NULL) {
        return NT_ERR_UNSUPPORTED;
    }
    const nt_slot_parts_t parts = params(s);
    const int32_t slot = nt_slots_newest(s->board->store, s->plan_crc, nt_slot_parts_bytes(&parts));
    if (slot < 0) {
        return NT_OK;
    }
    const nt_status st = nt_slots_restore(s->board->store, (uint32_t)slot, s->plan_crc, &parts);
    if (st != NT_OK) {
        return st;
    }
    nt_slot_info_t info;
    if (nt_slot_inspect(s->board->store, (uint32_t)slot, &info) == NT_OK) {
        *sequence = info.sequence;
    }
    return NT_OK;
}
