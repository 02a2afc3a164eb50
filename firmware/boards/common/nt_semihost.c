#include "nt_board.h"

#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static inline uint32_t semihost_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void nt_board_exit(int status)
{
    /* SYS_EXIT_EXTENDED carries the status itself; QEMU exits with it. */
    const uint32_t block[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status };
    semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, block);
    for (;;) {
        __asm__ volatile("bkpt 0");
    }
}
