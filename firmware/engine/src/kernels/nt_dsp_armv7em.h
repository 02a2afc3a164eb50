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

/* Both halfwords doubled (values within int16 after doubling). */
static inline int16x2_t nt_twice(int16x2_t v)
{
    return __sadd16(v, v);
}

/* The clamp bounds of an int8 output in every byte of a word, for nt_s8_pack4 / nt_s8_pack2. */
static inline uint32_t nt_bytes4(int32_t v)
{
    return (uint32_t)(uint8_t)v * 0x01010101u;
}

/* Bytes of p clamped to [min4, max4] bytewise (signed): SSUB8 sets GE where p >= the bound, SEL picks. */
static inline uint32_t nt_s8_clamp4(uint32_t p, uint32_t min4, uint32_t max4)
{
    (void)__ssub8((int8x4_t)p, (int8x4_t)min4); /* GE set where p >= min */
    p = (uint32_t)__sel((uint8x4_t)p, (uint8x4_t)min4);
    (void)__ssub8((int8x4_t)p, (int8x4_t)max4); /* GE set where p >= max */
    return (uint32_t)__sel((uint8x4_t)max4, (uint8x4_t)p);
}

/* Four int32 outputs (output offset added) saturated to int8, packed little-endian and clamped bytewise to
 * [min4, max4]: equal to clamping each value to [act_min, act_max] (both inside int8). */
static inline uint32_t nt_s8_pack4(int32_t v0, int32_t v1, int32_t v2, int32_t v3, uint32_t min4, uint32_t max4)
{
    /* Halfwords (v0, v2) and (v1, v3), then their low bytes interleaved: PKHBT, UXTB16, ORR. */
    uint32_t even;
    uint32_t odd;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(even) : "r"(__ssat(v0, 8)), "r"(__ssat(v2, 8)));
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(odd) : "r"(__ssat(v1, 8)), "r"(__ssat(v3, 8)));
    return nt_s8_clamp4((uint32_t)__uxtb16(even) | ((uint32_t)__uxtb16(odd) << 8), min4, max4);
}

/* Two outputs, as nt_s8_pack4, in the low halfword. */
static inline uint32_t nt_s8_pack2(int32_t v0, int32_t v1, uint32_t min4, uint32_t max4)
{
    return nt_s8_clamp4((uint8_t)__ssat(v0, 8) | ((uint32_t)(uint8_t)__ssat(v1, 8) << 8), min4, max4);
}

static inline void nt_store4(int8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}

static inline void nt_store2(int8_t *p, uint32_t v)
{
    const uint16_t h = (uint16_t)v;
    memcpy(p, &h, sizeof h);
}

#endif
