#include "nt/kernels.h"
#include "nt/quant.h"

void nt_fc_s8_fwd(int32_t n, int32_t in, int32_t out, const nt_s8_quant_t *q, const int8_t *x, const int8_t *w,
                  const int32_t *b, int8_t *y)
{
    for (int32_t s = 0; s < n; ++s) {
        const int8_t *xr = x + (size_t)s * in;
        for (int32_t o = 0; o < out; ++o) {
            const int8_t *wr = w + (size_t)o * in;
            int32_t acc = b ? b[o] : 0;
            for (int32_t i = 0; i < in; ++i) {
                acc += ((int32_t)xr[i] + q->input_offset) * wr[i];
            }
            int32_t v = nt_requantize(acc, q->multiplier[o], q->shift[o]) + q->output_offset;
            v = v < q->act_min ? q->act_min : v;
            v = v > q->act_max ? q->act_max : v;
            y[(size_t)s * out + o] = (int8_t)v;
        }
    }
}
