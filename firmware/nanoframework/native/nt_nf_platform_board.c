/* The firmware's platform for the nanoFramework API (nt_nf_device.h): the board port's banks, plan slot, weight
 * slots and instruction counter. A nanoCLR image for the board calls nt_nf_platform_board_attach once at start,
 * before managed code runs. Built for every board with the firmware (library nt_nanoframework); the nanoCLR image
 * around it is untested here. */
#include "nt_board.h"
#include "nt_nf_device.h"

void nt_nf_platform_board_attach(void);

static nt_session_bank_t banks[NT_BOARD_BANK_COUNT];
static nt_nf_platform_t board_platform;

void nt_nf_platform_board_attach(void)
{
    for (uint32_t b = 0; b < NT_BOARD_BANK_COUNT; ++b) {
        banks[b].name = nt_board_arenas[b].name;
        banks[b].start = nt_board_arenas[b].start;
        banks[b].limit = nt_board_arenas[b].limit;
    }
    uint32_t slot_bytes;
    board_platform.plan_buffer = nt_board_plan_slot(&slot_bytes);
    board_platform.plan_capacity = slot_bytes;
    board_platform.board.id = NT_BOARD_ID;
    board_platform.board.banks = banks;
    board_platform.board.n_banks = NT_BOARD_BANK_COUNT;
    board_platform.board.store = nt_board_slot_store();
    board_platform.board.clock = nt_counter_ticks;
    board_platform.board.to_instructions = nt_counter_ticks_to_instructions;
    board_platform.clock_hz = NT_BOARD_CLOCK_HZ;
    board_platform.flash_bytes = nt_board_flash.size;
    nt_nf_attach(&board_platform);
}
