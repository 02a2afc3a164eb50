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

/** Spins for exactly 2*iterations + 1 instructions (iterations >= 1). */
void nt_calib_spin(uint32_t iterations);

#endif /* NT_BOARD_H */
