/* CMSDK APB UART (the mps2 boards' console UART0). */
#include "nt_board.h"

#define UART_DATA (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x08u))
#define UART_BAUDDIV (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x10u))

#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u

void nt_uart_init(void)
{
    UART_BAUDDIV = 16u;
    UART_CTRL = 0x3u; /* TX and RX enabled, no interrupts */
}

void nt_uart_write(const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    for (size_t i = 0; i < len; ++i) {
        while (UART_STATE & STATE_TX_FULL) {
        }
        UART_DATA = p[i];
    }
}

uint8_t nt_uart_read_byte(void)
{
    while (!(UART_STATE & STATE_RX_FULL)) {
    }
    return (uint8_t)UART_DATA;
}
