/* int8 conv for ARMv7E-M (Cortex-M4/M7) with the DSP extension: 1x1 convolutions as dot products over
 * channels with SMLAD (two multiply-accumulates per instruction), two pixels by two output channels at a
 * time; depthwise convolutions four channels at a time with 32-bit loads and SMLABB/SMLATT, taps clipped
 * to the image once per output pixel; other shapes use the plain loop. Equal to the reference bit for bit
 * (exact int32 sums). */
#include "nt/kernels.h"
#include "../../../nt_dsp_armv7em.h"
#include "../../../nt_s8_requantize_fast.h"
#include "../../nt_conv2d_s8_generic.h"

__attribute__((noinline)) static void conv_1x1(const nt_conv2d_params_t *p, const nt_s8_quant_t *quant, const int8_t *x, const int8_t *w, const int32_t *b, int8_t *y)
{
    /* A local copy: the int8 stores below could alias *quant, which would force reloads of every field. */
    const nt_s8_quant_t local = *quant;
    const nt_s8_quant_t *q = &local;
    const int32_t cin = p->in_c;
    const int32_t cout = p->out_c;
    const int32_t pixels = p->n * p->in_h * p->in_w;
    const int32_t off = q->input_offset;
    const int16x2_t off2 = nt_offset2(off);
    int32_t px = 0;
    for (; px + 1 < pixels; px += 2) {
        const int8_t *x0 = x + (size_t)px * cin;
        const int8_t *x1 = x0 + cin;
        int8_t *y0 = y + (size_t)px * cout;
        int8_t *y1 = y0 + cout;
        int32_t co = 0;
        for (; co + 1 < cout; co += 2) {
            const int8_t *w0 = w + (size_t)co * cin;
            const int8_t *w1 = w0 + cin;
            int32_t a00 = b ? b[co] : 0;
            int32_t a01 = b ? b[co + 1] : 0;
            int32_t a10 = a00;
            int32_t a11 = a01;
            /* Both pixels and both weight rows are cin bytes apart: one stride register and two running
             * pointers address all four words, which keeps the loop free of spills. */
            const int8_t *xp = x0;
            const int8_t *wp = w0;
            const int8_t *x_end = x0 + (cin & ~3);
            for (; xp < x_end; xp += 4, wp += 4) {
                const uint32_t xv0 = nt_load4(xp);
                const uint32_t wv0 = nt_load4(wp);
                const int16x2_t x0e = __sxtab16(off2, (int8x4_t)xv0);
                const int16x2_t x0o = nt_odd_bytes_plus(off2, xv0);
                const int16x2_t w0e = __sxtb16((int8x4_t)wv0);
                const int16x2_t w0o = nt_odd_bytes(wv0);
                a00 = __smlad(x0e, w0e, a00);
                a00 = __smlad(x0o, w0o, a00);
                const uint32_t xv1 = nt_load4(xp + cin);
                const int16x2_t x1e = __sxtab16(off2, (int8x4_t)xv1);
                const int16x2_t x1o = nt_odd_bytes_plus(off2, xv1);
                a10 = __smlad(x1e, w0e, a10);
                a10 = __smlad(x1o, w0o, a10);
                const uint32_t wv1 = nt_load4(wp + cin);
                const int16x2_t w1e = __sxtb16((int8x4_t)wv1);
                const int16x2_t w1o = nt_odd_bytes(wv1);
                a01 = __smlad(x0e, w1e, a01);
                a01 = __smlad(x0o, w1o, a01);
                a11 = __smlad(x1e, w1e, a11);
                a11 = __smlad(x1o, w1o, a11);
            }
            int32_t ci = cin & ~3;
            for (; ci < cin; ++ci) {
                const int32_t v0 = x0[ci] + off;
                const int32_t v1 = x1[ci] + off;
                a00 += v0 * w0[ci];
                a01 += v0 * w1[ci];
                a10 += v1 * w0[ci];
                a11 += v1 * w1[ci];
            }
            y0[co] = nt_s8_finish_fast(q, a00, co);
            y0[co + 1] = nt_s8_finish_fast(q, a01, co + 1);
            y1[co] = nt_s8_finish_fast(q, a10, co);
            y1[co + 1] = nt_s8_finish_fast(q, a11, co + 1);
        }
        for (; co < cout; ++co) {
            const int8_t *w0 = w + (size_t)co * cin;
            int32_t a0 = b ? b[co] : 0;
            int32_t a1 = a0;
            for (int32_t ci = 0; ci < cin; ++ci) {
                a0 += (x0[ci] + off) * w0[ci];
                a1 += (x1[ci] + off) * w0[ci];
            }
            y0[co] = nt_s8_finish_fast(q, a0, co);
            y1[co] = nt_s8_finish_fast(q, a1, co);
        }
    }
    for (; px < pixels; ++px) {
        const int8_t *x0 = x + (size_t)px * cin;
        for (int32_t co = 0; co < cout; ++co) {
            const int8_t *w0 = w + (size_t)co * cin;
            int32_t a = b ? b[co] : 0;
            for (int32_t ci = 0; ci < cin; ++ci) {
                a += (x0[ci] + off) * w0[ci];
            }
            y[(size_t)px * cout + co] = nt_s8_finish_fast(q, a, co);
        }
    }
}

/* Depthwise: weights [kh][kw][c]; out_c == in_c == groups. The taps inside the image are listed once per
 * output pixel (byte offsets into the input and the weights), so the channel loop runs over a flat list. */
__attribute__((noinline)) static void depthwise(const nt_conv2d_params_t *p, const nt_s8_quant_t *quant, const int8_t *x, const int8_t *w,
                                                const int32_t *b, int8_t *y)
{
    const nt_s8_quant_t local = *quant; /* see conv_1x1 */
    const nt_s8_quant_t *q = &local;
    const int32_t c_all = p->in_c;
    const int32_t k = p->kernel;
    const int32_t off = q->input_offset;
    const int16x2_t off2 = nt_offset2(off);
    int32_t x_taps[49];
    int32_t w_taps[49];
    for (int32_t n = 0; n < p->n; ++n) {
        const int8_t *xn = x + (size_t)n * p->in_h * p->in_w * c_all;
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            const int32_t ih0 = oh * p->stride - p->pad;
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                const int32_t iw0 = ow * p->stride - p->pad;
                int32_t taps = 0;
                for (int32_t kh = 0; kh < k; ++kh) {
                    const int32_t ih = ih0 + kh;
                    if (ih < 0 || ih >= p->in_h) {
                        continue;
                    }
                    for (int32_t kw = 0; kw < k; ++kw) {
                        const int32_t iw = iw0 + kw;
                        if (iw < 0 || iw >= p->in_w) {
                            continue;
                        }
                        x_taps[taps] = (ih * p->in_w + iw) * c_all;
                        w_taps[taps] = (kh * k + kw) * c_all;
                        ++taps;
                    }
                }
                int8_t *yrow = y + (((size_t)n * p->out_h + oh) * p->out_w + ow) * c_all;
                int32_t c = 0;
                for (; c + 3 < c_all; c += 4) {
                    int32_t a0 = b ? b[c] : 0;
                    int32_t a1 = b ? b[c + 1] : 0;
                    int32_t a2 = b ? b[c + 2] : 0;
                    int32_t a3 = b ? b[c + 3] : 0;
                    const int8_t *xc = xn + c;
                    const int8_t *wc = w + c;
                    for (int32_t t = 0; t < taps; ++t) {
                        const uint32_t xv = nt_load4(xc + x_taps[t]);
                        const uint32_t wv = nt_load4(wc + w_taps[t]);
                        const int16x2_t xe = __sxtab16(off2, (int8x4_t)xv); /* channels c, c+2 */
                        const int16x2_t xo = nt_odd_bytes_plus(off2, xv);       /* channels c+1, c+3 */
                        const int16x2_t we = __sxtb16((int8x4_t)wv);
                        const int16x2_t wo = nt_odd_bytes(wv);
                        a0 = __smlabb(xe, we, a0);
                        a2 = __smlatt(xe, we, a2);
                        a1 = __smlabb(xo, wo, a1);
                        a3 = __smlatt(xo, wo, a3);
                    }
                    yrow[c] = nt_s8_finish_fast(q, a0, c);
                    yrow[c + 1] = nt_s8_finish_fast(q, a1, c + 1);
                    yrow[c + 2] = nt_s8_finish_fast(q, a2, c + 2);
                    yrow[c + 3] = nt_s8_finish_fast(q, a3, c + 3);
                }
                for (; c < c_all; ++c) {
                    int32_t a = b ? b[c] : 0;
                    for (int32_t t = 0; t < taps; ++t) {
                        a += (xn[x_taps[t] + c] + off) * w[w_taps[t] + c];
                    }
                    yrow[c] = nt_s8_finish_fast(q, a, c);
                }
            }
        }
    }
}

/* Taps of one output pixel at most for the column path (k*k*cin), kept on the stack as int16. */
#define NT_COLUMN_MAX 256

/* Dense k x k conv with few taps per output (the stem: cin 1): the pixel's taps are gathered once into an
 * int16 column with the input offset added (0 where the tap is padding, which contributes nothing), then
 * each output channel is a dot product of that column with its OHWI weight row, two taps per SMLAD. */
__attribute__((noinline)) static void conv_column(const nt_conv2d_params_t *p, const nt_s8_quant_t *quant, const int8_t *x, const int8_t *w,
                                                  const int32_t *b, int8_t *y)
{
    const nt_s8_quant_t local = *quant; /* see conv_1x1 */
    const nt_s8_quant_t *q = &local;
    const int32_t k = p->kernel;
    const int32_t cin = p->in_c;
    const int32_t taps = k * k * cin;
    int16_t column[NT_COLUMN_MAX + 2];
    for (int32_t n = 0; n < p->n; ++n) {
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                int32_t t = 0;
                for (int32_t kh = 0; kh < k; ++kh) {
                    const int32_t ih = oh * p->stride - p->pad + kh;
                    for (int32_t kw = 0; kw < k; ++kw) {
                        const int32_t iw = ow * p->stride - p->pad + kw;
                        const int inside = ih >= 0 && ih < p->in_h && iw >= 0 && iw < p->in_w;
                        const int8_t *xp = x + (((size_t)n * p->in_h + ih) * p->in_w + iw) * cin;
                        for (int32_t ci = 0; ci < cin; ++ci) {
                            column[t++] = (int16_t)(inside ? xp[ci] + q->input_offset : 0);
                        }
                    }
                }
                column[taps] = 0; /* pads an odd count for the pairwise loop */
                int8_t *yrow = y + (((size_t)n * p->out_h + oh) * p->out_w + ow) * p->out_c;
                for (int32_t co = 0; co < p->out_c; ++co) {
                    const int8_t *wr = w + (size_t)co * taps;
                    int32_t acc = b ? b[co] : 0;
                    int32_t i = 0;
                    for (; i + 1 < taps; i += 2) {
                        const int16x2_t xv = (int16x2_t)(((uint32_t)(uint16_t)column[i + 1] << 16) | (uint16_t)column[i]);
                        const int16x2_t wv = (int16x2_t)(((uint32_t)(uint16_t)wr[i + 1] << 16) | (uint16_t)wr[i]);
                        acc = __smlad(xv, wv, acc);
                    }
                    if (i < taps) {
                        acc += column[i] * wr[i];
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
    if (p->kernel == 1 && p->stride == 1 && p->pad == 0 && p->groups == 1) {
        conv_1x1(p, q, x, w, b, y);
        return;
    }
    if (p->groups == p->in_c && p->groups == p->out_c && p->groups > 1) {
        depthwise(p, q, x, w, b, y);
        return;
    }
    if (p->groups == 1 && p->kernel * p->kernel * p->in_c <= NT_COLUMN_MAX) {
        conv_column(p, q, x, w, b, y);
        return;
    }
    nt_conv2d_s8_generic(p, q, x, w, b, y);
}
