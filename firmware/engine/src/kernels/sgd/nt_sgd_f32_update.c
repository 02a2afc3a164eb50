#include "nt/kernels.h"

void nt_sgd_f32_update(int32_t count, float lr, float momentum, float weight_decay, float *w, float *dw, float *v)
{
    for (int32_t i = 0; i < count; ++i) {
        const float g = dw[i] + weight_decay * w[i];
        float step = g;
        if (v) {
            v[i] = momentum * v[i] + g;
            step = v[i];
        }
        w[i] = w[i] - lr * step;
        dw[i] = 0.0f;
    }
}
