/* Learned weights kept across resets: two alternating slots, each a header and the trainable tensors'
 * bytes. A save always writes the slot that does not hold the newest good copy, data first and header
 * last, so an interrupted save leaves the previous copy as the newest valid one.
 *
 * Slot header (NT_SLOT_HEADER_BYTES, little-endian):
 *   0 u32 magic "NTWS"   4 u16 version   6 u16 header bytes   8 u32 sequence (newest wins, 1..NT_SLOT_SEQUENCE_MAX)
 *  12 u32 plan CRC (the plan these weights belong to)   16 u32 data bytes   20 u32 data CRC-32
 *  24 u32 reserved 0    28 u32 CRC-32 of bytes 0..27
 * The data follows the header. */
#ifndef NT_SLOTS_H
#define NT_SLOTS_H

#include <stdint.h>

#include "nt/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NT_SLOT_MAGIC 0x5357544Eu /* "NTWS" read as a little-endian u32 */
#define NT_SLOT_VERSION 1u
#define NT_SLOT_HEADER_BYTES 32u
#define NT_SLOT_COUNT 2u
/** Highest sequence a slot may carry (0 and 0xFFFFFFFF, erased flash, never vouch for a copy); once a slot holds it,
 * saves are refused (NT_ERR_STORAGE) rather than writing a copy that could not win. */
#define NT_SLOT_SEQUENCE_MAX 0xFFFFFFFEu

/**
 * Where the two slots live: slot k occupies bytes [k * slot_bytes, (k + 1) * slot_bytes) of the store.
 * read/write return NT_OK or NT_ERR_STORAGE; a region never written may read as anything. erase (NULL
 * when the medium needs none) prepares one whole slot for writing, as flash sectors need.
 */
typedef struct nt_slot_store {
    void *ctx;
    uint32_t slot_bytes;
    nt_status (*read)(void *ctx, uint32_t offset, void *buf, uint32_t len);
    nt_status (*write)(void *ctx, uint32_t offset, const void *buf, uint32_t len);
    nt_status (*erase)(void *ctx, uint32_t slot);
} nt_slot_store_t;

/** The bytes saved: `count` parts, part i at get(ctx, i, &bytes), concatenated in order. */
typedef struct nt_slot_parts {
    uint32_t count;
    void *ctx;
    uint8_t *(*get)(void *ctx, uint32_t index, uint32_t *bytes);
} nt_slot_parts_t;

/** What a slot holds. */
typedef struct nt_slot_info {
    uint8_t valid;       /**< header and data CRC both check */
    uint32_t sequence;
    uint32_t plan_crc;
    uint32_t data_bytes;
} nt_slot_info_t;

/** Reads slot `slot`'s header and checks it and its data's CRC. @return NT_OK (see info->valid) or NT_ERR_STORAGE. */
nt_status nt_slot_inspect(const nt_slot_store_t *store, uint32_t slot, nt_slot_info_t *info);

/**
 * The slot holding the newest valid copy for this plan and size, or -1 when there is none.
 */
int32_t nt_slots_newest(const nt_slot_store_t *store, uint32_t plan_crc, uint32_t data_bytes);

/**
 * Saves `parts` into the slot that is not the newest valid copy for this plan, with the next sequence
 * number. @return NT_OK, NT_ERR_NO_MEMORY (the parts do not fit a slot) or NT_ERR_STORAGE (the medium failed, or a
 * slot already holds NT_SLOT_SEQUENCE_MAX).
 */
nt_status nt_slots_save(const nt_slot_store_t *store, uint32_t plan_crc, const nt_slot_parts_t *parts, uint32_t *slot_out,
                        uint32_t *sequence_out);

/**
 * Copies slot `slot`'s data into `parts`, after checking again that it is valid for this plan and size.
 * @return NT_OK, NT_ERR_CRC (not a valid copy for this plan; parts untouched) or NT_ERR_STORAGE.
 */
nt_status nt_slots_restore(const nt_slot_store_t *store, uint32_t slot, uint32_t plan_crc, const nt_slot_parts_t *parts);

/** Total bytes of `parts`. */
uint32_t nt_slot_parts_bytes(const nt_slot_parts_t *parts);

#ifdef __cplusplus
}
#endif

#endif /* NT_SLOTS_H */
