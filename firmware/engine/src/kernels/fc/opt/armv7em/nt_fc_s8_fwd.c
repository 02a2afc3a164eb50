/* int8 fully connected for ARMv7E-M: four output neurons at a time, SMLAD over four inputs per step.
 * Equal to the reference bit for bit (exact int32 sums). */
#include "nt/kernels.h"
#include "../../../nt_dsp_armv7em.h"
#include "../../../nt_s8_requantize_fast.h"

void nt_fc_s8_fwd(int32_t n, int32_t in, int32_t out, const nt_s8_quant_t *quant, const int8_t *x, const int8_t *w,
                  const int32_t *b, int8_t *y)
{
    /* A local copy: the int8 stores below could alias *quant, which would force reloads of every field. */
    const nt_s8_quant_t local = *quant;
    const nt_s8_quant_t *q = &local;
    const int32_t off = q->input_offset;
    const int16x2_t off2 = nt_offset2(off);
    for (int32_t s = 0; s < n; ++s) {
        const int8_t *xr = x + (size_t)s * in;
        int8_t *yr = y + (size_t)s * out;
        int32_t o = 0;
        for (; o + 3 < out; o += 4) {
            const int8_t *w0 = w + (size_t)o * in;
            const int8_t *w1 = w0 + in;
            const int8_t *w2 = w1 + in;
            const int8_t *w3 = w2 + in;
            int32_t a0 = b ? b[o] : 0;
            int32_t a1 = b ? b[o + 1] : 0;
            int32_t a2 = b ? b[o + 2] : 0;
            int32_t a3 = b ? b[o + 3] : 0;
            int32_t i = 0;
            for (; i + 3 < in; i += 4) {
                const uint32_t xv = nt_load4(xr + i);
                const int16x2_t xe = __sxtab16(off2, (int8x4_t)xv);
                const int16x2_t xo = nt_odd_bytes_plus(off2, xv);
                uint32_t wv = nt_load4(w0 + i);
                a0 = __smlad(xe, __sxtb16((int8x4_t)wv), a0);
                a0 = __smlad(xo, nt_odd_bytes(wv), a0);
                wv = nt_load4(w1 + i);
                a1 = __smlad(xe, __sxtb16((int8x4_t)wv), a1);
                a1 = __smlad(xo, nt_odd_bytes(wv), a1);
                wv = nt_load4(w2 + i);
                a2 = __smlad(xe, __sxtb16((int8x4_t)wv), a2);
                a2 = __smlad(xo, nt_odd_bytes(wv), a2);
                wv = nt_load4(w3 + i);
                a3 = __smlad(xe, __sxtb16((int8x4_t)wv), a3);
                a3 = __smlad(xo, nt_odd_bytes(wv), a3);
            }
            for (; i < in; ++i) {
                const int32_t v = xr[i] + off;
                a0 += v * w0[i];
                a1 += v * w1[i];
                a2 += v * w2[i];
                a3 += v * w3[i];
            }
            yr[o] = nt_s8_finish_fast(q, a0, o);
            yr[o + 1] = nt_s8_finish_fast(q, a1, o + 1);
            yr[o + 2] = nt_s8_finish_fast(q, a2, o + 2);
            yr[o + 3] = nt_s8_finish_fast(q, a3, o + 3);
        }
        for (; o < out; ++o) {
            const int8_t *w0 = w + (size_t)o * in;
            int32_t a = b ? b[o] : 0;
            for (int32_t i = 0; i < in; ++i) {
                a += (xr[i] + off) * w0[i];
            }
            yr[o] = nt_s8_finish_fast(q, a, o);
        }
    }
}
