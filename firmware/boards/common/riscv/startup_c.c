/* RISC-V startup in C: copies .data, zeroes .bss, runs main; a trap reports its cause and ends the run. */
#include <string.h>

#include "nt_board.h"

extern uint32_t __data_load[];
extern uint32_t __data_start[];
extern uint32_t __data_end[];
extern uint32_t __bss_start[];
extern uint32_t __bss_end[];

int main(void);
void nt_reset_c(void);
void nt_trap_handler(void);

/* Exit status reported when the core traps, distinct from the app's own codes (as a Cortex-M fault). */
#define NT_EXIT_FAULT 99

/* picolibc's thread-local data (errno): the thread pointer points here; it is zero like .tbss. */
__attribute__((aligned(64))) uint8_t nt_tls_block[256];

void nt_trap_handler(void)
{
    uint32_t cause, epc, tval;
    __asm__ volatile("csrr %0, mcause" : "=r"(cause));
    __asm__ volatile("csrr %0, mepc" : "=r"(epc));
    __asm__ volatile("csrr %0, mtval" : "=r"(tval));
    nt_print("\nfault: mcause=");
    nt_print_hex32(cause);
    nt_print(" mepc=");
    nt_print_hex32(epc);
    nt_print(" mtval=");
    nt_print_hex32(tval);
    nt_print("\n");
    nt_board_exit(NT_EXIT_FAULT);
}

void nt_reset_c(void)
{
    size_t data_bytes = (size_t)((char *)__data_end - (char *)__data_start);
    if (data_bytes != 0u && &__data_load[0] != &__data_start[0]) {
        memcpy(__data_start, __data_load, data_bytes);
    }
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));
    nt_board_exit(main());
}
