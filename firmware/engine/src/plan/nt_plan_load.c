#include <string.h>

#include "nt/bytes.h"
#include "nt/crc32.h"
#include "nt/elastic.h"
#include "nt/plan.h"

/* The file's entries are read through these structs, so their sizes are part of the format. */
typedef char nt_assert_space_size[(sizeof(nt_plan_space_t) == NT_PLAN_SPACE_BYTES) ? 1 : -1];
typedef char nt_assert_tensor_size[(sizeof(nt_plan_tensor_t) == NT_PLAN_TENSOR_BYTES) ? 1 : -1];
typedef char nt_assert_op_size[(sizeof(nt_plan_op_t) == NT_PLAN_OP_BYTES) ? 1 : -1];

#define TRAIN_HEADER_BYTES 20u

static nt_status fail(nt_plan_error_t *err, nt_status status, nt_plan_section section, uint32_t index)
{
    if (err) {
        err->status = status;
        err->section = section;
        err->index = index;
    }
    return status;
}

uint32_t nt_dtype_size(uint8_t dtype)
{
    switch (dtype) {
    case NT_DTYPE_F32: return 4u;
    case NT_DTYPE_S32: return 4u;
    case NT_DTYPE_S8: return 1u;
    case NT_DTYPE_U8: return 1u;
    default: return 0u;
    }
}

/* Section [off, off+bytes) lies inside the file and is 4-byte aligned. */
static int section_ok(uint32_t off, uint64_t bytes, uint32_t file_bytes)
{
    return (off % 4u) == 0u && off >= NT_PLAN_HEADER_BYTES && (uint64_t)off + bytes <= file_bytes;
}

static int dims_are(const nt_plan_tensor_t *t, uint32_t d0, uint32_t d1, uint32_t d2, uint32_t d3)
{
    return t->dims[0] == d0 && t->dims[1] == d1 && t->dims[2] == d2 && t->dims[3] == d3;
}

static int same_dims(const nt_plan_tensor_t *a, const nt_plan_tensor_t *b)
{
    return dims_are(a, b->dims[0], b->dims[1], b->dims[2], b->dims[3]);
}

/* Operand `index` is a tensor of the plan with the given dtype; NONE passes only when optional. */
static int operand_ok(const nt_plan_t *plan, uint16_t index, uint8_t dtype, int optional)
{
    if (index == NT_PLAN_NONE) {
        return optional;
    }
    return index < plan->n_tensors && plan->tensors[index].dtype == dtype;
}

/* Outputs are written, so they must live in an arena space, not the read-only blob. */
static int writable(const nt_plan_t *plan, uint16_t index)
{
    return plan->tensors[index].space != 0u;
}

static float f32_from_bits(int32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* out[1] of a conv: NONE, or the window of a depthwise conv that may run in place (see nt_exec.c):
 * dtype of x, dims [1, k, in_w + 2*pad, c], and 2*pad < k so that the output is no wider than the input. */
static int window_ok(const nt_plan_t *plan, const nt_plan_op_t *op, uint8_t dtype)
{
    if (op->out[1] == NT_PLAN_NONE) {
        return 1;
    }
    const int32_t k = op->params[0], pad = op->params[2], g = op->params[3];
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    const nt_plan_tensor_t *y = &plan->tensors[op->out[0]];
    return operand_ok(plan, op->out[1], dtype, 0) && writable(plan, op->out[1]) && g == (int32_t)x->dims[3] &&
           g == (int32_t)y->dims[3] && 2 * pad < k &&
           dims_are(&plan->tensors[op->out[1]], 1, (uint32_t)k, (uint32_t)x->dims[2] + 2u * (uint32_t)pad, x->dims[3]);
}

static int check_conv(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    const int32_t k = op->params[0], s = op->params[1], pad = op->params[2], g = op->params[3];
    if (!operand_ok(plan, op->in[0], NT_DTYPE_F32, 0) || !operand_ok(plan, op->in[1], NT_DTYPE_F32, 0) ||
        !operand_ok(plan, op->in[2], NT_DTYPE_F32, 1) || !operand_ok(plan, op->out[0], NT_DTYPE_F32, 0) ||
        !writable(plan, op->out[0])) {
        return 0;
    }
    if (!(k == 1 || k == 3 || k == 5 || k == 7) || !(s == 1 || s == 2) || pad < 0 || pad >= k || g < 1) {
        return 0;
    }
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    const nt_plan_tensor_t *w = &plan->tensors[op->in[1]];
    const nt_plan_tensor_t *y = &plan->tensors[op->out[0]];
    const int32_t cin = x->dims[3], cout = y->dims[3];
    if (cin % g != 0 || cout % g != 0 || x->dims[0] != plan->batch || y->dims[0] != plan->batch) {
        return 0;
    }
    if ((int32_t)x->dims[1] + 2 * pad < k || (int32_t)x->dims[2] + 2 * pad < k) {
        return 0;
    }
    const int32_t oh = ((int32_t)x->dims[1] + 2 * pad - k) / s + 1;
    const int32_t ow = ((int32_t)x->dims[2] + 2 * pad - k) / s + 1;
    if ((int32_t)y->dims[1] != oh || (int32_t)y->dims[2] != ow) {
        return 0;
    }
    if (!dims_are(w, (uint32_t)k, (uint32_t)k, (uint32_t)(cin / g), (uint32_t)cout)) {
        return 0;
    }
    return (op->in[2] == NT_PLAN_NONE || dims_are(&plan->tensors[op->in[2]], 1, 1, 1, (uint32_t)cout)) && window_ok(plan, op, NT_DTYPE_F32);
}

static int check_vector(const nt_plan_t *plan, uint16_t index, uint32_t c)
{
    return operand_ok(plan, index, NT_DTYPE_F32, 0) && dims_are(&plan->tensors[index], 1, 1, 1, c);
}

static int check_batchnorm(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    if (!operand_ok(plan, op->in[0], NT_DTYPE_F32, 0) || !operand_ok(plan, op->out[0], NT_DTYPE_F32, 0) ||
        !writable(plan, op->out[0])) {
        return 0;
    }
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    const uint32_t c = x->dims[3];
    for (int i = 1; i <= 4; ++i) {
        if (!check_vector(plan, op->in[i], c)) {
            return 0;
        }
    }
    for (int i = 0; i < 2; ++i) {
        if (!check_vector(plan, op->saved[i], c) || !writable(plan, op->saved[i])) {
            return 0;
        }
    }
    /* Running statistics are updated in training mode, so they must be writable too. */
    if (!writable(plan, op->in[3]) || !writable(plan, op->in[4])) {
        return 0;
    }
    const float eps = f32_from_bits(op->params[0]);
    const float momentum = f32_from_bits(op->params[1]);
    return same_dims(x, &plan->tensors[op->out[0]]) && x->dims[0] == plan->batch && eps > 0.0f && eps < 1.0f &&
           momentum >= 0.0f && momentum <= 1.0f;
}

static int check_elementwise(const nt_plan_t *plan, const nt_plan_op_t *op, int inputs)
{
    if (!operand_ok(plan, op->out[0], NT_DTYPE_F32, 0) || !writable(plan, op->out[0])) {
        return 0;
    }
    for (int i = 0; i < inputs; ++i) {
        if (!operand_ok(plan, op->in[i], NT_DTYPE_F32, 0) || !same_dims(&plan->tensors[op->in[i]], &plan->tensors[op->out[0]])) {
            return 0;
        }
    }
    return 1;
}

static int check_gap(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    if (!operand_ok(plan, op->in[0], NT_DTYPE_F32, 0) || !operand_ok(plan, op->out[0], NT_DTYPE_F32, 0) ||
        !writable(plan, op->out[0])) {
        return 0;
    }
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    return x->dims[0] == plan->batch && dims_are(&plan->tensors[op->out[0]], plan->batch, 1, 1, x->dims[3]);
}

static int check_fc(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    if (!operand_ok(plan, op->in[0], NT_DTYPE_F32, 0) || !operand_ok(plan, op->in[1], NT_DTYPE_F32, 0) ||
        !operand_ok(plan, op->in[2], NT_DTYPE_F32, 1) || !operand_ok(plan, op->out[0], NT_DTYPE_F32, 0) ||
        !writable(plan, op->out[0])) {
        return 0;
    }
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    const nt_plan_tensor_t *y = &plan->tensors[op->out[0]];
    const uint32_t in = x->dims[3], out = y->dims[3];
    return dims_are(x, plan->batch, 1, 1, in) && dims_are(y, plan->batch, 1, 1, out) &&
           dims_are(&plan->tensors[op->in[1]], 1, 1, in, out) &&
           (op->in[2] == NT_PLAN_NONE || dims_are(&plan->tensors[op->in[2]], 1, 1, 1, out));
}

static int check_softmax_ce(const nt_plan_t *plan, const nt_plan_op_t *op, uint32_t index)
{
    if (index + 1u != plan->n_ops || !operand_ok(plan, op->in[0], NT_DTYPE_F32, 0) ||
        !operand_ok(plan, op->in[1], NT_DTYPE_U8, 0) || !operand_ok(plan, op->out[0], NT_DTYPE_F32, 0) ||
        !writable(plan, op->out[0])) {
        return 0;
    }
    const nt_plan_tensor_t *logits = &plan->tensors[op->in[0]];
    return (op->params[0] & ~(int32_t)NT_PLAN_FUSED_UPDATE) == 0 && logits->dims[0] == plan->batch && logits->dims[1] == 1 &&
           logits->dims[2] == 1 && logits->dims[3] >= 1 &&
           logits->dims[3] <= 256 && dims_are(&plan->tensors[op->in[1]], plan->batch, 1, 1, 1) &&
           dims_are(&plan->tensors[op->out[0]], 1, 1, 1, 1);
}

static int16_t low16(int32_t v) { return (int16_t)(v & 0xFFFF); }
static int16_t high16(int32_t v) { return (int16_t)((uint32_t)v >> 16); }

/* Packed offsets and clamps of an int8 op: offsets in their int8 ranges, -128 <= act_min <= act_max <= 127. */
static int s8_quant_ok(int32_t offsets, int32_t clamp)
{
    const int32_t in = low16(offsets), out = high16(offsets), lo = low16(clamp), hi = high16(clamp);
    return in >= -127 && in <= 128 && out >= -128 && out <= 127 && lo >= -128 && lo <= hi && hi <= 127;
}

/* The initial values of an int32 bias fit beside `products` (the most an accumulator's products can add up to,
 * 255 * 128 per weight) in int32, so the kernels' accumulators never overflow; int8 training keeps them there
 * (nt_qas_bias_limit). A bias in an arena space starts from the blob (INIT) or from zero (ZERO). */
static int bias_ok(const nt_plan_t *plan, const nt_plan_tensor_t *b, uint32_t channels, int64_t products)
{
    if (products > INT32_MAX) {
        return 0;
    }
    if (b->space != 0u && (b->flags & NT_TENSOR_INIT) == 0u) {
        return (b->flags & NT_TENSOR_ZERO) != 0u;
    }
    const uint8_t *at = plan->blob + (b->space == 0u ? b->offset : b->init_offset);
    for (uint32_t c = 0; c < channels; ++c) {
        const int64_t v = (int32_t)nt_rd32(at + 4u * c);
        if ((v < 0 ? -v : v) > INT32_MAX - products) {
            return 0;
        }
    }
    return 1;
}

/* Bias, multipliers and shifts of an int8 conv or fc with `channels` outputs and `taps` weights per output. */
static int per_channel_ok(const nt_plan_t *plan, const nt_plan_op_t *op, uint32_t channels, int64_t taps)
{
    if (op->in[2] != NT_PLAN_NONE && !(operand_ok(plan, op->in[2], NT_DTYPE_S32, 0) && dims_are(&plan->tensors[op->in[2]], 1, 1, 1, channels) &&
                                       bias_ok(plan, &plan->tensors[op->in[2]], channels, taps * 255 * 128))) {
        return 0;
    }
    if (taps * 255 * 128 > INT32_MAX) {
        return 0;
    }
    if (!operand_ok(plan, op->in[3], NT_DTYPE_S32, 0) || !dims_are(&plan->tensors[op->in[3]], 1, 1, 1, channels) ||
        !operand_ok(plan, op->in[4], NT_DTYPE_S32, 0) || !dims_are(&plan->tensors[op->in[4]], 1, 1, 1, channels)) {
        return 0;
    }
    /* Kernels trust the requantization: multipliers in {0} U [2^30, 2^31), shifts in [-31, 30]. */
    const nt_plan_tensor_t *m = &plan->tensors[op->in[3]];
    const nt_plan_tensor_t *sh = &plan->tensors[op->in[4]];
    if (m->space != 0u || sh->space != 0u) {
        return 0;
    }
    const int32_t *mv = (const int32_t *)(const void *)(plan->blob + m->offset);
    const int32_t *sv = (const int32_t *)(const void *)(plan->blob + sh->offset);
    for (uint32_t c = 0; c < channels; ++c) {
        if ((mv[c] != 0 && mv[c] < (1 << 30)) || sv[c] < -31 || sv[c] > 30) {
            return 0;
        }
    }
    return 1;
}

/* An int8 conv's training scales: NONE, or f32 [1,1,1,cout+1] in the blob, every one positive and finite. */
static int train_scales_ok(const nt_plan_t *plan, uint16_t index, uint32_t cout)
{
    if (index == NT_PLAN_NONE) {
        return 1;
    }
    if (!operand_ok(plan, index, NT_DTYPE_F32, 0) || !dims_are(&plan->tensors[index], 1, 1, 1, cout + 1u) || plan->tensors[index].space != 0u) {
        return 0;
    }
    const float *v = (const float *)(const void *)(plan->blob + plan->tensors[index].offset);
    for (uint32_t c = 0; c <= cout; ++c) {
        if (!(v[c] > 0.0f && v[c] < 1e30f)) {
            return 0;
        }
    }
    return 1;
}

static int check_conv_s8(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    const int32_t k = op->params[0], s = op->params[1], pad = op->params[2], g = op->params[3];
    if (!operand_ok(plan, op->in[0], NT_DTYPE_S8, 0) || !operand_ok(plan, op->in[1], NT_DTYPE_S8, 0) ||
        !operand_ok(plan, op->out[0], NT_DTYPE_S8, 0) || !writable(plan, op->out[0])) {
        return 0;
    }
    if (!(k == 1 || k == 3 || k == 5 || k == 7) || !(s == 1 || s == 2) || pad < 0 || pad >= k || g < 1 ||
        !s8_quant_ok(op->params[4], op->params[5])) {
        return 0;
    }
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    const nt_plan_tensor_t *y = &plan->tensors[op->out[0]];
    const int32_t cin = x->dims[3], cout = y->dims[3];
    if (cin % g != 0 || cout % g != 0 || x->dims[0] != plan->batch || y->dims[0] != plan->batch ||
        (int32_t)x->dims[1] + 2 * pad < k || (int32_t)x->dims[2] + 2 * pad < k) {
        return 0;
    }
    if ((int32_t)y->dims[1] != ((int32_t)x->dims[1] + 2 * pad - k) / s + 1 || (int32_t)y->dims[2] != ((int32_t)x->dims[2] + 2 * pad - k) / s + 1) {
        return 0;
    }
    const int depthwise = g == cin && g == cout && g > 1;
    const nt_plan_tensor_t *w = &plan->tensors[op->in[1]];
    if (depthwise ? !dims_are(w, (uint32_t)k, (uint32_t)k, 1, (uint32_t)cout)
                  : !dims_are(w, (uint32_t)cout, (uint32_t)k, (uint32_t)k, (uint32_t)(cin / g))) {
        return 0;
    }
    return per_channel_ok(plan, op, (uint32_t)cout, (int64_t)k * k * (cin / g)) && window_ok(plan, op, NT_DTYPE_S8) && train_scales_ok(plan, op->in[5], (uint32_t)cout);
}

static int check_fc_s8(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    if (!operand_ok(plan, op->in[0], NT_DTYPE_S8, 0) || !operand_ok(plan, op->in[1], NT_DTYPE_S8, 0) ||
        !operand_ok(plan, op->out[0], NT_DTYPE_S8, 0) || !writable(plan, op->out[0]) || !s8_quant_ok(op->params[4], op->params[5])) {
        return 0;
    }
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    const nt_plan_tensor_t *y = &plan->tensors[op->out[0]];
    const uint32_t in = x->dims[3], out = y->dims[3];
    return dims_are(x, plan->batch, 1, 1, in) && dims_are(y, plan->batch, 1, 1, out) &&
           dims_are(&plan->tensors[op->in[1]], 1, 1, out, in) && per_channel_ok(plan, op, out, in);
}

static int check_add_s8(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    if (!operand_ok(plan, op->in[0], NT_DTYPE_S8, 0) || !operand_ok(plan, op->in[1], NT_DTYPE_S8, 0) ||
        !operand_ok(plan, op->out[0], NT_DTYPE_S8, 0) || !writable(plan, op->out[0]) ||
        !operand_ok(plan, op->in[2], NT_DTYPE_S32, 0) || !dims_are(&plan->tensors[op->in[2]], 1, 1, 1, 12) ||
        plan->tensors[op->in[2]].space != 0u) {
        return 0;
    }
    /* Kernels trust the quantization (nt_add_s8_quant_t, read from the blob): offsets and clamps in int8, multipliers in
     * {0} U [2^30, 2^31), input shifts in [-31, 0] and a left shift of at most 22, so each rescaled input stays within
     * 255 * 2^22 and their sum within int32; the output shift in [-31, 30] as a conv's. */
    nt_add_s8_quant_t q;
    memcpy(&q, plan->blob + plan->tensors[op->in[2]].offset, sizeof q);
    const int32_t multipliers[3] = { q.input1_multiplier, q.input2_multiplier, q.output_multiplier };
    for (uint32_t i = 0; i < 3u; ++i) {
        if (multipliers[i] != 0 && multipliers[i] < (1 << 30)) {
            return 0;
        }
    }
    if (q.input1_offset < -127 || q.input1_offset > 128 || q.input2_offset < -127 || q.input2_offset > 128 ||
        q.output_offset < -128 || q.output_offset > 127 || q.input1_shift < -31 || q.input1_shift > 0 ||
        q.input2_shift < -31 || q.input2_shift > 0 || q.output_shift < -31 || q.output_shift > 30 || q.left_shift < 0 ||
        q.left_shift > 22 || q.act_min < -128 || q.act_min > q.act_max || q.act_max > 127) {
        return 0;
    }
    return same_dims(&plan->tensors[op->in[0]], &plan->tensors[op->out[0]]) && same_dims(&plan->tensors[op->in[1]], &plan->tensors[op->out[0]]);
}

static int check_gap_s8(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    if (!operand_ok(plan, op->in[0], NT_DTYPE_S8, 0) || !operand_ok(plan, op->out[0], NT_DTYPE_S8, 0) || !writable(plan, op->out[0]) ||
        op->params[0] < -128 || op->params[0] > op->params[1] || op->params[1] > 127) {
        return 0;
    }
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    return x->dims[0] == plan->batch && dims_are(&plan->tensors[op->out[0]], plan->batch, 1, 1, x->dims[3]);
}

/* QUANTIZE (f32 -> s8) and DEQUANTIZE (s8 -> f32): same dims, a positive finite scale, a zero point in int8. */
static int check_requantize(const nt_plan_t *plan, const nt_plan_op_t *op, uint8_t from, uint8_t to)
{
    if (!operand_ok(plan, op->in[0], from, 0) || !operand_ok(plan, op->out[0], to, 0) || !writable(plan, op->out[0]) ||
        !same_dims(&plan->tensors[op->in[0]], &plan->tensors[op->out[0]])) {
        return 0;
    }
    const float scale = f32_from_bits(op->params[0]);
    return scale > 0.0f && scale < 1e30f && op->params[1] >= -128 && op->params[1] <= 127;
}

/* Alternant partial update's drift op (plan.h): the source statistics are finite, 1/std positive and at most
 * 1e6; a filter is passed over at most horizon + (c - 1) / count rounds (nt/kernels.h), which the ages must
 * count without saturating. */
static int check_filter_drift(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    if (!operand_ok(plan, op->in[0], NT_DTYPE_S8, 0) || !operand_ok(plan, op->in[1], NT_DTYPE_F32, 0) ||
        !operand_ok(plan, op->out[0], NT_DTYPE_F32, 0) || !operand_ok(plan, op->out[1], NT_DTYPE_U8, 0) ||
        !writable(plan, op->out[0]) || !writable(plan, op->out[1]) || op->out[0] == op->out[1] || plan->tensors[op->in[1]].space != 0u) {
        return 0;
    }
    const uint32_t c = plan->tensors[op->in[0]].dims[3];
    if (!dims_are(&plan->tensors[op->in[1]], 1, 1, 2, c) || !dims_are(&plan->tensors[op->out[0]], 1, 1, 1, c) ||
        !dims_are(&plan->tensors[op->out[1]], 1, 1, 1, c)) {
        return 0;
    }
    const int32_t round = op->params[0], count = op->params[1], horizon = op->params[2];
    const float momentum = f32_from_bits(op->params[3]), scale = f32_from_bits(op->params[4]);
    if (round < 1 || count < 1 || (uint32_t)count > c || horizon < 1 || horizon > 254 || (int64_t)horizon + (int64_t)(c - 1u) / count > 254 ||
        !(momentum >= 0.0f && momentum < 1.0f) || !(scale > 0.0f && scale < 1e30f) || op->params[5] < -128 || op->params[5] > 127) {
        return 0;
    }
    const float *source = (const float *)(const void *)(plan->blob + plan->tensors[op->in[1]].offset);
    for (uint32_t ch = 0; ch < c; ++ch) {
        if (!(source[ch] > -1e30f && source[ch] < 1e30f) || !(source[c + ch] > 0.0f && source[c + ch] <= 1e6f)) {
            return 0;
        }
    }
    return 1;
}

/* An op's `select`: NONE, or for a CONV2D_S8 with training scales, the ages (out[1]) of a FILTER_DRIFT op over
 * its output. */
static int select_ok(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    if (op->select == NT_PLAN_NONE) {
        return 1;
    }
    if (op->kind != NT_OP_CONV2D_S8 || op->in[5] == NT_PLAN_NONE) {
        return 0;
    }
    for (uint32_t i = 0; i < plan->n_ops; ++i) {
        const nt_plan_op_t *d = &plan->ops[i];
        if (d->kind == NT_OP_FILTER_DRIFT && d->in[0] == op->out[0] && d->out[1] == op->select) {
            return 1;
        }
    }
    return 0;
}

int nt_plan_condensed(const nt_plan_t *plan, uint16_t index)
{
    const nt_plan_tensor_t *t = &plan->tensors[index];
    return t->grad != NT_PLAN_NONE && !same_dims(&plan->tensors[t->grad], t);
}

int nt_plan_s8_conv_exact(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    return op->saved[0] == NT_PLAN_NONE && op->saved[1] == NT_PLAN_NONE && !nt_plan_condensed(plan, op->out[0]) &&
           !nt_plan_condensed(plan, op->in[0]);
}

/* The gradient of activation `index` is a vector [n,1,1,c] (condensed, or the activation is one). */
static int vector_grad(const nt_plan_t *plan, uint16_t index)
{
    const nt_plan_tensor_t *t = &plan->tensors[index];
    return t->grad != NT_PLAN_NONE && plan->tensors[t->grad].dims[1] == 1u && plan->tensors[t->grad].dims[2] == 1u;
}

/* The gradient of activation `index` is one over a grid of patches of its map (nt_plan_gc_grid), [n,rows,cols,c]: a
 * vector, a patched gradient, or (patches of one position) the full map. */
static int grid_grad(const nt_plan_t *plan, uint16_t index)
{
    const nt_plan_tensor_t *t = &plan->tensors[index];
    nt_gc_grid_t grid;
    return t->grad != NT_PLAN_NONE && plan->tensors[t->grad].dims[0] == t->dims[0] && plan->tensors[t->grad].dims[3] == t->dims[3] &&
           nt_plan_gc_grid(plan, index, &grid);
}

/* A condensed gradient over patches rather than the whole map: only the int8 convs have those kernels. */
static int patched(const nt_plan_t *plan, uint16_t index)
{
    return index != NT_PLAN_NONE && index < plan->n_tensors && nt_plan_condensed(plan, index) && !vector_grad(plan, index);
}

int nt_plan_gc_grid(const nt_plan_t *plan, uint16_t index, nt_gc_grid_t *grid)
{
    const nt_plan_tensor_t *t = &plan->tensors[index];
    const nt_plan_tensor_t *g = t->grad != NT_PLAN_NONE ? &plan->tensors[t->grad] : NULL;
    if (!g) {
        return nt_gc_grid_of((int32_t)t->dims[1], (int32_t)t->dims[2], 1, 1, grid);
    }
    return nt_gc_grid_of((int32_t)t->dims[1], (int32_t)t->dims[2], (int32_t)g->dims[1], (int32_t)g->dims[2], grid);
}

int32_t nt_plan_gc_taps(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    nt_gc_grid_t grid;
    if (op->saved[0] == NT_PLAN_NONE || !nt_plan_gc_grid(plan, op->out[0], &grid)) {
        return 0;
    }
    const nt_plan_tensor_t *sums = &plan->tensors[op->saved[0]];
    return (int32_t)(sums->dims[1] * sums->dims[2]) / (grid.rows * grid.cols);
}

/* Optional saved tensor of a condensing op: NONE, or writable f32 with these dims. */
/* Tensor `index` (or none) is a trainable parameter. */
static int is_param(const nt_plan_t *plan, uint16_t index)
{
    return index != NT_PLAN_NONE && (plan->tensors[index].flags & NT_TENSOR_PARAM) != 0u;
}

static int saved_ok(const nt_plan_t *plan, uint16_t index, uint32_t d0, uint32_t d1, uint32_t d2, uint32_t d3)
{
    return index == NT_PLAN_NONE ||
           (operand_ok(plan, index, NT_DTYPE_F32, 0) && writable(plan, index) && dims_are(&plan->tensors[index], d0, d1, d2, d3));
}

/* The input sums of a condensing int8 conv: [n,k,k,c] (one per tap) or [n,1,1,c] (shared) for the whole map,
 * [n,patches,k*k,c] or [n,patches,1,c] over patches (nt_conv2d_s8_gc_sums). */
static int s8_sums_ok(const nt_plan_t *plan, const nt_plan_op_t *op, const nt_gc_grid_t *grid)
{
    const uint32_t k = (uint32_t)op->params[0], cin = plan->tensors[op->in[0]].dims[3];
    const uint32_t patches = (uint32_t)(grid->rows * grid->cols);
    if (patches == 1u) {
        return saved_ok(plan, op->saved[0], plan->batch, k, k, cin) || saved_ok(plan, op->saved[0], plan->batch, 1, 1, cin);
    }
    return saved_ok(plan, op->saved[0], plan->batch, patches, k * k, cin) || saved_ok(plan, op->saved[0], plan->batch, patches, 1, cin);
}

/* Gradient condensing (nt/kernels.h): a conv's saved[0] holds its input's shifted-window sums and needs a
 * vector output gradient; a ReLU6's saved[0] holds its active counts; condensed gradients flow only into
 * ops that have condensed kernels (conv, ReLU6, add, GAP), and an exact input gradient needs an exact
 * output gradient. */
static int condensing_ok(const nt_plan_t *plan, const nt_plan_op_t *op)
{
    const uint16_t x = op->in[0], y = op->out[0];
    const nt_plan_tensor_t *xt = &plan->tensors[x];
    if ((op->kind == NT_OP_CONV2D || op->kind == NT_OP_RELU6 || op->kind == NT_OP_ADD) &&
        (patched(plan, x) || patched(plan, y) || (op->kind == NT_OP_ADD && patched(plan, op->in[1])))) {
        return 0; /* the fp32 kernels condense over whole maps only */
    }
    switch (op->kind) {
    case NT_OP_CONV2D:
        if (!saved_ok(plan, op->saved[0], plan->batch, (uint32_t)op->params[0], (uint32_t)op->params[0], xt->dims[3]) ||
            op->saved[1] != NT_PLAN_NONE || (op->saved[0] != NT_PLAN_NONE && !vector_grad(plan, y))) {
            return 0;
        }
        return nt_plan_condensed(plan, x) ? vector_grad(plan, y) : !(xt->grad != NT_PLAN_NONE && nt_plan_condensed(plan, y));
    case NT_OP_RELU6:
        if (!saved_ok(plan, op->saved[0], plan->batch, 1, 1, xt->dims[3]) || op->saved[1] != NT_PLAN_NONE) {
            return 0;
        }
        if (nt_plan_condensed(plan, y) && (op->saved[0] == NT_PLAN_NONE || (xt->grad != NT_PLAN_NONE && !nt_plan_condensed(plan, x)))) {
            return 0;
        }
        return !nt_plan_condensed(plan, x) || nt_plan_condensed(plan, y);
    case NT_OP_ADD:
        for (int i = 0; i < 2; ++i) {
            if (plan->tensors[op->in[i]].grad != NT_PLAN_NONE && nt_plan_condensed(plan, op->in[i]) != nt_plan_condensed(plan, y)) {
                return 0;
            }
        }
        return 1;
    case NT_OP_GAP:
    case NT_OP_GAP_S8:
    case NT_OP_FILTER_DRIFT: /* (no backward: reads x in the forward only) */
        return 1;
    case NT_OP_ADD_S8:
        /* The identity in real values: every gradient in the same form, condensed vectors or full maps. */
        for (int i = 0; i < 2; ++i) {
            if (plan->tensors[op->in[i]].grad != NT_PLAN_NONE && plan->tensors[y].grad != NT_PLAN_NONE &&
                !same_dims(&plan->tensors[plan->tensors[op->in[i]].grad], &plan->tensors[plan->tensors[y].grad])) {
                return 0;
            }
        }
        return 1;
    case NT_OP_CONV2D_S8: {
        if (nt_plan_s8_conv_exact(plan, op)) {
            /* Exact: full maps on both sides (nt_plan_s8_conv_exact), the scales there when anything flows back, and
             * the input kept apart from the output when dW reads it. */
            const nt_plan_tensor_t *yt = &plan->tensors[y];
            const int overlap = xt->space == yt->space && xt->offset < yt->offset + yt->bytes && yt->offset < xt->offset + xt->bytes;
            return (yt->grad == NT_PLAN_NONE || op->in[5] != NT_PLAN_NONE) && !(overlap && is_param(plan, op->in[1]));
        }
        /* Condensed: every gradient on either side is over a grid of patches (a vector for the whole map), the sums and
         * counts are over the output's, and the scales are there. */
        nt_gc_grid_t grid;
        if (!nt_plan_gc_grid(plan, y, &grid) || !s8_sums_ok(plan, op, &grid) ||
            !saved_ok(plan, op->saved[1], plan->batch, (uint32_t)grid.rows, (uint32_t)grid.cols, plan->tensors[y].dims[3])) {
            return 0;
        }
        /* A backward (an input gradient or a trained parameter) carries the output gradient through the clamp by the
         * active counts, which every condensing conv keeps (an output at an end of the int8 range is clamped too). */
        const int backward = xt->grad != NT_PLAN_NONE || op->saved[0] != NT_PLAN_NONE || op->saved[1] != NT_PLAN_NONE ||
                             is_param(plan, op->in[1]) || is_param(plan, op->in[2]);
        if (backward && (op->in[5] == NT_PLAN_NONE || op->saved[1] == NT_PLAN_NONE || !grid_grad(plan, y))) {
            return 0;
        }
        return (xt->grad == NT_PLAN_NONE || grid_grad(plan, x)) && (plan->tensors[y].grad == NT_PLAN_NONE || grid_grad(plan, y));
    }
    default:
        /* No condensed kernels: neither side condensed. */
        return !((x != NT_PLAN_NONE && x < plan->n_tensors && nt_plan_condensed(plan, x)) || (y < plan->n_tensors && nt_plan_condensed(plan, y)));
    }
}

static nt_status check_op(const nt_plan_t *plan, const nt_plan_op_t *op, uint32_t index)
{
    int ok;
    if ((op->flags & ~NT_OP_FLAGS_ALL) != 0u || ((op->flags & NT_OP_FLAG_ZERO_GRAD_IN1) != 0u && op->in[1] == NT_PLAN_NONE)) {
        return NT_ERR_RANGE;
    }
    /* Every operand slot, used by this kind or not, names a tensor or NT_PLAN_NONE: the executor walks them all. */
    const uint16_t *slots[3] = { op->in, op->out, op->saved };
    const uint32_t counts[3] = { 6u, 2u, 2u };
    for (uint32_t g = 0; g < 3u; ++g) {
        for (uint32_t k = 0; k < counts[g]; ++k) {
            if (slots[g][k] != NT_PLAN_NONE && slots[g][k] >= plan->n_tensors) {
                return NT_ERR_RANGE;
            }
        }
    }
    switch (op->kind) {
    case NT_OP_CONV2D: ok = check_conv(plan, op); break;
    case NT_OP_BATCHNORM: ok = check_batchnorm(plan, op); break;
    case NT_OP_RELU6: ok = check_elementwise(plan, op, 1); break;
    case NT_OP_ADD: ok = check_elementwise(plan, op, 2); break;
    case NT_OP_GAP: ok = check_gap(plan, op); break;
    case NT_OP_FC: ok = check_fc(plan, op); break;
    case NT_OP_SOFTMAX_CE: ok = check_softmax_ce(plan, op, index); break;
    case NT_OP_QUANTIZE: ok = check_requantize(plan, op, NT_DTYPE_F32, NT_DTYPE_S8); break;
    case NT_OP_CONV2D_S8: ok = check_conv_s8(plan, op); break;
    case NT_OP_ADD_S8: ok = check_add_s8(plan, op); break;
    case NT_OP_GAP_S8: ok = check_gap_s8(plan, op); break;
    case NT_OP_FC_S8: ok = check_fc_s8(plan, op); break;
    case NT_OP_DEQUANTIZE: ok = check_requantize(plan, op, NT_DTYPE_S8, NT_DTYPE_F32); break;
    case NT_OP_FILTER_DRIFT: ok = check_filter_drift(plan, op); break;
    default: return NT_ERR_UNKNOWN_OP;
    }
    return ok && condensing_ok(plan, op) && select_ok(plan, op) ? NT_OK : NT_ERR_RANGE;
}

static nt_status check_tensor(const nt_plan_t *plan, const nt_plan_tensor_t *t)
{
    const uint32_t size = nt_dtype_size(t->dtype);
    if (size == 0u || t->space >= plan->n_spaces || (t->offset % 4u) != 0u) {
        return NT_ERR_RANGE;
    }
    uint64_t elements = 1u;
    for (int d = 0; d < 4; ++d) {
        if (t->dims[d] == 0u) {
            return NT_ERR_RANGE;
        }
        elements *= t->dims[d];
    }
    if (elements * size != t->bytes || (uint64_t)t->offset + t->bytes > plan->spaces[t->space].bytes) {
        return NT_ERR_RANGE;
    }
    if (t->space == 0u && (t->flags & (NT_TENSOR_INIT | NT_TENSOR_ZERO)) != 0u) {
        return NT_ERR_RANGE; /* the blob is read-only: nothing can be copied or zeroed into it */
    }
    if ((t->flags & NT_TENSOR_INIT) != 0u && ((t->init_offset % 4u) != 0u || (uint64_t)t->init_offset + t->bytes > plan->blob_bytes)) {
        return NT_ERR_RANGE;
    }
    const uint16_t links[2] = { t->grad, t->momentum };
    for (int i = 0; i < 2; ++i) {
        if (links[i] == NT_PLAN_NONE) {
            continue;
        }
        if (links[i] >= plan->n_tensors) {
            return NT_ERR_RANGE;
        }
        const nt_plan_tensor_t *l = &plan->tensors[links[i]];
        /* An activation's gradient may be condensed: its per-channel spatial mean, [n,1,1,c], or its means over a grid
         * of patches, [n,rows,cols,c]. */
        nt_gc_grid_t grid;
        const int condensed = i == 0 && (t->flags & NT_TENSOR_PARAM) == 0u && l->dims[0] == t->dims[0] && l->dims[3] == t->dims[3] &&
                              nt_gc_grid_of((int32_t)t->dims[1], (int32_t)t->dims[2], (int32_t)l->dims[1], (int32_t)l->dims[2], &grid);
        if (l->dtype != NT_DTYPE_F32 || l->space == 0u || !(same_dims(l, t) || condensed)) {
            return NT_ERR_RANGE;
        }
    }
    return NT_OK;
}

/* A trainable int8 parameter (NT_TENSOR_PARAM in the training section, not f32): the weights (with sums, or exact) or the
 * bias of a CONV2D_S8 with scales and an output gradient, with no gradient or momentum tensor of its own. */
static int int8_trainable(const nt_plan_t *plan, uint16_t p)
{
    const nt_plan_tensor_t *t = &plan->tensors[p];
    if (t->grad != NT_PLAN_NONE || t->momentum != NT_PLAN_NONE) {
        return 0;
    }
    for (uint32_t i = 0; i < plan->n_ops; ++i) {
        const nt_plan_op_t *op = &plan->ops[i];
        if (op->kind != NT_OP_CONV2D_S8 || op->in[5] == NT_PLAN_NONE || plan->tensors[op->out[0]].grad == NT_PLAN_NONE) {
            continue;
        }
        /* Weights need something to pair the output gradient with: the input's sums, or the input itself (exact). */
        const int weights_ok = op->saved[0] != NT_PLAN_NONE || nt_plan_s8_conv_exact(plan, op);
        if ((op->in[1] == p && t->dtype == NT_DTYPE_S8 && weights_ok) || (op->in[2] == p && t->dtype == NT_DTYPE_S32)) {
            return 1;
        }
    }
    return 0;
}

nt_status nt_plan_load(nt_plan_t *plan, const uint8_t *bytes, size_t len, nt_plan_error_t *err)
{
    if (!plan || !bytes || ((uintptr_t)bytes % 4u) != 0u) {
        return fail(err, NT_ERR_ARG, NT_PLAN_SECTION_HEADER, 0);
    }
    memset(plan, 0, sizeof *plan);
    if (len < NT_PLAN_HEADER_BYTES) {
        return fail(err, NT_ERR_TRUNCATED, NT_PLAN_SECTION_HEADER, 0);
    }
    if (nt_rd32(bytes) != NT_PLAN_MAGIC) {
        return fail(err, NT_ERR_MAGIC, NT_PLAN_SECTION_HEADER, 0);
    }
    if (nt_rd16(bytes + 4) != NT_PLAN_VERSION || nt_rd16(bytes + 6) != NT_PLAN_HEADER_BYTES) {
        return fail(err, NT_ERR_VERSION, NT_PLAN_SECTION_HEADER, 0);
    }
    const uint32_t file_bytes = nt_rd32(bytes + 8);
    if (file_bytes > len || file_bytes < NT_PLAN_HEADER_BYTES) {
        return fail(err, NT_ERR_TRUNCATED, NT_PLAN_SECTION_HEADER, 0);
    }
    if (nt_crc32_update(0, bytes + 16, file_bytes - 16u) != nt_rd32(bytes + 12)) {
        return fail(err, NT_ERR_CRC, NT_PLAN_SECTION_HEADER, 0);
    }
    plan->bytes = bytes;
    plan->file_bytes = file_bytes;
    memcpy(plan->board, bytes + 16, NT_PLAN_BOARD_BYTES);
    plan->board[NT_PLAN_BOARD_BYTES] = '\0';
    plan->n_spaces = nt_rd16(bytes + 32);
    plan->n_tensors = nt_rd16(bytes + 34);
    plan->n_ops = nt_rd16(bytes + 36);
    plan->batch = nt_rd16(bytes + 38);
    const uint32_t spaces_off = nt_rd32(bytes + 40), tensors_off = nt_rd32(bytes + 44), ops_off = nt_rd32(bytes + 48);
    const uint32_t train_off = nt_rd32(bytes + 52), blob_off = nt_rd32(bytes + 56);
    plan->blob_bytes = nt_rd32(bytes + 60);

    if (plan->n_spaces < 2u || plan->n_spaces > NT_PLAN_MAX_SPACES || plan->n_tensors == 0u ||
        plan->n_tensors > NT_PLAN_MAX_TENSORS || plan->n_ops == 0u || plan->batch == 0u) {
        return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_HEADER, 0);
    }
    if (!section_ok(spaces_off, (uint64_t)plan->n_spaces * NT_PLAN_SPACE_BYTES, file_bytes)) {
        return fail(err, NT_ERR_TRUNCATED, NT_PLAN_SECTION_SPACES, 0);
    }
    if (!section_ok(tensors_off, (uint64_t)plan->n_tensors * NT_PLAN_TENSOR_BYTES, file_bytes)) {
        return fail(err, NT_ERR_TRUNCATED, NT_PLAN_SECTION_TENSORS, 0);
    }
    if (!section_ok(ops_off, (uint64_t)plan->n_ops * NT_PLAN_OP_BYTES, file_bytes)) {
        return fail(err, NT_ERR_TRUNCATED, NT_PLAN_SECTION_OPS, 0);
    }
    if (!section_ok(train_off, TRAIN_HEADER_BYTES, file_bytes)) {
        return fail(err, NT_ERR_TRUNCATED, NT_PLAN_SECTION_TRAIN, 0);
    }
    if (!section_ok(blob_off, plan->blob_bytes, file_bytes)) {
        return fail(err, NT_ERR_TRUNCATED, NT_PLAN_SECTION_HEADER, 0);
    }
    plan->spaces = (const nt_plan_space_t *)(const void *)(bytes + spaces_off);
    plan->tensors = (const nt_plan_tensor_t *)(const void *)(bytes + tensors_off);
    plan->ops = (const nt_plan_op_t *)(const void *)(bytes + ops_off);
    plan->blob = bytes + blob_off;

    for (uint32_t i = 0; i < plan->n_spaces; ++i) {
        const nt_plan_space_t *s = &plan->spaces[i];
        const int blob = i == 0u;
        if (s->align < 4u || (s->align & (s->align - 1u)) != 0u || (blob && s->bytes != plan->blob_bytes)) {
            return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_SPACES, i);
        }
    }
    for (uint32_t i = 0; i < plan->n_tensors; ++i) {
        nt_status st = check_tensor(plan, &plan->tensors[i]);
        if (st != NT_OK) {
            return fail(err, st, NT_PLAN_SECTION_TENSORS, i);
        }
    }
    for (uint32_t i = 0; i < plan->n_ops; ++i) {
        nt_status st = check_op(plan, &plan->ops[i], i);
        if (st != NT_OK) {
            return fail(err, st, NT_PLAN_SECTION_OPS, i);
        }
    }

    const uint8_t *train = bytes + train_off;
    plan->input = nt_rd16(train);
    plan->labels = nt_rd16(train + 2);
    plan->logits = nt_rd16(train + 4);
    plan->loss = nt_rd16(train + 6);
    plan->scratch = nt_rd16(train + 8);
    plan->n_params = nt_rd16(train + 10);
    const uint32_t scale_bits = nt_rd32(train + 12);
    memcpy(&plan->int8_lr_scale, &scale_bits, sizeof plan->int8_lr_scale);
    plan->elastic = nt_rd16(train + 16);
    if (nt_rd16(train + 18) != 0u) {
        return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_TRAIN, 0);
    }
    if (!section_ok(train_off, TRAIN_HEADER_BYTES + 2ull * plan->n_params, file_bytes)) {
        return fail(err, NT_ERR_TRUNCATED, NT_PLAN_SECTION_TRAIN, 0);
    }
    plan->params = (const uint16_t *)(const void *)(train + TRAIN_HEADER_BYTES);
    if (!(plan->int8_lr_scale > 0.0f && plan->int8_lr_scale <= 1000.0f)) {
        return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_TRAIN, 0);
    }
    if (!operand_ok(plan, plan->input, NT_DTYPE_F32, 0) || plan->tensors[plan->input].dims[0] != plan->batch ||
        !writable(plan, plan->input)) {
        return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_TRAIN, 0);
    }
    if (!operand_ok(plan, plan->logits, NT_DTYPE_F32, 0) || !dims_are(&plan->tensors[plan->logits], plan->batch, 1, 1, plan->tensors[plan->logits].dims[3])) {
        return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_TRAIN, 0);
    }
    const nt_plan_op_t *last = &plan->ops[plan->n_ops - 1u];
    const int has_loss = last->kind == NT_OP_SOFTMAX_CE;
    if (has_loss ? (plan->labels != last->in[1] || plan->loss != last->out[0] || plan->logits != last->in[0] ||
                    plan->tensors[plan->logits].grad == NT_PLAN_NONE || !writable(plan, plan->labels))
                 : (plan->labels != NT_PLAN_NONE || plan->loss != NT_PLAN_NONE || plan->n_params != 0u)) {
        return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_TRAIN, 0);
    }
    if (plan->scratch != NT_PLAN_NONE && (!operand_ok(plan, plan->scratch, NT_DTYPE_F32, 0) || !writable(plan, plan->scratch))) {
        return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_TRAIN, 0);
    }
    /* Batch-norm backward needs 2*c floats of scratch. */
    for (uint32_t i = 0; i < plan->n_ops; ++i) {
        if (plan->ops[i].kind == NT_OP_BATCHNORM && has_loss) {
            const uint32_t need = 2u * plan->tensors[plan->ops[i].in[0]].dims[3] * 4u;
            if (plan->scratch == NT_PLAN_NONE || plan->tensors[plan->scratch].bytes < need) {
                return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_OPS, i);
            }
        }
    }
    /* The elastic workspace: writable bytes, 8-aligned, as many as nt_elastic_state_bytes asks, for a plan that trains. */
    if (plan->elastic != NT_PLAN_NONE) {
        const nt_plan_tensor_t *w = plan->elastic < plan->n_tensors ? &plan->tensors[plan->elastic] : NULL;
        if (!w || !has_loss || plan->n_params == 0u || w->dtype != NT_DTYPE_U8 || !writable(plan, plan->elastic) || w->offset % 8u != 0u ||
            plan->spaces[w->space].align < 8u || w->bytes < nt_elastic_state_bytes(plan->n_tensors, plan->n_ops, plan->n_params)) {
            return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_TRAIN, 0);
        }
    }
    for (uint32_t i = 0; i < plan->n_params; ++i) {
        const uint16_t p = plan->params[i];
        if (p >= plan->n_tensors || (plan->tensors[p].flags & NT_TENSOR_PARAM) == 0u || !writable(plan, p) ||
            (plan->tensors[p].dtype == NT_DTYPE_F32 ? plan->tensors[p].grad == NT_PLAN_NONE : !int8_trainable(plan, p))) {
            return fail(err, NT_ERR_RANGE, NT_PLAN_SECTION_TRAIN, 1u + i);
        }
    }
    if (err) {
        err->status = NT_OK;
        err->section = NT_PLAN_SECTION_HEADER;
        err->index = 0;
    }
    return NT_OK;
}

void nt_plan_conv_params(const nt_plan_t *plan, const nt_plan_op_t *op, nt_conv2d_params_t *p)
{
    const nt_plan_tensor_t *x = &plan->tensors[op->in[0]];
    const nt_plan_tensor_t *y = &plan->tensors[op->out[0]];
    p->n = x->dims[0];
    p->in_h = x->dims[1];
    p->in_w = x->dims[2];
    p->in_c = x->dims[3];
    p->out_h = y->dims[1];
    p->out_w = y->dims[2];
    p->out_c = y->dims[3];
    p->kernel = op->params[0];
    p->stride = op->params[1];
    p->pad = op->params[2];
    p->groups = op->params[3];
}
