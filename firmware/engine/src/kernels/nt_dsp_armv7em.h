/* Helpers of the ARMv7E-M optimized int8 kernels (opt/armv7em): unaligned word loads and the SIMD byte
 * extractions ACLE does not offer with a rotation. Internal to the engine. */
#ifndef NT_DSP_ARMV7EM_H
#define NT_DSP_ARMV7EM_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

/* Four int8 values as one word: an unaligned LDR, which ARMv7-M allows. */
static inline uint32_t nt_load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Bytes 1 and 3 of v, sign-extended into two halfwords (SXTB16 with ROR #8). */
static inline int16x2_t nt_odd_bytes(uint32_t v)
{
    int16x2_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

/* Bytes 1 and 3 of v, sign-extended and added to the halfwords of offset (SXTAB16 with ROR #8). */
static inline int16x2_t nt_odd_bytes_plus(int16x2_t offset, uint32_t v)
{
    int16x2_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(offset), "r"(v));
    return r;
}

/* The input offset in both halfwords, for SXTAB16. */
static inline int16x2_t nt_offset2(int32_t offset)
{
    return (int16x2_t)(((uint32_t)(uint16_t)offset << 16) | (uint16_t)offset);
}

#endif
