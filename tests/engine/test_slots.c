/* Weight slots: saves alternate, the newest valid copy wins, a copy for another plan is never restored,
 * and a save cut off after any number of written bytes leaves the previous copy (never a mix, never none), on a store
 * written in place and on flash (erase first, a cut may fall inside the erase). */
#include <stdint.h>
#include <string.h>

#include "nt/slots.h"
#include "nt_test.h"

#define SLOT_BYTES 256u

typedef struct mem_store {
    uint8_t bytes[2 * SLOT_BYTES];
    long budget; /* bytes that may still be written before the "power" goes; < 0: unlimited */
    int nor;     /* NOR flash: a write can only clear bits (the slot is erased to 0xFF first) */
} mem_store_t;

static nt_status mem_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    mem_store_t *m = (mem_store_t *)ctx;
    if (offset + len > sizeof m->bytes) {
        return NT_ERR_STORAGE;
    }
    memcpy(buf, m->bytes + offset, len);
    return NT_OK;
}

/* One byte's worth of the budget: 0 once the power has gone. */
static int spend(mem_store_t *m)
{
    if (m->budget == 0) {
        return 0;
    }
    if (m->budget > 0) {
        --m->budget;
    }
    return 1;
}

static nt_status mem_write(void *ctx, uint32_t offset, const void *buf, uint32_t len)
{
    mem_store_t *m = (mem_store_t *)ctx;
    if (offset + len > sizeof m->bytes) {
        return NT_ERR_STORAGE;
    }
    for (uint32_t i = 0; i < len; ++i) {
        if (!spend(m)) {
            return NT_ERR_STORAGE;
        }
        const uint8_t b = ((const uint8_t *)buf)[i];
        m->bytes[offset + i] = m->nor ? (uint8_t)(m->bytes[offset + i] & b) : b;
    }
    return NT_OK;
}

/* The same store as NOR flash (nor set): a slot must be erased (to 0xFF) before it is written, and the power may go
 * in the middle of an erase as well (the budget counts erased bytes too). */
static nt_status flash_erase(void *ctx, uint32_t slot)
{
    mem_store_t *m = (mem_store_t *)ctx;
    for (uint32_t i = 0; i < SLOT_BYTES; ++i) {
        if (!spend(m)) {
            return NT_ERR_STORAGE;
        }
        m->bytes[slot * SLOT_BYTES + i] = 0xFFu;
    }
    return NT_OK;
}

typedef struct weights {
    uint8_t a[40];
    uint8_t b[13];
} weights_t;

static uint8_t *part(void *ctx, uint32_t index, uint32_t *bytes)
{
    weights_t *w = (weights_t *)ctx;
    *bytes = index == 0 ? (uint32_t)sizeof w->a : (uint32_t)sizeof w->b;
    return index == 0 ? w->a : w->b;
}

typedef struct big {
    uint8_t bytes[SLOT_BYTES - NT_SLOT_HEADER_BYTES + 1u];
} big_t;

static uint8_t *big_part(void *ctx, uint32_t index, uint32_t *bytes)
{
    (void)index;
    *bytes = (uint32_t)sizeof ((big_t *)ctx)->bytes;
    return ((big_t *)ctx)->bytes;
}

static void fill(weights_t *w, uint8_t seed)
{
    for (uint32_t i = 0; i < sizeof w->a; ++i) {
        w->a[i] = (uint8_t)(seed + i);
    }
    for (uint32_t i = 0; i < sizeof w->b; ++i) {
        w->b[i] = (uint8_t)(seed * 3u + i);
    }
}

/* The weights saved (w) and restored into (r), as the store's parts, for one plan. */
static weights_t w, r;
static const nt_slot_parts_t parts = { 2, &w, part };
static const nt_slot_parts_t into = { 2, &r, part };
static const uint32_t plan = 0xCAFEF00Du;

/* For each cut below `cuts`: a save of new weights (seed + cut) with the power gone after `cut` bytes. The newest valid
 * copy afterwards restores the new weights when the save finished, else (NT_ERR_STORAGE) the previous ones, and the slot
 * that held the previous copy is byte for byte untouched. */
static void save_with_every_cut(mem_store_t *m, const nt_slot_store_t *s, long cuts, uint8_t seed, uint32_t *slot, uint32_t *seq)
{
    static mem_store_t saved;
    for (long cut = 0; cut < cuts; ++cut) {
        NT_CHECK_EQ_U(NT_OK, nt_slots_restore(s, (uint32_t)nt_slots_newest(s, plan, 53), plan, &into));
        const weights_t before = r;
        const uint32_t keep = (uint32_t)nt_slots_newest(s, plan, 53);
        memcpy(&saved, m, sizeof *m);
        fill(&w, (uint8_t)(seed + cut));
        m->budget = cut;
        const nt_status st = nt_slots_save(s, plan, &parts, slot, seq);
        m->budget = -1;
        const int32_t now = nt_slots_newest(s, plan, 53);
        NT_CHECK(now >= 0);
        NT_CHECK_EQ_U(NT_OK, nt_slots_restore(s, (uint32_t)now, plan, &into));
        if (st == NT_OK) {
            NT_CHECK(memcmp(&r, &w, sizeof w) == 0);
        } else {
            NT_CHECK_EQ_U(NT_ERR_STORAGE, st);
            NT_CHECK(memcmp(&r, &before, sizeof before) == 0);
        }
        NT_CHECK(memcmp(saved.bytes + keep * SLOT_BYTES, m->bytes + keep * SLOT_BYTES, SLOT_BYTES) == 0);
    }
}

int main(void)
{
    static mem_store_t mem;
    memset(mem.bytes, 0xFF, sizeof mem.bytes);
    mem.budget = -1;
    const nt_slot_store_t store = { &mem, SLOT_BYTES, mem_read, mem_write, NULL };

    NT_CHECK_EQ_U((uint32_t)-1, (uint32_t)nt_slots_newest(&store, plan, sizeof w.a + sizeof w.b));
    uint32_t slot = 9, seq = 0;
    fill(&w, 1);
    NT_CHECK_EQ_U(NT_OK, nt_slots_save(&store, plan, &parts, &slot, &seq));
    NT_CHECK_EQ_U(0, slot);
    NT_CHECK_EQ_U(1, seq);
    fill(&w, 2);
    NT_CHECK_EQ_U(NT_OK, nt_slots_save(&store, plan, &parts, &slot, &seq));
    NT_CHECK_EQ_U(1, slot);
    NT_CHECK_EQ_U(2, seq);
    fill(&w, 3);
    NT_CHECK_EQ_U(NT_OK, nt_slots_save(&store, plan, &parts, &slot, &seq));
    NT_CHECK_EQ_U(0, slot);
    NT_CHECK_EQ_U(3, seq);
    const int32_t newest = nt_slots_newest(&store, plan, 53);
    NT_CHECK_EQ_U(0, newest);
    NT_CHECK_EQ_U(NT_OK, nt_slots_restore(&store, (uint32_t)newest, plan, &into));
    NT_CHECK(memcmp(&w, &r, sizeof w) == 0);
    /* Another plan's weights, or another size, are not restored. */
    NT_CHECK_EQ_U((uint32_t)-1, (uint32_t)nt_slots_newest(&store, plan + 1u, 53));
    NT_CHECK_EQ_U((uint32_t)-1, (uint32_t)nt_slots_newest(&store, plan, 52));
    NT_CHECK_EQ_U(NT_ERR_CRC, nt_slots_restore(&store, 0, plan + 1u, &into));
    /* Parts larger than a slot are refused before anything is written. */
    static big_t big;
    const nt_slot_parts_t too_big = { 1, &big, big_part };
    static mem_store_t untouched;
    memcpy(&untouched, &mem, sizeof mem);
    NT_CHECK_EQ_U(NT_ERR_NO_MEMORY, nt_slots_save(&store, plan, &too_big, &slot, &seq));
    NT_CHECK(memcmp(&untouched, &mem, sizeof mem) == 0);

    /* Power cut after every possible number of written bytes: the store then holds the previous copy
     * (sequence n) or the new one (n + 1), and restoring gives exactly one of them; in place and on flash (erase,
     * then writes that clear bits), where the cut may also fall inside the erase. */
    save_with_every_cut(&mem, &store, 200, 10, &slot, &seq);
    static mem_store_t flash;
    memset(flash.bytes, 0xFF, sizeof flash.bytes);
    flash.budget = -1;
    flash.nor = 1;
    const nt_slot_store_t fstore = { &flash, SLOT_BYTES, mem_read, mem_write, flash_erase };
    fill(&w, 40);
    NT_CHECK_EQ_U(NT_OK, nt_slots_save(&fstore, plan, &parts, &slot, &seq));
    save_with_every_cut(&flash, &fstore, (long)SLOT_BYTES + 100, 50, &slot, &seq);

    /* A flipped data byte invalidates that copy; the other one wins. */
    const int32_t top = nt_slots_newest(&store, plan, 53);
    mem.bytes[(uint32_t)top * SLOT_BYTES + NT_SLOT_HEADER_BYTES + 5u] ^= 0x10u;
    const int32_t after = nt_slots_newest(&store, plan, 53);
    NT_CHECK(after >= 0 && after != top);
    return 0;
}
