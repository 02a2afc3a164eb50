#include <string.h>

#include "nt/exec.h"
#include "nt/kernels.h"

#define RG_GET(ex, i) (((ex)->requires_grad[(i) >> 3] >> ((i) & 7u)) & 1u)
#define RG_SET(ex, i) ((ex)->requires_grad[(i) >> 3] |= (uint8_t)(1u << ((i) & 7u)))

static float f32_from_bits(int32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static float *f32(const nt_exec_t *ex, uint16_t index)
{
    return index == NT_PLAN_NONE ? NULL : (float *)nt_exec_tensor(ex, index);
}

static int8_t *s8(const nt_exec_t *ex, uint16_t index)
{
    return index == NT_PLAN_NONE ? NULL : (int8_t *)nt_exec_tensor(ex, index);
}

static int32_t *s32(const nt_exec_t *ex, uint16_t index)
{
    return index == NT_PLAN_NONE ? NULL : (int32_t *)nt_exec_tensor(ex, index);
}

/* Unpacks an int8 conv/FC op's quantization (params[4], params[5]: two int16 each; per-channel tensors in[3], in[4]). */
static nt_s8_quant_t s8_quant(const nt_exec_t *ex, const nt_plan_op_t *op)
{
    nt_s8_quant_t q;
    q.input_offset = (int16_t)(op->params[4] & 0xFFFF);
    q.output_offset = (int16_t)((uint32_t)op->params[4] >> 16);
    q.act_min = (int16_t)(op->params[5] & 0xFFFF);
    q.act_max = (int16_t)((uint32_t)op->params[5] >> 16);
    q.multiplier = s32(ex, op->in[3]);
    q.shift = s32(ex, op->in[4]);
    return q;
}

/* The gradient of tensor `index`, or NULL when it has none or does not need one now. */
static float *grad_of(const nt_exec_t *ex, uint16_t index)
{
    if (index == NT_PLAN_NONE || !RG_GET(ex, index)) {
        return NULL;
    }
    return f32(ex, ex->plan->tensors[index].grad);
}

static uint64_t now(const nt_exec_t *ex)
{
    return ex->clock ? ex->clock() : 0u;
}

/* Adds the ticks since `from` to a phase and returns the current reading. */
static uint64_t account(nt_exec_t *ex, nt_exec_phase phase, uint64_t from)
{
    if (!ex->clock) {
        return 0u;
    }
    const uint64_t t = ex->clock();
    ex->ticks[phase] += t - from;
    if (ex->op_dx && phase >= NT_PHASE_BACKWARD_DX) {
        uint32_t *op = phase == NT_PHASE_BACKWARD_DX ? ex->op_dx : ex->op_dw;
        op[ex->op] += (uint32_t)(t - from);
    }
    return t;
}

void nt_exec_set_clock(nt_exec_t *ex, nt_exec_clock_fn clock)
{
    ex->clock = clock;
}

void nt_exec_set_importance(nt_exec_t *ex, float *importance)
{
    ex->importance = importance;
}

void nt_exec_set_op_ticks(nt_exec_t *ex, uint32_t *dx, uint32_t *dw)
{
    ex->op_dx = dx && dw ? dx : NULL;
    ex->op_dw = dx && dw ? dw : NULL;
}

void nt_exec_set_op_forward_ticks(nt_exec_t *ex, uint32_t *fwd)
{
    ex->op_fwd = fwd;
}

void nt_exec_clear_ticks(nt_exec_t *ex)
{
    memset(ex->ticks, 0, sizeof ex->ticks);
}

static uint32_t elements(const nt_plan_tensor_t *t)
{
    return (uint32_t)t->dims[0] * t->dims[1] * t->dims[2] * t->dims[3];
}

nt_status nt_exec_init(nt_exec_t *ex, const nt_plan_t *plan, uint8_t *const *spaces, const uint32_t *space_bytes,
                       nt_plan_error_t *err)
{
    if (!ex || !plan || !spaces || !space_bytes) {
        return NT_ERR_ARG;
    }
    memset(ex, 0, sizeof *ex);
    ex->plan = plan;
    ex->rng = 0x9E3779B9u;
    ex->space[0] = (uint8_t *)(uintptr_t)plan->blob;
    for (uint32_t i = 1; i < plan->n_spaces; ++i) {
        const nt_plan_space_t *s = &plan->spaces[i];
        if (!spaces[i] || ((uintptr_t)spaces[i] & (s->align - 1u)) != 0u || space_bytes[i] < s->bytes) {
            if (err) {
                err->status = spaces[i] && space_bytes[i] < s->bytes ? NT_ERR_NO_MEMORY : NT_ERR_ARG;
                err->section = NT_PLAN_SECTION_ARENA;
                err->index = i;
            }
            return spaces[i] && space_bytes[i] < s->bytes ? NT_ERR_NO_MEMORY : NT_ERR_ARG;
        }
        ex->space[i] = spaces[i];
    }
    for (uint16_t i = 0; i < plan->n_tensors; ++i) {
        const nt_plan_tensor_t *t = &plan->tensors[i];
        if (t->flags & NT_TENSOR_INIT) {
            memcpy(nt_exec_tensor(ex, i), plan->blob + t->init_offset, t->bytes);
        } else if (t->flags & NT_TENSOR_ZERO) {
            memset(nt_exec_tensor(ex, i), 0, t->bytes);
        }
    }
    return NT_OK;
}

void nt_exec_set_batchnorm_mode(nt_exec_t *ex, int training, int update_running)
{
    ex->bn_training = training != 0;
    ex->bn_update_running = update_running != 0;
}

void *nt_exec_tensor(const nt_exec_t *ex, uint16_t index)
{
    if (index >= ex->plan->n_tensors) {
        return NULL;
    }
    const nt_plan_tensor_t *t = &ex->plan->tensors[index];
    return ex->space[t->space] + t->offset;
}

/* A depthwise conv written over its own input (a planned layout gives y the memory of x, which dies here),
 * one output row at a time: op->out[1] is a window of k input rows, each padded to in_w + 2*pad with the
 * input's zero (every byte `fill`: 0 for 0.0f, the zero point for int8), into which the rows an output
 * row needs are copied before it is written; the row is then computed from the window with pad 0. Output row oh ends before the first byte of
 * any input row not yet in the window (2*pad < k, so out_w <= in_w), so nothing is read after it is
 * overwritten. The results equal the out-of-place kernel's: a padding tap of the input's zero adds nothing. */
static void conv_in_place(nt_exec_t *ex, const nt_plan_op_t *op, const nt_conv2d_params_t *p, uint32_t elem_bytes, uint8_t fill)
{
    uint8_t *window = (uint8_t *)nt_exec_tensor(ex, op->out[1]);
    uint8_t *xy = (uint8_t *)nt_exec_tensor(ex, op->in[0]);
    const int32_t k = p->kernel, s = p->stride, pad = p->pad;
    const size_t pixel = (size_t)p->in_c * elem_bytes;
    const size_t in_row = (size_t)p->in_w * pixel;
    const size_t win_row = (size_t)(p->in_w + 2 * pad) * pixel;
    const size_t out_row = (size_t)p->out_w * pixel;
    nt_conv2d_params_t row = *p;
    row.n = 1;
    row.in_h = k;
    row.in_w = p->in_w + 2 * pad;
    row.out_h = 1;
    row.pad = 0;
    const nt_s8_quant_t q = op->kind == NT_OP_CONV2D_S8 ? s8_quant(ex, op) : (nt_s8_quant_t){ 0 };
    memset(window, fill, (size_t)k * win_row);
    for (int32_t n = 0; n < p->n; ++n) {
        const uint8_t *xn = xy + (size_t)n * p->in_h * in_row;
        uint8_t *yn = xy + (size_t)n * p->out_h * out_row;
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            /* Window row j holds input row oh*s - pad + j; rows still there from the last output row move up. */
            const int32_t keep = oh == 0 ? 0 : (k > s ? k - s : 0);
            if (keep > 0) {
                memmove(window, window + (size_t)s * win_row, (size_t)keep * win_row);
            }
            for (int32_t j = keep; j < k; ++j) {
                const int32_t r = oh * s - pad + j;
                uint8_t *dst = window + (size_t)j * win_row;
                if (r >= 0 && r < p->in_h) {
                    memcpy(dst + (size_t)pad * pixel, xn + (size_t)r * in_row, in_row);
                } else {
                    memset(dst + (size_t)pad * pixel, fill, in_row);
                }
            }
            uint8_t *y = yn + (size_t)oh * out_row;
            if (op->kind == NT_OP_CONV2D_S8) {
                nt_conv2d_s8_fwd(&row, &q, (const int8_t *)window, s8(ex, op->in[1]), s32(ex, op->in[2]), (int8_t *)y);
            } else {
                nt_conv2d_f32_fwd(&row, (const float *)window, f32(ex, op->in[1]), f32(ex, op->in[2]), (float *)y);
            }
        }
    }
}

/* The op's output takes its input's memory (see conv_in_place). */
static int in_place(const nt_exec_t *ex, const nt_plan_op_t *op)
{
    return op->out[1] != NT_PLAN_NONE && nt_exec_tensor(ex, op->out[0]) == nt_exec_tensor(ex, op->in[0]);
}

static void forward_op(nt_exec_t *ex, const nt_plan_op_t *op)
{
    const nt_plan_t *plan = ex->plan;
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    switch (op->kind) {
    case NT_OP_CONV2D: {
        nt_conv2d_params_t p;
        nt_plan_conv_params(plan, op, &p);
        if (op->saved[0] != NT_PLAN_NONE) {
            nt_conv2d_f32_gc_sums(&p, f32(ex, op->in[0]), f32(ex, op->saved[0])); /* before y may overwrite x */
        }
        if (in_place(ex, op)) {
            conv_in_place(ex, op, &p, sizeof(float), 0u); /* 0.0f is all zero bytes */
        } else {
            nt_conv2d_f32_fwd(&p, f32(ex, op->in[0]), f32(ex, op->in[1]), f32(ex, op->in[2]), f32(ex, op->out[0]));
        }
        break;
    }
    case NT_OP_BATCHNORM: {
        const nt_batchnorm_params_t p = { x->dims[0], x->dims[1], x->dims[2], x->dims[3],
                                          f32_from_bits(op->params[0]), f32_from_bits(op->params[1]) };
        if (ex->bn_training) {
            nt_batchnorm_f32_fwd_train(&p, f32(ex, op->in[0]), f32(ex, op->in[1]), f32(ex, op->in[2]),
                                       ex->bn_update_running ? f32(ex, op->in[3]) : NULL,
                                       ex->bn_update_running ? f32(ex, op->in[4]) : NULL,
                                       f32(ex, op->saved[0]), f32(ex, op->saved[1]), f32(ex, op->out[0]));
        } else {
            nt_batchnorm_f32_fwd_infer(&p, f32(ex, op->in[0]), f32(ex, op->in[1]), f32(ex, op->in[2]),
                                       f32(ex, op->in[3]), f32(ex, op->in[4]), f32(ex, op->out[0]));
        }
        break;
    }
    case NT_OP_RELU6:
        nt_relu6_f32_fwd((int32_t)elements(x), f32(ex, op->in[0]), f32(ex, op->out[0]));
        if (op->saved[0] != NT_PLAN_NONE) {
            nt_relu6_f32_gc_count(x->dims[0], x->dims[1] * x->dims[2], x->dims[3], f32(ex, op->out[0]), f32(ex, op->saved[0]));
        }
        break;
    case NT_OP_ADD:
        nt_add_f32_fwd((int32_t)elements(x), f32(ex, op->in[0]), f32(ex, op->in[1]), f32(ex, op->out[0]));
        break;
    case NT_OP_GAP:
        nt_gap_f32_fwd(x->dims[0], x->dims[1], x->dims[2], x->dims[3], f32(ex, op->in[0]), f32(ex, op->out[0]));
        break;
    case NT_OP_FC:
        nt_fc_f32_fwd(x->dims[0], x->dims[3], plan->tensors[op->out[0]].dims[3], f32(ex, op->in[0]), f32(ex, op->in[1]),
                      f32(ex, op->in[2]), f32(ex, op->out[0]));
        break;
    case NT_OP_QUANTIZE:
        nt_quantize_f32_fwd((int32_t)elements(x), f32_from_bits(op->params[0]), op->params[1], f32(ex, op->in[0]), s8(ex, op->out[0]));
        break;
    case NT_OP_DEQUANTIZE:
        nt_dequantize_s8_fwd((int32_t)elements(x), f32_from_bits(op->params[0]), op->params[1], s8(ex, op->in[0]), f32(ex, op->out[0]));
        break;
    case NT_OP_CONV2D_S8: {
        nt_conv2d_params_t p;
        nt_plan_conv_params(plan, op, &p);
        const nt_s8_quant_t q = s8_quant(ex, op);
        nt_gc_grid_t grid; /* the condensed output gradient's patches, when the conv condenses */
        if (op->saved[0] != NT_PLAN_NONE || op->saved[1] != NT_PLAN_NONE) {
            (void)nt_plan_gc_grid(plan, op->out[0], &grid);
        }
        if (op->saved[0] != NT_PLAN_NONE) {
            const float *scales = f32(ex, op->in[5]);
            nt_conv2d_s8_gc_sums(&p, &grid, nt_plan_gc_taps(plan, op), q.input_offset, scales[p.out_c], s8(ex, op->in[0]),
                                 f32(ex, op->saved[0])); /* before y may overwrite x */
        }
        if (in_place(ex, op)) {
            conv_in_place(ex, op, &p, 1u, (uint8_t)(int8_t)-q.input_offset);
        } else {
            nt_conv2d_s8_fwd(&p, &q, s8(ex, op->in[0]), s8(ex, op->in[1]), s32(ex, op->in[2]), s8(ex, op->out[0]));
        }
        if (op->saved[1] != NT_PLAN_NONE) {
            nt_conv2d_s8_gc_count(p.n, p.out_h, p.out_w, p.out_c, &grid, q.act_min, q.act_max, s8(ex, op->out[0]), f32(ex, op->saved[1]));
        }
        break;
    }
    case NT_OP_FC_S8: {
        const nt_s8_quant_t q = s8_quant(ex, op);
        nt_fc_s8_fwd(x->dims[0], x->dims[3], plan->tensors[op->out[0]].dims[3], &q, s8(ex, op->in[0]), s8(ex, op->in[1]),
                     s32(ex, op->in[2]), s8(ex, op->out[0]));
        break;
    }
    case NT_OP_ADD_S8: {
        const int32_t *v = s32(ex, op->in[2]);
        const nt_add_s8_quant_t q = { v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11] };
        nt_add_s8_fwd((int32_t)elements(x), &q, s8(ex, op->in[0]), s8(ex, op->in[1]), s8(ex, op->out[0]));
        break;
    }
    case NT_OP_GAP_S8:
        nt_gap_s8_fwd(x->dims[0], x->dims[1], x->dims[2], x->dims[3], op->params[0], op->params[1], s8(ex, op->in[0]), s8(ex, op->out[0]));
        break;
    case NT_OP_FILTER_DRIFT:
        if (ex->training) {
            const int32_t c = (int32_t)x->dims[3];
            nt_filter_drift_s8_fwd(x->dims[0], x->dims[1] * x->dims[2], c, f32_from_bits(op->params[4]), op->params[5], s8(ex, op->in[0]),
                            f32(ex, op->in[1]), f32_from_bits(op->params[3]), f32(ex, op->out[0]));
            if (ex->steps % (uint32_t)op->params[0] == 0u) {
                nt_filter_drift_select(c, op->params[1], op->params[2], f32(ex, op->out[0]), (uint8_t *)nt_exec_tensor(ex, op->out[1]));
            }
        }
        break;
    default:
        break; /* the loss runs in nt_exec_loss */
    }
}

void nt_exec_forward(nt_exec_t *ex)
{
    const uint64_t t0 = now(ex);
    uint64_t t = t0;
    for (uint32_t i = 0; i < ex->plan->n_ops; ++i) {
        if (ex->plan->ops[i].kind != NT_OP_SOFTMAX_CE) {
            forward_op(ex, &ex->plan->ops[i]);
        }
        if (ex->op_fwd) {
            const uint64_t after = now(ex);
            ex->op_fwd[i] = (uint32_t)(after - t);
            t = after;
        }
    }
    account(ex, NT_PHASE_FORWARD, t0);
}

float nt_exec_loss(nt_exec_t *ex)
{
    const nt_plan_t *plan = ex->plan;
    if (plan->loss == NT_PLAN_NONE) {
        return 0.0f;
    }
    const uint64_t t0 = now(ex);
    const nt_plan_tensor_t *logits = &plan->tensors[plan->logits];
    float loss = nt_softmax_ce_f32_fwd_bwd(logits->dims[0], logits->dims[3], f32(ex, plan->logits),
                                           (const uint8_t *)nt_exec_tensor(ex, plan->labels), f32(ex, logits->grad));
    *f32(ex, plan->loss) = loss;
    account(ex, NT_PHASE_LOSS, t0);
    return loss;
}

static int is_trainable(const nt_exec_t *ex, uint16_t index, const uint8_t *trainable)
{
    for (uint32_t i = 0; i < ex->plan->n_params; ++i) {
        if (ex->plan->params[i] == index) {
            return trainable == NULL || trainable[index] != 0u;
        }
    }
    return 0;
}

/* Marks which tensors need a gradient: trainable parameters, and every op output downstream of one. */
static nt_status mark_requires_grad(nt_exec_t *ex, const uint8_t *trainable)
{
    const nt_plan_t *plan = ex->plan;
    memset(ex->requires_grad, 0, sizeof ex->requires_grad);
    if (trainable) {
        for (uint16_t i = 0; i < plan->n_tensors; ++i) {
            if (trainable[i] && !is_trainable(ex, i, NULL)) {
                return NT_ERR_ARG;
            }
        }
    }
    for (uint32_t i = 0; i < plan->n_params; ++i) {
        if (trainable == NULL || trainable[plan->params[i]]) {
            RG_SET(ex, plan->params[i]);
        }
    }
    for (uint32_t i = 0; i < plan->n_ops; ++i) {
        const nt_plan_op_t *op = &plan->ops[i];
        int any = 0;
        for (int k = 0; k < 6; ++k) {
            if (op->in[k] != NT_PLAN_NONE && RG_GET(ex, op->in[k])) {
                any = 1;
            }
        }
        if (any && plan->tensors[op->out[0]].grad != NT_PLAN_NONE) {
            RG_SET(ex, op->out[0]);
        }
    }
    return NT_OK;
}

/* A trainable int8 parameter (no gradient tensor of its own) that trains now. */
static int trains_int8(const nt_exec_t *ex, uint16_t index)
{
    return index != NT_PLAN_NONE && RG_GET(ex, index) && ex->plan->tensors[index].dtype != NT_DTYPE_F32;
}

/* Backward of an int8 conv. Condensed: the output gradient through the fused clamp (scaled in place by the active
 * share: this op is dy's last reader), the input gradient from the weights as they were, then the QAS update of
 * every filter, or with alternant partial update of those its FILTER_DRIFT op chose (age 0). Exact: the same
 * steps on full gradient maps, the clamp from the int8 output and dW from the int8 input, both kept for it. */
static nt_status backward_conv_s8(nt_exec_t *ex, const nt_plan_op_t *op, const nt_sgd_config_t *sgd, float *dy, float *dx)
{
    const nt_plan_t *plan = ex->plan;
    nt_conv2d_params_t p;
    nt_plan_conv_params(plan, op, &p);
    const int train_w = trains_int8(ex, op->in[1]);
    const int train_b = trains_int8(ex, op->in[2]);
    if ((train_w || train_b) && !sgd) {
        return NT_ERR_STATE;
    }
    const int exact = nt_plan_s8_conv_exact(plan, op);
    const nt_s8_quant_t q = s8_quant(ex, op);
    nt_gc_grid_t out_grid, in_grid; /* the condensed gradients' patches (1 x 1: the whole map) */
    if (!exact) {
        (void)nt_plan_gc_grid(plan, op->out[0], &out_grid);
        (void)nt_plan_gc_grid(plan, op->in[0], &in_grid);
    }
    uint64_t t0 = now(ex);
    if (exact) {
        /* Always: an output at the end of the int8 range is saturated too (ReLU6 at scale 6/255 spans it all). */
        nt_conv2d_s8_bwd_clamp(p.n * p.out_h * p.out_w * p.out_c, q.act_min, q.act_max, s8(ex, op->out[0]), dy);
    } else {
        const float *active = f32(ex, op->saved[1]); /* the loader checked it is there */
        float *g = dy;
        for (int32_t n = 0; n < p.n; ++n) {
            for (int32_t pr = 0; pr < out_grid.rows; ++pr) {
                for (int32_t pc = 0; pc < out_grid.cols; ++pc, g += p.out_c, active += p.out_c) {
                    const float inv_positions = 1.0f / (float)nt_gc_patch_positions(&out_grid, p.out_h, p.out_w, pr, pc);
                    for (int32_t c = 0; c < p.out_c; ++c) {
                        g[c] *= active[c] * inv_positions;
                    }
                }
            }
        }
    }
    /* The clamp serves this op's own gradients first: counted with them when they train (elastic selection's t_dw,
     * paid by the deepest op too), else with the input gradient it passes on. */
    t0 = account(ex, train_w || train_b ? NT_PHASE_BACKWARD_DW : NT_PHASE_BACKWARD_DX, t0);
    const float *scales = f32(ex, op->in[5]);
    if (dx) {
        if (exact) {
            nt_conv2d_s8_bwd_in(&p, dy, s8(ex, op->in[1]), scales, dx);
        } else {
            nt_conv2d_s8_gc_bwd_in(&p, &out_grid, &in_grid, dy, s8(ex, op->in[1]), scales, dx);
        }
        t0 = account(ex, NT_PHASE_BACKWARD_DX, t0);
    }
    if (train_w || train_b) {
        const uint8_t *ages = op->select != NT_PLAN_NONE ? (const uint8_t *)nt_exec_tensor(ex, op->select) : NULL;
        const float lr = sgd->lr * plan->int8_lr_scale;
        float sq[2] = { 0.0f, 0.0f };
        float *norms = ex->importance ? sq : NULL;
        if (exact) {
            nt_conv2d_s8_bwd_update(&p, q.input_offset, s8(ex, op->in[0]), dy, scales, lr, ages, train_w ? s8(ex, op->in[1]) : NULL,
                                    train_b ? s32(ex, op->in[2]) : NULL, &ex->rng, norms);
        } else {
            nt_conv2d_s8_gc_update(&p, &out_grid, nt_plan_gc_taps(plan, op), f32(ex, op->saved[0]), dy, scales, lr, ages,
                                   train_w ? s8(ex, op->in[1]) : NULL, train_b ? s32(ex, op->in[2]) : NULL, &ex->rng, norms);
        }
        if (norms) {
            /* The real step is lr * dW (QAS: s_w * lr * dW / s_w), so each tensor's importance grows by lr |dW|^2. */
            if (train_w) {
                ex->importance[op->in[1]] += lr * sq[0];
            }
            if (train_b) {
                ex->importance[op->in[2]] += lr * sq[1];
            }
        }
        account(ex, NT_PHASE_UPDATE, t0);
    }
    return NT_OK;
}

static nt_status backward_op(nt_exec_t *ex, const nt_plan_op_t *op, const nt_sgd_config_t *sgd)
{
    const nt_plan_t *plan = ex->plan;
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    const float *dy = f32(ex, plan->tensors[op->out[0]].grad);
    float *dx = grad_of(ex, op->in[0]);
    switch (op->kind) {
    case NT_OP_CONV2D: {
        nt_conv2d_params_t p;
        nt_plan_conv_params(plan, op, &p);
        float *dw = grad_of(ex, op->in[1]);
        float *db = grad_of(ex, op->in[2]);
        if (dw || db) {
            const uint64_t t0 = now(ex);
            if (op->saved[0] != NT_PLAN_NONE || nt_plan_condensed(plan, op->out[0])) {
                if (dw && op->saved[0] == NT_PLAN_NONE) {
                    return NT_ERR_STATE; /* a condensed gradient and no input sums to pair it with */
                }
                nt_conv2d_f32_gc_bwd_w(&p, f32(ex, op->saved[0]), dy, dw, db);
            } else {
                nt_conv2d_f32_bwd_w(&p, f32(ex, op->in[0]), dy, dw, db);
            }
            account(ex, NT_PHASE_BACKWARD_DW, t0);
        }
        if (dx) {
            const uint64_t t0 = now(ex);
            if (nt_plan_condensed(plan, op->in[0])) {
                nt_conv2d_f32_gc_bwd_in(&p, dy, f32(ex, op->in[1]), dx);
            } else {
                nt_conv2d_f32_bwd_in(&p, dy, f32(ex, op->in[1]), dx);
            }
            account(ex, NT_PHASE_BACKWARD_DX, t0);
        }
        break;
    }
    case NT_OP_BATCHNORM: {
        if (!ex->bn_training) {
            return NT_ERR_STATE;
        }
        const nt_batchnorm_params_t p = { x->dims[0], x->dims[1], x->dims[2], x->dims[3],
                                          f32_from_bits(op->params[0]), f32_from_bits(op->params[1]) };
        const uint64_t t0 = now(ex);
        nt_batchnorm_f32_bwd(&p, f32(ex, op->in[0]), f32(ex, op->in[1]), f32(ex, op->saved[0]), f32(ex, op->saved[1]), dy, dx,
                             grad_of(ex, op->in[1]), grad_of(ex, op->in[2]), f32(ex, plan->scratch));
        account(ex, NT_PHASE_BACKWARD_DW, t0);
        break;
    }
    case NT_OP_RELU6:
        if (dx) {
            const uint64_t t0 = now(ex);
            if (nt_plan_condensed(plan, op->out[0])) {
                nt_relu6_f32_gc_bwd_in(x->dims[0], x->dims[1] * x->dims[2], x->dims[3], f32(ex, op->saved[0]), dy, dx);
            } else if (dx == dy) {
                nt_relu6_f32_bwd_in_place((int32_t)elements(x), f32(ex, op->out[0]), dx);
            } else {
                nt_relu6_f32_bwd_in((int32_t)elements(x), f32(ex, op->out[0]), dy, dx);
            }
            account(ex, NT_PHASE_BACKWARD_DX, t0);
        }
        break;
    case NT_OP_CONV2D_S8:
        return backward_conv_s8(ex, op, sgd, (float *)dy, dx);
    case NT_OP_DEQUANTIZE:
        if (dx) {
            const uint64_t t0 = now(ex);
            nt_add_f32_bwd_in((int32_t)elements(x), dy, dx, NULL); /* the identity in real values */
            account(ex, NT_PHASE_BACKWARD_DX, t0);
        }
        break;
    case NT_OP_ADD:
    case NT_OP_ADD_S8: {
        const uint64_t t0 = now(ex);
        float *db = grad_of(ex, op->in[1]);
        /* Over the gradient's own elements (a condensed gradient is the vector of channel means); a gradient
         * planned over dy (its first write, dy's last read) already holds it. */
        const nt_plan_tensor_t *dy_t = &plan->tensors[plan->tensors[op->out[0]].grad];
        nt_add_f32_bwd_in((int32_t)elements(dy_t), dy, dx == dy ? NULL : dx, db == dy ? NULL : db);
        account(ex, NT_PHASE_BACKWARD_DX, t0);
        break;
    }
    case NT_OP_GAP:
    case NT_OP_GAP_S8:
        if (dx) {
            const uint64_t t0 = now(ex);
            nt_gc_grid_t grid;
            if (nt_plan_condensed(plan, op->in[0]) && nt_plan_gc_grid(plan, op->in[0], &grid)) {
                nt_gap_f32_gc_bwd_in(x->dims[0], x->dims[1], x->dims[2], x->dims[3], grid.rows * grid.cols, dy, dx);
            } else {
                nt_gap_f32_bwd_in(x->dims[0], x->dims[1], x->dims[2], x->dims[3], dy, dx);
            }
            account(ex, NT_PHASE_BACKWARD_DX, t0);
        }
        break;
    case NT_OP_FC: {
        const int32_t out = plan->tensors[op->out[0]].dims[3];
        float *dw = grad_of(ex, op->in[1]);
        float *db = grad_of(ex, op->in[2]);
        if (dw || db) {
            const uint64_t t0 = now(ex);
            nt_fc_f32_bwd_w(x->dims[0], x->dims[3], out, f32(ex, op->in[0]), dy, dw, db);
            account(ex, NT_PHASE_BACKWARD_DW, t0);
        }
        if (dx) {
            const uint64_t t0 = now(ex);
            nt_fc_f32_bwd_in(x->dims[0], x->dims[3], out, dy, f32(ex, op->in[1]), dx);
            account(ex, NT_PHASE_BACKWARD_DX, t0);
        }
        break;
    }
    default:
        break;
    }
    return NT_OK;
}

static int fused_update(const nt_plan_t *plan)
{
    return (plan->ops[plan->n_ops - 1u].params[0] & (int32_t)NT_PLAN_FUSED_UPDATE) != 0;
}

/* The gradient of a parameter input of `op` that trains now, or NULL. */
static float *param_grad(const nt_exec_t *ex, uint16_t index)
{
    if (index == NT_PLAN_NONE || (ex->plan->tensors[index].flags & NT_TENSOR_PARAM) == 0u) {
        return NULL;
    }
    return grad_of(ex, index);
}

/* SGD on parameter p with its gradient, which the update then clears. */
static nt_status update_param(const nt_exec_t *ex, const nt_sgd_config_t *sgd, uint16_t p)
{
    const nt_plan_tensor_t *t = &ex->plan->tensors[p];
    if (t->dtype != NT_DTYPE_F32 || (sgd->momentum != 0.0f && t->momentum == NT_PLAN_NONE)) {
        return NT_ERR_STATE;
    }
    if (ex->importance) {
        const float *g = f32(ex, t->grad);
        float sq = 0.0f;
        for (uint32_t i = 0; i < elements(t); ++i) {
            sq += g[i] * g[i];
        }
        ex->importance[p] += sgd->lr * sq;
    }
    nt_sgd_f32_update((int32_t)elements(t), sgd->lr, sgd->momentum, sgd->weight_decay, f32(ex, p), f32(ex, t->grad),
                      sgd->momentum != 0.0f ? f32(ex, t->momentum) : NULL);
    return NT_OK;
}

/* Backward over every op in reverse; with `sgd`, each op's trainable parameters get a zeroed gradient
 * before its backward and are updated right after it. */
static nt_status run_backward(nt_exec_t *ex, const nt_sgd_config_t *sgd, const uint8_t *trainable)
{
    const nt_plan_t *plan = ex->plan;
    if (plan->loss == NT_PLAN_NONE) {
        return NT_ERR_STATE;
    }
    nt_status st = mark_requires_grad(ex, trainable);
    if (st != NT_OK) {
        return st;
    }
    if (ex->op_dx) {
        memset(ex->op_dx, 0, plan->n_ops * sizeof *ex->op_dx);
        memset(ex->op_dw, 0, plan->n_ops * sizeof *ex->op_dw);
    }
    for (uint32_t i = plan->n_ops; i-- > 0;) {
        const nt_plan_op_t *op = &plan->ops[i];
        if (op->kind == NT_OP_SOFTMAX_CE || !RG_GET(ex, op->out[0])) {
            continue;
        }
        ex->op = i;
        /* Activation gradients accumulate over their readers; this op is the first writer of those flagged
         * (a gradient planned over this op's dy is written in place instead). */
        const float *dy = f32(ex, plan->tensors[op->out[0]].grad);
        for (int k = 0; k < 2; ++k) {
            float *g = (op->flags & (1u << k)) ? grad_of(ex, op->in[k]) : NULL;
            if (g && g != dy && (plan->tensors[op->in[k]].flags & NT_TENSOR_PARAM) == 0u) {
                memset(g, 0, plan->tensors[plan->tensors[op->in[k]].grad].bytes);
            }
        }
        if (sgd) {
            for (int k = 0; k < 6; ++k) {
                float *g = param_grad(ex, op->in[k]);
                if (g) {
                    memset(g, 0, plan->tensors[op->in[k]].bytes);
                }
            }
        }
        st = backward_op(ex, op, sgd);
        if (st != NT_OK) {
            return st;
        }
        if (sgd) {
            const uint64_t t0 = now(ex);
            for (int k = 0; k < 6; ++k) {
                st = param_grad(ex, op->in[k]) ? update_param(ex, sgd, op->in[k]) : NT_OK;
                if (st != NT_OK) {
                    return st;
                }
            }
            account(ex, NT_PHASE_UPDATE, t0);
        }
    }
    return NT_OK;
}

nt_status nt_exec_backward(nt_exec_t *ex, const uint8_t *trainable)
{
    if (ex->plan->loss != NT_PLAN_NONE && fused_update(ex->plan)) {
        return NT_ERR_STATE;
    }
    return run_backward(ex, NULL, trainable);
}

nt_status nt_exec_update(nt_exec_t *ex, const nt_sgd_config_t *sgd, const uint8_t *trainable)
{
    const nt_plan_t *plan = ex->plan;
    const uint64_t t0 = now(ex);
    for (uint32_t i = 0; i < plan->n_params; ++i) {
        const uint16_t p = plan->params[i];
        if (trainable && !trainable[p]) {
            continue;
        }
        const nt_status st = update_param(ex, sgd, p);
        if (st != NT_OK) {
            return st;
        }
    }
    account(ex, NT_PHASE_UPDATE, t0);
    return NT_OK;
}

nt_status nt_exec_train_step(nt_exec_t *ex, const nt_sgd_config_t *sgd, const uint8_t *trainable, float *loss,
                            uint8_t *predictions)
{
    ex->training = 1u;
    nt_exec_forward(ex);
    ex->training = 0u;
    if (predictions) {
        /* Before the loss: in a planned layout the logits' memory is reused by the backward pass. */
        const nt_plan_tensor_t *logits = &ex->plan->tensors[ex->plan->logits];
        nt_argmax_f32((int32_t)logits->dims[0], (int32_t)logits->dims[3], (const float *)nt_exec_tensor(ex, ex->plan->logits),
                      predictions);
    }
    const float value = nt_exec_loss(ex);
    if (loss) {
        *loss = value;
    }
    const nt_status st = run_backward(ex, sgd, trainable);
    ex->steps++;
    return st;
}
