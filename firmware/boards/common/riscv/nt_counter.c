/* The instruction counter of RISC-V boards: the machine-mode minstret CSR, 64 bits read as two halves. Under QEMU
 * with -icount shift=0 it counts guest instructions exactly (one tick is one instruction). */
#include "nt_board.h"

void nt_counter_start(void);

static uint64_t origin;

static uint64_t instret(void)
{
    uint32_t hi, lo, hi2;
    do {
        __asm__ volatile("csrr %0, minstreth" : "=r"(hi));
        __asm__ volatile("csrr %0, minstret" : "=r"(lo));
        __asm__ volatile("csrr %0, minstreth" : "=r"(hi2));
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

void nt_counter_start(void)
{
    origin = instret();
}

uint64_t nt_counter_ticks(void)
{
    return instret() - origin;
}

/* minstret raises no interrupt: the app checks each step's ticks after it instead. */
void nt_board_watchdog_arm(uint64_t budget) { (void)budget; }

uint64_t nt_counter_ticks_to_instructions(uint64_t ticks)
{
    return ticks * NT_BOARD_INSN_PER_TICK_NUM / NT_BOARD_INSN_PER_TICK_DEN;
}
