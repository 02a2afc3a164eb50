/* Trainable int8 convs: the int8 condensing kernels equal the fp32 ones on the dequantized values, the clamp's
 * active counts are the positions strictly inside it, and the QAS step follows its formula (exactly where the
 * step is a whole number of quanta, on average where it is not), touching only the selected filters. */
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
    nt_conv2d_s8_gc_sums(&p, -zero_point, x_scale, xq, sums);
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
    nt_conv2d_s8_gc_bwd_in(&p, gbar, wq, scales, dx);
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
    nt_conv2d_s8_gc_update(&p, sums, gbar, scales, lr, filters, wq, b, &rng);
    const float positions = (float)(p.out_h * p.out_w);
    for (int32_t co = 0; co < cout; ++co) {
        float g = 0.0f;
        for (int32_t b_ = 0; b_ < n; ++b_) {
            g += gbar[(size_t)b_ * cout + co];
        }
        /* bias: lr * db / (s_x * s_w) with db = g * positions */
        const int32_t want_b = filters[co] == 0u ? b0[co] - (int32_t)rintf(lr * g * positions / (scales[cout] * scales[co])) : b0[co];
        NT_CHECK(b[co] == want_b);
        for (int32_t tap = 0; tap < k * k; ++tap) {
            for (int32_t ci = 0; ci < cig; ++ci) {
                float dw = 0.0f;
                for (int32_t b_ = 0; b_ < n; ++b_) {
                    dw += gbar[(size_t)b_ * cout + co] * sums[((size_t)b_ * k * k + tap) * cin + (co / (cout / groups)) * cig + ci];
                }
                /* QAS: the integer gradient s_w * dW, divided by s_w^2 */
                const float step = lr * (scales[co] * dw) / (scales[co] * scales[co]);
                const size_t at = nt_test_s8_weight_at(&p, co, tap, ci);
                const int32_t want = filters[co] == 0u ? (int32_t)fmaxf(-127.0f, fminf(127.0f, (float)w0[at] - step)) : w0[at];
                NT_CHECK(wq[at] == want);
            }
        }
    }
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
        nt_conv2d_s8_gc_update(&p, sums, gbar, scales, 1.0f, NULL, &w, NULL, &rng);
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
    nt_conv2d_s8_gc_update(&p, sums, zero, scales, 1.0f, NULL, &w, &b, &rng);
    NT_CHECK(w == 5 && b == 7 && rng == before);
}

static void check_count(void)
{
    /* 2 samples, 3 positions, 2 channels; clamp [-10, 20]: the ends are clamped. */
    const int8_t y[12] = { -10, 0, 5, 20, 19, -9, 3, 3, -10, -10, 20, 20 };
    float active[4];
    nt_conv2d_s8_gc_count(2, 3, 2, -10, 20, y, active);
    NT_CHECK(active[0] == 2.0f && active[1] == 2.0f && active[2] == 1.0f && active[3] == 1.0f);
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
    check_unbiased();
    check_count();
    return 0;
}
