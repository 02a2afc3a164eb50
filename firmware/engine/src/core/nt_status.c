#include "nt/status.h"

const char *nt_status_name(nt_status status)
{
    switch (status) {
    case NT_OK: return "ok";
    case NT_ERR_ARG: return "arg";
    case NT_ERR_MAGIC: return "magic";
    case NT_ERR_VERSION: return "version";
    case NT_ERR_CRC: return "crc";
    case NT_ERR_TRUNCATED: return "truncated";
    case NT_ERR_RANGE: return "range";
    case NT_ERR_UNKNOWN_OP: return "unknown-op";
    case NT_ERR_NO_MEMORY: return "no-memory";
    case NT_ERR_BOARD: return "board";
    case NT_ERR_STATE: return "state";
    case NT_ERR_FRAME: return "frame";
    case NT_ERR_SEQUENCE: return "sequence";
    case NT_ERR_UNSUPPORTED: return "unsupported";
    case NT_ERR_STORAGE: return "storage";
    case NT_ERR_FAULT: return "fault";
    }
    return "unknown";
}
