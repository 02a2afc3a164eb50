#include "nt/bytes.h"
#include "nt/crc32.h"
#include "nt/proto.h"

/* COBS: a body is sent as blocks, each a code byte n (1..255) followed by n-1 non-zero data bytes; a
 * block with n < 255 stands for its data followed by one zero, except the last block of the frame. */
#define COBS_MAX_CODE 0xFFu

void nt_frame_decoder_init(nt_frame_decoder_t *d, uint8_t *buf, uint32_t capacity)
{
    d->buf = buf;
    d->capacity = capacity;
    d->len = 0;
    d->left = 0;
    d->code = COBS_MAX_CODE;
    d->overflow = 0;
    d->started = 0;
}

static void append(nt_frame_decoder_t *d, uint8_t value)
{
    if (d->len < d->capacity) {
        d->buf[d->len++] = value;
    } else {
        d->overflow = 1;
    }
}

nt_frame_event nt_frame_decoder_push(nt_frame_decoder_t *d, uint8_t byte, nt_status *why)
{
    if (byte == 0u) {
        if (!d->started) {
            return NT_FRAME_MORE;
        }
        d->started = 0;
        if (d->left != 0u) {
            *why = NT_ERR_FRAME;
            return NT_FRAME_BAD;
        }
        if (d->overflow) {
            *why = NT_ERR_RANGE;
            return NT_FRAME_BAD;
        }
        return NT_FRAME_READY;
    }
    if (!d->started) {
        /* The previous frame's body stays readable until the first byte of the next one. */
        d->started = 1;
        d->len = 0;
        d->overflow = 0;
        d->left = 0;
        d->code = COBS_MAX_CODE;
    }
    if (d->left == 0u) {
        if (d->code != COBS_MAX_CODE) {
            append(d, 0u);
        }
        d->code = byte;
        d->left = (uint8_t)(byte - 1u);
    } else {
        append(d, byte);
        --d->left;
    }
    return NT_FRAME_MORE;
}

nt_status nt_frame_parse(const uint8_t *body, uint32_t len, nt_frame_t *frame)
{
    frame->type = 0;
    frame->status = 0;
    frame->seq = 0;
    frame->length = 0;
    frame->payload = body + (len >= NT_PROTO_HEADER_BYTES ? NT_PROTO_HEADER_BYTES : 0u);
    if (len < NT_PROTO_HEADER_BYTES) {
        return NT_ERR_TRUNCATED;
    }
    frame->type = body[0];
    frame->status = body[1];
    frame->seq = nt_rd16(body + 2);
    frame->length = nt_rd16(body + 4);
    if (len < NT_PROTO_HEADER_BYTES + NT_PROTO_CRC_BYTES ||
        (uint32_t)frame->length + NT_PROTO_HEADER_BYTES + NT_PROTO_CRC_BYTES > len) {
        return NT_ERR_TRUNCATED;
    }
    if ((uint32_t)frame->length + NT_PROTO_HEADER_BYTES + NT_PROTO_CRC_BYTES != len || frame->length > NT_PROTO_MAX_PAYLOAD ||
        nt_rd16(body + 6) != 0u) {
        return NT_ERR_FRAME;
    }
    const uint32_t covered = NT_PROTO_HEADER_BYTES + frame->length;
    return nt_crc32_update(0, body, covered) == nt_rd32(body + covered) ? NT_OK : NT_ERR_CRC;
}

uint32_t nt_frame_seal(uint8_t *body, uint8_t type, uint8_t status, uint16_t seq, uint16_t length)
{
    body[0] = type;
    body[1] = status;
    nt_wr16(body + 2, seq);
    nt_wr16(body + 4, length);
    nt_wr16(body + 6, 0);
    const uint32_t covered = NT_PROTO_HEADER_BYTES + length;
    nt_wr32(body + covered, nt_crc32_update(0, body, covered));
    return covered + NT_PROTO_CRC_BYTES;
}

void nt_frame_write(const uint8_t *body, uint32_t len, nt_frame_sink_fn sink, void *ctx)
{
    static const uint8_t delimiter = 0u;
    uint32_t start = 0;
    for (;;) {
        uint32_t run = 0;
        while (start + run < len && body[start + run] != 0u && run < COBS_MAX_CODE - 1u) {
            ++run;
        }
        const uint8_t code = (uint8_t)(run + 1u);
        sink(&code, 1u, ctx);
        sink(body + start, run, ctx);
        start += run;
        if (start == len) {
            break;
        }
        if (code != COBS_MAX_CODE) {
            ++start; /* the zero this block stands for */
            if (start == len) {
                /* The body ended in a zero: one empty block carries it. */
                sink((const uint8_t *)"\x01", 1u, ctx);
                break;
            }
        }
    }
    sink(&delimiter, 1u, ctx);
}

uint32_t nt_frame_encoded_bytes(uint32_t len)
{
    /* At most: one code byte per 254 data bytes and one more, plus the delimiter (a zero in the body
     * becomes the next block's code, so it adds nothing). */
    return len + len / (COBS_MAX_CODE - 1u) + 2u;
}
