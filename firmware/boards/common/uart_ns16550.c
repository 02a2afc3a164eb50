/* 16550 UART (QEMU riscv virt's console at 0x10000000; ESP32-C3 boards have their own UART, not ported). */
#include "nt_board.h"

#define UART_REG(off) (*(volatile uint8_t *)(NT_BOARD_UART_BASE + (off)))
#define UART_RBR UART_REG(0u)
#define UART_THR UART_REG(0u)
#define UART_FCR UART_REG(2u)
#define UART_LCR UART_REG(3u)
#define UART_LSR UART_REG(5u)
#define LSR_DR 0x01u
#define LSR_THRE 0x20u

void nt_uart_init(void)
{
    UART_LCR = 0x03u; /* 8N1 */
    UART_FCR = 0x01u; /* FIFOs on */
}

void nt_uart_write(const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    for (size_t i = 0; i < len; ++i) {
        while (!(UART_LSR & LSR_THRE)) {
        }
        UART_THR = p[i];
    }
}

uint8_t nt_uart_read_byte(void)
{
    while (!(UART_LSR & LSR_DR)) {
    }
    return UART_RBR;
}
