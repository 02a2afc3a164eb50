/* The host build's platform for the nanoFramework API (nt_nf_device.h): banks, plan buffer and weight store in
 * memory the caller gives, for the net10.0 build of NanoTrain.Device whose tests run here. Host only: it uses the C
 * library's clock, which no firmware has. */
#define _POSIX_C_SOURCE 199309L
#include <string.h>
#include <time.h>

#include "nt_nf_device.h"

int32_t nt_nf_host_attach(const char *board_id, const char *names, uint8_t *memory, const uint32_t *bank_bytes, uint32_t n_banks,
                          uint32_t plan_capacity, uint8_t *store, uint32_t slot_bytes, uint32_t clock_hz, uint32_t flash_bytes);

static char id[16];
static char bank_names[NT_SESSION_MAX_BANKS][9];
static nt_session_bank_t banks[NT_SESSION_MAX_BANKS];
static nt_slot_store_t slot_store;
static uint8_t *store_memory;
static nt_nf_platform_t host;

static nt_status store_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    (void)ctx;
    memcpy(buf, store_memory + offset, len);
    return NT_OK;
}

static nt_status store_write(void *ctx, uint32_t offset, const void *buf, uint32_t len)
{
    (void)ctx;
    memcpy(store_memory + offset, buf, len);
    return NT_OK;
}

/* Nanoseconds of the host's monotonic clock: elastic selection weighs costs in them; no instruction is counted. */
static uint64_t host_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t no_instructions(uint64_t ticks)
{
    (void)ticks;
    return 0;
}

/* Attaches a board laid out in `memory`: the plan buffer (plan_capacity bytes) first, then each bank (bank_bytes[i],
 * 16-aligned), named by the NUL-separated `names`; the two weight slots in `store` (2 x slot_bytes). 0, or -1 for a
 * bank count outside 1..NT_SESSION_MAX_BANKS. */
int32_t nt_nf_host_attach(const char *board_id, const char *names, uint8_t *memory, const uint32_t *bank_bytes, uint32_t n_banks,
                          uint32_t plan_capacity, uint8_t *store, uint32_t slot_bytes, uint32_t clock_hz, uint32_t flash_bytes)
{
    if (n_banks == 0u || n_banks > NT_SESSION_MAX_BANKS) {
        return -1;
    }
    strncpy(id, board_id, sizeof id - 1u);
    uint8_t *at = memory + ((plan_capacity + 15u) & ~15u);
    for (uint32_t b = 0; b < n_banks; ++b) {
        strncpy(bank_names[b], names, 8);
        names += strlen(names) + 1u;
        banks[b].name = bank_names[b];
        banks[b].start = at;
        banks[b].limit = at + bank_bytes[b];
        at += (bank_bytes[b] + 15u) & ~15u;
    }
    store_memory = store;
    slot_store.ctx = NULL;
    slot_store.slot_bytes = slot_bytes;
    slot_store.read = store_read;
    slot_store.write = store_write;
    slot_store.erase = NULL;
    host.board.id = id;
    host.board.banks = banks;
    host.board.n_banks = n_banks;
    host.board.store = store != NULL ? &slot_store : NULL;
    host.board.clock = host_clock;
    host.board.to_instructions = no_instructions;
    host.plan_buffer = memory;
    host.plan_capacity = plan_capacity;
    host.clock_hz = clock_hz;
    host.flash_bytes = flash_bytes;
    nt_nf_attach(&host);
    return 0;
}
