#include "nt_board.h"

void nt_uart_init(void);
void nt_counter_start(void);

const nt_board_region_t nt_board_banks[NT_BOARD_BANK_COUNT] = NT_BOARD_BANKS_INIT;
const nt_board_region_t nt_board_flash = NT_BOARD_FLASH_INIT;

/* The host runner reads this section from the ELF to refuse an image built for another board. */
__attribute__((section(".nt_board_info"), used)) const char nt_board_info[] = "nanotrain-board:" NT_BOARD_ID;

extern uint8_t __nt_plan_slot_start[];
extern uint8_t __nt_plan_slot_end[];
extern uint8_t __nt_image_end[];
extern uint8_t __stack_start[];
extern uint8_t __stack_end[];

/* The host reads the plan slot's place from the ELF ("NTPS", start, end) to flash a plan there. */
__attribute__((section(".nt_plan_slot_info"), used)) const uint32_t nt_plan_slot_info[3] = {
    0x5350544Eu, (uint32_t)(uintptr_t)__nt_plan_slot_start, (uint32_t)(uintptr_t)__nt_plan_slot_end
};

uint8_t *nt_board_plan_slot(uint32_t *bytes)
{
    *bytes = (uint32_t)(__nt_plan_slot_end - __nt_plan_slot_start);
    return __nt_plan_slot_start;
}

uint32_t nt_board_flash_used(void)
{
    return (uint32_t)(uintptr_t)__nt_image_end - nt_board_flash.base;
}

void nt_board_stack(uint8_t **lowest, uint8_t **top)
{
    *lowest = __stack_start;
    *top = __stack_end;
}

#if defined(__riscv)
/* QEMU virt's test device: writing 0x7777 resets the machine. */
#define VIRT_TEST (*(volatile uint32_t *)0x00100000u)

void nt_board_reset(void)
{
    __asm__ volatile("fence" ::: "memory");
    VIRT_TEST = 0x7777u;
    for (;;) {
    }
}
#else
#define SCB_AIRCR (*(volatile uint32_t *)0xE000ED0Cu)

void nt_board_reset(void)
{
    __asm__ volatile("dsb" ::: "memory");
    SCB_AIRCR = 0x05FA0004u; /* VECTKEY | SYSRESETREQ */
    __asm__ volatile("dsb" ::: "memory");
    for (;;) {
    }
}
#endif

/* An app that arms the step watchdog reports its own fault first (the trainer does); any other just restarts. */
__attribute__((weak)) void nt_board_watchdog_expired(void)
{
    nt_board_reset();
}

void nt_board_init(void)
{
    nt_uart_init();
    nt_counter_start();
}

void nt_print(const char *text)
{
    size_t len = 0;
    while (text[len] != '\0') {
        ++len;
    }
    nt_uart_write(text, len);
}

void nt_print_u64(uint64_t value)
{
    char digits[21];
    size_t pos = sizeof digits;
    do {
        digits[--pos] = (char)('0' + (int)(value % 10u));
        value /= 10u;
    } while (value != 0u);
    nt_uart_write(&digits[pos], sizeof digits - pos);
}

void nt_print_hex32(uint32_t value)
{
    static const char hex[] = "0123456789abcdef";
    char text[10] = { '0', 'x' };
    for (int i = 0; i < 8; ++i) {
        text[2 + i] = hex[(value >> (28 - 4 * i)) & 0xFu];
    }
    nt_uart_write(text, sizeof text);
}
