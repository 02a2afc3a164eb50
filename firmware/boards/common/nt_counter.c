#include "nt_board.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)NT_SYST_CVR_ADDR)

#define SYST_RELOAD 0x00FFFFFFu

static volatile uint32_t systick_wraps;
static volatile uint64_t watchdog_deadline; /* 0: disarmed */

void SysTick_Handler(void)
{
    ++systick_wraps;
    const uint64_t deadline = watchdog_deadline;
    if (deadline != 0u && ((uint64_t)systick_wraps << 24) >= deadline) {
        watchdog_deadline = 0u;
        nt_board_watchdog_expired();
    }
}

void nt_board_watchdog_arm(uint64_t budget)
{
    watchdog_deadline = budget == 0u ? 0u : nt_counter_ticks() + budget;
}

__attribute__((weak)) void nt_board_watchdog_expired(void)
{
    nt_board_reset();
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
