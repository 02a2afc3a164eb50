#include "nt_board.h"

void nt_uart_init(void);
void nt_counter_start(void);

const nt_board_region_t nt_board_banks[NT_BOARD_BANK_COUNT] = NT_BOARD_BANKS_INIT;
const nt_board_region_t nt_board_flash = NT_BOARD_FLASH_INIT;

/* The host runner reads this section from the ELF to refuse an image built for another board. */
__attribute__((section(".nt_board_info"), used)) const char nt_board_info[] = "nanotrain-board:" NT_BOARD_ID;

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
