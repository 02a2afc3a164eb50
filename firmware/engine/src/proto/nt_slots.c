#include <string.h>

#include "nt/bytes.h"
#include "nt/crc32.h"
#include "nt/slots.h"

/* Data is checked and copied through this much stack at a time. */
#define CHUNK_BYTES 64u

uint32_t nt_slot_parts_bytes(const nt_slot_parts_t *parts)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < parts->count; ++i) {
        uint32_t bytes = 0;
        (void)parts->get(parts->ctx, i, &bytes);
        total += bytes;
    }
    return total;
}

static nt_status read_header(const nt_slot_store_t *store, uint32_t slot, nt_slot_info_t *info, uint32_t *data_crc)
{
    uint8_t h[NT_SLOT_HEADER_BYTES];
    memset(info, 0, sizeof *info);
    if (store->read(store->ctx, slot * store->slot_bytes, h, sizeof h) != NT_OK) {
        return NT_ERR_STORAGE;
    }
    const uint32_t data_bytes = nt_rd32(h + 16);
    if (nt_rd32(h) != NT_SLOT_MAGIC || nt_rd16(h + 4) != NT_SLOT_VERSION || nt_rd16(h + 6) != NT_SLOT_HEADER_BYTES ||
        nt_rd32(h + 24) != 0u || nt_crc32_update(0, h, 28u) != nt_rd32(h + 28) || nt_rd32(h + 8) == 0u || nt_rd32(h + 8) == NT_SLOT_SEQUENCE_MAX + 1u ||
        data_bytes > store->slot_bytes - NT_SLOT_HEADER_BYTES) {
        return NT_OK;
    }
    info->sequence = nt_rd32(h + 8);
    info->plan_crc = nt_rd32(h + 12);
    info->data_bytes = data_bytes;
    *data_crc = nt_rd32(h + 20);
    info->valid = 1;
    return NT_OK;
}

nt_status nt_slot_inspect(const nt_slot_store_t *store, uint32_t slot, nt_slot_info_t *info)
{
    uint32_t expected = 0;
    nt_status st = read_header(store, slot, info, &expected);
    if (st != NT_OK || !info->valid) {
        return st;
    }
    uint8_t chunk[CHUNK_BYTES];
    uint32_t crc = 0;
    const uint32_t base = slot * store->slot_bytes + NT_SLOT_HEADER_BYTES;
    for (uint32_t done = 0; done < info->data_bytes;) {
        const uint32_t n = info->data_bytes - done < CHUNK_BYTES ? info->data_bytes - done : CHUNK_BYTES;
        if (store->read(store->ctx, base + done, chunk, n) != NT_OK) {
            info->valid = 0;
            return NT_ERR_STORAGE;
        }
        crc = nt_crc32_update(crc, chunk, n);
        done += n;
    }
    info->valid = crc == expected;
    return NT_OK;
}

int32_t nt_slots_newest(const nt_slot_store_t *store, uint32_t plan_crc, uint32_t data_bytes)
{
    int32_t best = -1;
    uint32_t best_sequence = 0;
    for (uint32_t slot = 0; slot < NT_SLOT_COUNT; ++slot) {
        nt_slot_info_t info;
        if (nt_slot_inspect(store, slot, &info) == NT_OK && info.valid && info.plan_crc == plan_crc &&
            info.data_bytes == data_bytes && info.sequence > best_sequence) {
            best = (int32_t)slot;
            best_sequence = info.sequence;
        }
    }
    return best;
}

nt_status nt_slots_save(const nt_slot_store_t *store, uint32_t plan_crc, const nt_slot_parts_t *parts, uint32_t *slot_out,
                        uint32_t *sequence_out)
{
    const uint32_t data_bytes = nt_slot_parts_bytes(parts);
    if (store->slot_bytes < NT_SLOT_HEADER_BYTES || data_bytes > store->slot_bytes - NT_SLOT_HEADER_BYTES) {
        return NT_ERR_NO_MEMORY;
    }
    /* The next sequence follows every valid slot, whatever plan it was saved for. */
    uint32_t sequence = 0;
    for (uint32_t slot = 0; slot < NT_SLOT_COUNT; ++slot) {
        nt_slot_info_t info;
        if (nt_slot_inspect(store, slot, &info) == NT_OK && info.valid && info.sequence > sequence) {
            sequence = info.sequence;
        }
    }
    if (sequence >= NT_SLOT_SEQUENCE_MAX) {
        return NT_ERR_STORAGE; /* no later sequence left: the kept copy would win over the new one */
    }
    const int32_t keep = nt_slots_newest(store, plan_crc, data_bytes);
    const uint32_t target = keep == 0 ? 1u : 0u;
    const uint32_t base = target * store->slot_bytes;

    /* Invalidate the target first, so that a header left from an older save never vouches for new data. */
    uint8_t h[NT_SLOT_HEADER_BYTES];
    memset(h, 0, sizeof h);
    if (store->erase != NULL) {
        if (store->erase(store->ctx, target) != NT_OK) {
            return NT_ERR_STORAGE;
        }
    } else if (store->write(store->ctx, base, h, sizeof h) != NT_OK) {
        return NT_ERR_STORAGE;
    }
    uint32_t crc = 0, at = base + NT_SLOT_HEADER_BYTES;
    for (uint32_t i = 0; i < parts->count; ++i) {
        uint32_t bytes = 0;
        const uint8_t *data = parts->get(parts->ctx, i, &bytes);
        if (bytes != 0u && store->write(store->ctx, at, data, bytes) != NT_OK) {
            return NT_ERR_STORAGE;
        }
        crc = nt_crc32_update(crc, data, bytes);
        at += bytes;
    }
    ++sequence;
    nt_wr32(h, NT_SLOT_MAGIC);
    nt_wr16(h + 4, NT_SLOT_VERSION);
    nt_wr16(h + 6, NT_SLOT_HEADER_BYTES);
    nt_wr32(h + 8, sequence);
    nt_wr32(h + 12, plan_crc);
    nt_wr32(h + 16, data_bytes);
    nt_wr32(h + 20, crc);
    nt_wr32(h + 28, nt_crc32_update(0, h, 28u));
    if (store->write(store->ctx, base, h, sizeof h) != NT_OK) {
        return NT_ERR_STORAGE;
    }
    *slot_out = target;
    *sequence_out = sequence;
    return NT_OK;
}

nt_status nt_slots_restore(const nt_slot_store_t *store, uint32_t slot, uint32_t plan_crc, const nt_slot_parts_t *parts)
{
    nt_slot_info_t info;
    if (slot >= NT_SLOT_COUNT || nt_slot_inspect(store, slot, &info) != NT_OK) {
        return NT_ERR_STORAGE;
    }
    if (!info.valid || info.plan_crc != plan_crc || info.data_bytes != nt_slot_parts_bytes(parts)) {
        return NT_ERR_CRC;
    }
    uint32_t at = slot * store->slot_bytes + NT_SLOT_HEADER_BYTES;
    for (uint32_t i = 0; i < parts->count; ++i) {
        uint32_t bytes = 0;
        uint8_t *data = parts->get(parts->ctx, i, &bytes);
        if (bytes != 0u && store->read(store->ctx, at, data, bytes) != NT_OK) {
            return NT_ERR_STORAGE;
        }
        at += bytes;
    }
    return NT_OK;
}
