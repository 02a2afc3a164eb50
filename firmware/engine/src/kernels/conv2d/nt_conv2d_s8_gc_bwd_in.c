#include "nt/kernels.h"

#include "nt_conv2d_gc_taps.h"
#include "nt_conv2d_s8_generic.h"

/* How many of the input rows [i0, i1) a tap reaches from an output row of output patch row `pr` (patches of
 * out_patch rows): along one axis. */
static int32_t axis_count(int32_t i0, int32_t i1, int32_t stride, int32_t pad, int32_t tap, int32_t out, int32_t out_patch, int32_t pr)
{
    int32_t count = 0;
    for (int32_t i = i0; i < i1; ++i) {
        const int32_t t = i + pad - tap;
        count += t >= 0 && t % stride == 0 && t / stride < out && t / stride / out_patch == pr;
    }
    return count;
}

/* Patch by patch: an input patch's mean gathers, per tap, every output patch whose positions reach it through that
 * tap, weighted by how many of the input patch's positions they reach. */
__attribute__((noinline)) static void patch_bwd_in(const nt_conv2d_params_t *p, const nt_gc_grid_t *og, const nt_gc_grid_t *ig, const float *gbar, const int8_t *w,
                         const float *w_scale, float *dxbar)
{
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const int depthwise = nt_s8_depthwise(p);
    const int32_t out_patches = og->rows * og->cols, in_patches = ig->rows * ig->cols;
    for (int32_t n = 0; n < p->n; ++n) {
        for (int32_t qr = 0; qr < ig->rows; ++qr) {
            const int32_t i0 = qr * ig->patch_h, i1 = i0 + ig->patch_h < p->in_h ? i0 + ig->patch_h : p->in_h;
            for (int32_t qc = 0; qc < ig->cols; ++qc) {
                const int32_t j0 = qc * ig->patch_w, j1 = j0 + ig->patch_w < p->in_w ? j0 + ig->patch_w : p->in_w;
                const float inv_positions = 1.0f / (float)((i1 - i0) * (j1 - j0));
                float *dx = dxbar + ((size_t)n * in_patches + (size_t)qr * ig->cols + qc) * p->in_c;
                for (int32_t kh = 0; kh < k; ++kh) {
                    for (int32_t pr = 0; pr < og->rows; ++pr) {
                        const int32_t rows = axis_count(i0, i1, p->stride, p->pad, kh, p->out_h, og->patch_h, pr);
                        for (int32_t kw = 0; kw < k && rows > 0; ++kw) {
                            for (int32_t pc = 0; pc < og->cols; ++pc) {
                                const int32_t cols = axis_count(j0, j1, p->stride, p->pad, kw, p->out_w, og->patch_w, pc);
                                if (cols == 0) {
                                    continue;
                                }
                                const float f = (float)(rows * cols) * inv_positions;
                                const float *g = gbar + ((size_t)n * out_patches + (size_t)pr * og->cols + pc) * p->out_c;
                                const int32_t tap = kh * k + kw;
                                for (int32_t co = 0; co < p->out_c; ++co) {
                                    if (g[co] == 0.0f) {
                                        continue;
                                    }
                                    const float gs = g[co] * w_scale[co] * f;
                                    if (depthwise) {
                                        dx[co] += gs * (float)w[nt_s8_weight_at(1, k * k, 1, p->out_c, co, tap, 0)];
                                        continue;
                                    }
                                    float *dxg = dx + (size_t)(co / cog) * cig;
                                    const int8_t *wp = w + nt_s8_weight_at(0, k * k, cig, p->out_c, co, tap, 0);
                                    for (int32_t ci = 0; ci < cig; ++ci) {
                                        dxg[ci] += gs * (float)wp[ci];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

void nt_conv2d_s8_gc_bwd_in(const nt_conv2d_params_t *p, const nt_gc_grid_t *out_grid, const nt_gc_grid_t *in_grid, const float *gbar, const int8_t *w,
                            const float *w_scale, float *dxbar)
{
    if (out_grid->rows * out_grid->cols != 1 || in_grid->rows * in_grid->cols != 1) {
        patch_bwd_in(p, out_grid, in_grid, gbar, w, w_scale, dxbar);
        return;
    }
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const float inv_positions = 1.0f / (float)(p->in_h * p->in_w);
    const int depthwise = nt_s8_depthwise(p);
    float taps[7 * 7]; /* each tap's output positions over the input's: dx's mean weighs each tap by them */
    nt_gc_tap_counts(p, inv_positions, taps);
    for (int32_t n = 0; n < p->n; ++n) {
        const float *g = gbar + (size_t)n * p->out_c;
        float *dx = dxbar + (size_t)n * p->in_c;
        /* Filter by filter (the int8 layouts keep a filter's weights together), each tap over its input channels. */
        for (int32_t co = 0; co < p->out_c; ++co) {
            if (g[co] == 0.0f) {
                continue;
            }
            const float gs = g[co] * w_scale[co];
            if (depthwise) {
                /* One input channel: its taps lie out_c apart. */
                for (int32_t tap = 0; tap < k * k; ++tap) {
                    dx[co] += gs * taps[tap] * (float)w[nt_s8_weight_at(1, k * k, 1, p->out_c, co, tap, 0)];
                }
                continue;
            }
            float *dxg = dx + (size_t)(co / cog) * cig;
            for (int32_t tap = 0; tap < k * k; ++tap) {
                const float f = gs * taps[tap];
                const int8_t *wp = w + nt_s8_weight_at(0, k * k, cig, p->out_c, co, tap, 0);
                for (int32_t ci = 0; ci < cig; ++ci) {
                    dxg[ci] += f * (float)wp[ci];
                }
            }
        }
    }
}
