/* Fuzz target: the protocol's stream decoder and frame parser, fed the input as received bytes. Every body the
 * decoder completes is parsed; a frame that parses is written back out (COBS) and must decode to the same body, and
 * its payload must lie inside the body. Half the inputs (first byte odd) get their CRCs fixed up frame by frame, so
 * mutations reach the fields behind the CRC check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nt/bytes.h"
#include "nt/crc32.h"
#include "nt/proto.h"

static uint8_t body[NT_PROTO_MAX_BODY];
static uint8_t again[NT_PROTO_MAX_BODY];
static uint8_t wire[2 * NT_PROTO_MAX_BODY + 16];
static uint32_t wire_len;

static void to_wire(const uint8_t *bytes, uint32_t len, void *ctx)
{
    (void)ctx;
    if (wire_len + len > sizeof wire) {
        abort(); /* nt_frame_encoded_bytes promised less */
    }
    memcpy(wire + wire_len, bytes, len);
    wire_len += len;
}

static void check_round_trip(const uint8_t *b, uint32_t len)
{
    wire_len = 0;
    nt_frame_write(b, len, to_wire, NULL);
    if (wire_len > nt_frame_encoded_bytes(len) || wire_len == 0u || wire[wire_len - 1u] != 0u) {
        abort();
    }
    nt_frame_decoder_t d;
    nt_frame_decoder_init(&d, again, sizeof again);
    int ready = 0;
    for (uint32_t i = 0; i < wire_len; ++i) {
        nt_status why;
        const nt_frame_event ev = nt_frame_decoder_push(&d, wire[i], &why);
        if (ev == NT_FRAME_BAD || (ev == NT_FRAME_READY && i + 1u != wire_len)) {
            abort();
        }
        ready = ev == NT_FRAME_READY;
    }
    if (!ready || d.len != len || memcmp(again, b, len) != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const int fix_crc = size != 0u && (data[0] & 1u) != 0u;
    nt_frame_decoder_t d;
    /* A buffer smaller than the largest body at times, so the overflow path runs too. */
    const uint32_t capacity = size != 0u && (data[0] & 2u) != 0u ? 64u : (uint32_t)sizeof body;
    nt_frame_decoder_init(&d, body, capacity);
    for (size_t i = 1; i < size; ++i) {
        nt_status why = NT_OK;
        const nt_frame_event ev = nt_frame_decoder_push(&d, data[i], &why);
        if (ev == NT_FRAME_BAD && why != NT_ERR_FRAME && why != NT_ERR_RANGE) {
            abort();
        }
        if (ev != NT_FRAME_READY) {
            continue;
        }
        if (d.len > capacity) {
            abort();
        }
        if (fix_crc && d.len >= NT_PROTO_HEADER_BYTES + NT_PROTO_CRC_BYTES) {
            nt_wr32(body + d.len - NT_PROTO_CRC_BYTES, nt_crc32_update(0, body, d.len - NT_PROTO_CRC_BYTES));
        }
        nt_frame_t frame;
        if (nt_frame_parse(body, d.len, &frame) == NT_OK) {
            if (frame.payload < body || frame.payload + frame.length > body + d.len ||
                frame.length > NT_PROTO_MAX_PAYLOAD) {
                abort();
            }
            check_round_trip(body, d.len);
        }
    }
    return 0;
}
