/* RISC-V (RV32) startup shared by the RISC-V boards: the image's first instruction, in machine mode. Sets the
 * stack, the thread pointer (picolibc keeps errno thread-local) and the trap vector, then continues in C. */
    .section .isr_vector, "ax"
    .global Reset_Handler
    .type Reset_Handler, @function
Reset_Handler:
    .option push
    .option norelax
    la      sp, __stack_end
    la      tp, nt_tls_block
    .option pop
    la      t0, nt_trap_entry
    csrw    mtvec, t0
    call    nt_reset_c
1:  j       1b

    .text
    .balign 4
    .global nt_trap_entry
    .type nt_trap_entry, @function
nt_trap_entry:
    la      sp, __stack_end
    call    nt_trap_handler
2:  j       2b
