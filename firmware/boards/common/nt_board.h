/* Board support API shared by every board: UART, instruction counter, exit. The board's facts
 * (id, core, banks, flash) come from the generated nt_board_config.h, made from board.json. */
#ifndef NT_BOARD_H
#define NT_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include "nt_board_config.h"

/** One SRAM bank or the flash region, as the board descriptor states it. */
typedef struct nt_board_region {
    const char *name;
    uint32_t base;
    uint32_t size;
} nt_board_region_t;

extern const nt_board_region_t nt_board_banks[NT_BOARD_BANK_COUNT];
extern const nt_board_region_t nt_board_flash;

/** A bank's memory the image leaves free, [start, limit), for a plan's arena spaces (same order as the banks). */
typedef struct nt_board_arena {
    const char *name;
    uint8_t *start;
    uint8_t *limit;
} nt_board_arena_t;

extern const nt_board_arena_t nt_board_arenas[NT_BOARD_BANK_COUNT];

/** The plan slot: the flash after the image, where a plan is flashed or loaded. Writes its size to *bytes. */
uint8_t *nt_board_plan_slot(uint32_t *bytes);

/** Flash bytes the image itself occupies (code, constants, initial data). */
uint32_t nt_board_flash_used(void);

/** The main stack, [lowest, top): it grows down from top. */
void nt_board_stack(uint8_t **lowest, uint8_t **top);

/**
 * The step watchdog: arms a deadline `budget` counter ticks from now (0 disarms it). Where the counter interrupts
 * (SysTick on Cortex-M) a step still running at the deadline calls nt_board_watchdog_expired from the interrupt; on
 * RISC-V boards (minstret, no interrupt) nothing fires and the app checks the step's ticks after it.
 */
void nt_board_watchdog_arm(uint64_t budget);

/** Called from the counter's interrupt when an armed deadline passes; the app reports and resets (default: resets). */
void nt_board_watchdog_expired(void) __attribute__((noreturn));

/** Resets the core and the system (SYSRESETREQ); the emulator reboots the image. */
void nt_board_reset(void) __attribute__((noreturn));

/** The store of the two learned-weight slots (nt/slots.h): a host file by semihosting on emulated boards. */
struct nt_slot_store;
const struct nt_slot_store *nt_board_slot_store(void);
/** The board for an engine session (nt/session.h): its banks' free memory, weight slots and counter. */
struct nt_session_board;
const struct nt_session_board *nt_board_session(void);

/** Brings up the UART and starts the instruction counter. Called once from main. */
void nt_board_init(void);

/** Writes `len` bytes to the console UART, blocking until each is accepted. */
void nt_uart_write(const void *data, size_t len);

/** Reads one byte from the console UART; blocks until one arrives. */
uint8_t nt_uart_read_byte(void);

/** Writes a NUL-terminated string to the console UART. */
void nt_print(const char *text);

/** Writes an unsigned decimal number to the console UART. */
void nt_print_u64(uint64_t value);

/** Writes "0x" and eight hex digits to the console UART. */
void nt_print_hex32(uint32_t value);

/**
 * Counter ticks since nt_board_init, 64-bit, monotonic.
 * Under QEMU `-icount shift=0` one tick is a fixed number of guest instructions
 * (NT_BOARD_INSN_PER_TICK_NUM / NT_BOARD_INSN_PER_TICK_DEN).
 */
uint64_t nt_counter_ticks(void);

/** Converts counter ticks to guest instructions (rounded down). */
uint64_t nt_counter_ticks_to_instructions(uint64_t ticks);

/** Raw SysTick current-value register address (counts down from 0xFFFFFF). */
#define NT_SYST_CVR_ADDR 0xE000E018u

/**
 * Ends the program: reports `status` to the emulator via semihosting (QEMU exits with it).
 * On a real board without a debugger this traps in a breakpoint loop.
 */
void nt_board_exit(int status) __attribute__((noreturn));

/**
 * Runs exactly 2*iterations + 2 instructions between two reads of SYST_CVR (both included
 * in the count as the second read) and returns the SysTick ticks that elapsed.
 * iterations must be >= 1. Written in assembly so the count is known exactly.
 */
uint32_t nt_calib_loop_ticks(uint32_t iterations);

/**
 * Reads a whole host file through semihosting (emulators and debug probes only) into `buffer`.
 * @return bytes read, or -1 when the file cannot be opened or is larger than `capacity`.
 */
int32_t nt_host_file_read(const char *name, void *buffer, uint32_t capacity);

/** Writes `len` bytes to a host file through semihosting, replacing it. @return 0, or -1 on failure. */
int32_t nt_host_file_write(const char *name, const void *data, uint32_t len);

/** Reads `len` bytes at `offset` of a host file by semihosting. @return 0, or -1 (missing file, short file). */
int32_t nt_host_file_read_at(const char *name, uint32_t offset, void *buffer, uint32_t len);

/** Writes `len` bytes at `offset` of a host file by semihosting, creating it, keeping the rest. @return 0 or -1. */
int32_t nt_host_file_write_at(const char *name, uint32_t offset, const void *data, uint32_t len);

/** Spins for exactly 2*iterations + 1 instructions (iterations >= 1). */
void nt_calib_spin(uint32_t iterations);

#endif /* NT_BOARD_H */
