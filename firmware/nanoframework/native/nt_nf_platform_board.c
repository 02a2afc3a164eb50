/* The firmware's platform for the nanoFramework API (nt_nf_device.h): the board port's banks, plan slot, weight
 * slots and instruction counter. A nanoCLR image for the board calls nt_nf_platform_board_attach once at start,
 * before managed code runs. Built for every board with the firmware (library nt_nanoframework); the nanoCLR image
 * around it is untested here. */
#include "nt_board.h"
#include "nt_nf_device.h"

void nt_nf_platform_board_attach(void);

static nt_nf_platform_t board_platform;

void nt_nf_platform_board_attach(void)
{
    uint32_t slot_bytes;
    board_platform.board = *nt_board_session();
    board_platform.plan_buffer = nt_board_plan_slot(&slot_bytes);
    board_platform.plan_capacity = slot_bytes;
    board_platform.clock_hz = NT_BOARD_CLOCK_HZ;
    board_platform.flash_bytes = nt_board_flash.size;
    nt_nf_attach(&board_platform);
}
