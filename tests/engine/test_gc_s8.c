/* Trainable int8 convs: the int8 condensing kernels equal the fp32 ones on the dequantized values, the clamp's
 * active counts are the positions strictly inside it, and the QAS step follows its formula (exactly where the
 * step is a whole number of quanta, on average where it is not), touching only the selected filters. Over patches,
 * where the output gradient is constant on each patch, dW and db are the exact ones and the input gradient is the
 * exact one's mean over each input patch. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nt/kernels.h"
#include "nt_test.h"

static uint64_t state = 0x13198A2E03707344ull;

static uint32_t next(void)
{
    nt_test_xorshift(&state);
    return (uint32_t)(state >> 32);
}

static int8_t s8_in(int32_t lo, int32_t hi) { return (int8_t)(lo + (int32_t)(next() % (uint32_t)(hi - lo + 1))); }

static const nt_gc_grid_t whole = { 1, 1, 1 << 20, 1 << 20 };

static void check_shape(int32_t n, int32_t h, int32_t w, int32_t cin, int32_t cout, int32_t k, int32_t s, int32_t pad, int32_t groups)
{
    nt_conv2d_params_t p = { n, h, w, cin, (h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1, cout, k, s, pad, groups };
    const int32_t cig = cin / groups;
    const size_t nx = (size_t)n * h * w * cin, nw = (size_t)k * k * cig * cout;
    const int32_t zero_point = s8_in(-20, 20);
    const float x_scale = 0.037f;
    int8_t *xq = nt_test_alloc(nx);
    float *x = nt_test_alloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; ++i) {
        xq[i] = s8_in(-128, 127);
        x[i] = x_scale * (float)(xq[i] - zero_point);
    }
    float *sums = nt_test_alloc((size_t)n * k * k * cin * sizeof(float)), *ref = nt_test_alloc((size_t)n * k * k * cin * sizeof(float));
    nt_conv2d_s8_gc_sums(&p, &whole, k * k, -zero_point, x_scale, xq, sums);
    nt_conv2d_f32_gc_sums(&p, x, ref);
    NT_CHECK(nt_test_max_error(ref, sums, (size_t)n * k * k * cin) < 1e-5);

    /* The input gradient from int8 weights with per-channel scales equals the fp32 kernel's on w = s_w * w_q. */
    int8_t *wq = nt_test_alloc(nw);
    float *wf = nt_test_alloc(nw * sizeof(float)), *scales = nt_test_alloc(((size_t)cout + 1) * sizeof(float));
    float *gbar = nt_test_alloc((size_t)n * cout * sizeof(float));
    for (int32_t co = 0; co < cout; ++co) {
        scales[co] = 0.001f * (float)(1 + co % 7);
    }
    scales[cout] = x_scale;
    for (int32_t co = 0; co < cout; ++co) {
        for (int32_t tap = 0; tap < k * k; ++tap) {
            for (int32_t ci = 0; ci < cig; ++ci) {
                const int8_t v = s8_in(-127, 127);
                wq[nt_test_s8_weight_at(&p, co, tap, ci)] = v;
                wf[nt_test_f32_weight_at(&p, co, tap, ci)] = scales[co] * (float)v;
            }
        }
    }
    for (size_t i = 0; i < (size_t)n * cout; ++i) {
        gbar[i] = (float)(int32_t)(next() % 2001u - 1000u) / 1000.0f;
    }
    float *dx = nt_test_alloc((size_t)n * cin * sizeof(float)), *dx_ref = nt_test_alloc((size_t)n * cin * sizeof(float));
    nt_conv2d_s8_gc_bwd_in(&p, &whole, &whole, gbar, wq, scales, dx);
    nt_conv2d_f32_gc_bwd_in(&p, gbar, wf, dx_ref);
    NT_CHECK(nt_test_max_error(dx_ref, dx, (size_t)n * cin) < 1e-5);

    /* QAS with whole steps: choose lr so that lr * dW / s_w is an integer for every weight; the update is then
     * exact whatever the rounding draws. dW = sum_n gbar[n,co] * sums[n,tap,c]; with sums and gbar set to
     * small integers (times powers of two) every product is exact in float. */
    for (size_t i = 0; i < (size_t)n * k * k * cin; ++i) {
        sums[i] = (float)(int32_t)(next() % 5u) - 2.0f;
    }
    for (size_t i = 0; i < (size_t)n * cout; ++i) {
        gbar[i] = (float)(int32_t)(next() % 3u) - 1.0f;
    }
    for (int32_t co = 0; co < cout; ++co) {
        scales[co] = 0.25f; /* s_w: lr / s_w = 4 */
    }
    scales[cout] = 0.5f;
    int8_t *w0 = nt_test_alloc(nw);
    int32_t *b = nt_test_alloc((size_t)cout * sizeof(int32_t)), *b0 = nt_test_alloc((size_t)cout * sizeof(int32_t));
    for (size_t i = 0; i < nw; ++i) {
        wq[i] = s8_in(-60, 60);
    }
    for (int32_t co = 0; co < cout; ++co) {
        b[co] = (int32_t)(next() % 1000u);
    }
    memcpy(w0, wq, nw);
    memcpy(b0, b, (size_t)cout * sizeof(int32_t));
    uint8_t *filters = nt_test_alloc((size_t)cout);
    for (int32_t co = 0; co < cout; ++co) {
        filters[co] = (uint8_t)(co % 3 == 1 ? 3 : 0); /* ages: only age 0 trains */
    }
    uint32_t rng = 12345u;
    const float lr = 1.0f;
    float sq[2] = { 0.0f, 0.0f };
    nt_conv2d_s8_gc_update(&p, &whole, k * k, sums, gbar, scales, lr, filters, wq, b, &rng, sq);
    const float positions = (float)(p.out_h * p.out_w);
    float want_sq[2] = { 0.0f, 0.0f }; /* the squared gradients of the filters that train (small integers: exact) */
    for (int32_t co = 0; co < cout; ++co) {
        float g = 0.0f;
        for (int32_t b_ = 0; b_ < n; ++b_) {
            g += gbar[(size_t)b_ * cout + co];
        }
        want_sq[1] += filters[co] == 0u ? g * positions * g * positions : 0.0f;
        /* bias: lr * db / (s_x * s_w) with db = g * positions */
        const int32_t want_b = filters[co] == 0u ? b0[co] - (int32_t)rintf(lr * g * positions / (scales[cout] * scales[co])) : b0[co];
        NT_CHECK(b[co] == want_b);
        for (int32_t tap = 0; tap < k * k; ++tap) {
            for (int32_t ci = 0; ci < cig; ++ci) {
                float dw = 0.0f;
                for (int32_t b_ = 0; b_ < n; ++b_) {
                    dw += gbar[(size_t)b_ * cout + co] * sums[((size_t)b_ * k * k + tap) * cin + (co / (cout / groups)) * cig + ci];
                }
                want_sq[0] += filters[co] == 0u ? dw * dw : 0.0f;
                /* QAS: the integer gradient s_w * dW, divided by s_w^2 */
                const float step = lr * (scales[co] * dw) / (scales[co] * scales[co]);
                const size_t at = nt_test_s8_weight_at(&p, co, tap, ci);
                const int32_t want = filters[co] == 0u ? (int32_t)fmaxf(-127.0f, fminf(127.0f, (float)w0[at] - step)) : w0[at];
                NT_CHECK(wq[at] == want);
            }
        }
    }
    NT_CHECK(sq[0] == want_sq[0] && sq[1] == want_sq[1]);
    free(xq); free(x); free(sums); free(ref); free(wq); free(wf); free(scales); free(gbar); free(dx); free(dx_ref);
    free(w0); free(b); free(b0); free(filters);
}

/* Steps of a fraction of a quantum move the weight by that fraction on average (stochastic rounding is unbiased). */
static void check_unbiased(void)
{
    nt_conv2d_params_t p = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1 };
    const float scales[2] = { 1.0f, 1.0f };
    const float sums[1] = { 1.0f };
    const float gbar[1] = { 0.3f };
    uint32_t rng = 99u;
    int64_t moved = 0;
    const int trials = 20000;
    for (int t = 0; t < trials; ++t) {
        int8_t w = 0;
        nt_conv2d_s8_gc_update(&p, &whole, 1, sums, gbar, scales, 1.0f, NULL, &w, NULL, &rng, NULL);
        NT_CHECK(w == 0 || w == -1);
        moved += w;
    }
    const double mean = (double)moved / trials;
    NT_CHECK(fabs(mean + 0.3) < 0.02);
    /* A zero gradient changes nothing and draws nothing. */
    const uint32_t before = rng;
    int8_t w = 5;
    int32_t b = 7;
    const float zero[1] = { 0.0f };
    nt_conv2d_s8_gc_update(&p, &whole, 1, sums, zero, scales, 1.0f, NULL, &w, &b, &rng, NULL);
    NT_CHECK(w == 5 && b == 7 && rng == before);
}

static void check_count(void)
{
    /* 2 samples, 3 positions, 2 channels; clamp [-10, 20]: the ends are clamped. */
    const int8_t y[12] = { -10, 0, 5, 20, 19, -9, 3, 3, -10, -10, 20, 20 };
    float active[4];
    nt_conv2d_s8_gc_count(2, 1, 3, 2, &whole, -10, 20, y, active);
    NT_CHECK(active[0] == 2.0f && active[1] == 2.0f && active[2] == 1.0f && active[3] == 1.0f);
    /* Over patches of 1 x 2 positions (the last one cut to 1): per patch. */
    nt_gc_grid_t grid;
    NT_CHECK(nt_gc_grid_of(1, 3, 1, 2, &grid) && grid.patch_w == 2);
    float patched[8];
    nt_conv2d_s8_gc_count(2, 1, 3, 2, &grid, -10, 20, y, patched);
    const float want[8] = { 1, 1, 1, 1, 1, 1, 0, 0 };
    for (int i = 0; i < 8; ++i) {
        NT_CHECK(patched[i] == want[i]);
    }
}

/* Grids: the patch sizes, the refused counts, the edge patches' positions. */
static void check_grid(void)
{
    nt_gc_grid_t g;
    NT_CHECK(nt_gc_grid_of(5, 5, 3, 2, &g) && g.patch_h == 2 && g.patch_w == 3);
    NT_CHECK(nt_gc_patch_positions(&g, 5, 5, 2, 1) == 2); /* one row of two columns */
    NT_CHECK(nt_gc_patch_positions(&g, 5, 5, 0, 0) == 6);
    NT_CHECK(!nt_gc_grid_of(5, 5, 4, 1, &g)); /* patches of 2 make 3 rows, not 4 */
    NT_CHECK(!nt_gc_grid_of(5, 5, 6, 1, &g) && !nt_gc_grid_of(5, 5, 0, 1, &g));
    NT_CHECK(nt_gc_grid_of(5, 5, 5, 5, &g) && g.patch_h == 1); /* patches of one position: the full map */
}

/* Over a grid of rows x cols patches of the output: an output gradient constant on each patch gives the exact dW, db
 * (from the sums) and, per input patch of in_rows x in_cols, the mean of the exact dx; taps = 1 keeps the centre
 * tap's sums; the QAS step from patches follows its formula. */
static void check_patches(const int32_t *s, int32_t rows, int32_t cols, int32_t in_rows, int32_t in_cols)
{
    const int32_t n = s[0], h = s[1], w = s[2], cin = s[3], cout = s[4], k = s[5], st = s[6], pad = s[7], groups = s[8];
    nt_conv2d_params_t p = { n, h, w, cin, (h + 2 * pad - k) / st + 1, (w + 2 * pad - k) / st + 1, cout, k, st, pad, groups };
    nt_gc_grid_t og, ig;
    NT_CHECK(nt_gc_grid_of(p.out_h, p.out_w, rows, cols, &og) && nt_gc_grid_of(h, w, in_rows, in_cols, &ig));
    const int32_t cig = cin / groups, patches = rows * cols, in_patches = in_rows * in_cols;
    const size_t nx = (size_t)n * h * w * cin, nw = (size_t)k * k * cig * cout, ny = (size_t)n * p.out_h * p.out_w * cout;
    const int32_t zero_point = s8_in(-20, 20);
    const float x_scale = 0.037f;
    int8_t *xq = nt_test_alloc(nx), *wq = nt_test_alloc(nw);
    float *x = nt_test_alloc(nx * sizeof(float)), *scales = nt_test_alloc(((size_t)cout + 1) * sizeof(float));
    for (size_t i = 0; i < nx; ++i) {
        xq[i] = s8_in(-128, 127);
        x[i] = x_scale * (float)(xq[i] - zero_point);
    }
    for (int32_t co = 0; co < cout; ++co) {
        scales[co] = 0.001f * (float)(1 + co % 7);
    }
    scales[cout] = x_scale;
    for (size_t i = 0; i < nw; ++i) {
        wq[i] = s8_in(-127, 127);
    }
    /* gbar per output patch, and the full map it stands for. */
    float *gbar = nt_test_alloc((size_t)n * patches * cout * sizeof(float)), *dy = nt_test_alloc(ny * sizeof(float));
    for (size_t i = 0; i < (size_t)n * patches * cout; ++i) {
        gbar[i] = (float)(int32_t)(next() % 2001u - 1000u) / 1000.0f;
    }
    for (int32_t b = 0; b < n; ++b) {
        for (int32_t oh = 0; oh < p.out_h; ++oh) {
            for (int32_t ow = 0; ow < p.out_w; ++ow) {
                const int32_t q = oh / og.patch_h * cols + ow / og.patch_w;
                memcpy(dy + (((size_t)b * p.out_h + oh) * p.out_w + ow) * cout, gbar + ((size_t)b * patches + q) * cout, (size_t)cout * sizeof(float));
            }
        }
    }
    /* dW and db from the sums against the exact kernel on the dequantized input. */
    const size_t ns = (size_t)n * patches * k * k * cin;
    float *sums = nt_test_alloc(ns * sizeof(float)), *centre = nt_test_alloc((size_t)n * patches * cin * sizeof(float));
    nt_conv2d_s8_gc_sums(&p, &og, k * k, -zero_point, x_scale, xq, sums);
    nt_conv2d_s8_gc_sums(&p, &og, 1, -zero_point, x_scale, xq, centre);
    float *dw = nt_test_alloc(nw * sizeof(float)), *dw_ref = nt_test_alloc(nw * sizeof(float));
    float *db_ref = nt_test_alloc((size_t)cout * sizeof(float));
    nt_conv2d_f32_bwd_w(&p, x, dy, dw_ref, db_ref);
    for (int32_t b = 0; b < n; ++b) {
        for (int32_t q = 0; q < patches; ++q) {
            for (int32_t co = 0; co < cout; ++co) {
                for (int32_t tap = 0; tap < k * k; ++tap) {
                    for (int32_t ci = 0; ci < cig; ++ci) {
                        const size_t at = (((size_t)b * patches + q) * k * k + tap) * cin + (size_t)(co / (cout / groups)) * cig + ci;
                        dw[nt_test_f32_weight_at(&p, co, tap, ci)] += gbar[((size_t)b * patches + q) * cout + co] * sums[at];
                    }
                }
            }
            for (int32_t ci = 0; ci < cin; ++ci) {
                const size_t at = (((size_t)b * patches + q) * k * k + (size_t)(k / 2 * k + k / 2)) * cin + ci;
                NT_CHECK(centre[((size_t)b * patches + q) * cin + ci] == sums[at]);
            }
        }
    }
    NT_CHECK(nt_test_max_error(dw_ref, dw, nw) < 1e-4);

    /* dx: the exact input gradient's mean over each input patch. */
    float *dx_full = nt_test_alloc(nx * sizeof(float)), *dx_mean = nt_test_alloc((size_t)n * in_patches * cin * sizeof(float));
    float *dx = nt_test_alloc((size_t)n * in_patches * cin * sizeof(float));
    nt_conv2d_s8_bwd_in(&p, dy, wq, scales, dx_full);
    for (int32_t b = 0; b < n; ++b) {
        for (int32_t i = 0; i < h * w; ++i) {
            const int32_t q = i / w / ig.patch_h * in_cols + i % w / ig.patch_w;
            const float share = 1.0f / (float)nt_gc_patch_positions(&ig, h, w, q / in_cols, q % in_cols);
            for (int32_t ci = 0; ci < cin; ++ci) {
                dx_mean[((size_t)b * in_patches + q) * cin + ci] += share * dx_full[((size_t)b * h * w + i) * cin + ci];
            }
        }
    }
    nt_conv2d_s8_gc_bwd_in(&p, &og, &ig, gbar, wq, scales, dx);
    NT_CHECK(nt_test_max_error(dx_mean, dx, (size_t)n * in_patches * cin) < 1e-4);

    /* QAS from patches with whole steps (small integers, lr / s_w = 4): exact whatever the rounding draws. */
    for (size_t i = 0; i < ns; ++i) {
        sums[i] = (float)(int32_t)(next() % 5u) - 2.0f;
    }
    for (size_t i = 0; i < (size_t)n * patches * cout; ++i) {
        gbar[i] = (float)(int32_t)(next() % 3u) - 1.0f;
    }
    for (int32_t co = 0; co < cout; ++co) {
        scales[co] = 0.25f;
    }
    scales[cout] = 0.5f;
    int8_t *w0 = nt_test_alloc(nw);
    int32_t *bias = nt_test_alloc((size_t)cout * sizeof(int32_t));
    for (size_t i = 0; i < nw; ++i) {
        wq[i] = s8_in(-60, 60);
    }
    memcpy(w0, wq, nw);
    uint32_t rng = 7u;
    float sq[2] = { 0.0f, 0.0f }, want_sq[2] = { 0.0f, 0.0f };
    nt_conv2d_s8_gc_update(&p, &og, k * k, sums, gbar, scales, 1.0f, NULL, wq, bias, &rng, sq);
    for (int32_t co = 0; co < cout; ++co) {
        float db = 0.0f;
        for (int32_t b = 0; b < n; ++b) {
            for (int32_t q = 0; q < patches; ++q) {
                db += gbar[((size_t)b * patches + q) * cout + co] * (float)nt_gc_patch_positions(&og, p.out_h, p.out_w, q / cols, q % cols);
            }
        }
        NT_CHECK(bias[co] == -(int32_t)rintf(db / (scales[cout] * scales[co])));
        want_sq[1] += db * db;
        for (int32_t tap = 0; tap < k * k; ++tap) {
            for (int32_t ci = 0; ci < cig; ++ci) {
                float g = 0.0f;
                for (int32_t b = 0; b < n; ++b) {
                    for (int32_t q = 0; q < patches; ++q) {
                        g += gbar[((size_t)b * patches + q) * cout + co] *
                             sums[(((size_t)b * patches + q) * k * k + tap) * cin + (size_t)(co / (cout / groups)) * cig + ci];
                    }
                }
                const size_t at = nt_test_s8_weight_at(&p, co, tap, ci);
                NT_CHECK(wq[at] == (int32_t)fmaxf(-127.0f, fminf(127.0f, (float)w0[at] - 4.0f * g)));
                want_sq[0] += g * g;
            }
        }
    }
    NT_CHECK(sq[0] == want_sq[0] && sq[1] == want_sq[1]);
    free(xq); free(wq); free(x); free(scales); free(gbar); free(dy); free(sums); free(centre); free(dw); free(dw_ref); free(db_ref);
    free(dx_full); free(dx_mean); free(dx); free(w0); free(bias);
}

int main(void)
{
    /* n, h, w, cin, cout, k, stride, pad, groups */
    const int32_t shapes[][9] = {
        { 1, 8, 8, 6, 5, 1, 1, 0, 1 },    { 2, 7, 9, 4, 6, 3, 1, 1, 1 },  { 1, 9, 9, 8, 8, 3, 2, 1, 8 },
        { 2, 6, 6, 8, 8, 3, 1, 1, 8 },    { 1, 11, 7, 6, 4, 5, 2, 2, 2 }, { 1, 10, 10, 3, 4, 7, 2, 3, 1 },
        { 1, 5, 5, 16, 16, 5, 1, 2, 16 }, { 3, 4, 4, 5, 3, 1, 2, 0, 1 },
        /* taps that reach no input, maps smaller than the kernel */
        { 1, 1, 3, 4, 4, 3, 2, 1, 4 },    { 2, 2, 2, 3, 5, 3, 1, 1, 1 },  { 1, 6, 5, 8, 8, 3, 2, 0, 8 },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; ++i) {
        const int32_t *s = shapes[i];
        check_shape(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]);
    }
    /* shape index, output patch rows and columns, input patch rows and columns */
    const int32_t grids[][5] = {
        { 0, 4, 4, 4, 4 }, { 1, 4, 5, 4, 5 }, { 2, 3, 3, 5, 5 }, { 3, 3, 2, 2, 3 }, { 4, 2, 2, 6, 4 },
        { 5, 3, 3, 5, 5 }, { 6, 3, 3, 3, 3 }, { 7, 2, 2, 2, 2 }, { 9, 1, 1, 2, 2 }, { 10, 2, 2, 1, 1 }, { 3, 1, 1, 1, 1 },
    };
    for (size_t i = 0; i < sizeof grids / sizeof grids[0]; ++i) {
        check_patches(shapes[grids[i][0]], grids[i][1], grids[i][2], grids[i][3], grids[i][4]);
    }
    check_grid();
    check_unbiased();
    check_count();
    return 0;
}
