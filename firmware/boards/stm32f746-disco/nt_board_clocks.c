/* Build-only here (no STM32F746 to run on; Renode cannot be installed): STM32F746G-DISCO's console, USART1 on PA9 (TX)
 * and PB7 (RX), alternate function 7 (the ST-LINK virtual COM port). The core stays on the 16 MHz HSI it resets to. */
#include "nt_board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB2ENR REG(0x40023844u)
#define GPIOA 0x40020000u
#define GPIOB 0x40020400u
#define MODER 0x00u
#define AFRL 0x20u
#define AFRH 0x24u

void nt_board_clocks_init(void)
{
    RCC_AHB1ENR |= (1u << 0) | (1u << 1); /* GPIOA, GPIOB */
    RCC_APB2ENR |= 1u << 4;               /* USART1 */
    (void)RCC_APB2ENR;                    /* the enable takes effect before the first access (RM0385 5.2.12) */
    REG(GPIOA + MODER) = (REG(GPIOA + MODER) & ~(3u << 18)) | (2u << 18);
    REG(GPIOA + AFRH) = (REG(GPIOA + AFRH) & ~(0xFu << 4)) | (7u << 4);
    REG(GPIOB + MODER) = (REG(GPIOB + MODER) & ~(3u << 14)) | (2u << 14);
    REG(GPIOB + AFRL) = (REG(GPIOB + AFRL) & ~(0xFu << 28)) | (7u << 28);
}

/* 115200 baud from the 16 MHz APB2 clock. */
const uint32_t nt_board_uart_brr = 16000000u / 115200u;
