/* The device app: serves the framed protocol of nt/proto.h on the console UART and trains through an engine
 * session (nt/session.h). At boot it paints every bank's free memory and the unused stack (for high-water
 * marks), starts the plan found in the plan slot, if any, and restores the newest valid weight slot for it.
 * It then answers each request with one reply and never stops serving: a bad frame, a bad plan or a bad
 * request gets an error reply and leaves the plan, the weights and the saved slots as they were.
 *
 * Run-time checks: guard words at the bottom of the stack, and (debug builds) after each arena space, are checked
 * after every step and before a save; a step runs under a budget of counter ticks (NT_MSG_LIMITS), enforced by the
 * board's watchdog. A failed check means memory is not trusted: the device answers NT_ERR_FAULT naming the check,
 * saves nothing, and resets, so it comes back with its last saved weights. */
#include <string.h>

#include "nt/bytes.h"
#include "nt/crc32.h"
#include "nt/elastic.h"
#include "nt/exec.h"
#include "nt/kernels.h"
#include "nt/proto.h"
#include "nt/session.h"
#include "nt/slots.h"
#include "nt_board.h"

/* Bumped when the app's behaviour on the wire changes in a way the host should know. */
#define NT_FIRMWARE_VERSION 3u
/* Payload room of a reply: enough for HELLO / STATS of any board and INFER logits of a small batch. */
#define REPLY_PAYLOAD_BYTES 1024u
#define PAINT_WORD 0xA5C3E10Fu
/* The painted stack stops this far below the stack pointer at boot (the frames painting it). */
#define STACK_PAINT_MARGIN 256u
/* Guard words at the bottom of the stack: a deeper stack overwrites them before anything below it. */
#define STACK_GUARD_WORDS 8u
#define STACK_GUARD_WORD 0x57AC6A4Du
/* A step's budget unless the host sets one (NT_MSG_LIMITS): 2^34 ticks, half a minute of a 480 MHz core. */
#define STEP_BUDGET_DEFAULT (1ull << 34)

static uint8_t rx_body[NT_PROTO_MAX_BODY] __attribute__((aligned(8)));
static uint8_t reply[NT_PROTO_HEADER_BYTES + REPLY_PAYLOAD_BYTES + NT_PROTO_CRC_BYTES] __attribute__((aligned(8)));

static struct {
    nt_session_t session;
    uint32_t load_total;        /* LOAD_PLAN in progress: announced size and bytes so far */
    uint32_t load_received;
    uint8_t load_active;
    uint8_t seq_known;
    uint16_t next_seq;
    uint64_t step_budget;       /* counter ticks a TRAIN or INFER step may take */
    uint8_t step_type;          /* the request whose step runs now, for the watchdog's reply */
    uint16_t step_seq;
} app;

/* Why the plan found in the slot at boot did not start (status NT_OK when it did or there was none). */
static nt_failure_t boot_failure;

static void put_name(uint8_t *p, const char *name, uint32_t width)
{
    memset(p, 0, width);
    for (uint32_t i = 0; i < width && name[i] != '\0'; ++i) {
        p[i] = (uint8_t)name[i];
    }
}

static void uart_sink(const uint8_t *bytes, uint32_t len, void *ctx)
{
    (void)ctx;
    nt_uart_write(bytes, len);
}

static void send(uint8_t type, nt_status status, uint16_t seq, uint32_t length)
{
    const uint32_t total = nt_frame_seal(reply, type, (uint8_t)status, seq, (uint16_t)length);
    nt_frame_write(reply, total, uart_sink, NULL);
}

static uint8_t *payload(void) { return reply + NT_PROTO_HEADER_BYTES; }

static void send_error(uint8_t type, uint16_t seq, const nt_failure_t *f)
{
    uint8_t *p = payload();
    nt_wr32(p, f->index);
    p[4] = f->section;
    const uint32_t n = (uint32_t)strlen(f->detail);
    memcpy(p + 5, f->detail, n);
    send(type, f->status, seq, 5u + n);
}

static void send_status(uint8_t type, uint16_t seq, nt_status status, const char *detail)
{
    const nt_failure_t f = nt_failure(status, 0, detail);
    send_error(type, seq, &f);
}

/* ---- memory: painting and high-water marks ---- */

static void paint(uint8_t *start, uint8_t *limit)
{
    for (uint32_t *w = (uint32_t *)(void *)start; (uint8_t *)(w + 1) <= limit; ++w) {
        *w = PAINT_WORD;
    }
}

/* Bytes from `start` up to and including the highest word that is no longer the paint. */
static uint32_t high_water(const uint8_t *start, const uint8_t *limit)
{
    const uint32_t *w = (const uint32_t *)(const void *)(start + ((uint32_t)(limit - start) & ~3u));
    while (w > (const uint32_t *)(const void *)start && w[-1] == PAINT_WORD) {
        --w;
    }
    return (uint32_t)((const uint8_t *)w - start);
}

static void paint_stack(void)
{
    uint8_t *lowest, *top;
    nt_board_stack(&lowest, &top);
    for (uint32_t w = 0; w < STACK_GUARD_WORDS; ++w) {
        ((uint32_t *)(void *)lowest)[w] = STACK_GUARD_WORD;
    }
    lowest += 4u * STACK_GUARD_WORDS;
    uintptr_t sp;
#if defined(__riscv)
    __asm__ volatile("mv %0, sp" : "=r"(sp));
#else
    __asm__ volatile("mov %0, sp" : "=r"(sp));
#endif
    uint8_t *limit = (uint8_t *)(sp - STACK_PAINT_MARGIN);
    if (limit > lowest) {
        paint(lowest, limit);
    }
}

/* Stack bytes used: from the top down to the lowest word no longer painted. */
static uint32_t stack_high_water(void)
{
    uint8_t *lowest, *top;
    nt_board_stack(&lowest, &top);
    const uint32_t *w = (const uint32_t *)(void *)(lowest + 4u * STACK_GUARD_WORDS);
    while ((const uint8_t *)w < top && *w == PAINT_WORD) {
        ++w;
    }
    return (uint32_t)(top - (const uint8_t *)w);
}

/* ---- run-time checks ---- */

static int stack_guard_ok(void)
{
    uint8_t *lowest, *top;
    nt_board_stack(&lowest, &top);
    for (uint32_t w = 0; w < STACK_GUARD_WORDS; ++w) {
        if (((const uint32_t *)(const void *)lowest)[w] != STACK_GUARD_WORD) {
            return 0;
        }
    }
    return 1;
}

/* A failed check: memory is not trusted. Answers the request with NT_ERR_FAULT and resets, so the device comes back
 * with its last saved weights; nothing is saved from here. */
static void fault(uint8_t type, uint16_t seq, const nt_failure_t *f) __attribute__((noreturn));
static void fault(uint8_t type, uint16_t seq, const nt_failure_t *f)
{
    nt_board_watchdog_arm(0u);
    nt_session_fault(&app.session);
    send_error(type, seq, f);
    nt_board_reset();
}

/* The watchdog fired inside a step (from the counter's interrupt). */
void nt_board_watchdog_expired(void)
{
    nt_failure_t f = nt_failure(NT_ERR_FAULT, 0, "the step ran past its budget of ");
    nt_failure_number(&f, (uint32_t)(app.step_budget > 0xFFFFFFFFu ? 0xFFFFFFFFu : app.step_budget));
    nt_failure_add(&f, " ticks (watchdog); restarting from the last saved weights");
    fault(app.step_type, app.step_seq, &f);
}

/* Before a step: the watchdog armed with the budget. */
static uint64_t step_begin(uint8_t type, uint16_t seq)
{
    app.step_type = type;
    app.step_seq = seq;
    nt_board_watchdog_arm(app.step_budget);
    return nt_counter_ticks();
}

/* After a step (or before a save, started = 0): the budget where no watchdog fired, the stack guard, the arena guards. */
static void checks_after(uint8_t type, uint16_t seq, uint64_t started)
{
    nt_board_watchdog_arm(0u);
    const uint64_t took = started != 0u ? nt_counter_ticks() - started : 0u;
    if (took > app.step_budget) {
        nt_failure_t f = nt_failure(NT_ERR_FAULT, 0, "the step took ");
        nt_failure_number(&f, (uint32_t)(took > 0xFFFFFFFFu ? 0xFFFFFFFFu : took));
        nt_failure_add(&f, " ticks, past its budget; restarting from the last saved weights");
        fault(type, seq, &f);
    }
    if (!stack_guard_ok()) {
        nt_failure_t f = nt_failure(NT_ERR_FAULT, 0, "the stack overflowed its guard words; restarting from the last saved weights");
        fault(type, seq, &f);
    }
    nt_failure_t f;
    if (nt_session_check(&app.session, &f) != NT_OK || app.session.faulted) {
        if (f.status != NT_ERR_FAULT) {
            f = nt_failure(NT_ERR_FAULT, 0, "an earlier check failed");
        }
        nt_failure_add(&f, "; restarting from the last saved weights");
        fault(type, seq, &f);
    }
}

/* ---- the plan ---- */

static uint32_t arena_free(uint32_t bank) { return (uint32_t)(nt_board_arenas[bank].limit - nt_board_arenas[bank].start); }

/* Repaints the arenas, then starts the plan: high-water marks then belong to this plan alone. */
static nt_status restart_plan(const uint8_t *bytes, uint32_t len, nt_failure_t *f)
{
    for (uint32_t b = 0; b < NT_BOARD_BANK_COUNT; ++b) {
        paint(nt_board_arenas[b].start, nt_board_arenas[b].limit);
    }
    return nt_session_start(&app.session, nt_board_session(), bytes, len, f);
}

static void boot_plan(void)
{
    uint32_t slot_bytes;
    const uint8_t *slot = nt_board_plan_slot(&slot_bytes);
    memset(&boot_failure, 0, sizeof boot_failure);
    if (slot_bytes >= NT_PLAN_HEADER_BYTES && nt_rd32(slot) == NT_PLAN_MAGIC) {
        const uint32_t len = nt_rd32(slot + 8);
        if (len > slot_bytes) {
            boot_failure.status = NT_ERR_TRUNCATED;
            nt_failure_add(&boot_failure, "the plan in the slot claims more bytes than the slot holds");
        } else {
            (void)restart_plan(slot, len, &boot_failure);
        }
    }
}

/* ---- requests ---- */

static void on_hello(uint16_t seq)
{
    uint8_t *p = payload();
    uint32_t slot_bytes;
    (void)nt_board_plan_slot(&slot_bytes);
    nt_wr16(p, NT_PROTO_VERSION);
    nt_wr16(p + 2, NT_PROTO_MAX_PAYLOAD);
    nt_wr16(p + 4, NT_FIRMWARE_VERSION);
    nt_wr16(p + 6, NT_PLAN_VERSION);
    put_name(p + 8, NT_BOARD_ID, 16);
    nt_wr32(p + 24, NT_BOARD_CLOCK_HZ);
    nt_wr32(p + 28, nt_board_flash.size);
    nt_wr32(p + 32, nt_board_flash_used());
    nt_wr32(p + 36, slot_bytes);
    p[40] = NT_BOARD_BANK_COUNT;
    uint32_t at = 41;
    for (uint32_t b = 0; b < NT_BOARD_BANK_COUNT; ++b) {
        put_name(p + at, nt_board_banks[b].name, 8);
        nt_wr32(p + at + 8, nt_board_banks[b].base);
        nt_wr32(p + at + 12, nt_board_banks[b].size);
        nt_wr32(p + at + 16, arena_free(b));
        at += 20;
    }
    const nt_session_t *s = &app.session;
    p[at] = s->running;
    nt_wr32(p + at + 1, s->running ? s->plan_crc : 0u);
    nt_wr32(p + at + 5, s->running ? s->plan_bytes : 0u);
    nt_wr32(p + at + 9, s->running ? s->restored_sequence : 0u);
    p[at + 13] = (uint8_t)boot_failure.status;
    const uint32_t n = (uint32_t)strlen(boot_failure.detail);
    memcpy(p + at + 14, boot_failure.detail, n);
    send(NT_MSG_HELLO | NT_MSG_REPLY, NT_OK, seq, at + 14u + n);
}

static void on_load_plan(uint16_t seq, const uint8_t *data, uint32_t length)
{
    const uint8_t type = NT_MSG_LOAD_PLAN | NT_MSG_REPLY;
    if (length < 8u) {
        send_status(type, seq, NT_ERR_TRUNCATED, "a plan chunk starts with u32 total, u32 offset");
        return;
    }
    const uint32_t total = nt_rd32(data), offset = nt_rd32(data + 4), n = length - 8u;
    uint32_t slot_bytes;
    uint8_t *slot = nt_board_plan_slot(&slot_bytes);
    if (offset == 0u) {
        if (total < NT_PLAN_HEADER_BYTES || total > slot_bytes) {
            nt_failure_t f = nt_failure(NT_ERR_NO_MEMORY, 0, "the plan is ");
            nt_failure_number(&f, total);
            nt_failure_add(&f, " B; the plan slot holds ");
            nt_failure_number(&f, slot_bytes);
            nt_failure_add(&f, " B");
            send_error(type, seq, &f);
            return;
        }
        /* A new plan replaces the running one from its first byte on. */
        nt_session_stop(&app.session);
        app.load_active = 1;
        app.load_total = total;
        app.load_received = 0;
    }
    if (!app.load_active || total != app.load_total || offset != app.load_received) {
        nt_failure_t f = nt_failure(NT_ERR_SEQUENCE, offset, app.load_active ? "expected the chunk at offset " : "no plan load in progress; start at offset 0");
        if (app.load_active) {
            nt_failure_number(&f, app.load_received);
        }
        send_error(type, seq, &f);
        return;
    }
    if (n > total - offset) {
        send_status(type, seq, NT_ERR_RANGE, "the chunk runs past the announced plan size");
        return;
    }
    memcpy(slot + offset, data + 8, n);
    if (memcmp(slot + offset, data + 8, n) != 0) {
        app.load_active = 0;
        send_status(type, seq, NT_ERR_UNSUPPORTED, "the plan slot did not keep the bytes written (flash needs flashing here)");
        return;
    }
    app.load_received += n;
    if (app.load_received == total) {
        app.load_active = 0;
        nt_failure_t f;
        memset(&boot_failure, 0, sizeof boot_failure);
        if (restart_plan(slot, total, &f) != NT_OK) {
            send_error(type, seq, &f);
            return;
        }
    }
    nt_wr32(payload(), app.load_received);
    send(type, NT_OK, seq, 4u);
}

static int need_plan(uint8_t type, uint16_t seq)
{
    if (!app.session.running) {
        send_status(type, seq, NT_ERR_STATE, "no plan is running; load one first");
        return 0;
    }
    return 1;
}

static void on_train(uint16_t seq, const uint8_t *data, uint32_t length)
{
    const uint8_t type = NT_MSG_TRAIN | NT_MSG_REPLY;
    if (!need_plan(type, seq)) {
        return;
    }
    const nt_plan_t *plan = &app.session.plan;
    if (plan->loss == NT_PLAN_NONE) {
        send_status(type, seq, NT_ERR_STATE, "the plan has no training section");
        return;
    }
    const nt_plan_tensor_t *input = &plan->tensors[plan->input];
    const nt_plan_tensor_t *labels = &plan->tensors[plan->labels];
    if (length != 4u + input->bytes + labels->bytes) {
        nt_failure_t f = nt_failure(NT_ERR_RANGE, length, "a training request for this plan is f32 lr + ");
        nt_failure_number(&f, input->bytes);
        nt_failure_add(&f, " B input + ");
        nt_failure_number(&f, labels->bytes);
        nt_failure_add(&f, " B labels");
        send_error(type, seq, &f);
        return;
    }
    float lr;
    memcpy(&lr, data, sizeof lr);
    memcpy(nt_session_input(&app.session), data + 4, input->bytes);
    uint8_t *p = payload();
    nt_session_step_t step;
    const uint64_t started = step_begin(type, seq);
    const nt_status st = nt_session_train(&app.session, data + 4 + input->bytes, lr, &step, p + 44);
    checks_after(type, seq, started);
    if (st != NT_OK) {
        send_status(type, seq, st, st == NT_ERR_RANGE ? "learning rate outside [0, 16], or a label outside the plan's classes"
                                                      : "the training step failed");
        return;
    }
    memcpy(p, &step.loss, sizeof step.loss);
    for (uint32_t phase = 0; phase < NT_PHASE_COUNT; ++phase) {
        nt_wr64(p + 4 + 8u * phase, step.instructions[phase]);
    }
    send(type, NT_OK, seq, 44u + plan->batch);
}

/* Elastic selection: empty asks its state; f32 rho, u16 window, u16 calibration starts it (rho in (0, 1]) or stops it
 * (rho 0); f32 -1, u16 0, u16 0, u8 selected[candidates] sets the selection (after calibration); the reply is the state.
 * f32 -2, u16 first, u16 0 asks a page of the candidates' costs instead (after calibration). */
static void on_elastic(uint16_t seq, const uint8_t *data, uint32_t length)
{
    const uint8_t type = NT_MSG_ELASTIC | NT_MSG_REPLY;
    if (!need_plan(type, seq)) {
        return;
    }
    nt_elastic_t *el = app.session.elastic;
    if (length != 0u) {
        float rho;
        memcpy(&rho, data, sizeof rho);
        const uint16_t window = length >= 8u ? nt_rd16(data + 4) : 0u, calibration = length >= 8u ? nt_rd16(data + 6) : 0u;
        nt_status st = NT_OK;
        if (rho == -2.0f && el && length == 8u && el->step >= el->calibration) {
            /* A page of the candidates' costs from `window` on (the field carries the first index). */
            const uint32_t first = window < el->n ? window : el->n;
            uint32_t count = (REPLY_PAYLOAD_BYTES - 20u) / 8u;
            count = first + count > el->n ? el->n - first : count;
            uint8_t *p = payload();
            nt_wr16(p, (uint16_t)first);
            nt_wr16(p + 2, (uint16_t)count);
            nt_wr64(p + 4, nt_counter_ticks_to_instructions(el->full));
            nt_wr64(p + 12, nt_counter_ticks_to_instructions(el->fixed));
            for (uint32_t i = 0; i < count; ++i) {
                const nt_elastic_tensor_t c = nt_elastic_cost(el, first + i);
                nt_wr32(p + 20u + 8u * i, (uint32_t)nt_counter_ticks_to_instructions(c.t_dw));
                nt_wr32(p + 24u + 8u * i, (uint32_t)nt_counter_ticks_to_instructions(c.t_dy));
            }
            send(type, NT_OK, seq, 20u + 8u * count);
            return;
        } else if (length == 8u) {
            if (rho != 0.0f && app.session.plan.elastic == NT_PLAN_NONE) {
                send_status(type, seq, NT_ERR_STATE, "the plan reserves no elastic workspace (plan it with --method elastic or nanotrain)");
                return;
            }
            st = nt_session_set_speed(&app.session, rho, window, calibration);
        } else if (rho == -1.0f && el && length == 8u + el->n) {
            st = nt_elastic_set_selection(el, &app.session.exec, data + 8);
        } else {
            send_status(type, seq, NT_ERR_RANGE, "an elastic request is empty, f32 rho + u16 window + u16 calibration, f32 -1 + 4 zero bytes + a byte per candidate, or f32 -2 + u16 first + u16 0 after calibration");
            return;
        }
        if (st != NT_OK) {
            send_status(type, seq, st, "rho outside (0, 1], window 0, calibration outside 1..5, or still calibrating");
            return;
        }
    }
    el = app.session.elastic;
    uint8_t *p = payload();
    memset(p, 0, 56u);
    if (el) {
        if (56u + el->n > REPLY_PAYLOAD_BYTES) {
            send_status(type, seq, NT_ERR_NO_MEMORY, "the candidates do not fit a reply");
            return;
        }
        p[0] = 1u;
        p[1] = el->step < el->calibration;
        nt_wr16(p + 2, el->n);
        nt_wr16(p + 4, el->chosen);
        nt_wr16(p + 6, (uint16_t)(el->plateaus > 0xFFFFu ? 0xFFFFu : el->plateaus));
        nt_wr32(p + 8, el->step);
        nt_wr32(p + 12, el->selections);
        const uint64_t ticks[5] = { el->full, el->fixed, el->budget, el->predicted, el->overhead };
        for (uint32_t i = 0; i < 5u; ++i) {
            nt_wr64(p + 16u + 8u * i, nt_counter_ticks_to_instructions(ticks[i]));
        }
        for (uint32_t i = 0; i < el->n; ++i) {
            p[56u + i] = (uint8_t)nt_elastic_selected(el, i);
        }
    }
    send(type, NT_OK, seq, el ? 56u + el->n : 56u);
}

static void on_infer(uint16_t seq, const uint8_t *data, uint32_t length)
{
    const uint8_t type = NT_MSG_INFER | NT_MSG_REPLY;
    if (!need_plan(type, seq)) {
        return;
    }
    const nt_plan_t *plan = &app.session.plan;
    const nt_plan_tensor_t *input = &plan->tensors[plan->input];
    const nt_plan_tensor_t *logits = &plan->tensors[plan->logits];
    const uint32_t classes = logits->dims[3];
    if (length != input->bytes) {
        nt_failure_t f = nt_failure(NT_ERR_RANGE, length, "an inference request for this plan is the input tensor, ");
        nt_failure_number(&f, input->bytes);
        nt_failure_add(&f, " B");
        send_error(type, seq, &f);
        return;
    }
    if (8u + plan->batch * (1u + 4u * classes) > REPLY_PAYLOAD_BYTES) {
        send_status(type, seq, NT_ERR_NO_MEMORY, "the logits of this plan's batch do not fit a reply");
        return;
    }
    memcpy(nt_session_input(&app.session), data, input->bytes);
    uint8_t *p = payload();
    uint64_t instructions = 0;
    const uint64_t started = step_begin(type, seq);
    (void)nt_session_infer(&app.session, p + 8, &instructions);
    checks_after(type, seq, started);
    nt_wr64(p, instructions);
    memcpy(p + 8 + plan->batch, nt_session_logits(&app.session), 4u * plan->batch * classes);
    send(type, NT_OK, seq, 8u + plan->batch * (1u + 4u * classes));
}

static void on_stats(uint16_t seq)
{
    uint8_t *p = payload();
    uint8_t *lowest, *top;
    nt_board_stack(&lowest, &top);
    nt_wr32(p, app.session.running ? app.session.steps : 0u);
    nt_wr32(p + 4, (uint32_t)(top - lowest));
    nt_wr32(p + 8, stack_high_water());
    p[12] = NT_BOARD_BANK_COUNT;
    uint32_t at = 13;
    for (uint32_t b = 0; b < NT_BOARD_BANK_COUNT; ++b) {
        put_name(p + at, nt_board_arenas[b].name, 8);
        nt_wr32(p + at + 8, arena_free(b));
        nt_wr32(p + at + 12, app.session.running ? app.session.planned[b] : 0u);
        nt_wr32(p + at + 16, high_water(nt_board_arenas[b].start, nt_board_arenas[b].limit));
        at += 20;
    }
    send(NT_MSG_STATS | NT_MSG_REPLY, NT_OK, seq, at);
}

static void on_save(uint16_t seq)
{
    const uint8_t type = NT_MSG_SAVE | NT_MSG_REPLY;
    if (!need_plan(type, seq)) {
        return;
    }
    checks_after(type, seq, 0u); /* memory that is not trusted never reaches the slots */
    uint32_t slot = 0, sequence = 0;
    const nt_status st = nt_session_save(&app.session, &slot, &sequence);
    if (st != NT_OK) {
        send_status(type, seq, st, st == NT_ERR_NO_MEMORY ? "the trainable tensors do not fit a weight slot" : "writing the weight slot failed");
        return;
    }
    nt_wr32(payload(), slot);
    nt_wr32(payload() + 4, sequence);
    send(type, NT_OK, seq, 8u);
}

static void on_limits(uint16_t seq, const uint8_t *data, uint32_t length)
{
    if (length != 8u) {
        send_status(NT_MSG_LIMITS | NT_MSG_REPLY, seq, NT_ERR_RANGE, "a limits request is u64 step budget in ticks (0: default)");
        return;
    }
    const uint64_t budget = nt_rd64(data);
    app.step_budget = budget != 0u ? budget : STEP_BUDGET_DEFAULT;
    nt_wr64(payload(), app.step_budget);
    send(NT_MSG_LIMITS | NT_MSG_REPLY, NT_OK, seq, 8u);
}

static void on_frame(const nt_frame_t *frame)
{
    const uint8_t type = frame->type;
    if (type != NT_MSG_HELLO && (!app.seq_known || frame->seq != app.next_seq)) {
        nt_failure_t f = nt_failure(NT_ERR_SEQUENCE, frame->seq, app.seq_known ? "expected request " : "say hello first");
        if (app.seq_known) {
            nt_failure_number(&f, app.next_seq);
        }
        send_error((uint8_t)(type | NT_MSG_REPLY), frame->seq, &f);
        return;
    }
    app.seq_known = 1;
    app.next_seq = (uint16_t)(frame->seq + 1u);
    switch (type) {
    case NT_MSG_HELLO: on_hello(frame->seq); break;
    case NT_MSG_LOAD_PLAN: on_load_plan(frame->seq, frame->payload, frame->length); break;
    case NT_MSG_TRAIN: on_train(frame->seq, frame->payload, frame->length); break;
    case NT_MSG_INFER: on_infer(frame->seq, frame->payload, frame->length); break;
    case NT_MSG_STATS: on_stats(frame->seq); break;
    case NT_MSG_SAVE: on_save(frame->seq); break;
    case NT_MSG_ELASTIC: on_elastic(frame->seq, frame->payload, frame->length); break;
    case NT_MSG_LIMITS: on_limits(frame->seq, frame->payload, frame->length); break;
    case NT_MSG_RESET:
        send(NT_MSG_RESET | NT_MSG_REPLY, NT_OK, frame->seq, 0u);
        nt_board_reset();
    default:
        send_status((uint8_t)(type | NT_MSG_REPLY), frame->seq, NT_ERR_UNSUPPORTED, "unknown message type");
        break;
    }
}

int main(void)
{
    nt_board_init();
    app.step_budget = STEP_BUDGET_DEFAULT;
    paint_stack();
    boot_plan();

    nt_frame_decoder_t decoder;
    nt_frame_decoder_init(&decoder, rx_body, sizeof rx_body);
    for (;;) {
        nt_status why = NT_OK;
        const nt_frame_event event = nt_frame_decoder_push(&decoder, nt_uart_read_byte(), &why);
        if (event == NT_FRAME_BAD) {
            send_status(NT_MSG_ERROR, 0, why, why == NT_ERR_RANGE ? "frame longer than the device accepts" : "frame is not valid COBS");
        } else if (event == NT_FRAME_READY) {
            nt_frame_t frame;
            const nt_status st = nt_frame_parse(rx_body, decoder.len, &frame);
            if (st != NT_OK) {
                send_status(NT_MSG_ERROR, frame.seq, st, st == NT_ERR_CRC ? "frame CRC does not match" : "frame header or length is wrong");
            } else if ((frame.type & NT_MSG_REPLY) != 0u || frame.status != 0u) {
                send_status(NT_MSG_ERROR, frame.seq, NT_ERR_FRAME, "requests have type < 0x80 and status 0");
            } else {
                on_frame(&frame);
            }
        }
    }
}
