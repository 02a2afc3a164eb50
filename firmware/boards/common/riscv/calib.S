/* Calibration loops with exactly known instruction counts, for checking the counter (RISC-V). */
    .text
    .option norvc
    .global nt_calib_loop_ticks
    .type nt_calib_loop_ticks, @function
    .balign 4
/* uint32_t nt_calib_loop_ticks(uint32_t iterations)
 * Instructions after the first minstret read up to and including the second: mv (1) + 2 per iteration
 * (addi, bnez) + csrr (1) = 2*iterations + 2. */
nt_calib_loop_ticks:
    csrr    t0, minstret
    mv      t1, a0
1:
    addi    t1, t1, -1
    bnez    t1, 1b
    csrr    t2, minstret
    sub     a0, t2, t0
    ret

    .global nt_calib_spin
    .type nt_calib_spin, @function
    .balign 4
/* void nt_calib_spin(uint32_t iterations): 2*iterations + 1 instructions (the loop, then ret). */
nt_calib_spin:
2:
    addi    a0, a0, -1
    bnez    a0, 2b
    ret
