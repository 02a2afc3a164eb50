/* STM32F4 USART (netduinoplus2's USART1). */
#include "nt_board.h"

#define USART_SR (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x00u))
#define USART_DR (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x04u))
#define USART_BRR (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x08u))
#define USART_CR1 (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x0Cu))

#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_UE (1u << 13)
#define CR1_TE (1u << 3)
#define CR1_RE (1u << 2)

void nt_uart_init(void)
{
    /* 115200 baud from the 84 MHz APB2 clock of a 168 MHz F405; QEMU ignores the rate. */
    USART_BRR = 0x2D9u;
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE;
}

void nt_uart_write(const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    for (size_t i = 0; i < len; ++i) {
        while (!(USART_SR & SR_TXE)) {
        }
        USART_DR = p[i];
    }
}

uint8_t nt_uart_read_byte(void)
{
    while (!(USART_SR & SR_RXNE)) {
    }
    return (uint8_t)USART_DR;
}
