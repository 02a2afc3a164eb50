/* Test firmware that never exits: used to check that the host runner's time limit works. */
#include "nt_board.h"

int main(void)
{
    nt_board_init();
    nt_print("hang firmware: looping forever\n");
    for (;;) {
        __asm__ volatile("nop");
    }
}
