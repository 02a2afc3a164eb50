/* Fuzz target: the weight-slot reader. The input is a store's contents (two slots of half its length, at most
 * 4 KB each); the target inspects both slots, finds the newest copy for a plan, restores it into parts of the size its
 * header claims (when that is small), then saves over the store and checks that the new copy is the newest and reads
 * back exactly. When the first byte is odd both headers get their CRCs fixed up, so mutations reach the fields
 * behind them. A save into a store whose bytes are anything must never touch the copy it keeps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nt/bytes.h"
#include "nt/crc32.h"
#include "nt/slots.h"

#define MAX_SLOT_BYTES 4096u

typedef struct store_mem {
    uint8_t *bytes;
    uint32_t len;
} store_mem_t;

static nt_status mem_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
    store_mem_t *m = (store_mem_t *)ctx;
    if (offset > m->len || len > m->len - offset) {
        return NT_ERR_STORAGE;
    }
    memcpy(buf, m->bytes + offset, len);
    return NT_OK;
}

static nt_status mem_write(void *ctx, uint32_t offset, const void *buf, uint32_t len)
{
    store_mem_t *m = (store_mem_t *)ctx;
    if (offset > m->len || len > m->len - offset) {
        return NT_ERR_STORAGE;
    }
    memcpy(m->bytes + offset, buf, len);
    return NT_OK;
}

typedef struct blob {
    uint8_t *bytes;
    uint32_t len;
} blob_t;

/* Two parts, split at a third, so part boundaries are exercised. */
static uint8_t *blob_part(void *ctx, uint32_t index, uint32_t *bytes)
{
    blob_t *b = (blob_t *)ctx;
    const uint32_t cut = b->len / 3u;
    *bytes = index == 0 ? cut : b->len - cut;
    return index == 0 ? b->bytes : b->bytes + cut;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2u || size > 1u + 2u * MAX_SLOT_BYTES) {
        return 0;
    }
    const uint32_t slot_bytes = (uint32_t)(size - 1u) / 2u;
    store_mem_t mem = { (uint8_t *)malloc(2u * slot_bytes + 1u), 2u * slot_bytes };
    memcpy(mem.bytes, data + 1, mem.len);
    if ((data[0] & 1u) != 0u && slot_bytes >= NT_SLOT_HEADER_BYTES) {
        for (uint32_t s = 0; s < NT_SLOT_COUNT; ++s) {
            uint8_t *h = mem.bytes + s * slot_bytes;
            const uint32_t n = nt_rd32(h + 16);
            if (n <= slot_bytes - NT_SLOT_HEADER_BYTES) {
                nt_wr32(h + 20, nt_crc32_update(0, h + NT_SLOT_HEADER_BYTES, n));
            }
            nt_wr32(h + 28, nt_crc32_update(0, h, 28u));
        }
    }
    const nt_slot_store_t store = { &mem, slot_bytes, mem_read, mem_write, NULL };
    uint32_t plan_crc = 0, data_bytes = 0, top_sequence = 0;
    for (uint32_t s = 0; s < NT_SLOT_COUNT; ++s) {
        nt_slot_info_t info;
        if (nt_slot_inspect(&store, s, &info) == NT_OK && info.valid) {
            if (info.data_bytes > slot_bytes - NT_SLOT_HEADER_BYTES) {
                abort(); /* a header claiming more than its slot must not pass */
            }
            top_sequence = info.sequence > top_sequence ? info.sequence : top_sequence;
            plan_crc = info.plan_crc;
            data_bytes = info.data_bytes;
        }
    }
    blob_t weights = { (uint8_t *)malloc(data_bytes + 1u), data_bytes };
    const nt_slot_parts_t parts = { 2, &weights, blob_part };
    const int32_t newest = nt_slots_newest(&store, plan_crc, data_bytes);
    if (newest >= 0) {
        if (nt_slots_restore(&store, (uint32_t)newest, plan_crc, &parts) != NT_OK) {
            abort(); /* the newest valid copy always restores */
        }
    }
    /* Save new weights over whatever the store holds: the kept copy stays byte for byte, the new one wins. */
    for (uint32_t i = 0; i < weights.len; ++i) {
        weights.bytes[i] = (uint8_t)(weights.bytes[i] + 1u + i);
    }
    uint8_t *before = (uint8_t *)malloc(mem.len + 1u);
    memcpy(before, mem.bytes, mem.len);
    uint32_t slot = 0, sequence = 0;
    const nt_status st = nt_slots_save(&store, plan_crc, &parts, &slot, &sequence);
    if (st == NT_OK) {
        if (newest >= 0 && (slot == (uint32_t)newest ||
                            memcmp(before + (uint32_t)newest * slot_bytes, mem.bytes + (uint32_t)newest * slot_bytes,
                                   slot_bytes) != 0)) {
            abort();
        }
        if (nt_slots_newest(&store, plan_crc, data_bytes) != (int32_t)slot) {
            abort();
        }
        blob_t back = { (uint8_t *)malloc(data_bytes + 1u), data_bytes };
        const nt_slot_parts_t into = { 2, &back, blob_part };
        if (nt_slots_restore(&store, slot, plan_crc, &into) != NT_OK || memcmp(back.bytes, weights.bytes, data_bytes) != 0) {
            abort();
        }
        free(back.bytes);
    } else if (st == NT_ERR_STORAGE ? top_sequence < NT_SLOT_SEQUENCE_MAX
                                    : st != NT_ERR_NO_MEMORY || slot_bytes >= NT_SLOT_HEADER_BYTES + data_bytes) {
        abort(); /* only a full sequence or a slot too small for the parts may refuse */
    }
    free(before);
    free(weights.bytes);
    free(mem.bytes);
    return 0;
}
