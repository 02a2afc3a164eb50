/* fp32 conv forward for Cortex-M with an FPU: 1x1 convolutions register-blocked over two pixels and four
 * output channels with fused multiply-add (VFMA); other shapes use the plain loop. Fused rounding makes
 * results differ from the reference in the last bits: compared with a stated tolerance, not bit for bit. */
#include "nt/kernels.h"
#include "../../nt_conv2d_f32_generic.h"

__attribute__((noinline)) static void conv_1x1(const nt_conv2d_params_t *p, const float *x, const float *w, const float *b, float *y)
{
    const int32_t cin = p->in_c;
    const int32_t cout = p->out_c;
    const int32_t pixels = p->n * p->in_h * p->in_w;
    int32_t px = 0;
    for (; px + 1 < pixels; px += 2) {
        const float *x0 = x + (size_t)px * cin;
        const float *x1 = x0 + cin;
        float *y0 = y + (size_t)px * cout;
        float *y1 = y0 + cout;
        int32_t co = 0;
        for (; co + 3 < cout; co += 4) {
            float a00 = b ? b[co] : 0.0f, a01 = b ? b[co + 1] : 0.0f, a02 = b ? b[co + 2] : 0.0f, a03 = b ? b[co + 3] : 0.0f;
            float a10 = a00, a11 = a01, a12 = a02, a13 = a03;
            const float *wc = w + co;
            for (int32_t ci = 0; ci < cin; ++ci) {
                const float v0 = x0[ci];
                const float v1 = x1[ci];
                const float *wr = wc + (size_t)ci * cout;
                const float w0 = wr[0], w1 = wr[1], w2 = wr[2], w3 = wr[3];
                a00 = __builtin_fmaf(w0, v0, a00);
                a01 = __builtin_fmaf(w1, v0, a01);
                a02 = __builtin_fmaf(w2, v0, a02);
                a03 = __builtin_fmaf(w3, v0, a03);
                a10 = __builtin_fmaf(w0, v1, a10);
                a11 = __builtin_fmaf(w1, v1, a11);
                a12 = __builtin_fmaf(w2, v1, a12);
                a13 = __builtin_fmaf(w3, v1, a13);
            }
            y0[co] = a00;
            y0[co + 1] = a01;
            y0[co + 2] = a02;
            y0[co + 3] = a03;
            y1[co] = a10;
            y1[co + 1] = a11;
            y1[co + 2] = a12;
            y1[co + 3] = a13;
        }
        for (; co < cout; ++co) {
            float a0 = b ? b[co] : 0.0f;
            float a1 = a0;
            for (int32_t ci = 0; ci < cin; ++ci) {
                a0 = __builtin_fmaf(w[(size_t)ci * cout + co], x0[ci], a0);
                a1 = __builtin_fmaf(w[(size_t)ci * cout + co], x1[ci], a1);
            }
            y0[co] = a0;
            y1[co] = a1;
        }
    }
    for (; px < pixels; ++px) {
        const float *x0 = x + (size_t)px * cin;
        for (int32_t co = 0; co < cout; ++co) {
            float a = b ? b[co] : 0.0f;
            for (int32_t ci = 0; ci < cin; ++ci) {
                a = __builtin_fmaf(w[(size_t)ci * cout + co], x0[ci], a);
            }
            y[(size_t)px * cout + co] = a;
        }
    }
}

void nt_conv2d_f32_fwd(const nt_conv2d_params_t *p, const float *x, const float *w, const float *b, float *y)
{
    if (p->kernel == 1 && p->stride == 1 && p->pad == 0 && p->groups == 1) {
        conv_1x1(p, x, w, b, y);
        return;
    }
    nt_conv2d_f32_fwd_generic(p, x, w, b, y);
}
