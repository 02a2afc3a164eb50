#include <string.h>

#include "nt/kernels.h"

#include "nt_conv2d_gc_taps.h"

/* The whole map's shifted-window sums by inclusion-exclusion instead of one pass per tap. Tap (kh, kw) reads the input
 * rows R = {oh*stride - pad + kh} and columns C = {ow*stride - pad + kw} inside the input: a sub-range of one
 * residue class of rows (mod stride) and one of columns. Its sum is the class's total, less the class's rows
 * outside R and columns outside C, plus the positions in both (taken off twice). Cost: one pass over the
 * input plus a few border rows and columns per tap, against k*k passes. The int8 values are summed as floats
 * holding integers (exact below 2^16 input positions); then each tap adds its count of positions times the
 * input offset and is scaled. */

/* First and last input index a tap reaches along one axis, or first > last when it reaches none. */
static void reach(int32_t out, int32_t in, int32_t stride, int32_t pad, int32_t tap, int32_t *first, int32_t *last)
{
    int32_t o0, o1;
    nt_tap_outputs(out, in, stride, pad, tap, &o0, &o1);
    *first = o0 * stride - pad + tap;
    *last = o1 > o0 ? (o1 - 1) * stride - pad + tap : *first - 1;
}

/* s[c] += sign * sum over rows r0, r0+step, ... <= r1 and columns c0, c0+step, ... <= c1 of x. */
static void add_block(const nt_conv2d_params_t *p, const int8_t *x, int32_t r0, int32_t r1, int32_t c0, int32_t c1, int32_t step,
                      float sign, float *s)
{
    for (int32_t r = r0; r <= r1; r += step) {
        for (int32_t col = c0; col <= c1; col += step) {
            const int8_t *px = x + ((size_t)r * p->in_w + col) * p->in_c;
            for (int32_t c = 0; c < p->in_c; ++c) {
                s[c] += sign * (float)px[c];
            }
        }
    }
}

/* Patch by patch, or the centre tap only: each output position adds the input under each of its taps to its patch's
 * sums (a depthwise conv's work), the offset with each. */
__attribute__((noinline)) static void patch_sums(const nt_conv2d_params_t *p, const nt_gc_grid_t *grid, int32_t taps, int32_t input_offset, float x_scale, const int8_t *x,
                       float *sums)
{
    const int32_t k = p->kernel;
    const int32_t t0 = taps == 1 ? k / 2 : 0, t1 = taps == 1 ? k / 2 + 1 : k; /* the taps summed along each axis */
    const size_t cin = (size_t)p->in_c;
    const size_t per_sample = (size_t)grid->rows * grid->cols * taps * cin;
    const float offset = (float)input_offset;
    for (int32_t n = 0; n < p->n; ++n) {
        const int8_t *xn = x + (size_t)n * p->in_h * p->in_w * cin;
        float *sn = sums + (size_t)n * per_sample;
        memset(sn, 0, per_sample * sizeof *sn);
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                float *sp = sn + ((size_t)(oh / grid->patch_h) * grid->cols + ow / grid->patch_w) * taps * cin;
                for (int32_t kh = t0; kh < t1; ++kh) {
                    const int32_t ih = oh * p->stride - p->pad + kh;
                    for (int32_t kw = t0; kw < t1; ++kw) {
                        const int32_t iw = ow * p->stride - p->pad + kw;
                        if (ih < 0 || ih >= p->in_h || iw < 0 || iw >= p->in_w) {
                            continue;
                        }
                        const int8_t *px = xn + ((size_t)ih * p->in_w + iw) * cin;
                        float *s = sp + (taps == 1 ? 0 : (size_t)(kh * k + kw) * cin);
                        for (size_t c = 0; c < cin; ++c) {
                            s[c] += (float)px[c] + offset;
                        }
                    }
                }
            }
        }
        for (size_t i = 0; i < per_sample; ++i) {
            sn[i] *= x_scale;
        }
    }
}

void nt_conv2d_s8_gc_sums(const nt_conv2d_params_t *p, const nt_gc_grid_t *grid, int32_t taps, int32_t input_offset, float x_scale, const int8_t *x,
                          float *sums)
{
    if (grid->rows * grid->cols != 1 || taps != p->kernel * p->kernel) {
        patch_sums(p, grid, taps, input_offset, x_scale, x, sums);
        return;
    }
    const int32_t k = p->kernel, st = p->stride, pad = p->pad;
    const size_t cin = (size_t)p->in_c;
    /* The input rows each kh reaches and the columns each kw reaches, with their residue class's last index. */
    int32_t r0[7], r1[7], rl[7], c0[7], c1[7], cl[7];
    for (int32_t t = 0; t < k; ++t) {
        reach(p->out_h, p->in_h, st, pad, t, &r0[t], &r1[t]);
        reach(p->out_w, p->in_w, st, pad, t, &c0[t], &c1[t]);
        rl[t] = r0[t] % st + (p->in_h - 1 - r0[t] % st) / st * st;
        cl[t] = c0[t] % st + (p->in_w - 1 - c0[t] % st) / st * st;
    }
    for (int32_t n = 0; n < p->n; ++n) {
        const int8_t *xn = x + (size_t)n * p->in_h * p->in_w * cin;
        float *sn = sums + (size_t)n * k * k * cin;
        /* Each residue class's total goes into the first tap of that class; the others copy it. */
        for (int32_t tap = 0; tap < k * k; ++tap) {
            const int32_t kh = tap / k, kw = tap % k;
            float *s = sn + (size_t)tap * cin;
            if (r0[kh] > r1[kh] || c0[kw] > c1[kw]) {
                memset(s, 0, cin * sizeof *s); /* reaches no input */
                continue;
            }
            int32_t source = -1;
            for (int32_t t = 0; t < tap && source < 0; ++t) {
                const int32_t th = t / k, tw = t % k;
                if (r0[th] <= r1[th] && c0[tw] <= c1[tw] && r0[th] % st == r0[kh] % st && c0[tw] % st == c0[kw] % st) {
                    source = t;
                }
            }
            if (source >= 0) {
                /* The source tap still holds the class total: its own corrections come last (below). */
                memcpy(s, sn + (size_t)source * cin, cin * sizeof *s);
            } else {
                memset(s, 0, cin * sizeof *s);
                add_block(p, xn, r0[kh] % st, rl[kh], c0[kw] % st, cl[kw], st, 1.0f, s);
            }
        }
        /* Corrections, the offset, then the scale. A tap that is another's source is corrected after every copy of it. */
        for (int32_t tap = 0; tap < k * k; ++tap) {
            const int32_t kh = tap / k, kw = tap % k;
            float *s = sn + (size_t)tap * cin;
            if (r0[kh] > r1[kh] || c0[kw] > c1[kw]) {
                continue;
            }
            const int32_t rf = r0[kh] % st, cf = c0[kw] % st;
            /* Class rows before r0 and after r1 over all class columns; class columns outside [c0, c1] over all
             * class rows; the corners were taken off twice. */
            add_block(p, xn, rf, r0[kh] - st, cf, cl[kw], st, -1.0f, s);
            add_block(p, xn, r1[kh] + st, rl[kh], cf, cl[kw], st, -1.0f, s);
            add_block(p, xn, rf, rl[kh], cf, c0[kw] - st, st, -1.0f, s);
            add_block(p, xn, rf, rl[kh], c1[kw] + st, cl[kw], st, -1.0f, s);
            add_block(p, xn, rf, r0[kh] - st, cf, c0[kw] - st, st, 1.0f, s);
            add_block(p, xn, rf, r0[kh] - st, c1[kw] + st, cl[kw], st, 1.0f, s);
            add_block(p, xn, r1[kh] + st, rl[kh], cf, c0[kw] - st, st, 1.0f, s);
            add_block(p, xn, r1[kh] + st, rl[kh], c1[kw] + st, cl[kw], st, 1.0f, s);
            const float offset = (float)(((r1[kh] - r0[kh]) / st + 1) * ((c1[kw] - c0[kw]) / st + 1) * input_offset);
            for (size_t c = 0; c < cin; ++c) {
                s[c] = x_scale * (s[c] + offset);
            }
        }
    }
}
