/* Smoke firmware: reports the board's facts over the UART, checks every SRAM bank answers at its
 * first and last word, and measures calibration loops of exactly known instruction counts with
 * the board's counter. Output is one "key: value" fact per line, read by the host runner. */
#include "nt_board.h"

/* Raw SysTick check: 2*N + 2 instructions between the two counter reads (see calib.S). */
#define CALIB_RAW_ITERATIONS 1000000u
/* Counter API check across SysTick wraps: 2*N + 1 instructions inside the measured call. */
#define CALIB_LONG_ITERATIONS 350000000u

static void print_fact_u64(const char *key, uint64_t value)
{
    nt_print(key);
    nt_print(": ");
    nt_print_u64(value);
    nt_print("\n");
}

static void print_region(const char *kind, const nt_board_region_t *region)
{
    nt_print(kind);
    nt_print(": ");
    nt_print(region->name);
    nt_print(" ");
    nt_print_hex32(region->base);
    nt_print(" ");
    nt_print_u64(region->size);
    nt_print("\n");
}

/* Writes and reads back a pattern at the first and last word of a bank; restores both words. */
static int bank_answers(const nt_board_region_t *bank)
{
    volatile uint32_t *first = (volatile uint32_t *)bank->base;
    volatile uint32_t *last = (volatile uint32_t *)(bank->base + bank->size - 4u);
    uint32_t saved_first = *first;
    uint32_t saved_last = *last;
    *first = 0xA5C3F00Du ^ bank->base;
    *last = 0x5A3C0FF0u ^ bank->size;
    int ok = *first == (0xA5C3F00Du ^ bank->base) && *last == (0x5A3C0FF0u ^ bank->size);
    *first = saved_first;
    *last = saved_last;
    return ok;
}

static volatile float fpu_operand = 1.5f;

int main(void)
{
    nt_board_init();
    nt_print("nanotrain smoke firmware\n");
    nt_print("board: " NT_BOARD_ID "\n");
    nt_print("core: " NT_BOARD_CORE "\n");
    nt_print("fpu: " NT_BOARD_FPU "\n");
    print_fact_u64("clock_hz", NT_BOARD_CLOCK_HZ);
    print_region("flash", &nt_board_flash);

    int failures = 0;
    for (int i = 0; i < NT_BOARD_BANK_COUNT; ++i) {
        print_region("bank", &nt_board_banks[i]);
        if (!bank_answers(&nt_board_banks[i])) {
            nt_print("bank_error: ");
            nt_print(nt_board_banks[i].name);
            nt_print("\n");
            ++failures;
        }
    }

    float product = fpu_operand * fpu_operand + 0.25f; /* 2.5 exactly */
    if (product != 2.5f) {
        nt_print("fpu_error: 1.5*1.5+0.25 != 2.5\n");
        ++failures;
    }

    print_fact_u64("insn_per_tick_num", NT_BOARD_INSN_PER_TICK_NUM);
    print_fact_u64("insn_per_tick_den", NT_BOARD_INSN_PER_TICK_DEN);

    uint32_t raw_ticks = nt_calib_loop_ticks(CALIB_RAW_ITERATIONS);
    print_fact_u64("calib_raw_iterations", CALIB_RAW_ITERATIONS);
    print_fact_u64("calib_raw_expected_instructions", 2ull * CALIB_RAW_ITERATIONS + 2u);
    print_fact_u64("calib_raw_ticks", raw_ticks);
    print_fact_u64("calib_raw_measured_instructions", nt_counter_ticks_to_instructions(raw_ticks));

    uint64_t start = nt_counter_ticks();
    nt_calib_spin(CALIB_LONG_ITERATIONS);
    uint64_t ticks = nt_counter_ticks() - start;
    print_fact_u64("calib_long_iterations", CALIB_LONG_ITERATIONS);
    print_fact_u64("calib_long_expected_instructions", 2ull * CALIB_LONG_ITERATIONS + 1u);
    print_fact_u64("calib_long_ticks", ticks);
    print_fact_u64("calib_long_measured_instructions", nt_counter_ticks_to_instructions(ticks));

    print_fact_u64("failures", (uint64_t)failures);
    nt_print(failures == 0 ? "result: ok\n" : "result: failed\n");
    return failures == 0 ? 0 : 1;
}
