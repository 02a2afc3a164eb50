/* Status codes returned by every public nanoTrain C function. */
#ifndef NT_STATUS_H
#define NT_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/** Result of a public engine call. NT_OK is zero; every failure is a named, stable value. */
typedef enum nt_status {
    NT_OK = 0,
    NT_ERR_ARG = 1,          /**< a pointer or size argument is invalid */
    NT_ERR_MAGIC = 2,        /**< a container does not start with the expected magic */
    NT_ERR_VERSION = 3,      /**< a container has an unsupported version */
    NT_ERR_CRC = 4,          /**< a checksum does not match the content */
    NT_ERR_TRUNCATED = 5,    /**< a container is shorter than its header says */
    NT_ERR_RANGE = 6,        /**< an offset, length or index lies outside its bounds */
    NT_ERR_UNKNOWN_OP = 7,   /**< an op id is not one the engine implements */
    NT_ERR_NO_MEMORY = 8,    /**< the caller-given arena is too small */
    NT_ERR_BOARD = 9,        /**< a plan was built for another board */
    NT_ERR_STATE = 10,       /**< the call is not valid in the current state */
    NT_ERR_FRAME = 11,       /**< a protocol frame is malformed (bad COBS, header or length) */
    NT_ERR_SEQUENCE = 12,    /**< a protocol request or chunk arrived out of order */
    NT_ERR_UNSUPPORTED = 13, /**< an unknown message type, or an operation this board cannot do */
    NT_ERR_STORAGE = 14,     /**< reading or writing persistent storage failed */
    NT_ERR_FAULT = 15        /**< a run-time check failed (stack or arena guard words, the step budget): memory is not
                              *   trusted, so the weights in it are not saved; the device restarts from its last save */
} nt_status;

/** Stable lower-case name of a status, for logs and error frames ("ok", "crc", ...). */
const char *nt_status_name(nt_status status);

#ifdef __cplusplus
}
#endif

#endif /* NT_STATUS_H */
