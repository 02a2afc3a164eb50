/* Build-only here (no STM32H743 to run on; Renode cannot be installed): NUCLEO-H743ZI's console, USART3 on PD8 (TX) and
 * PD9 (RX), alternate function 7 (the ST-LINK virtual COM port). The core stays on the 64 MHz HSI it resets to. */
#include "nt_board.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_AHB4ENR REG(0x580244E0u)
#define RCC_APB1LENR REG(0x580244E8u)
#define GPIOD 0x58020C00u
#define MODER 0x00u
#define AFRH 0x24u

void nt_board_clocks_init(void)
{
    RCC_AHB4ENR |= 1u << 3;    /* GPIOD */
    RCC_APB1LENR |= 1u << 18;  /* USART3 */
    (void)RCC_APB1LENR;        /* the enable takes effect before the first access */
    REG(GPIOD + MODER) = (REG(GPIOD + MODER) & ~(0xFu << 16)) | (0xAu << 16);
    REG(GPIOD + AFRH) = (REG(GPIOD + AFRH) & ~0xFFu) | 0x77u;
}

/* 115200 baud from the 64 MHz APB1 clock (HSI, dividers at reset). */
const uint32_t nt_board_uart_brr = 64000000u / 115200u;
