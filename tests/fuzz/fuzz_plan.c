/* Fuzz target: the plan loader, then a session over the plan it accepted (start, infer, two training steps, elastic
 * selection when the plan reserves its workspace). The loader promises that kernels may trust a plan it accepts, so
 * nothing after it may read or write outside the plan's spaces, whatever the bytes.
 *
 * The CRC field is recomputed before loading so that mutations reach the checks behind it (the CRC check itself is
 * covered by the unit tests). Input: the plan file's bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nt/bytes.h"
#include "nt/crc32.h"
#include "nt/session.h"

#define BANK_BYTES (1u << 20)
#define MAX_PLAN_BYTES (4u << 20)

/* Infer, train twice with every label 0, then under elastic selection when the plan has its workspace. The input is
 * filled before each step, as the protocol does (a planned layout may reuse its memory once the forward read it);
 * the pixels are the fuzz input's own bytes, so their values vary with it. */
static void run_session(nt_session_t *s, const uint8_t *data, size_t size)
{
    const uint32_t values = s->plan.tensors[s->plan.input].bytes / 4u;
    uint8_t *pixels = (uint8_t *)malloc(values + 1u);
    for (uint32_t i = 0; i < values; ++i) {
        pixels[i] = size != 0u ? data[i % size] : 0u;
    }
    uint8_t *predictions = (uint8_t *)malloc((size_t)s->plan.batch + 1u);
    (void)nt_session_input_pixels(s, pixels, values, 0);
    (void)nt_session_infer(s, predictions, NULL);
    if (s->plan.labels != NT_PLAN_NONE) {
        const uint32_t count = s->plan.tensors[s->plan.labels].bytes;
        uint8_t *labels = (uint8_t *)calloc(count + 1u, 1);
        nt_session_step_t step;
        for (int i = 0; i < 2; ++i) {
            (void)nt_session_input_pixels(s, pixels, values, 0);
            (void)nt_session_train(s, labels, i == 0 ? 0.01f : 0.5f, &step, predictions);
        }
        if (nt_session_set_speed(s, 0.5f, 2, 1) == NT_OK) {
            for (int i = 0; i < 4; ++i) {
                (void)nt_session_input_pixels(s, pixels, values, 0);
                (void)nt_session_train(s, labels, 0.01f, &step, predictions);
            }
        }
        free(labels);
    }
    free(predictions);
    free(pixels);
}

static uint8_t bank_memory[NT_PLAN_MAX_SPACES][BANK_BYTES] __attribute__((aligned(64)));

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_PLAN_BYTES) {
        return 0;
    }
    /* A copy of exactly `size` bytes, 4-aligned as the loader requires, so ASan sees every read past the end. */
    uint8_t *bytes = (uint8_t *)malloc(size == 0 ? 1 : size);
    memcpy(bytes, data, size);
    if (size >= 16u) {
        const uint32_t declared = nt_rd32(bytes + 8);
        const uint32_t covered = declared >= 16u && declared <= size ? declared : (uint32_t)size;
        nt_wr32(bytes + 12, nt_crc32_update(0, bytes + 16, covered - 16u));
    }
    /* Banks named as the plan's arena spaces ask (read from the header only when the loader accepts it). */
    nt_plan_t probe;
    nt_plan_error_t err;
    if (nt_plan_load(&probe, bytes, size, &err) != NT_OK) {
        free(bytes);
        return 0;
    }
    static char names[NT_PLAN_MAX_SPACES][9];
    nt_session_bank_t banks[NT_PLAN_MAX_SPACES];
    uint32_t n_banks = 0;
    for (uint32_t i = 1; i < probe.n_spaces && n_banks < NT_SESSION_MAX_BANKS; ++i) {
        memcpy(names[n_banks], probe.spaces[i].name, 8);
        names[n_banks][8] = '\0';
        banks[n_banks].name = names[n_banks];
        banks[n_banks].start = bank_memory[n_banks];
        banks[n_banks].limit = bank_memory[n_banks] + BANK_BYTES;
        ++n_banks;
    }
    if (n_banks == 0u) {
        banks[0].name = "arena";
        banks[0].start = bank_memory[0];
        banks[0].limit = bank_memory[0] + BANK_BYTES;
        n_banks = 1;
    }
    const nt_session_board_t board = { "", banks, n_banks, NULL, NULL, NULL };
    static nt_session_t session;
    nt_failure_t f;
    if (nt_session_start(&session, &board, bytes, (uint32_t)size, &f) == NT_OK) {
        run_session(&session, data, size);
        nt_session_stop(&session);
    }
    free(bytes);
    return 0;
}
