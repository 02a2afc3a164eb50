/* int8 conv for ARMv7E-M (Cortex-M4/M7) with the DSP extension. Equal to the reference bit for bit (exact
 * int32 sums; nt_requantize_right is TFLite's requantization in fewer operations).
 * - 1x1: two input pixels are widened once into an int16 column (input offset added, bytes in SXTB16
 *   order), then each pair of output channels is two dot products per pixel with SMLAD, two pixels by two
 *   channels at a time.
 * - depthwise: four channels at a time; their weights are widened once per call into a table on the stack,
 *   one 32-bit load, two extensions and four SMLABB/SMLATT per tap. Interior pixels of a 3x3 kernel run in
 *   a short assembly loop over each output row (the input offset folded into the bias, the output offset
 *   into the rounding of SMMLAR); the borders, and other kernels, in C with the bounds of each pixel.
 * - dense k x k with few taps (the stem): an int16 column per pixel, SMLAD over it.
 * Outputs are requantized in SIMD groups: saturate, pack, clamp bytewise. Shapes without a fast path, and
 * layers with a non-negative shift, use the plain loop. */
#include <stddef.h>

#include "nt/kernels.h"
#include "../../../nt_dsp_armv7em.h"
#include "../../../nt_s8_requantize_fast.h"
#include "../../nt_conv2d_s8_generic.h"

/* Input channels of the 1x1 column (two pixels of int16 at most, on the stack). */
#define NT_1X1_COLUMN_MAX 512

__attribute__((noinline)) static void conv_1x1(const nt_conv2d_params_t *p, const nt_s8_quant_t *quant, const int8_t *x, const int8_t *w,
                                               const int32_t *b, int8_t *y)
{
    /* A local copy: the int8 stores below could alias *quant, which would force reloads of every field. */
    const nt_s8_quant_t local = *quant;
    const nt_s8_quant_t *q = &local;
    const int32_t cin = p->in_c;
    const int32_t cout = p->out_c;
    const int32_t pixels = p->n * p->in_h * p->in_w;
    const int32_t groups4 = cin >> 2;
    const int16x2_t off2 = nt_offset2(q->input_offset);
    const uint32_t min4 = nt_bytes4(q->act_min);
    const uint32_t max4 = nt_bytes4(q->act_max);
    const int32_t oo = q->output_offset;
    /* Per four channels: pixel 0 even/odd bytes, pixel 1 even/odd bytes, as SXTB16 of a weight word pairs them;
     * doubled, with the bias, for nt_requantize_right_doubled. */
    int16x2_t column[NT_1X1_COLUMN_MAX];
    int32_t px = 0;
    for (; px + 1 < pixels; px += 2) {
        const int8_t *x0 = x + (size_t)px * cin;
        for (int32_t g = 0; g < groups4; ++g) {
            const uint32_t v0 = nt_load4(x0 + 4 * g);
            const uint32_t v1 = nt_load4(x0 + cin + 4 * g);
            column[4 * g] = nt_twice(__sxtab16(off2, (int8x4_t)v0));
            column[4 * g + 1] = nt_twice(nt_odd_bytes_plus(off2, v0));
            column[4 * g + 2] = nt_twice(__sxtab16(off2, (int8x4_t)v1));
            column[4 * g + 3] = nt_twice(nt_odd_bytes_plus(off2, v1));
        }
        int8_t *y0 = y + (size_t)px * cout;
        int32_t co = 0;
        for (; co + 1 < cout; co += 2) {
            const int8_t *wp = w + (size_t)co * cin;
            int32_t a00 = b ? 2 * b[co] : 0;
            int32_t a01 = b ? 2 * b[co + 1] : 0;
            int32_t a10 = a00;
            int32_t a11 = a01;
            const int16x2_t *cp = column;
            const int16x2_t *c_end = column + 4 * groups4;
            for (; cp < c_end; cp += 4, wp += 4) {
                const uint32_t wv0 = nt_load4(wp);
                const uint32_t wv1 = nt_load4(wp + cin);
                const int16x2_t w0e = __sxtb16((int8x4_t)wv0);
                const int16x2_t w0o = nt_odd_bytes(wv0);
                a00 = __smlad(cp[0], w0e, a00);
                a00 = __smlad(cp[1], w0o, a00);
                a10 = __smlad(cp[2], w0e, a10);
                a10 = __smlad(cp[3], w0o, a10);
                const int16x2_t w1e = __sxtb16((int8x4_t)wv1);
                const int16x2_t w1o = nt_odd_bytes(wv1);
                a01 = __smlad(cp[0], w1e, a01);
                a01 = __smlad(cp[1], w1o, a01);
                a11 = __smlad(cp[2], w1e, a11);
                a11 = __smlad(cp[3], w1o, a11);
            }
            const int32_t m0 = q->multiplier[co];
            const int32_t m1 = q->multiplier[co + 1];
            const int32_t r0 = ~q->shift[co];
            const int32_t r1 = ~q->shift[co + 1];
            nt_store2(y0 + co, nt_s8_pack2(nt_requantize_right_doubled(a00, m0, r0) + oo, nt_requantize_right_doubled(a01, m1, r1) + oo,
                                           min4, max4));
            nt_store2(y0 + cout + co, nt_s8_pack2(nt_requantize_right_doubled(a10, m0, r0) + oo,
                                                  nt_requantize_right_doubled(a11, m1, r1) + oo, min4, max4));
        }
        if (co < cout) {
            const int8_t *wp = w + (size_t)co * cin;
            int32_t a0 = b ? 2 * b[co] : 0;
            int32_t a1 = a0;
            for (int32_t g = 0; g < groups4; ++g) {
                const uint32_t wv = nt_load4(wp + 4 * g);
                const int16x2_t we = __sxtb16((int8x4_t)wv);
                const int16x2_t wo = nt_odd_bytes(wv);
                a0 = __smlad(column[4 * g], we, a0);
                a0 = __smlad(column[4 * g + 1], wo, a0);
                a1 = __smlad(column[4 * g + 2], we, a1);
                a1 = __smlad(column[4 * g + 3], wo, a1);
            }
            y0[co] = nt_s8_finish_fast(q, a0 / 2, co);
            y0[cout + co] = nt_s8_finish_fast(q, a1 / 2, co);
        }
    }
    for (; px < pixels; ++px) {
        const int8_t *x0 = x + (size_t)px * cin;
        for (int32_t co = 0; co < cout; ++co) {
            const int8_t *w0 = w + (size_t)co * cin;
            int32_t a = b ? b[co] : 0;
            for (int32_t ci = 0; ci < cin; ++ci) {
                a += (x0[ci] + q->input_offset) * w0[ci];
            }
            y[(size_t)px * cout + co] = nt_s8_finish_fast(q, a, co);
        }
    }
}

/* Largest depthwise kernel (k x k taps) of the fast path. */
#define NT_DW_TAPS_MAX 49

/* Four channels of one output pixel whose taps are rows [kh0, kh1) and columns [kw0, kw1) of the kernel; xc
 * points at the input of tap (0, 0) (possibly outside the image, never read there). wt holds per tap the
 * widened weights of channels (c, c+2) and (c+1, c+3), doubled. */
static inline void dw_pixel4(const int8_t *xc, int32_t c_all, int32_t row, int32_t k, int32_t kh0, int32_t kh1, int32_t kw0, int32_t kw1,
                             int16x2_t off2, const int16x2_t (*wt)[2], int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t kh = kh0; kh < kh1; ++kh) {
        const int8_t *xp = xc + kh * row + kw0 * c_all;
        const int16x2_t(*wp)[2] = wt + kh * k + kw0;
        for (int32_t kw = kw0; kw < kw1; ++kw, xp += c_all, ++wp) {
            const uint32_t xv = nt_load4(xp);
            const int16x2_t xe = __sxtab16(off2, (int8x4_t)xv); /* channels c, c+2 */
            const int16x2_t xo = nt_odd_bytes_plus(off2, xv);    /* channels c+1, c+3 */
            const int16x2_t wev = (*wp)[0];
            const int16x2_t wov = (*wp)[1];
            a0 = __smlabb(xe, wev, a0);
            a2 = __smlatt(xe, wev, a2);
            a1 = __smlabb(xo, wov, a1);
            a3 = __smlatt(xo, wov, a3);
        }
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Interior pixels of a 3x3 depthwise, a run of them along one output row, in hand-allocated registers: with
 * four accumulators, the pointers, the strides and the temporaries of a tap, nothing is left for GCC to spill,
 * which it did around its own version of this loop. The table holds everything else, read at fixed offsets
 * (checked below) so that one LDM or LDRD fetches several fields:
 * - bias: the doubled bias plus input_offset times the sum of the doubled weights, so that the taps need no
 *   offset (x*2w summed over the nine taps plus it is exactly the doubled accumulator of the reference);
 * - w: per tap, the widened doubled weights of channels (c, c+2) and (c+1, c+3), one LDRD;
 * - quant: per channel the multiplier, k = 2^(r-1) + output_offset*2^r and r = -shift. SMMLAR adds its
 *   accumulate operand to the rounded high product, so with (acc2 >> 31) + k there,
 *   q' = q + 2^(r-1) + output_offset*2^r and q' >> r = ((q >> (r-1)) + 1) >> 1 + output_offset: the result of
 *   nt_requantize_right_doubled plus the output offset in one shift (dw3x3_fits keeps q + k inside int32). */
typedef struct dw3x3_table {
    int32_t bias[4];
    int16x2_t w[9][2];
    int32_t quant[4][3];
    uint32_t min4, max4;
    const int8_t *end; /* input address of the first pixel after the run */
    int32_t step;      /* input bytes from one output pixel to the next: stride * channels */
} dw3x3_table_t;

/* The offsets the assembly below relies on. */
typedef char dw3x3_w_at_16[offsetof(dw3x3_table_t, w) == 16 ? 1 : -1];
typedef char dw3x3_quant_at_88[offsetof(dw3x3_table_t, quant) == 88 ? 1 : -1];
typedef char dw3x3_min4_at_136[offsetof(dw3x3_table_t, min4) == 136 ? 1 : -1];
typedef char dw3x3_end_at_144[offsetof(dw3x3_table_t, end) == 144 ? 1 : -1];
typedef char dw3x3_step_at_148[offsetof(dw3x3_table_t, step) == 148 ? 1 : -1];

/* One tap: the four input bytes at ADDR widened into r9 (channels c, c+2) and r10 (c+1, c+3), the weights of
 * the tap (the table pointer steps over them) in r11 and r12, four multiply-accumulates into r5..r8. */
#define DW3X3_TAP(addr)                 \
    "ldr    r9, " addr "\n\t"           \
    "ldrd   r11, r12, [%[g]], #8\n\t"   \
    "sxtb16 r10, r9, ror #8\n\t"        \
    "sxtb16 r9, r9\n\t"                 \
    "smlabb r5, r9, r11, r5\n\t"        \
    "smlatt r7, r9, r11, r7\n\t"        \
    "smlabb r6, r10, r12, r6\n\t"       \
    "smlatt r8, r10, r12, r8\n\t"

/* One accumulator (doubled) to its int8 output, saturated: multiplier, k, r of its channel in r9..r11. */
#define DW3X3_REQUANTIZE(a)                    \
    "ldm    %[g]!, {r9-r11}\n\t"               \
    "add    r10, r10, " a ", asr #31\n\t"      \
    "smmlar " a ", " a ", r9, r10\n\t"         \
    "asr    " a ", " a ", r11\n\t"             \
    "ssat   " a ", #8, " a "\n\t"

/* Output pixels from x (input address of tap (0, 0)) and y on, until x reaches t->end; at least one.
 * Registers: r0 table (walks through it, back to the start per pixel), r1 input, r2 channels, r3 input row
 * bytes, r4 output, r5..r8 the accumulators of channels c..c+3, r9..r12 temporaries, lr the input row. */
__attribute__((noinline)) static void dw3x3_run(dw3x3_table_t *t, const int8_t *x, int32_t c_all, int32_t row, int8_t *y)
{
    register dw3x3_table_t *g __asm__("r0") = t;
    register const int8_t *xp __asm__("r1") = x;
    register int32_t cs __asm__("r2") = c_all;
    register int32_t rs __asm__("r3") = row;
    register int8_t *yp __asm__("r4") = y;
    __asm__ volatile("1:\n\t"
                     "ldm    %[g]!, {r5-r8}\n\t"
                     DW3X3_TAP("[%[x]]")
                     DW3X3_TAP("[%[x], %[cs]]")
                     DW3X3_TAP("[%[x], %[cs], lsl #1]")
                     "add    lr, %[x], %[row]\n\t"
                     DW3X3_TAP("[lr]")
                     DW3X3_TAP("[lr, %[cs]]")
                     DW3X3_TAP("[lr, %[cs], lsl #1]")
                     "add    lr, lr, %[row]\n\t"
                     DW3X3_TAP("[lr]")
                     DW3X3_TAP("[lr, %[cs]]")
                     DW3X3_TAP("[lr, %[cs], lsl #1]")
                     DW3X3_REQUANTIZE("r5")
                     DW3X3_REQUANTIZE("r6")
                     DW3X3_REQUANTIZE("r7")
                     DW3X3_REQUANTIZE("r8")
                     /* Bytes c..c+3 into r5 (each is already inside int8), then the bytewise clamp of nt_s8_clamp4. */
                     "bfi    r5, r6, #8, #8\n\t"
                     "bfi    r5, r7, #16, #8\n\t"
                     "bfi    r5, r8, #24, #8\n\t"
                     "ldrd   r9, r10, [%[g]]\n\t"
                     "ssub8  r11, r5, r9\n\t"
                     "sel    r5, r5, r9\n\t"
                     "ssub8  r11, r5, r10\n\t"
                     "sel    r5, r10, r5\n\t"
                     "str    r5, [%[y]]\n\t"
                     "add    %[y], %[y], %[cs]\n\t"
                     "ldrd   r9, r10, [%[g], #8]\n\t"
                     "add    %[x], %[x], r10\n\t"
                     "sub    %[g], %[g], #136\n\t"
                     "cmp    %[x], r9\n\t"
                     "bne    1b\n\t"
                     : [g] "+r"(g), [x] "+r"(xp), [y] "+r"(yp)
                     : [cs] "r"(cs), [row] "r"(rs)
                     : "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
}

/* The requantization fields of dw3x3_table_t for four channels from c, if every shift lies in [-22, -1]:
 * then |k| <= 2^21 + 128 * 2^22 < 2^30 (|output_offset| <= 128), and with |q| <= 2^30 + 1 (|acc| < 2^30, which
 * nt_s8_accumulators_fit ensures) q + k stays inside int32. 0 otherwise (no layer of the zoo shifts further). */
static int dw3x3_quant(dw3x3_table_t *t, const nt_s8_quant_t *q, int32_t c)
{
    for (int32_t i = 0; i < 4; ++i) {
        const int32_t r = -q->shift[c + i];
        if ((uint32_t)(r - 1) >= 22u) {
            return 0;
        }
        t->quant[i][0] = q->multiplier[c + i];
        t->quant[i][1] = (1 << (r - 1)) + q->output_offset * (1 << r);
        t->quant[i][2] = r;
    }
    return 1;
}

/* Requantization of one group of four depthwise channels. */
typedef struct dw_quant4 {
    int32_t bias[4];       /* doubled */
    int32_t multiplier[4];
    int32_t r_minus_1[4];
    int32_t shift[4];
    int32_t output_offset;
    uint32_t min4, max4;
    int exact;             /* a channel shifts left or not at all: the group takes nt_requantize */
} dw_quant4_t;

/* A group with a channel that shifts left or not at all: the accumulators are doubled sums of even terms, so
 * halving them is exact, and nt_requantize takes any shift. Out of line, off the common path's registers. */
__attribute__((noinline)) static uint32_t dw_finish4_exact(const dw_quant4_t *g, const int32_t acc[4])
{
    const int32_t oo = g->output_offset;
    return nt_s8_pack4(nt_requantize(acc[0] / 2, g->multiplier[0], g->shift[0]) + oo,
                       nt_requantize(acc[1] / 2, g->multiplier[1], g->shift[1]) + oo,
                       nt_requantize(acc[2] / 2, g->multiplier[2], g->shift[2]) + oo,
                       nt_requantize(acc[3] / 2, g->multiplier[3], g->shift[3]) + oo, g->min4, g->max4);
}

static inline uint32_t dw_finish4(const dw_quant4_t *g, const int32_t acc[4])
{
    const int32_t oo = g->output_offset;
    if (__builtin_expect(g->exact, 0)) {
        return dw_finish4_exact(g, acc);
    }
    return nt_s8_pack4(nt_requantize_right_doubled(acc[0], g->multiplier[0], g->r_minus_1[0]) + oo,
                       nt_requantize_right_doubled(acc[1], g->multiplier[1], g->r_minus_1[1]) + oo,
                       nt_requantize_right_doubled(acc[2], g->multiplier[2], g->r_minus_1[2]) + oo,
                       nt_requantize_right_doubled(acc[3], g->multiplier[3], g->r_minus_1[3]) + oo, g->min4, g->max4);
}

static inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Depthwise: weights [kh][kw][c]; out_c == in_c == groups, c % 4 == 0, k*k <= NT_DW_TAPS_MAX; accumulators
 * hold doubled sums (see nt_requantize_right_doubled; a group of four channels with a left shift or none takes
 * the exact nt_requantize instead). Channels are the outer loop so that the widened
 * weights of four channels stay in a small table; for a 3x3 kernel the pixels of a row whose taps all lie
 * inside the image go to dw3x3_run, the others take dw_pixel4 with their bounds. */
__attribute__((noinline)) static void depthwise(const nt_conv2d_params_t *p, const nt_s8_quant_t *quant, const int8_t *x, const int8_t *w,
                                                const int32_t *b, int8_t *y)
{
    const int32_t c_all = p->in_c;
    const int32_t k = p->kernel;
    const int32_t s = p->stride;
    const int32_t row = p->in_w * c_all;
    const int16x2_t off2 = nt_offset2(quant->input_offset);
    dw_quant4_t g;
    g.output_offset = quant->output_offset;
    g.min4 = nt_bytes4(quant->act_min);
    g.max4 = nt_bytes4(quant->act_max);
    /* Output rows [oh_lo, oh_hi) and columns [ow_lo, ow_hi) have every tap inside the image. */
    const int32_t lo = (p->pad + s - 1) / s;
    const int32_t oh_lo = lo < p->out_h ? lo : p->out_h;
    const int32_t ow_lo = lo < p->out_w ? lo : p->out_w;
    const int32_t oh_hi = clamp_i32(p->in_h - k + p->pad < 0 ? 0 : (p->in_h - k + p->pad) / s + 1, oh_lo, p->out_h);
    const int32_t ow_hi = clamp_i32(p->in_w - k + p->pad < 0 ? 0 : (p->in_w - k + p->pad) / s + 1, ow_lo, p->out_w);
    /* The interior of a 3x3 kernel, if any, goes to dw3x3_run, whose table also holds the widened weights the
     * borders use; other kernels keep them in wide. */
    const int interior3x3 = k == 3 && oh_hi > oh_lo && ow_hi > ow_lo;
    dw3x3_table_t t;
    int16x2_t wide[NT_DW_TAPS_MAX][2];
    int16x2_t(*wt)[2] = k == 3 ? t.w : wide;
    t.min4 = g.min4;
    t.max4 = g.max4;
    t.step = s * c_all;
    for (int32_t c = 0; c < c_all; c += 4) {
        for (int32_t tap = 0; tap < k * k; ++tap) {
            const uint32_t wv = nt_load4(w + (size_t)tap * c_all + c);
            wt[tap][0] = nt_twice(__sxtb16((int8x4_t)wv));
            wt[tap][1] = nt_twice(nt_odd_bytes(wv));
        }
        g.exact = 0;
        for (int32_t i = 0; i < 4; ++i) {
            g.bias[i] = b ? 2 * b[c + i] : 0;
            g.multiplier[i] = quant->multiplier[c + i];
            g.r_minus_1[i] = ~quant->shift[c + i];
            g.shift[i] = quant->shift[c + i];
            g.exact |= quant->shift[c + i] >= 0;
        }
        /* Columns from skip_from on, in an interior row, are dw3x3_run's. */
        int32_t skip_from = p->out_w;
        if (interior3x3 && dw3x3_quant(&t, quant, c)) {
            skip_from = ow_lo;
            /* Sums of the doubled weights per channel, in the halfwords of sum_e (c, c+2) and sum_o (c+1, c+3):
             * at most 9 * 256 in magnitude. */
            int16x2_t sum_e = 0;
            int16x2_t sum_o = 0;
            for (int32_t tap = 0; tap < 9; ++tap) {
                sum_e = __sadd16(sum_e, t.w[tap][0]);
                sum_o = __sadd16(sum_o, t.w[tap][1]);
            }
            const int32_t off = quant->input_offset;
            t.bias[0] = g.bias[0] + off * (int16_t)sum_e;
            t.bias[1] = g.bias[1] + off * (int16_t)sum_o;
            t.bias[2] = g.bias[2] + off * (sum_e >> 16);
            t.bias[3] = g.bias[3] + off * (sum_o >> 16);
        }
        for (int32_t n = 0; n < p->n; ++n) {
            const int8_t *xn = x + (size_t)n * p->in_h * row + c;
            for (int32_t oh = 0; oh < p->out_h; ++oh) {
                const int32_t ih0 = oh * s - p->pad;
                const int32_t kh0 = ih0 < 0 ? -ih0 : 0;
                const int32_t kh1 = ih0 + k > p->in_h ? p->in_h - ih0 : k;
                int8_t *yp = y + (((size_t)n * p->out_h + oh) * p->out_w) * c_all + c;
                /* Columns [ow_lo, ow_hi) of an interior row need no bounds: dw3x3_run takes them when it can. */
                const int interior = oh >= oh_lo && oh < oh_hi;
                const int32_t skip = interior ? skip_from : p->out_w;
                for (int32_t ow = 0; ow < p->out_w; ++ow) {
                    const int32_t iw0 = ow * s - p->pad;
                    const int8_t *xc = xn + ih0 * row + iw0 * c_all;
                    if (ow == skip) {
                        t.end = xc + (ow_hi - ow_lo) * t.step;
                        dw3x3_run(&t, xc, c_all, row, yp + (size_t)ow * c_all);
                        ow = ow_hi - 1;
                        continue;
                    }
                    const int32_t kw0 = iw0 < 0 ? -iw0 : 0;
                    const int32_t kw1 = iw0 + k > p->in_w ? p->in_w - iw0 : k;
                    int32_t acc[4] = { g.bias[0], g.bias[1], g.bias[2], g.bias[3] };
                    dw_pixel4(xc, c_all, row, k, kh0, kh1, kw0, kw1, off2, wt, acc);
                    nt_store4(yp + (size_t)ow * c_all, dw_finish4(&g, acc));
                }
            }
        }
    }
}

/* Taps of one output pixel at most for the column path (k*k*cin), kept on the stack as int16. */
#define NT_COLUMN_MAX 256
/* Tap pairs of all output channels the column path widens once per call (out_c * ceil(taps / 2), 4 bytes each). */
#define NT_COLUMN_WIDE_PAIRS 512

/* Dense k x k conv with few taps per output (the stem: cin 1): the pixel's taps are gathered once into an
 * int16 column with the input offset added (0 where the tap is padding, which contributes nothing), then
 * each output channel is a dot product of that column with its OHWI weight row, two taps per SMLAD. The weight
 * rows are widened to int16 pairs once per call when they fit NT_COLUMN_WIDE_PAIRS, so the dot product is one
 * load of each operand per SMLAD; with nine taps (a 3x3 stem over one channel) the column stays in five registers
 * across the output channels, and an interior pixel's taps are gathered without bounds checks. */
__attribute__((noinline)) static void conv_column(const nt_conv2d_params_t *p, const nt_s8_quant_t *quant, const int8_t *x, const int8_t *w,
                                                  const int32_t *b, int8_t *y)
{
    const nt_s8_quant_t local = *quant; /* see conv_1x1 */
    const nt_s8_quant_t *q = &local;
    const int32_t k = p->kernel;
    const int32_t cin = p->in_c;
    const int32_t taps = k * k * cin;
    const int32_t pairs = (taps + 1) / 2;
    const int wide = p->out_c * pairs <= NT_COLUMN_WIDE_PAIRS;
    int16x2_t wpairs[NT_COLUMN_WIDE_PAIRS];
    if (wide) {
        for (int32_t co = 0; co < p->out_c; ++co) {
            const int8_t *wr = w + (size_t)co * taps;
            for (int32_t j = 0; j < pairs; ++j) {
                const int32_t hi = 2 * j + 1 < taps ? wr[2 * j + 1] : 0;
                wpairs[co * pairs + j] = (int16x2_t)(((uint32_t)(uint16_t)hi << 16) | (uint16_t)wr[2 * j]);
            }
        }
    }
    /* int16 taps, read two at a time as one word: column[2j] in the low half, column[2j + 1] in the high. */
    union {
        int16_t tap[NT_COLUMN_MAX + 2];
        int16x2_t pair[NT_COLUMN_MAX / 2 + 1];
    } column;
    /* Locals, not p->: the int8 stores below may alias anything, so fields read through p would be reloaded. */
    const int32_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w, out_c = p->out_c;
    const int32_t stride = p->stride, pad = p->pad, input_offset = q->input_offset;
    for (int32_t n = 0; n < p->n; ++n) {
        const int8_t *xn = x + (size_t)n * in_h * in_w * cin;
        for (int32_t oh = 0; oh < out_h; ++oh) {
            for (int32_t ow = 0; ow < out_w; ++ow) {
                const int32_t ih0 = oh * stride - pad, iw0 = ow * stride - pad;
                if (cin == 1 && k == 3 && ih0 >= 0 && ih0 + 3 <= in_h && iw0 >= 0 && iw0 + 3 <= in_w) {
                    /* The stem's interior: nine taps, no bounds to check. */
                    const int8_t *r0 = xn + (size_t)ih0 * in_w + iw0, *r1 = r0 + in_w, *r2 = r1 + in_w;
                    column.pair[0] = (int16x2_t)(((uint32_t)(uint16_t)(r0[1] + input_offset) << 16) | (uint16_t)(r0[0] + input_offset));
                    column.pair[1] = (int16x2_t)(((uint32_t)(uint16_t)(r1[0] + input_offset) << 16) | (uint16_t)(r0[2] + input_offset));
                    column.pair[2] = (int16x2_t)(((uint32_t)(uint16_t)(r1[2] + input_offset) << 16) | (uint16_t)(r1[1] + input_offset));
                    column.pair[3] = (int16x2_t)(((uint32_t)(uint16_t)(r2[1] + input_offset) << 16) | (uint16_t)(r2[0] + input_offset));
                    column.pair[4] = (int16x2_t)(uint16_t)(r2[2] + input_offset);
                } else {
                    int32_t t = 0;
                    for (int32_t kh = 0; kh < k; ++kh) {
                        const int32_t ih = oh * stride - pad + kh;
                        const int row_inside = ih >= 0 && ih < in_h;
                        for (int32_t kw = 0; kw < k; ++kw) {
                            const int32_t iw = ow * stride - pad + kw;
                            const int inside = row_inside && iw >= 0 && iw < in_w;
                            const int8_t *xp = xn + ((size_t)ih * in_w + iw) * cin;
                            for (int32_t ci = 0; ci < cin; ++ci) {
                                column.tap[t++] = (int16_t)(inside ? xp[ci] + input_offset : 0);
                            }
                        }
                    }
                    column.tap[taps] = 0; /* pads an odd count for the pairwise loop */
                }
                int8_t *yrow = y + (((size_t)n * out_h + oh) * out_w + ow) * out_c;
                if (wide && pairs == 5) {
                    /* Nine taps (3x3 over one channel, the stem): the five column pairs stay in registers. */
                    const int16x2_t c0 = column.pair[0], c1 = column.pair[1], c2 = column.pair[2], c3 = column.pair[3],
                                    c4 = column.pair[4];
                    const int16x2_t *wp = wpairs;
                    for (int32_t co = 0; co < out_c; ++co, wp += 5) {
                        int32_t acc = b ? b[co] : 0;
                        acc = __smlad(c0, wp[0], acc);
                        acc = __smlad(c1, wp[1], acc);
                        acc = __smlad(c2, wp[2], acc);
                        acc = __smlad(c3, wp[3], acc);
                        acc = __smlad(c4, wp[4], acc);
                        yrow[co] = nt_s8_finish_fast(q, acc, co);
                    }
                    continue;
                }
                for (int32_t co = 0; co < out_c; ++co) {
                    int32_t acc = b ? b[co] : 0;
                    if (wide) {
                        const int16x2_t *wp = &wpairs[co * pairs];
                        for (int32_t j = 0; j < pairs; ++j) {
                            acc = __smlad(column.pair[j], wp[j], acc);
                        }
                    } else {
                        const int8_t *wr = w + (size_t)co * taps;
                        int32_t i = 0;
                        for (; i + 1 < taps; i += 2) {
                            const int16x2_t wv = (int16x2_t)(((uint32_t)(uint16_t)wr[i + 1] << 16) | (uint16_t)wr[i]);
                            acc = __smlad(column.pair[i / 2], wv, acc);
                        }
                        if (i < taps) {
                            acc += column.tap[i] * wr[i];
                        }
                    }
                    yrow[co] = nt_s8_finish_fast(q, acc, co);
                }
            }
        }
    }
}

void nt_conv2d_s8_fwd(const nt_conv2d_params_t *p, const nt_s8_quant_t *q, const int8_t *x, const int8_t *w,
                      const int32_t *b, int8_t *y)
{
    if (p->kernel == 1 && p->stride == 1 && p->pad == 0 && p->groups == 1 && p->in_c % 4 == 0 && p->in_c <= NT_1X1_COLUMN_MAX &&
        nt_s8_doubling_fits(q, b, p->out_c, p->in_c)) {
        conv_1x1(p, q, x, w, b, y);
        return;
    }
    if (p->groups == p->in_c && p->groups == p->out_c && p->in_c % 4 == 0 && p->kernel * p->kernel <= NT_DW_TAPS_MAX &&
        nt_s8_accumulators_fit(b, p->out_c, p->kernel * p->kernel)) {
        depthwise(p, q, x, w, b, y);
        return;
    }
    if (p->groups == 1 && p->kernel * p->kernel * p->in_c <= NT_COLUMN_MAX) {
        conv_column(p, q, x, w, b, y);
        return;
    }
    nt_conv2d_s8_generic(p, q, x, w, b, y);
}
