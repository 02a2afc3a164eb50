/* Arena guard words of a session (host builds have them): intact guards pass; one overwritten word faults the session,
 * names the space, and from then on training, inference and saving answer NT_ERR_FAULT, so memory that is not
 * trusted never reaches the weight slots. */
#include <string.h>

#include "nt/session.h"
#include "nt_test.h"

int main(void)
{
    NT_CHECK(NT_SESSION_GUARD_BYTES >= 8u);
    static nt_session_t s;
    static uint32_t guard_a[NT_SESSION_GUARD_BYTES / 4u], guard_b[NT_SESSION_GUARD_BYTES / 4u];
    for (uint32_t w = 0; w < NT_SESSION_GUARD_BYTES / 4u; ++w) {
        guard_a[w] = NT_SESSION_GUARD_WORD;
        guard_b[w] = NT_SESSION_GUARD_WORD;
    }
    static const nt_session_bank_t bank = { "arena", NULL, NULL };
    static const nt_session_board_t board = { "", &bank, 1, NULL, NULL, NULL };
    s.board = &board;
    s.running = 1;
    s.plan.n_spaces = 3;
    s.guards[1] = guard_a;
    s.guards[2] = guard_b;
    nt_failure_t f;
    NT_CHECK_EQ_U(NT_OK, nt_session_check(&s, &f));
    NT_CHECK_EQ_U(0, s.faulted);

    guard_b[NT_SESSION_GUARD_BYTES / 4u - 1u] ^= 1u; /* one bit past the end of space 2 */
    NT_CHECK_EQ_U(NT_ERR_FAULT, nt_session_check(&s, &f));
    NT_CHECK_EQ_U(NT_ERR_FAULT, f.status);
    NT_CHECK_EQ_U(2, f.index);
    NT_CHECK(strstr(f.detail, "past the end of memory space 2") != NULL);
    NT_CHECK_EQ_U(1, s.faulted);

    /* Faulted: even with the guard mended, nothing trains, infers or saves until the session starts again. */
    guard_b[NT_SESSION_GUARD_BYTES / 4u - 1u] ^= 1u;
    uint8_t labels[1] = { 0 };
    uint32_t slot, sequence;
    s.plan.loss = 0;
    NT_CHECK_EQ_U(NT_ERR_FAULT, nt_session_train(&s, labels, 0.1f, NULL, NULL));
    NT_CHECK_EQ_U(NT_ERR_FAULT, nt_session_infer(&s, NULL, NULL));
    static const nt_slot_store_t store = { NULL, 64, NULL, NULL, NULL }; /* never touched: the fault is refused first */
    static const nt_session_board_t with_store = { "", &bank, 1, &store, NULL, NULL };
    s.board = &with_store;
    NT_CHECK_EQ_U(NT_ERR_FAULT, nt_session_save(&s, &slot, &sequence));
    return 0;
}
