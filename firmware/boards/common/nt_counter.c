#include "nt_board.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)NT_SYST_CVR_ADDR)

#define SYST_RELOAD 0x00FFFFFFu

static volatile uint32_t systick_wraps;
/* The wrap count at which an armed watchdog fires; 0xFFFFFFFF when disarmed. One 32-bit compare per wrap keeps the
 * handler's cost (it runs inside every measured interval) to a few instructions. */
static volatile uint32_t watchdog_wrap = 0xFFFFFFFFu;

void SysTick_Handler(void)
{
    const uint32_t wraps = systick_wraps + 1u;
    systick_wraps = wraps;
    if (wraps == watchdog_wrap) {
        watchdog_wrap = 0xFFFFFFFFu;
        nt_board_watchdog_expired();
    }
}

void nt_board_watchdog_arm(uint64_t budget)
{
    /* The first wrap at or after the deadline (the watchdog's resolution is one wrap, 2^24 ticks). */
    const uint64_t wrap = budget == 0u ? 0xFFFFFFFFu : ((nt_counter_ticks() + budget) >> 24) + 1u;
    watchdog_wrap = wrap < 0xFFFFFFFFu ? (uint32_t)wrap : 0xFFFFFFFEu;
}

void nt_counter_start(void)
{
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0u;
    systick_wraps = 0u;
    /* ENABLE | TICKINT | CLKSOURCE=processor: the wrap interrupt extends the 24-bit counter. */
    SYST_CSR = 7u;
}

uint64_t nt_counter_ticks(void)
{
    uint32_t before;
    uint32_t value;
    uint32_t after;
    do {
        before = systick_wraps;
        value = SYST_CVR;
        after = systick_wraps;
    } while (before != after);
    return ((uint64_t)before << 24) + (uint64_t)(SYST_RELOAD - value);
}

uint64_t nt_counter_ticks_to_instructions(uint64_t ticks)
{
    return ticks * NT_BOARD_INSN_PER_TICK_NUM / NT_BOARD_INSN_PER_TICK_DEN;
}
