/* fp32 conv weight gradient for Cortex-M with an FPU: for 1x1 convolutions, two input by four output
 * channels accumulated in registers over all pixels with fused multiply-add; other shapes use the plain
 * loop. Compared with a stated tolerance. */
#include "nt/kernels.h"
#include "../../nt_conv2d_f32_generic.h"

__attribute__((noinline)) static void conv_1x1(const nt_conv2d_params_t *p, const float *x, const float *dy, float *dw, float *db)
{
    const int32_t cin = p->in_c;
    const int32_t cout = p->out_c;
    const int32_t pixels = p->n * p->in_h * p->in_w;
    if (db) {
        for (int32_t px = 0; px < pixels; ++px) {
            const float *d = dy + (size_t)px * cout;
            for (int32_t co = 0; co < cout; ++co) {
                db[co] += d[co];
            }
        }
    }
    if (!dw) {
        return;
    }
    int32_t ci = 0;
    for (; ci + 1 < cin; ci += 2) {
        int32_t co = 0;
        for (; co + 3 < cout; co += 4) {
            float a00 = 0.0f, a01 = 0.0f, a02 = 0.0f, a03 = 0.0f, a10 = 0.0f, a11 = 0.0f, a12 = 0.0f, a13 = 0.0f;
            const float *xp = x + ci;
            const float *dp = dy + co;
            for (int32_t px = 0; px < pixels; ++px) {
                const float v0 = xp[0];
                const float v1 = xp[1];
                const float g0 = dp[0], g1 = dp[1], g2 = dp[2], g3 = dp[3];
                a00 = __builtin_fmaf(v0, g0, a00);
                a01 = __builtin_fmaf(v0, g1, a01);
                a02 = __builtin_fmaf(v0, g2, a02);
                a03 = __builtin_fmaf(v0, g3, a03);
                a10 = __builtin_fmaf(v1, g0, a10);
                a11 = __builtin_fmaf(v1, g1, a11);
                a12 = __builtin_fmaf(v1, g2, a12);
                a13 = __builtin_fmaf(v1, g3, a13);
                xp += cin;
                dp += cout;
            }
            float *r0 = dw + (size_t)ci * cout + co;
            float *r1 = r0 + cout;
            r0[0] += a00;
            r0[1] += a01;
            r0[2] += a02;
            r0[3] += a03;
            r1[0] += a10;
            r1[1] += a11;
            r1[2] += a12;
            r1[3] += a13;
        }
        for (; co < cout; ++co) {
            float a0 = 0.0f;
            float a1 = 0.0f;
            for (int32_t px = 0; px < pixels; ++px) {
                const float g = dy[(size_t)px * cout + co];
                a0 = __builtin_fmaf(x[(size_t)px * cin + ci], g, a0);
                a1 = __builtin_fmaf(x[(size_t)px * cin + ci + 1], g, a1);
            }
            dw[(size_t)ci * cout + co] += a0;
            dw[(size_t)(ci + 1) * cout + co] += a1;
        }
    }
    for (; ci < cin; ++ci) {
        for (int32_t co = 0; co < cout; ++co) {
            float a = 0.0f;
            for (int32_t px = 0; px < pixels; ++px) {
                a = __builtin_fmaf(x[(size_t)px * cin + ci], dy[(size_t)px * cout + co], a);
            }
            dw[(size_t)ci * cout + co] += a;
        }
    }
}

void nt_conv2d_f32_bwd_w(const nt_conv2d_params_t *p, const float *x, const float *dy, float *dw, float *db)
{
    if (p->kernel == 1 && p->stride == 1 && p->pad == 0 && p->groups == 1) {
        conv_1x1(p, x, dy, dw, db);
        return;
    }
    nt_conv2d_f32_bwd_w_generic(p, x, dy, dw, db);
}
