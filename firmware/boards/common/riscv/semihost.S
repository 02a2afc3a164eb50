/* uint32_t nt_semihost_trap(uint32_t op, const void *arg): one RISC-V semihosting call, op in a0, the argument
 * block in a1, the result in a0. The ebreak between the two marker instructions (uncompressed, in one 16-byte
 * aligned block, so never across a page) is what QEMU or a debugger recognizes. */
    .text
    .option push
    .option norvc
    .global nt_semihost_trap
    .type nt_semihost_trap, @function
    .balign 16
nt_semihost_trap:
    slli    x0, x0, 0x1f
    ebreak
    srai    x0, x0, 7
    ret
    .option pop
