/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) used by plans, frames and weight slots. */
#ifndef NT_CRC32_H
#define NT_CRC32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Continues a CRC-32 over `len` bytes.
 *
 * crc' = ~update(~crc, data): start with crc = 0 for a fresh checksum, and pass the previous
 * result to continue over a further chunk (chunked and one-shot give the same value).
 *
 * @param crc   previous result, 0 to start
 * @param data  bytes to add; may be NULL only when len is 0
 * @param len   number of bytes
 * @return the CRC-32 of everything seen so far ("123456789" gives 0xCBF43926)
 */
uint32_t nt_crc32_update(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* NT_CRC32_H */
