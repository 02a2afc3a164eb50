/* Build-only here (no STM32F7/H7 to run on; Renode cannot be installed). STM32F7/H7 USART (ISR/RDR/TDR layout): the
 * console of the chip boards (stm32f746-disco, nucleo-h743zi). The board's nt_board_clocks.c enables the clocks, routes
 * the pins and gives the baud divider. */
#include "nt_board.h"

#define USART_CR1 (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x00u))
#define USART_BRR (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x0Cu))
#define USART_ISR (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x1Cu))
#define USART_RDR (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x24u))
#define USART_TDR (*(volatile uint32_t *)(NT_BOARD_UART_BASE + 0x28u))

#define ISR_RXNE (1u << 5)
#define ISR_TXE (1u << 7)
#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)

void nt_board_clocks_init(void);
extern const uint32_t nt_board_uart_brr;

void nt_uart_init(void)
{
    nt_board_clocks_init();
    USART_BRR = nt_board_uart_brr;
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE;
}

void nt_uart_write(const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    for (size_t i = 0; i < len; ++i) {
        while (!(USART_ISR & ISR_TXE)) {
        }
        USART_TDR = p[i];
    }
}

uint8_t nt_uart_read_byte(void)
{
    while (!(USART_ISR & ISR_RXNE)) {
    }
    return (uint8_t)USART_RDR;
}
