/* Exact int8 conv backward (sparse update): the input gradient equals the fp32 kernel's on the dequantized
 * weights, the clamp zeroes the gradient where the output sat on it, and the QAS step follows its formula with
 * the fp32 kernel's weight gradient on the dequantized input (exactly, with values chosen so that every step is
 * a whole number of quanta), touching only the selected filters and nothing when the gradient is 0. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nt/kernels.h"
#include "nt_test.h"

static uint64_t state = 0x243F6A8885A308D3ull;

static uint32_t next(void)
{
    nt_test_xorshift(&state);
    return (uint32_t)(state >> 32);
}

static int32_t in_range(int32_t lo, int32_t hi) { return lo + (int32_t)(next() % (uint32_t)(hi - lo + 1)); }

static void check_shape(int32_t n, int32_t h, int32_t w, int32_t cin, int32_t cout, int32_t k, int32_t s, int32_t pad, int32_t groups)
{
    nt_conv2d_params_t p = { n, h, w, cin, (h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1, cout, k, s, pad, groups };
    const int32_t cig = cin / groups;
    const size_t nx = (size_t)n * h * w * cin, nw = (size_t)k * k * cig * cout, ny = (size_t)n * p.out_h * p.out_w * cout;

    /* Input gradient: int8 weights with per-channel scales against the fp32 kernel on w = s_w * w_q. */
    int8_t *wq = nt_test_alloc(nw);
    float *wf = nt_test_alloc(nw * sizeof(float)), *scales = nt_test_alloc(((size_t)cout + 1) * sizeof(float)), *dy = nt_test_alloc(ny * sizeof(float));
    for (int32_t co = 0; co < cout; ++co) {
        scales[co] = 0.001f * (float)(1 + co % 7);
        for (int32_t tap = 0; tap < k * k; ++tap) {
            for (int32_t ci = 0; ci < cig; ++ci) {
                const int8_t v = (int8_t)in_range(-127, 127);
                wq[nt_test_s8_weight_at(&p, co, tap, ci)] = v;
                wf[nt_test_f32_weight_at(&p, co, tap, ci)] = scales[co] * (float)v;
            }
        }
    }
    for (size_t i = 0; i < ny; ++i) {
        dy[i] = i % 5u == 0u ? 0.0f : (float)in_range(-1000, 1000) / 1000.0f;
    }
    float *dx = nt_test_alloc(nx * sizeof(float)), *dx_ref = nt_test_alloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; ++i) {
        dx[i] = dx_ref[i] = 0.25f * (float)(i % 3u); /* accumulated into */
    }
    nt_conv2d_s8_bwd_in(&p, dy, wq, scales, dx);
    nt_conv2d_f32_bwd_in(&p, dy, wf, dx_ref);
    NT_CHECK(nt_test_max_error(dx_ref, dx, nx) < 1e-5);

    /* The step: x_q - zero point and dy small integers, s_x = 0.5, s_w = 0.25, lr = 1: dW and db are exact in float
     * and lr * dW / s_w = 2 * (an integer), lr * db / (s_x s_w) = 8 * (an integer). */
    const int32_t zero_point = in_range(-20, 20);
    int8_t *xq = nt_test_alloc(nx);
    float *x = nt_test_alloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; ++i) {
        const int32_t v = in_range(-2, 2);
        xq[i] = (int8_t)(v + zero_point);
        x[i] = 0.5f * (float)v;
    }
    for (size_t i = 0; i < ny; ++i) {
        dy[i] = (float)in_range(-1, 1);
    }
    for (int32_t co = 0; co < cout; ++co) {
        scales[co] = 0.25f;
    }
    scales[cout] = 0.5f;
    for (int32_t co = 0; co < cout; ++co) {
        for (size_t i = 0; i < ny / (size_t)cout; ++i) {
            dy[i * (size_t)cout + co] *= co % 4 == 3 ? 0.0f : 1.0f; /* some filters with no gradient at all */
        }
    }
    float *dw = nt_test_alloc(nw * sizeof(float)), *db = nt_test_alloc((size_t)cout * sizeof(float));
    nt_conv2d_f32_bwd_w(&p, x, dy, dw, db);
    int8_t *w0 = nt_test_alloc(nw);
    int32_t *b = nt_test_alloc((size_t)cout * sizeof(int32_t)), *b0 = nt_test_alloc((size_t)cout * sizeof(int32_t));
    uint8_t *ages = nt_test_alloc((size_t)cout);
    for (size_t i = 0; i < nw; ++i) {
        wq[i] = (int8_t)in_range(-60, 60);
    }
    for (int32_t co = 0; co < cout; ++co) {
        b[co] = in_range(-1000, 1000);
        ages[co] = (uint8_t)(co % 3 == 1 ? 2 : 0); /* only age 0 trains */
    }
    memcpy(w0, wq, nw);
    memcpy(b0, b, (size_t)cout * sizeof(int32_t));
    uint32_t rng = 777u;
    float sq[2] = { 0.0f, 0.0f };
    nt_conv2d_s8_bwd_update(&p, -zero_point, xq, dy, scales, 1.0f, ages, wq, b, &rng, sq);
    double want_sq[2] = { 0.0, 0.0 }; /* the squared gradients of the filters that train */
    for (int32_t co = 0; co < cout; ++co) {
        const int trains = ages[co] == 0u;
        NT_CHECK(b[co] == (trains ? b0[co] - (int32_t)(db[co] / (0.5f * 0.25f)) : b0[co]));
        want_sq[1] += trains ? (double)db[co] * (double)db[co] : 0.0;
        for (int32_t tap = 0; tap < k * k; ++tap) {
            for (int32_t ci = 0; ci < cig; ++ci) {
                const size_t at = nt_test_s8_weight_at(&p, co, tap, ci);
                const float g = dw[nt_test_f32_weight_at(&p, co, tap, ci)];
                want_sq[0] += trains ? (double)g * (double)g : 0.0;
                const float step = g / 0.25f;
                const int32_t want = trains ? (int32_t)fmaxf(-127.0f, fminf(127.0f, (float)w0[at] - step)) : w0[at];
                NT_CHECK(wq[at] == want);
            }
        }
    }
    NT_CHECK(fabs((double)sq[0] - want_sq[0]) <= 1e-4 * want_sq[0] && fabs((double)sq[1] - want_sq[1]) <= 1e-4 * want_sq[1] && want_sq[0] > 0.0);
    /* All of dy 0: nothing moves and nothing is drawn. */
    memset(dy, 0, ny * sizeof(float));
    memcpy(w0, wq, nw);
    const uint32_t before = rng;
    nt_conv2d_s8_bwd_update(&p, -zero_point, xq, dy, scales, 1.0f, NULL, wq, b, &rng, NULL);
    NT_CHECK(rng == before && memcmp(w0, wq, nw) == 0);
    free(wq); free(wf); free(scales); free(dy); free(dx); free(dx_ref); free(xq); free(x); free(dw); free(db);
    free(w0); free(b); free(b0); free(ages);
}

static void check_clamp(void)
{
    const int8_t y[6] = { -10, -9, 0, 19, 20, 25 };
    float dy[6] = { 1, 2, 3, 4, 5, 6 };
    nt_conv2d_s8_bwd_clamp(6, -10, 20, y, dy);
    NT_CHECK(dy[0] == 0.0f && dy[1] == 2.0f && dy[2] == 3.0f && dy[3] == 4.0f && dy[4] == 0.0f && dy[5] == 0.0f);
}

int main(void)
{
    /* n, h, w, cin, cout, k, stride, pad, groups */
    const int32_t shapes[][9] = {
        { 1, 8, 8, 6, 5, 1, 1, 0, 1 },    { 2, 7, 9, 4, 6, 3, 1, 1, 1 },  { 1, 9, 9, 8, 8, 3, 2, 1, 8 },
        { 2, 6, 6, 8, 8, 3, 1, 1, 8 },    { 1, 11, 7, 6, 4, 5, 2, 2, 2 }, { 1, 10, 10, 3, 4, 7, 2, 3, 1 },
        { 1, 5, 5, 16, 16, 5, 1, 2, 16 }, { 3, 4, 4, 5, 3, 1, 2, 0, 1 },  { 1, 1, 3, 4, 4, 3, 2, 1, 4 },
        { 2, 2, 2, 3, 5, 3, 1, 1, 1 },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; ++i) {
        const int32_t *s = shapes[i];
        check_shape(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]);
    }
    check_clamp();
    return 0;
}
