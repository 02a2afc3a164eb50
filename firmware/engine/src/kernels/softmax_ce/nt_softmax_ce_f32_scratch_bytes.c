#include "nt/kernels.h"

size_t nt_softmax_ce_f32_scratch_bytes(int32_t elements)
{
    (void)elements; /* works in place on its operands */
    return 0;
}
