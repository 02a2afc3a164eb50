/* Gradient condensing: where the output gradient is spatially constant, the condensed kernels give the
 * exact kernels' weight and bias gradients and the spatial mean of the exact input gradient, for dense,
 * grouped and depthwise convs of every kernel size, stride and padding; where it is not constant, the
 * condensed weight gradient is an approximation (it differs). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nt/kernels.h"
#include "nt_test.h"

static uint64_t state = 0x243F6A8885A308D3ull;

static float uniform(float lo, float hi)
{
    nt_test_xorshift(&state);
    return lo + (hi - lo) * (float)((state >> 40) & 0xFFFFFFu) / 16777216.0f;
}

static float *fill(size_t count, float lo, float hi)
{
    float *v = malloc(count * sizeof *v);
    NT_CHECK(v != NULL);
    for (size_t i = 0; i < count; ++i) {
        v[i] = uniform(lo, hi);
    }
    return v;
}

static float *zeros(size_t count)
{
    float *v = calloc(count, sizeof *v);
    NT_CHECK(v != NULL);
    return v;
}

/* One conv shape: returns the condensed dW's error against the exact one (with a constant gradient when
 * `constant`, after checking db and dx then). */
static double check_conv(int32_t n, int32_t h, int32_t w, int32_t cin, int32_t cout, int32_t k, int32_t s, int32_t pad,
                         int32_t groups, int constant)
{
    nt_conv2d_params_t p = { n, h, w, cin, (h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1, cout, k, s, pad, groups };
    const size_t nx = (size_t)n * h * w * cin, ny = (size_t)n * p.out_h * p.out_w * cout;
    const size_t nw = (size_t)k * k * (cin / groups) * cout;
    float *x = fill(nx, -1.0f, 1.0f), *wt = fill(nw, -0.5f, 0.5f), *gbar = fill((size_t)n * cout, -1.0f, 1.0f);
    float *dy = malloc(ny * sizeof *dy);
    NT_CHECK(dy != NULL);
    for (size_t i = 0; i < ny; ++i) {
        const size_t b = i / ((size_t)p.out_h * p.out_w * cout);
        dy[i] = gbar[b * cout + i % cout] + (constant ? 0.0f : uniform(-1.0f, 1.0f));
    }
    float *dw = zeros(nw), *db = zeros((size_t)cout), *dx = zeros(nx);
    nt_conv2d_f32_bwd_w(&p, x, dy, dw, db);
    nt_conv2d_f32_bwd_in(&p, dy, wt, dx);
    float *sums = zeros((size_t)n * k * k * cin), *gdw = zeros(nw), *gdb = zeros((size_t)cout), *gdx = zeros((size_t)n * cin);
    nt_conv2d_f32_gc_sums(&p, x, sums);
    nt_conv2d_f32_gc_bwd_w(&p, sums, gbar, gdw, gdb);
    nt_conv2d_f32_gc_bwd_in(&p, gbar, wt, gdx);
    const double dw_error = nt_test_max_error(dw, gdw, nw);
    if (constant) {
        NT_CHECK(dw_error < 1e-5);
        NT_CHECK(nt_test_max_error(db, gdb, (size_t)cout) < 1e-5);
        float *mean = zeros((size_t)n * cin);
        for (size_t i = 0; i < nx; ++i) {
            const size_t b = i / ((size_t)h * w * cin);
            mean[b * cin + i % cin] += dx[i] / (float)(h * w);
        }
        NT_CHECK(nt_test_max_error(mean, gdx, (size_t)n * cin) < 1e-5);
        free(mean);
    }
    free(x), free(wt), free(gbar), free(dy), free(dw), free(db), free(dx), free(sums), free(gdw), free(gdb), free(gdx);
    return dw_error;
}

static void check_relu6_and_gap(void)
{
    const int32_t n = 2, positions = 25, c = 7;
    float *y = malloc((size_t)n * positions * c * sizeof *y);
    NT_CHECK(y != NULL);
    for (size_t i = 0; i < (size_t)n * positions * c; ++i) {
        y[i] = uniform(-1.0f, 7.0f) < 0.0f ? 0.0f : uniform(0.0f, 6.5f); /* zeros, actives and 6s */
        y[i] = y[i] > 6.0f ? 6.0f : y[i];
    }
    float *gbar = fill((size_t)n * c, -1.0f, 1.0f), *dy = malloc((size_t)n * positions * c * sizeof *dy);
    NT_CHECK(dy != NULL);
    for (size_t i = 0; i < (size_t)n * positions * c; ++i) {
        dy[i] = gbar[(i / ((size_t)positions * c)) * c + i % c];
    }
    float *dx = zeros((size_t)n * positions * c), *mean = zeros((size_t)n * c);
    nt_relu6_f32_bwd_in(n * positions * c, y, dy, dx);
    for (size_t i = 0; i < (size_t)n * positions * c; ++i) {
        mean[(i / ((size_t)positions * c)) * c + i % c] += dx[i] / (float)positions;
    }
    float *active = zeros((size_t)n * c), *gdx = zeros((size_t)n * c);
    nt_relu6_f32_gc_count(n, positions, c, y, active);
    nt_relu6_f32_gc_bwd_in(n, positions, c, active, gbar, gdx);
    NT_CHECK(nt_test_max_error(mean, gdx, (size_t)n * c) < 1e-5);
    float total = 0.0f;
    for (int32_t i = 0; i < n * c; ++i) {
        NT_CHECK(active[i] >= 0.0f && active[i] <= (float)positions);
        total += active[i];
    }
    NT_CHECK(total > 0.0f && total < (float)(n * positions * c)); /* some active, some not */
    /* GAP: the exact input gradient is constant per channel, the condensed one is its value. */
    float *gap_dx = zeros((size_t)n * positions * c), *gap_gdx = zeros((size_t)n * c);
    nt_gap_f32_bwd_in(n, 5, 5, c, gbar, gap_dx);
    nt_gap_f32_gc_bwd_in(n, 5, 5, c, 1, gbar, gap_gdx);
    for (size_t i = 0; i < (size_t)n * positions * c; ++i) {
        NT_CHECK(gap_dx[i] == gap_gdx[(i / ((size_t)positions * c)) * c + i % c]);
    }
    free(y), free(gbar), free(dy), free(dx), free(mean), free(active), free(gdx), free(gap_dx), free(gap_gdx);
}

int main(void)
{
    /* n, h, w, cin, cout, k, stride, pad, groups */
    const int32_t shapes[][9] = {
        { 1, 8, 8, 6, 5, 1, 1, 0, 1 },   { 2, 7, 9, 4, 6, 3, 1, 1, 1 },  { 1, 9, 9, 8, 8, 3, 2, 1, 8 },
        { 2, 6, 6, 8, 8, 3, 1, 1, 8 },   { 1, 11, 7, 6, 4, 5, 2, 2, 2 }, { 1, 10, 10, 3, 4, 7, 2, 3, 1 },
        { 1, 5, 5, 16, 16, 5, 1, 2, 16 }, { 3, 4, 4, 5, 3, 1, 2, 0, 1 },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; ++i) {
        const int32_t *s = shapes[i];
        (void)check_conv(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], 1);
        NT_CHECK(check_conv(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], 0) > 1e-3);
    }
    check_relu6_and_gap();
    return 0;
}
