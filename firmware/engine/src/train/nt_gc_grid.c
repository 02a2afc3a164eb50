/* Grids of patches for condensed gradients (nt/kernels.h): not kernels themselves, shared by the kernels, the loader and
 * the executor. */
#include "nt/kernels.h"

int nt_gc_grid_of(int32_t h, int32_t w, int32_t rows, int32_t cols, nt_gc_grid_t *grid)
{
    if (h < 1 || w < 1 || rows < 1 || cols < 1 || rows > h || cols > w) {
        return 0;
    }
    const int32_t patch_h = (h + rows - 1) / rows, patch_w = (w + cols - 1) / cols;
    if ((h + patch_h - 1) / patch_h != rows || (w + patch_w - 1) / patch_w != cols) {
        return 0; /* e.g. 4 rows over 5: patches of 2 make 3 */
    }
    grid->rows = rows;
    grid->cols = cols;
    grid->patch_h = patch_h;
    grid->patch_w = patch_w;
    return 1;
}

int32_t nt_gc_patch_positions(const nt_gc_grid_t *grid, int32_t h, int32_t w, int32_t pr, int32_t pc)
{
    const int32_t rows = h - pr * grid->patch_h < grid->patch_h ? h - pr * grid->patch_h : grid->patch_h;
    const int32_t cols = w - pc * grid->patch_w < grid->patch_w ? w - pc * grid->patch_w : grid->patch_w;
    return rows * cols;
}
