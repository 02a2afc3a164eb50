/* The plan file (.ntplan): a model, its memory layout and its training set-up, loaded and checked once.
 *
 * Layout, little-endian, every section 4-byte aligned:
 *   header (64 B)     magic "NTPL", version, sizes, CRC-32, board id, counts and section offsets
 *   spaces  (16 B each)  memory spaces: 0 is the plan's own weight blob (read-only); 1.. are arena
 *                        spaces the caller provides (an SRAM bank on a board, a buffer on the host)
 *   tensors (32 B each)  dtype, space, offset, bytes, dims, gradient/momentum tensor, initial value
 *   ops     (48 B each)  kind, tensor operands, parameters; executed in order, backward in reverse
 *   train   (20 B + 2 B per parameter)  input, labels, logits, loss, scratch, parameter count, the int8
 *                        learning-rate scale, the elastic workspace, then the parameters training may update
 *   blob    weights (initial values and read-only weights)
 * The CRC-32 covers every byte after the CRC field. The loader checks every field against the file
 * and the spaces before anything runs; kernels then trust the plan. */
#ifndef NT_PLAN_H
#define NT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "nt/kernels.h"
#include "nt/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NT_PLAN_MAGIC 0x4C50544Eu /* "NTPL" read as a little-endian u32 */
#define NT_PLAN_VERSION 4u
#define NT_PLAN_HEADER_BYTES 64u
#define NT_PLAN_SPACE_BYTES 16u
#define NT_PLAN_TENSOR_BYTES 32u
#define NT_PLAN_OP_BYTES 48u
#define NT_PLAN_NONE 0xFFFFu         /**< "no tensor" in any tensor-index field */
#define NT_PLAN_MAX_SPACES 8u
#define NT_PLAN_MAX_TENSORS 2048u
#define NT_PLAN_BOARD_BYTES 16u

/** Element types. */
typedef enum nt_dtype { NT_DTYPE_F32 = 0, NT_DTYPE_S8 = 1, NT_DTYPE_S32 = 2, NT_DTYPE_U8 = 3 } nt_dtype;

/** Tensor flags. */
#define NT_TENSOR_PARAM 0x1u    /**< a weight or bias (or batch-norm scale/shift) that training may update */
#define NT_TENSOR_INIT 0x2u     /**< copied from the blob (init_offset) into its space when the executor starts */
#define NT_TENSOR_ZERO 0x4u     /**< zeroed when the executor starts (gradients, momentum) */

/** Op flags (nt_plan_op_t.flags): the gradient of in[0] / in[1] is zeroed just before this op's backward
 * writes it, because this op is the last reader of that input in the forward order and so its backward
 * is the gradient's first writer; a planned layout lets gradients share memory between those points. */
#define NT_OP_FLAG_ZERO_GRAD_IN0 0x1u
#define NT_OP_FLAG_ZERO_GRAD_IN1 0x2u
#define NT_OP_FLAGS_ALL 0x3u

/* Trainable int8 parameters: a CONV2D_S8's int8 weights (with sums) and int32 bias, in an arena space with
 * NT_TENSOR_PARAM | NT_TENSOR_INIT and no gradient tensor; the op needs scales and an output gradient. They are
 * updated inside the op's backward (nt_conv2d_s8_gc_update), so only nt_exec_train_step trains them. */

/** SOFTMAX_CE params[0] bit: parameter gradients share memory, so each update must follow its op's
 * backward (nt_exec_train_step); nt_exec_backward alone is refused. */
#define NT_PLAN_FUSED_UPDATE 0x1u

/** Op kinds; their operands and parameters are listed in nt_plan_op_t. */
typedef enum nt_op_kind {
    NT_OP_CONV2D = 1,     /**< in: x, w, b|NONE; out: y, window|NONE; params: kernel, stride, pad, groups. A depthwise conv
                           *   may have a window [1, k, in_w + 2*pad, c] (2*pad < k): when y takes x's memory, it runs in place */
    NT_OP_BATCHNORM = 2,  /**< in: x, gamma, beta, running_mean, running_var; out: y; saved: mean, invstd; params: eps bits, momentum bits */
    NT_OP_RELU6 = 3,      /**< in: x; out: y */
    NT_OP_ADD = 4,        /**< in: a, b; out: y */
    NT_OP_GAP = 5,        /**< in: x [n,h,w,c]; out: y [n,1,1,c] */
    NT_OP_FC = 6,         /**< in: x [n,1,1,in], w [1,1,in,out], b|NONE; out: y [n,1,1,out] */
    NT_OP_SOFTMAX_CE = 7, /**< in: logits [n,1,1,k], labels (u8 [n,1,1,1]); out: loss (f32 [1,1,1,1]); params: NT_PLAN_FUSED_UPDATE; the last op */
    /* int8 inference ops (the frozen part of a network); offsets and clamps are packed two int16 per param:
     * params[4] = input_offset | output_offset << 16, params[5] = act_min | act_max << 16. */
    NT_OP_QUANTIZE = 8,   /**< in: x f32; out: y s8 (same dims); params: scale bits, zero point */
    NT_OP_CONV2D_S8 = 9,  /**< in: x, w (OHWI, or [k,k,1,c] depthwise), b s32|NONE, multiplier s32, shift s32, scales|NONE; out: y, window|NONE (as CONV2D);
                           *   saved: sums|NONE, counts|NONE; params: kernel, stride, pad, groups, offsets, clamp. Trained with gradient condensing:
                           *   scales f32 [1,1,1,c_out+1] (s_w per channel, then s_x, nt/kernels.h), sums f32 [n,k,k,c_in] when w trains,
                           *   counts f32 [n,1,1,c_out] of the fused clamp; gradients of x and y are vectors [n,1,1,c] */
    NT_OP_ADD_S8 = 10,    /**< in: a, b, q (s32 [1,1,1,12]: nt_add_s8_quant_t in field order); out: y */
    NT_OP_GAP_S8 = 11,    /**< in: x s8 [n,h,w,c]; out: y s8 [n,1,1,c]; params: act_min, act_max */
    NT_OP_FC_S8 = 12,     /**< in: x [n,1,1,in], w [1,1,out,in], b s32|NONE, multiplier, shift; out: y [n,1,1,out]; params[4], [5] as conv */
    NT_OP_DEQUANTIZE = 13, /**< in: x s8; out: y f32 (same dims); params: scale bits, zero point */
    NT_OP_FILTER_DRIFT = 14, /**< alternant partial update of the CONV2D_S8 whose output is x (nt_filter_drift_s8_fwd, nt_filter_drift_select):
                              *   in: x s8 [n,h,w,c], source f32 [1,1,2,c] in the blob (mean, 1/std); out: scores f32 [1,1,1,c],
                              *   ages u8 [1,1,1,c] (the conv's `select`), both zeroed at start; params: round (training steps),
                              *   filters per round, horizon (rounds), momentum bits, x scale bits, x zero point. Runs in
                              *   training steps only: scores every step, a choice at every round's first step */
    NT_OP_KIND_MAX = 14
} nt_op_kind;

/** Which part of a plan a loader error is about. */
typedef enum nt_plan_section {
    NT_PLAN_SECTION_HEADER = 0,
    NT_PLAN_SECTION_SPACES = 1,
    NT_PLAN_SECTION_TENSORS = 2,
    NT_PLAN_SECTION_OPS = 3,
    NT_PLAN_SECTION_TRAIN = 4,
    NT_PLAN_SECTION_ARENA = 5
} nt_plan_section;

/** Where loading failed: the status, the section and the index of the failing entry (0 for the header). */
typedef struct nt_plan_error {
    nt_status status;
    nt_plan_section section;
    uint32_t index;
} nt_plan_error_t;

/** Memory space entry (16 bytes). */
typedef struct nt_plan_space {
    uint32_t bytes;   /**< bytes the plan needs in this space */
    uint32_t align;   /**< alignment the space's base must have (power of two, >= 4) */
    char name[8];     /**< bank name ("blob", "arena", "DTCM"...), NUL padded */
} nt_plan_space_t;

/** Tensor entry (32 bytes). */
typedef struct nt_plan_tensor {
    uint8_t dtype;        /**< nt_dtype */
    uint8_t space;        /**< index into the spaces */
    uint16_t flags;       /**< NT_TENSOR_* */
    uint32_t offset;      /**< byte offset in its space, a multiple of 4 */
    uint32_t bytes;       /**< dims product times the element size */
    uint32_t init_offset; /**< with NT_TENSOR_INIT: offset of the initial value in the blob */
    uint16_t dims[4];     /**< NHWC for activations; HWIO for conv weights; [1,1,1,c] for vectors */
    uint16_t grad;        /**< gradient tensor (same dims, f32) or NT_PLAN_NONE */
    uint16_t momentum;    /**< momentum tensor of a parameter, or NT_PLAN_NONE */
    uint32_t reserved;
} nt_plan_tensor_t;

/** Op entry (48 bytes). */
typedef struct nt_plan_op {
    uint8_t kind;        /**< nt_op_kind */
    uint8_t flags;       /**< NT_OP_FLAG_* */
    uint16_t select;     /**< CONV2D_S8: the filter ages of its FILTER_DRIFT op (only filters of age 0 train), or
                          *   NT_PLAN_NONE (all train); NT_PLAN_NONE for every other op */
    uint16_t in[6];      /**< operand tensors, NT_PLAN_NONE where unused */
    uint16_t out[2];
    uint16_t saved[2];   /**< tensors the forward keeps for the backward (batch norm, condensing) */
    int32_t params[6];
} nt_plan_op_t;

/** A loaded plan: checked views into the caller's plan bytes, which must stay alive and unchanged. */
typedef struct nt_plan {
    const uint8_t *bytes;
    uint32_t file_bytes;
    uint16_t n_spaces, n_tensors, n_ops, batch;
    char board[NT_PLAN_BOARD_BYTES + 1];
    const nt_plan_space_t *spaces;
    const nt_plan_tensor_t *tensors;
    const nt_plan_op_t *ops;
    const uint8_t *blob;
    uint32_t blob_bytes;
    uint16_t input, labels, logits, loss;
    uint16_t scratch;  /**< f32 scratch tensor for kernels that need one (batch-norm backward), or NT_PLAN_NONE */
    uint16_t n_params;
    float int8_lr_scale; /**< the int8 parameters' learning rate over the fp32 ones' (0 < scale <= 1000) */
    uint16_t elastic;    /**< u8 workspace of elastic selection (nt/elastic.h), or NT_PLAN_NONE */
    const uint16_t *params;
} nt_plan_t;

/**
 * Checks a plan and fills `plan` with views into `bytes`.
 * Checks: magic, version, sizes, CRC-32, every section inside the file, every tensor's dtype, space,
 * alignment, extent inside its space, byte count against its dims, gradient/momentum links, every op's
 * kind, operand indices, dtypes and shapes against its parameters, and the training section.
 * @param bytes plan file, 4-byte aligned; @param len its length.
 * @param err   filled on failure with the status, section and index of the first bad entry (may be NULL).
 * @return NT_OK, or NT_ERR_MAGIC / VERSION / CRC / TRUNCATED / RANGE / UNKNOWN_OP / ARG.
 */
nt_status nt_plan_load(nt_plan_t *plan, const uint8_t *bytes, size_t len, nt_plan_error_t *err);

/** Element size in bytes of a dtype (0 for an unknown one). */
uint32_t nt_dtype_size(uint8_t dtype);

/** Fills conv parameters from a validated conv op. */
void nt_plan_conv_params(const nt_plan_t *plan, const nt_plan_op_t *op, nt_conv2d_params_t *p);

/** The gradient of activation `index` of a loaded plan is condensed: its per-channel spatial mean [n,1,1,c]
 * for a larger tensor, or its means over patches [n,rows,cols,c] (gradient condensing, nt/kernels.h). */
int nt_plan_condensed(const nt_plan_t *plan, uint16_t index);

/** The patches of the gradient of activation `index` (nt_gc_grid_t): 1 x 1 when it is a vector, or none; 0 when its
 * dims are no grid over the activation's map (a loaded plan's gradients always are). */
int nt_plan_gc_grid(const nt_plan_t *plan, uint16_t index, nt_gc_grid_t *grid);

/** The input sums a condensing int8 conv keeps per output patch (nt_conv2d_s8_gc_sums): k*k, or 1 (shared by the taps);
 * 0 when it keeps none. */
int32_t nt_plan_gc_taps(const nt_plan_t *plan, const nt_plan_op_t *op);

/** An int8 conv (NT_OP_CONV2D_S8) whose backward is exact rather than condensed: it has no condensing state (saved[0]
 * and saved[1] NONE) and neither its output's nor its input's gradient is condensed. Its backward reads in[0] (for
 * dW) and out[0] (for a clamp narrower than int8), which the plan keeps intact until then. */
int nt_plan_s8_conv_exact(const nt_plan_t *plan, const nt_plan_op_t *op);

#ifdef __cplusplus
}
#endif

#endif /* NT_PLAN_H */
