#include "nt/kernels.h"

int32_t nt_gc_patch_positions(const nt_gc_grid_t *grid, int32_t h, int32_t w, int32_t pr, int32_t pc)
{
    const int32_t rows = h - pr * grid->patch_h < grid->patch_h ? h - pr * grid->patch_h : grid->patch_h;
    const int32_t cols = w - pc * grid->patch_w < grid->patch_w ? w - pc * grid->patch_w : grid->patch_w;
    return rows * cols;
}
