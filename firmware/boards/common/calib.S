/* Calibration loop with an exactly known instruction count, for checking the counter. */
    .syntax unified
    .thumb
    .text
    .global nt_calib_loop_ticks
    .type nt_calib_loop_ticks, %function
    .align 2
/* uint32_t nt_calib_loop_ticks(uint32_t iterations)
 * Instructions after the first CVR read up to and including the second: mov (1) +
 * 2 per iteration (subs, bne) + ldr (1) = 2*iterations + 2. */
nt_calib_loop_ticks:
    push    {r4, r5}
    ldr     r2, =0xE000E018
    ldr     r3, [r2]
    mov     r4, r0
1:
    subs    r4, r4, #1
    bne     1b
    ldr     r5, [r2]
    subs    r0, r3, r5
    bfc     r0, #24, #8
    pop     {r4, r5}
    bx      lr
    .ltorg
    .size nt_calib_loop_ticks, . - nt_calib_loop_ticks

    .global nt_calib_spin
    .type nt_calib_spin, %function
    .align 2
/* void nt_calib_spin(uint32_t iterations): exactly 2*iterations + 1 instructions (bx included). */
nt_calib_spin:
1:
    subs    r0, r0, #1
    bne     1b
    bx      lr
    .size nt_calib_spin, . - nt_calib_spin
