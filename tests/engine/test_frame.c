/* Protocol frames: COBS round trips for every body shape (zeros, 254-byte runs, empty), resynchronisation
 * after garbage, and every malformed frame the decoder or parser must refuse. */
#include <stdint.h>
#include <string.h>

#include "nt/crc32.h"
#include "nt/proto.h"
#include "nt_test.h"

static uint64_t state = 0x243F6A8885A308D3ull;

static uint32_t next(void)
{
    nt_test_xorshift(&state);
    return (uint32_t)(state >> 16);
}

typedef struct wire {
    uint8_t bytes[2 * NT_PROTO_MAX_BODY];
    uint32_t len;
} wire_t;

static void sink(const uint8_t *bytes, uint32_t len, void *ctx)
{
    wire_t *w = (wire_t *)ctx;
    NT_CHECK(w->len + len <= sizeof w->bytes);
    memcpy(w->bytes + w->len, bytes, len);
    w->len += len;
}

static uint8_t decoded[NT_PROTO_MAX_BODY];

/* Feeds the wire to a decoder; returns the number of READY events, the last body in decoded/len. */
static int feed(const wire_t *w, nt_frame_decoder_t *d, int *bad, nt_status *why)
{
    int ready = 0;
    for (uint32_t i = 0; i < w->len; ++i) {
        nt_frame_event e = nt_frame_decoder_push(d, w->bytes[i], why);
        ready += e == NT_FRAME_READY;
        *bad += e == NT_FRAME_BAD;
    }
    return ready;
}

static void round_trip(const uint8_t *body, uint32_t len)
{
    static wire_t w;
    w.len = 0;
    nt_frame_write(body, len, sink, &w);
    NT_CHECK(w.len <= nt_frame_encoded_bytes(len));
    for (uint32_t i = 0; i + 1 < w.len; ++i) {
        NT_CHECK(w.bytes[i] != 0u);
    }
    NT_CHECK_EQ_U(0, w.bytes[w.len - 1]);
    nt_frame_decoder_t d;
    nt_frame_decoder_init(&d, decoded, sizeof decoded);
    int bad = 0;
    nt_status why = NT_OK;
    NT_CHECK_EQ_U(1, feed(&w, &d, &bad, &why));
    NT_CHECK_EQ_U(0, bad);
    NT_CHECK_EQ_U(len, d.len);
    NT_CHECK(memcmp(body, decoded, len) == 0);
}

int main(void)
{
    static uint8_t body[NT_PROTO_MAX_BODY];
    /* Bodies around the 254-byte block boundary, all zero, no zero, zero at the ends. */
    const uint32_t lengths[] = { 0, 1, 2, 253, 254, 255, 256, 508, 509, 1000, NT_PROTO_MAX_BODY };
    for (uint32_t li = 0; li < sizeof lengths / sizeof lengths[0]; ++li) {
        const uint32_t n = lengths[li];
        for (int fill = 0; fill < 5; ++fill) {
            for (uint32_t i = 0; i < n; ++i) {
                body[i] = fill == 0 ? 0u : fill == 1 ? 0xA5u : fill == 2 ? (uint8_t)(next() | 1u) : (uint8_t)next();
            }
            if (fill == 4 && n > 0) {
                body[0] = 0;
                body[n - 1] = 0;
            }
            round_trip(body, n);
        }
    }
    for (int trial = 0; trial < 2000; ++trial) {
        const uint32_t n = next() % 1200u;
        for (uint32_t i = 0; i < n; ++i) {
            body[i] = (next() % 4u) == 0u ? 0u : (uint8_t)next();
        }
        round_trip(body, n);
    }

    /* A sealed frame parses; flipping any single byte of it is caught by the parser or the decoder. */
    static uint8_t frame[NT_PROTO_MAX_BODY];
    const char *text = "hello, device";
    memcpy(frame + NT_PROTO_HEADER_BYTES, text, strlen(text));
    const uint32_t total = nt_frame_seal(frame, NT_MSG_HELLO, 0, 0x1234u, (uint16_t)strlen(text));
    nt_frame_t f;
    NT_CHECK_EQ_U(NT_OK, nt_frame_parse(frame, total, &f));
    NT_CHECK_EQ_U(NT_MSG_HELLO, f.type);
    NT_CHECK_EQ_U(0x1234u, f.seq);
    NT_CHECK_EQ_U(strlen(text), f.length);
    NT_CHECK(memcmp(f.payload, text, f.length) == 0);
    for (uint32_t i = 0; i < total; ++i) {
        for (uint32_t bit = 0; bit < 8; ++bit) {
            frame[i] ^= (uint8_t)(1u << bit);
            NT_CHECK(nt_frame_parse(frame, total, &f) != NT_OK);
            frame[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* Truncated bodies: every length short of the whole. */
    for (uint32_t len = 0; len < total; ++len) {
        NT_CHECK(nt_frame_parse(frame, len, &f) != NT_OK);
    }
    NT_CHECK_EQ_U(NT_ERR_TRUNCATED, nt_frame_parse(frame, 3, &f));
    /* A length field larger than the maximum payload is refused even when the CRC is right. */
    static uint8_t big[NT_PROTO_MAX_BODY + 16];
    const uint32_t big_total = nt_frame_seal(big, NT_MSG_TRAIN, 0, 1, (uint16_t)(NT_PROTO_MAX_PAYLOAD + 1u));
    NT_CHECK_EQ_U(NT_ERR_FRAME, nt_frame_parse(big, big_total, &f));

    /* Garbage, an oversized frame and a broken COBS block, then a good frame: the decoder reports the
     * bad ones and still delivers the good one. */
    static wire_t w;
    w.len = 0;
    const uint8_t garbage[] = { 0x00, 0x00, 0x05, 0x11, 0x00 }; /* code 5 promises 4 bytes, gets 1 */
    sink(garbage, sizeof garbage, &w);
    for (uint32_t i = 0; i < NT_PROTO_MAX_BODY + 300u; ++i) {
        const uint8_t b = 0x01; /* 1-byte blocks: decodes to zeros, more than the buffer holds */
        sink(&b, 1, &w);
    }
    sink((const uint8_t *)"\0", 1, &w);
    nt_frame_write(frame, total, sink, &w);
    nt_frame_decoder_t d;
    nt_frame_decoder_init(&d, decoded, sizeof decoded);
    int bad = 0;
    nt_status why = NT_OK;
    NT_CHECK_EQ_U(1, feed(&w, &d, &bad, &why));
    NT_CHECK_EQ_U(2, bad);
    NT_CHECK_EQ_U(total, d.len);
    NT_CHECK_EQ_U(NT_OK, nt_frame_parse(decoded, d.len, &f));
    return 0;
}
