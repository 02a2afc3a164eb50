/* int8 fully connected for ARMv7E-M: four output neurons at a time (then two, then one), SMLAD over four
 * inputs per step with each input word widened once for all the rows (a layer has too few outputs for a
 * widened column to pay off); outputs requantized with one SMMLAR each and packed. Equal to the reference bit
 * for bit (exact int32 sums). Input sizes that are not a multiple of 4, and layers with a non-negative shift
 * or a bias too large to double, take the plain loop. */
#include "nt/kernels.h"
#include "../../../nt_dsp_armv7em.h"
#include "../../../nt_s8_requantize_fast.h"

static void fc_plain(int32_t n, int32_t in, int32_t out, const nt_s8_quant_t *q, const int8_t *x, const int8_t *w, const int32_t *b,
                     int8_t *y)
{
    for (int32_t s = 0; s < n; ++s) {
        for (int32_t o = 0; o < out; ++o) {
            int32_t a = b ? b[o] : 0;
            for (int32_t i = 0; i < in; ++i) {
                a += (x[(size_t)s * in + i] + q->input_offset) * w[(size_t)o * in + i];
            }
            y[(size_t)s * out + o] = nt_s8_finish_fast(q, a, o);
        }
    }
}

/* One output from a sum (doubled here: nt_s8_doubling_fits holds). */
static inline int32_t fc_requant(const nt_s8_quant_t *q, int32_t acc, int32_t o)
{
    return nt_requantize_right_doubled(acc * 2, q->multiplier[o], ~q->shift[o]) + q->output_offset;
}

void nt_fc_s8_fwd(int32_t n, int32_t in, int32_t out, const nt_s8_quant_t *quant, const int8_t *x, const int8_t *w,
                  const int32_t *b, int8_t *y)
{
    if (in % 4 != 0 || !nt_s8_doubling_fits(quant, b, out, in)) {
        fc_plain(n, in, out, quant, x, w, b, y);
        return;
    }
    /* A local copy: the int8 stores below could alias *quant, which would force reloads of every field. */
    const nt_s8_quant_t local = *quant;
    const nt_s8_quant_t *q = &local;
    const int16x2_t off2 = nt_offset2(q->input_offset);
    const uint32_t min4 = nt_bytes4(q->act_min);
    const uint32_t max4 = nt_bytes4(q->act_max);
    for (int32_t s = 0; s < n; ++s) {
        const int8_t *xr = x + (size_t)s * in;
        int8_t *yr = y + (size_t)s * out;
        const int8_t *x_end = xr + in;
        int32_t o = 0;
        for (; o + 3 < out; o += 4) {
            /* Rows o, o+1 from wp and rows o+2, o+3 from wq, each pair one row stride apart. */
            const int8_t *wp = w + (size_t)o * in;
            const int8_t *wq = wp + 2 * in;
            int32_t a0 = b ? b[o] : 0;
            int32_t a1 = b ? b[o + 1] : 0;
            int32_t a2 = b ? b[o + 2] : 0;
            int32_t a3 = b ? b[o + 3] : 0;
            for (const int8_t *xp = xr; xp < x_end; xp += 4, wp += 4, wq += 4) {
                const uint32_t xv = nt_load4(xp);
                const int16x2_t xe = __sxtab16(off2, (int8x4_t)xv);
                const int16x2_t xo = nt_odd_bytes_plus(off2, xv);
                uint32_t wv = nt_load4(wp);
                a0 = __smlad(xe, __sxtb16((int8x4_t)wv), a0);
                a0 = __smlad(xo, nt_odd_bytes(wv), a0);
                wv = nt_load4(wp + in);
                a1 = __smlad(xe, __sxtb16((int8x4_t)wv), a1);
                a1 = __smlad(xo, nt_odd_bytes(wv), a1);
                wv = nt_load4(wq);
                a2 = __smlad(xe, __sxtb16((int8x4_t)wv), a2);
                a2 = __smlad(xo, nt_odd_bytes(wv), a2);
                wv = nt_load4(wq + in);
                a3 = __smlad(xe, __sxtb16((int8x4_t)wv), a3);
                a3 = __smlad(xo, nt_odd_bytes(wv), a3);
            }
            nt_store4(yr + o, nt_s8_pack4(fc_requant(q, a0, o), fc_requant(q, a1, o + 1), fc_requant(q, a2, o + 2), fc_requant(q, a3, o + 3),
                                          min4, max4));
        }
        if (o + 1 < out) {
            const int8_t *wp = w + (size_t)o * in;
            int32_t a0 = b ? b[o] : 0;
            int32_t a1 = b ? b[o + 1] : 0;
            for (const int8_t *xp = xr; xp < x_end; xp += 4, wp += 4) {
                const uint32_t xv = nt_load4(xp);
                const int16x2_t xe = __sxtab16(off2, (int8x4_t)xv);
                const int16x2_t xo = nt_odd_bytes_plus(off2, xv);
                uint32_t wv = nt_load4(wp);
                a0 = __smlad(xe, __sxtb16((int8x4_t)wv), a0);
                a0 = __smlad(xo, nt_odd_bytes(wv), a0);
                wv = nt_load4(wp + in);
                a1 = __smlad(xe, __sxtb16((int8x4_t)wv), a1);
                a1 = __smlad(xo, nt_odd_bytes(wv), a1);
            }
            nt_store2(yr + o, nt_s8_pack2(fc_requant(q, a0, o), fc_requant(q, a1, o + 1), min4, max4));
            o += 2;
        }
        if (o < out) {
            const int8_t *wp = w + (size_t)o * in;
            int32_t a0 = b ? b[o] : 0;
            for (const int8_t *xp = xr; xp < x_end; xp += 4, wp += 4) {
                const uint32_t xv = nt_load4(xp);
                const uint32_t wv = nt_load4(wp);
                a0 = __smlad(__sxtab16(off2, (int8x4_t)xv), __sxtb16((int8x4_t)wv), a0);
                a0 = __smlad(nt_odd_bytes_plus(off2, xv), nt_odd_bytes(wv), a0);
            }
            const int32_t v = fc_requant(q, a0, o);
            yr[o] = (int8_t)(v < q->act_min ? q->act_min : (v > q->act_max ? q->act_max : v));
        }
    }
}
