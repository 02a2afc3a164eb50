#include "nt/crc32.h"

/* Bitwise, table-free: the engine has no RAM to spare for a 1 KB table, and CRCs run only at
 * load/save time, never in a training step. */
uint32_t nt_crc32_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
    for (size_t i = 0; i < len; ++i) {
        c ^= p[i];
        for (int bit = 0; bit < 8; ++bit) {
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}
