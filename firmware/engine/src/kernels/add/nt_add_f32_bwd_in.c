#include "nt/kernels.h"

void nt_add_f32_bwd_in(int32_t count, const float *dy, float *da, float *db)
{
    if (da) {
        for (int32_t i = 0; i < count; ++i) {
            da[i] += dy[i];
        }
    }
    if (db) {
        for (int32_t i = 0; i < count; ++i) {
            db[i] += dy[i];
        }
    }
}
