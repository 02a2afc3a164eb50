/* Cortex-M startup shared by every board: vector table, reset, fault reporting. */
#include <string.h>

#include "nt_board.h"

extern uint32_t __data_load[];
extern uint32_t __data_start[];
extern uint32_t __data_end[];
extern uint32_t __bss_start[];
extern uint32_t __bss_end[];
extern uint32_t __stack_end[];

int main(void);
void SysTick_Handler(void);
void Reset_Handler(void);
void nt_fault_handler(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)

/* Exit status reported when the core faults, distinct from the app's own codes. */
#define NT_EXIT_FAULT 99

void nt_fault_handler(void)
{
    nt_print("\nfault: cfsr=");
    nt_print_hex32(SCB_CFSR);
    nt_print(" hfsr=");
    nt_print_hex32(SCB_HFSR);
    nt_print("\n");
    nt_board_exit(NT_EXIT_FAULT);
}

__attribute__((section(".isr_vector"), used)) static void (*const vector_table[16])(void) = {
    (void (*)(void))__stack_end,
    Reset_Handler,
    nt_fault_handler, /* NMI */
    nt_fault_handler, /* HardFault */
    nt_fault_handler, /* MemManage */
    nt_fault_handler, /* BusFault */
    nt_fault_handler, /* UsageFault */
    0, 0, 0, 0,
    nt_fault_handler, /* SVCall */
    nt_fault_handler, /* DebugMon */
    0,
    nt_fault_handler, /* PendSV */
    SysTick_Handler,
};

void Reset_Handler(void)
{
    /* The FPU must be on before any code that may touch it; nothing above uses it. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    size_t data_bytes = (size_t)((char *)__data_end - (char *)__data_start);
    if (data_bytes != 0u && &__data_load[0] != &__data_start[0]) {
        memcpy(__data_start, __data_load, data_bytes);
    }
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));

    int status = main();
    nt_board_exit(status);
}
