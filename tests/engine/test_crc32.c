#include <string.h>

#include "nt/crc32.h"
#include "nt_test.h"

int main(void)
{
    /* The standard check value of CRC-32/ISO-HDLC. */
    NT_CHECK_EQ_U(0xCBF43926u, nt_crc32_update(0, "123456789", 9));
    NT_CHECK_EQ_U(0u, nt_crc32_update(0, NULL, 0));
    NT_CHECK_EQ_U(0xE8B7BE43u, nt_crc32_update(0, "a", 1));

    /* Chunked equals one-shot for every split point. */
    const char *text = "The quick brown fox jumps over the lazy dog";
    size_t len = strlen(text);
    uint32_t whole = nt_crc32_update(0, text, len);
    NT_CHECK_EQ_U(0x414FA339u, whole);
    for (size_t split = 0; split <= len; ++split) {
        uint32_t part = nt_crc32_update(nt_crc32_update(0, text, split), text + split, len - split);
        NT_CHECK_EQ_U(whole, part);
    }

    /* A single flipped bit changes the checksum. */
    char copy[64];
    memcpy(copy, text, len);
    copy[10] ^= 0x01;
    NT_CHECK(nt_crc32_update(0, copy, len) != whole);
    return 0;
}
