/* The board as an engine session sees it (nt/session.h): its banks' free memory, the weight slots, the counter. */
#include "nt_board.h"
#include "nt/session.h"

static nt_session_bank_t banks[NT_BOARD_BANK_COUNT];
static nt_session_board_t board;

const nt_session_board_t *nt_board_session(void)
{
    if (board.n_banks == 0u) {
        for (uint32_t b = 0; b < NT_BOARD_BANK_COUNT; ++b) {
            banks[b].name = nt_board_arenas[b].name;
            banks[b].start = nt_board_arenas[b].start;
            banks[b].limit = nt_board_arenas[b].limit;
        }
        board.id = NT_BOARD_ID;
        board.banks = banks;
        board.store = nt_board_slot_store();
        board.clock = nt_counter_ticks;
        board.to_instructions = nt_counter_ticks_to_instructions;
        board.n_banks = NT_BOARD_BANK_COUNT;
    }
    return &board;
}
