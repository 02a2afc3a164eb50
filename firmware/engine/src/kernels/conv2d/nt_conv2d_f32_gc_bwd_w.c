#include "nt/kernels.h"

void nt_conv2d_f32_gc_bwd_w(const nt_conv2d_params_t *p, const float *sums, const float *gbar, float *dw, float *db)
{
    const int32_t k = p->kernel;
    const int32_t cig = p->in_c / p->groups;
    const int32_t cog = p->out_c / p->groups;
    const float positions = (float)(p->out_h * p->out_w);
    for (int32_t n = 0; n < p->n; ++n) {
        const float *g = gbar + (size_t)n * p->out_c;
        if (db) {
            for (int32_t co = 0; co < p->out_c; ++co) {
                db[co] += g[co] * positions;
            }
        }
        if (!dw) {
            continue;
        }
        const float *sn = sums + (size_t)n * k * k * p->in_c;
        for (int32_t tap = 0; tap < k * k; ++tap) {
            const float *s = sn + (size_t)tap * p->in_c;
            for (int32_t ci = 0; ci < cig; ++ci) {
                float *d = dw + ((size_t)tap * cig + ci) * p->out_c;
                for (int32_t co = 0; co < p->out_c; ++co) {
                    d[co] += g[co] * s[(co / cog) * cig + ci];
                }
            }
        }
    }
}
