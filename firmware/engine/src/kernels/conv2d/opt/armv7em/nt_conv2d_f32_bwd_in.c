/* fp32 conv input gradient for Cortex-M with an FPU: for 1x1 convolutions, two pixels by four input channels
 * in registers with fused multiply-add; other shapes use the plain loop. Compared with a stated tolerance. */
#include "nt/kernels.h"
#include "../../nt_conv2d_f32_generic.h"

__attribute__((noinline)) static void conv_1x1(const nt_conv2d_params_t *p, const float *dy, const float *w, float *dx)
{
    const int32_t cin = p->in_c;
    const int32_t cout = p->out_c;
    const int32_t pixels = p->n * p->in_h * p->in_w;
    int32_t px = 0;
    for (; px + 1 < pixels; px += 2) {
        const float *d0 = dy + (size_t)px * cout;
        const float *d1 = d0 + cout;
        float *g0 = dx + (size_t)px * cin;
        float *g1 = g0 + cin;
        int32_t ci = 0;
        for (; ci + 3 < cin; ci += 4) {
            const float *w0 = w + (size_t)ci * cout;
            const float *w1 = w0 + cout;
            const float *w2 = w1 + cout;
            const float *w3 = w2 + cout;
            float a00 = 0.0f, a01 = 0.0f, a02 = 0.0f, a03 = 0.0f, a10 = 0.0f, a11 = 0.0f, a12 = 0.0f, a13 = 0.0f;
            for (int32_t co = 0; co < cout; ++co) {
                const float v0 = d0[co];
                const float v1 = d1[co];
                a00 = __builtin_fmaf(w0[co], v0, a00);
                a01 = __builtin_fmaf(w1[co], v0, a01);
                a02 = __builtin_fmaf(w2[co], v0, a02);
                a03 = __builtin_fmaf(w3[co], v0, a03);
                a10 = __builtin_fmaf(w0[co], v1, a10);
                a11 = __builtin_fmaf(w1[co], v1, a11);
                a12 = __builtin_fmaf(w2[co], v1, a12);
                a13 = __builtin_fmaf(w3[co], v1, a13);
            }
            g0[ci] += a00;
            g0[ci + 1] += a01;
            g0[ci + 2] += a02;
            g0[ci + 3] += a03;
            g1[ci] += a10;
            g1[ci + 1] += a11;
            g1[ci + 2] += a12;
            g1[ci + 3] += a13;
        }
        for (; ci < cin; ++ci) {
            const float *wr = w + (size_t)ci * cout;
            float a0 = 0.0f;
            float a1 = 0.0f;
            for (int32_t co = 0; co < cout; ++co) {
                a0 = __builtin_fmaf(wr[co], d0[co], a0);
                a1 = __builtin_fmaf(wr[co], d1[co], a1);
            }
            g0[ci] += a0;
            g1[ci] += a1;
        }
    }
    for (; px < pixels; ++px) {
        const float *d0 = dy + (size_t)px * cout;
        for (int32_t ci = 0; ci < cin; ++ci) {
            const float *wr = w + (size_t)ci * cout;
            float a = 0.0f;
            for (int32_t co = 0; co < cout; ++co) {
                a = __builtin_fmaf(wr[co], d0[co], a);
            }
            dx[(size_t)px * cin + ci] += a;
        }
    }
}

void nt_conv2d_f32_bwd_in(const nt_conv2d_params_t *p, const float *dy, const float *w, float *dx)
{
    if (p->kernel == 1 && p->stride == 1 && p->pad == 0 && p->groups == 1) {
        conv_1x1(p, dy, w, dx);
        return;
    }
    nt_conv2d_f32_bwd_in_generic(p, dy, w, dx);
}
