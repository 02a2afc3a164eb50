#include "nt/kernels.h"

size_t nt_filter_drift_s8_scratch_bytes(int32_t channels)
{
    (void)channels;
    return 0;
}
