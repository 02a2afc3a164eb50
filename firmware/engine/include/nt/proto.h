/* The host <-> device protocol: frames on a byte stream (UART, USB-serial, an emulator's serial port).
 *
 * On the wire a frame is COBS(body) followed by one 0x00 byte, so a receiver can always find the next
 * frame after garbage. The body is
 *
 *   offset 0  u8  type     message type (nt_msg_type); a reply has NT_MSG_REPLY set
 *          1  u8  status   0 in requests; nt_status of the request in replies
 *          2  u16 seq      requests count up by one (HELLO may use any value and restarts the count);
 *                          a reply carries its request's seq
 *          4  u16 length   payload bytes, <= NT_PROTO_MAX_PAYLOAD
 *          6  u16 reserved 0
 *          8  payload
 *   8+length  u32 crc      CRC-32 (nt/crc32.h) of the header and the payload
 *
 * All integers little-endian. The payload of each message is documented at its type below; a reply
 * whose status is not NT_OK carries nt_proto_error_t's fields instead (u32 index, u8 section, then a
 * short ASCII detail, not NUL terminated). A frame that cannot be decoded at all is answered with
 * NT_MSG_ERROR and the seq it claimed (0 when even the header is unreadable). */
#ifndef NT_PROTO_H
#define NT_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "nt/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NT_PROTO_VERSION 1u
#define NT_PROTO_HEADER_BYTES 8u
#define NT_PROTO_CRC_BYTES 4u
#define NT_PROTO_MAX_PAYLOAD 8192u
/** Largest frame body: header, payload, CRC. */
#define NT_PROTO_MAX_BODY (NT_PROTO_HEADER_BYTES + NT_PROTO_MAX_PAYLOAD + NT_PROTO_CRC_BYTES)

/** Message types. Payloads (requests -> replies): */
typedef enum nt_msg_type {
    /** -> u16 protocol version, u16 max payload, u16 firmware version, u16 plan format version, char board[16], u32 clock Hz,
     *     u32 flash bytes, u32 flash used by the firmware, u32 plan slot bytes, u8 bank count, then per bank
     *     { char name[8], u32 base, u32 size, u32 free }, then u8 plan running, u32 plan CRC, u32 plan bytes,
     *     u32 restored weight-slot sequence (0: none), u8 status of starting the plan found in the plan slot
     *     at boot (0: started, or none there), then that failure's ASCII detail. */
    NT_MSG_HELLO = 0x01,
    /** u32 total bytes, u32 offset, bytes... -> u32 bytes received. Offset 0 starts a new plan; each chunk
     *  must continue where the last ended. When the last byte arrives the plan is checked and started. */
    NT_MSG_LOAD_PLAN = 0x02,
    /** f32 learning rate, the input tensor's bytes, the labels tensor's bytes -> f32 loss,
     *  u64 instructions per phase (forward, loss, backward dx, backward dW, update), u8 predictions[batch]. */
    NT_MSG_TRAIN = 0x03,
    /** the input tensor's bytes -> u64 forward instructions, u8 predictions[batch], f32 logits[batch * classes]. */
    NT_MSG_INFER = 0x04,
    /** -> u32 training steps, u32 stack bytes, u32 stack high-water bytes, u8 bank count, then per bank
     *  { char name[8], u32 free, u32 planned, u32 high-water } (bytes from the bank's arena base). */
    NT_MSG_STATS = 0x05,
    /** -> u32 slot, u32 sequence: the trainable tensors saved to the older of the two weight slots. */
    NT_MSG_SAVE = 0x06,
    /** -> empty; then the device resets itself (plan kept, newest weight slot restored on boot). */
    NT_MSG_RESET = 0x07,
    /** Elastic selection (nt/elastic.h): empty asks its state; f32 rho, u16 window, u16 calibration starts it (rho in
     *  (0, 1], calibration 1..5) or stops it (rho 0); f32 -1, u16 0, u16 0, u8 selected[candidates] sets the current
     *  selection (after calibration). -> u8 running, u8 calibrating, u16 candidates, u16 chosen, u16 selections made
     *  on a loss plateau, u32 steps, u32 selections, u64 instructions of a full step, of its forward and loss, of the
     *  backward budget, predicted for the current selection, of the last selection itself, then u8
     *  selected[candidates] (depth order from the loss).
     *  f32 -2, u16 first, u16 0 (after calibration) -> u16 first, u16 count, u64 instructions of a full step and of its
     *  forward and loss, then per candidate from `first` on: u32 t_dw, u32 t_dy (instructions; as many as fit). */
    NT_MSG_ELASTIC = 0x08,
    /** u64 step budget in counter ticks (0: the firmware's default) -> u64 the budget in force. A TRAIN or INFER step
     *  that runs past it is stopped by the board's watchdog (Cortex-M: SysTick) or refused right after it (RISC-V):
     *  the device answers NT_ERR_FAULT, then resets and restores its last saved weights. The stack guard words and
     *  (debug builds) the arena guard words are checked after each step and before a save in the same way. */
    NT_MSG_LIMITS = 0x09,
    /** device -> host only: a frame that could not be decoded (status says why). */
    NT_MSG_ERROR = 0x7F,
    NT_MSG_REPLY = 0x80
} nt_msg_type;

/** A decoded frame: header fields and a view of the payload inside the decoder's buffer. */
typedef struct nt_frame {
    uint8_t type;
    uint8_t status;
    uint16_t seq;
    uint16_t length;
    const uint8_t *payload;
} nt_frame_t;

/** Events of nt_frame_decoder_push. */
typedef enum nt_frame_event {
    NT_FRAME_MORE = 0,  /**< byte consumed, frame not complete */
    NT_FRAME_READY = 1, /**< a frame delimiter ended a well-formed COBS body: parse it with nt_frame_parse */
    NT_FRAME_BAD = 2    /**< a delimiter ended a body that is not valid COBS or did not fit the buffer */
} nt_frame_event;

/** Streaming COBS decoder into a caller-given buffer; no heap. */
typedef struct nt_frame_decoder {
    uint8_t *buf;
    uint32_t capacity;
    uint32_t len;       /**< decoded bytes so far (the body when NT_FRAME_READY) */
    uint8_t left;       /**< data bytes left in the current COBS block */
    uint8_t code;       /**< code byte of the current block */
    uint8_t overflow;   /**< the body outgrew the buffer; reported at the delimiter */
    uint8_t started;    /**< at least one byte of this frame arrived */
} nt_frame_decoder_t;

/** Starts a decoder writing into buf[capacity] (NT_PROTO_MAX_BODY bytes to take any frame). */
void nt_frame_decoder_init(nt_frame_decoder_t *d, uint8_t *buf, uint32_t capacity);

/**
 * Feeds one received byte. On NT_FRAME_READY the body is d->buf[0..d->len); on NT_FRAME_BAD `why` says
 * NT_ERR_FRAME (bad COBS) or NT_ERR_RANGE (longer than the buffer). Either way the decoder is ready for
 * the next frame on return. Empty frames (two delimiters in a row) are skipped.
 */
nt_frame_event nt_frame_decoder_push(nt_frame_decoder_t *d, uint8_t byte, nt_status *why);

/**
 * Checks a decoded body and fills `frame`: length >= header + CRC, the length field matches, reserved is
 * 0, the CRC matches. @return NT_OK, NT_ERR_TRUNCATED, NT_ERR_FRAME or NT_ERR_CRC. `frame` gets the header
 * fields whenever the header is readable, so an error reply can echo the seq.
 */
nt_status nt_frame_parse(const uint8_t *body, uint32_t len, nt_frame_t *frame);

/**
 * Writes header and CRC around a payload already at body[NT_PROTO_HEADER_BYTES..+length).
 * @return the body's total bytes (header + payload + CRC).
 */
uint32_t nt_frame_seal(uint8_t *body, uint8_t type, uint8_t status, uint16_t seq, uint16_t length);

/** Receives encoded bytes; `ctx` is passed through. */
typedef void (*nt_frame_sink_fn)(const uint8_t *bytes, uint32_t len, void *ctx);

/** COBS-encodes body[0..len) and the closing delimiter into `sink`, block by block (no buffer needed). */
void nt_frame_write(const uint8_t *body, uint32_t len, nt_frame_sink_fn sink, void *ctx);

/** At most the bytes nt_frame_write produces for a body of `len` bytes. */
uint32_t nt_frame_encoded_bytes(uint32_t len);

#ifdef __cplusplus
}
#endif

#endif /* NT_PROTO_H */
