/* fp32 training kernels: forward, input gradient (bwd_in) and weight gradient (bwd_w) per op.
 *
 * Layouts: activations NHWC, row-major, batch first. Conv weights HWIO: w[kh][kw][ci_g][co] where
 * ci_g indexes the input channels of one group (C_in / groups of them) and co runs over all output
 * channels (group g owns co in [g*C_out/groups, (g+1)*C_out/groups)). FC weights IO: w[ci][co].
 *
 * Contract shared by every kernel: shapes were validated when the plan loaded, so kernels do no
 * checks; backward kernels ACCUMULATE (+=) into dx, dw and db, so the caller zeroes them first;
 * nothing allocates; every output element is accumulated in a fixed order (stated per kernel) so
 * results are reproducible and equal to the C# reference bit for bit when built with
 * -ffp-contract=off (softmax_ce, which uses expf/logf, is the stated exception). */
#ifndef NT_KERNELS_H
#define NT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Shape of a 2-D convolution; out_h = (in_h + 2*pad - kernel) / stride + 1, same for w. */
typedef struct nt_conv2d_params {
    int32_t n;       /**< batch, >= 1 */
    int32_t in_h;    /**< input height */
    int32_t in_w;    /**< input width */
    int32_t in_c;    /**< input channels, a multiple of groups */
    int32_t out_h;   /**< output height */
    int32_t out_w;   /**< output width */
    int32_t out_c;   /**< output channels, a multiple of groups */
    int32_t kernel;  /**< square kernel size: 1, 3, 5 or 7 */
    int32_t stride;  /**< 1 or 2 */
    int32_t pad;     /**< zero padding on every side, 0 <= pad < kernel */
    int32_t groups;  /**< 1 = dense, in_c = out_c = groups for depthwise */
} nt_conv2d_params_t;

/**
 * Conv forward: y[n,oh,ow,co] = b[co] + sum_{kh,kw,ci_g} w[kh,kw,ci_g,co] * x[n, oh*s-pad+kh, ow*s-pad+kw, g*ci_per_g+ci_g].
 * Order per output: b (or 0 when b is NULL), then kh, kw, ci_g ascending; padding taps skipped.
 * x: [n,in_h,in_w,in_c]; w: [k,k,in_c/groups,out_c]; b: [out_c] or NULL; y: [n,out_h,out_w,out_c] (written).
 * Scratch: none.
 */
void nt_conv2d_f32_fwd(const nt_conv2d_params_t *p, const float *x, const float *w, const float *b, float *y);

/**
 * Conv input gradient: dx[n,ih,iw,ci] += sum over taps reaching it of (sum_{co in group} w[kh,kw,ci_g,co] * dy[n,oh,ow,co]).
 * Order per input element: output positions (n,oh,ow) ascending, then kh, kw; the inner sum over co
 * starts from 0 and runs ascending, then is added. dy: [n,out_h,out_w,out_c]; dx accumulated.
 * Scratch: none.
 */
void nt_conv2d_f32_bwd_in(const nt_conv2d_params_t *p, const float *dy, const float *w, float *dx);

/**
 * Conv weight and bias gradients: dw[kh,kw,ci_g,co] += sum_{n,oh,ow} x[..] * dy[n,oh,ow,co];
 * db[co] += sum_{n,oh,ow} dy[n,oh,ow,co]. Either of dw, db may be NULL to skip it. Order: (n,oh,ow) ascending.
 * Scratch: none.
 */
void nt_conv2d_f32_bwd_w(const nt_conv2d_params_t *p, const float *x, const float *dy, float *dw, float *db);

/** Scratch bytes the conv kernels need (none). */
size_t nt_conv2d_f32_scratch_bytes(const nt_conv2d_params_t *p);

/** Shape of a batch norm over channels of an NHWC tensor: m = n*h*w values per channel. */
typedef struct nt_batchnorm_params {
    int32_t n, h, w, c;
    float eps;       /**< added to the variance, e.g. 1e-5 */
    float momentum;  /**< running-stat update weight, e.g. 0.1 */
} nt_batchnorm_params_t;

/**
 * Batch norm forward, training mode: per channel, mean = sum(x)/m and var = sum((x-mean)^2)/m over
 * (n,h,w) ascending; invstd = 1/sqrtf(var+eps); y = gamma*((x-mean)*invstd) + beta. Writes
 * saved_mean and saved_invstd [c]. When running_mean/running_var are not NULL they are updated:
 * r = (1-momentum)*r + momentum*stat, with the unbiased variance var*m/(m-1) (var when m == 1).
 * Scratch: none.
 */
void nt_batchnorm_f32_fwd_train(const nt_batchnorm_params_t *p, const float *x, const float *gamma, const float *beta,
                                float *running_mean, float *running_var, float *saved_mean, float *saved_invstd, float *y);

/** Batch norm forward, inference mode: y = gamma*((x-running_mean)*(1/sqrtf(running_var+eps))) + beta. */
void nt_batchnorm_f32_fwd_infer(const nt_batchnorm_params_t *p, const float *x, const float *gamma, const float *beta,
                                const float *running_mean, const float *running_var, float *y);

/**
 * Batch norm backward (training-mode statistics): with xhat = (x-mean)*invstd,
 * dbeta[c] += sum dy; dgamma[c] += sum dy*xhat; dx += (gamma*invstd/m) * (m*dy - sum dy - xhat*sum(dy*xhat)).
 * The two sums are taken over (n,h,w) ascending from 0 before being added. dgamma/dbeta may be NULL.
 * Scratch: 2*c floats (the per-channel sums).
 */
void nt_batchnorm_f32_bwd(const nt_batchnorm_params_t *p, const float *x, const float *gamma, const float *saved_mean,
                          const float *saved_invstd, const float *dy, float *dx, float *dgamma, float *dbeta, float *scratch);

/** Scratch bytes of nt_batchnorm_f32_bwd: 2*c floats. */
size_t nt_batchnorm_f32_scratch_bytes(const nt_batchnorm_params_t *p);

/** Scratch bytes of the ReLU6, add, global-average-pool, FC and softmax cross-entropy kernels: none.
 * `elements` is the size of the op's largest operand. */
size_t nt_relu6_f32_scratch_bytes(int32_t elements);
size_t nt_add_f32_scratch_bytes(int32_t elements);
size_t nt_gap_f32_scratch_bytes(int32_t elements);
size_t nt_fc_f32_scratch_bytes(int32_t elements);
size_t nt_softmax_ce_f32_scratch_bytes(int32_t elements);

/** ReLU6 forward: y = min(max(x, 0), 6) over count elements. y may be x (in place; the planner relies on it). */
void nt_relu6_f32_fwd(int32_t count, const float *x, float *y);

/** ReLU6 input gradient from the output: dx += (0 < y < 6) ? dy : 0. */
void nt_relu6_f32_bwd_in(int32_t count, const float *y, const float *dy, float *dx);

/** ReLU6 input gradient written over the output gradient: g = (0 < y < 6) ? g : 0, the result of
 * nt_relu6_f32_bwd_in into a zeroed dx, for a planned layout where dx takes dy's memory (dy dies here). */
void nt_relu6_f32_bwd_in_place(int32_t count, const float *y, float *g);

/** Residual add forward: y = a + b over count elements. y may be a or b (in place). */
void nt_add_f32_fwd(int32_t count, const float *a, const float *b, float *y);

/** Residual add input gradients: da += dy; db += dy. Either may be NULL to skip it (the executor passes
 * NULL for a gradient that takes dy's memory: it already holds dy). */
void nt_add_f32_bwd_in(int32_t count, const float *dy, float *da, float *db);

/** Global average pool forward: y[n,c] = (sum_{h,w} x[n,h,w,c]) / (h*w), sum over (h,w) ascending from 0. */
void nt_gap_f32_fwd(int32_t n, int32_t h, int32_t w, int32_t c, const float *x, float *y);

/** Global average pool input gradient: dx[n,h,w,c] += dy[n,c] / (h*w). */
void nt_gap_f32_bwd_in(int32_t n, int32_t h, int32_t w, int32_t c, const float *dy, float *dx);

/**
 * Fully connected forward: y[n,o] = b[o] + sum_i w[i,o] * x[n,i], i ascending after b (0 when b is NULL).
 * x: [n,in]; w: [in,out]; y: [n,out].
 */
void nt_fc_f32_fwd(int32_t n, int32_t in, int32_t out, const float *x, const float *w, const float *b, float *y);

/** FC input gradient: dx[n,i] += sum_o w[i,o]*dy[n,o], o ascending from 0 before the add. */
void nt_fc_f32_bwd_in(int32_t n, int32_t in, int32_t out, const float *dy, const float *w, float *dx);

/** FC weight gradients: dw[i,o] += sum_n x[n,i]*dy[n,o]; db[o] += sum_n dy[n,o] (either may be NULL); n ascending. */
void nt_fc_f32_bwd_w(int32_t n, int32_t in, int32_t out, const float *x, const float *dy, float *dw, float *db);

/**
 * Softmax cross-entropy, forward and input gradient in one pass (the loss is the last op).
 * Per sample: mx = max logits; s = sum_k expf(l_k - mx); loss_n = logf(s) - (l_label - mx).
 * Returns mean over the batch of loss_n; writes dlogits[n,k] = (expf(l_k-mx)/s - [k == label]) * (1/n).
 * labels: n values in [0, classes). Uses expf/logf: equal to the C# reference within 1e-6 relative.
 */
float nt_softmax_ce_f32_fwd_bwd(int32_t n, int32_t classes, const float *logits, const uint8_t *labels, float *dlogits);

/** Index of the largest logit of each sample (first one on ties). */
void nt_argmax_f32(int32_t n, int32_t classes, const float *logits, uint8_t *predictions);

/**
 * SGD with momentum and weight decay (PyTorch convention), then clears the gradient:
 * g = dw + weight_decay*w; v = momentum*v + g; w = w - lr*v; dw = 0. v may be NULL when momentum is 0.
 */
void nt_sgd_f32_update(int32_t count, float lr, float momentum, float weight_decay, float *w, float *dw, float *v);

/* ---- gradient condensing (TinyMP) ----------------------------------------------------------------------
 * A condensed gradient keeps, per sample and channel, the spatial mean of a gradient map: gbar [n,c] for a
 * map [n,h,w,c]. The backward then runs on these vectors: a conv's weight gradient comes from gbar and the
 * shifted-window sums of its input taken during the forward (so the input is never stored), a ReLU6's
 * from its count of active positions. Where the gradient map is spatially constant every result below is
 * the exact one (up to the order of the float sums): dW and db equal the exact kernels' and dxbar is the
 * spatial mean of the exact dx.
 *
 * The int8 kernels below also condense over patches: the mean over each patch of r_h x r_w positions instead of the
 * whole map (a finer gradient for more memory). A patched gradient is [n, rows, cols, c] over the grid of patches,
 * row-major; the whole map is the grid of one patch. */

/** The patches of one h x w map: rows x cols patches of patch_h x patch_w positions, those on the last row and column
 * cut short by the map's edge (rows = ceil(h / patch_h)). rows = cols = 1 is the whole map. */
typedef struct nt_gc_grid {
    int32_t rows, cols;
    int32_t patch_h, patch_w;
} nt_gc_grid_t;

/** The grid of rows x cols patches over an h x w map (patch sizes ceil(h / rows), ceil(w / cols)); 0 when there is
 * none with that many patches (rows does not equal ceil(h / patch_h), or a count is outside [1, h]). */
int nt_gc_grid_of(int32_t h, int32_t w, int32_t rows, int32_t cols, nt_gc_grid_t *grid);

/** Positions of the map in patch (pr, pc) of the grid: the edge patches may hold fewer. */
int32_t nt_gc_patch_positions(const nt_gc_grid_t *grid, int32_t h, int32_t w, int32_t pr, int32_t pc);

/**
 * Shifted-window sums of a conv's input, for the condensed weight gradient:
 * sums[n,kh,kw,c] = sum over output positions (oh,ow) ascending, of the taps inside the input, of
 * x[n, oh*stride-pad+kh, ow*stride-pad+kw, c]. sums: [n, k, k, in_c] (written). Scratch: none.
 */
void nt_conv2d_f32_gc_sums(const nt_conv2d_params_t *p, const float *x, float *sums);

/**
 * Condensed conv weight and bias gradients: dw[kh,kw,ci_g,co] += sum_n gbar[n,co] * sums[n,kh,kw,g*ci_per_g+ci_g];
 * db[co] += sum_n gbar[n,co] * out_h*out_w (the exact bias gradient of a constant map). Either may be NULL.
 */
void nt_conv2d_f32_gc_bwd_w(const nt_conv2d_params_t *p, const float *sums, const float *gbar, float *dw, float *db);

/**
 * Condensed conv input gradient: dxbar[n,c] += (1/(in_h*in_w)) * sum_{kh,kw} taps(kh,kw) *
 * sum_{co in c's group} w[kh,kw,ci_g,co] * gbar[n,co], where taps(kh,kw) counts the output positions whose
 * tap lands inside the input: the spatial mean of dx when dy is constant. Order: kh, kw, co ascending.
 */
void nt_conv2d_f32_gc_bwd_in(const nt_conv2d_params_t *p, const float *gbar, const float *w, float *dxbar);

/** ReLU6 active counts for a condensed backward: active[n,c] = #positions with 0 < y < 6 (written, as floats). */
void nt_relu6_f32_gc_count(int32_t n, int32_t positions, int32_t c, const float *y, float *active);

/** Condensed ReLU6 input gradient: dxbar[n,c] += gbar[n,c] * (active[n,c] / positions). */
void nt_relu6_f32_gc_bwd_in(int32_t n, int32_t positions, int32_t c, const float *active, const float *gbar, float *dxbar);

/** Condensed global-average-pool input gradient: dxbar[n,patch,c] += dy[n,c] / (h*w) for each of the `patches`
 * (its input gradient is constant: every patch's mean is the same; 1 for the whole map). */
void nt_gap_f32_gc_bwd_in(int32_t n, int32_t h, int32_t w, int32_t c, int32_t patches, const float *dy, float *dxbar);

/* ---- int8 inference kernels (the frozen part of a network) ------------------------------------------
 * Activations are int8 with a per-tensor zero point; weights are symmetric int8 with a per-output-channel
 * scale; biases are int32 at scale s_in*s_w. Accumulators are exact int32, so the order of the sums does
 * not matter: every optimized variant equals the reference bit for bit. */

/** Quantization of one int8 op's output. */
typedef struct nt_s8_quant {
    int32_t input_offset;       /**< added to every input value: minus the input zero point, in [-127, 128] */
    int32_t output_offset;      /**< added after requantization: the output zero point, in [-128, 127] */
    int32_t act_min;            /**< lower clamp of the output, >= -128 (the quantized 0 for a fused ReLU6) */
    int32_t act_max;            /**< upper clamp of the output, <= 127 (the quantized 6 for a fused ReLU6) */
    const int32_t *multiplier;  /**< per output channel, Q31 in [2^30, 2^31) (see nt/quant.h) */
    const int32_t *shift;       /**< per output channel, power of two, positive = left, in [-31, 30] */
} nt_s8_quant_t;

/**
 * int8 conv forward: y = clamp(requant(b[co] + sum (x + input_offset) * w, multiplier[co], shift[co]) + output_offset).
 * Weights: dense and grouped convs OHWI, w[co][kh][kw][ci_g]; depthwise (groups == in_c == out_c) [kh][kw][1][c].
 * b: int32 [out_c] or NULL. Padding taps contribute nothing (as if the input were its zero point).
 * Scratch: none (reference); see nt_conv2d_s8_scratch_bytes.
 */
void nt_conv2d_s8_fwd(const nt_conv2d_params_t *p, const nt_s8_quant_t *q, const int8_t *x, const int8_t *w,
                      const int32_t *b, int8_t *y);

/** Scratch bytes of the int8 conv kernels: none. */
size_t nt_conv2d_s8_scratch_bytes(const nt_conv2d_params_t *p);

/** Quantization of an int8 residual add (TFLite's scheme: both inputs rescaled to a common scale with a left shift of 20). */
typedef struct nt_add_s8_quant {
    int32_t input1_offset, input2_offset;   /**< minus each input's zero point */
    int32_t input1_multiplier, input1_shift; /**< s1 / (2*max(s1,s2)) */
    int32_t input2_multiplier, input2_shift; /**< s2 / (2*max(s1,s2)) */
    int32_t output_multiplier, output_shift; /**< 2*max(s1,s2) / (2^20 * s_out) */
    int32_t output_offset;
    int32_t left_shift;                      /**< 20 */
    int32_t act_min, act_max;
} nt_add_s8_quant_t;

/** int8 add forward: y = clamp(requant(requant((a+o1)<<ls, m1, s1) + requant((b+o2)<<ls, m2, s2), mo, so) + oo).
 * y may be a or b (in place). */
void nt_add_s8_fwd(int32_t count, const nt_add_s8_quant_t *q, const int8_t *a, const int8_t *b, int8_t *y);

/** Scratch bytes of nt_add_s8_fwd: none. */
size_t nt_add_s8_scratch_bytes(int32_t elements);

/**
 * int8 global average pool (input and output share scale and zero point):
 * y[n,c] = clamp(round(sum_{h,w} x / (h*w)) to [act_min, act_max]), rounding half away from zero.
 */
void nt_gap_s8_fwd(int32_t n, int32_t h, int32_t w, int32_t c, int32_t act_min, int32_t act_max, const int8_t *x, int8_t *y);

/** Scratch bytes of nt_gap_s8_fwd: none. */
size_t nt_gap_s8_scratch_bytes(int32_t elements);

/**
 * int8 fully connected: y[n,o] = clamp(requant(b[o] + sum_i (x[n,i] + input_offset) * w[o][i]) + output_offset).
 * Weights OI: w[o][i]. b: int32 [out] or NULL.
 */
void nt_fc_s8_fwd(int32_t n, int32_t in, int32_t out, const nt_s8_quant_t *q, const int8_t *x, const int8_t *w,
                  const int32_t *b, int8_t *y);

/** Scratch bytes of nt_fc_s8_fwd: none. */
size_t nt_fc_s8_scratch_bytes(int32_t elements);

/**
 * Quantize fp32 to int8 at the entry of an int8 section: y = clamp(roundf(x / scale) + zero_point, -128, 127),
 * roundf rounding half away from zero. scale > 0.
 */
void nt_quantize_f32_fwd(int32_t count, float scale, int32_t zero_point, const float *x, int8_t *y);

/** Scratch bytes of nt_quantize_f32_fwd: none. */
size_t nt_quantize_f32_scratch_bytes(int32_t elements);

/** Dequantize int8 to fp32 at the exit of an int8 section: y = scale * (x - zero_point). */
void nt_dequantize_s8_fwd(int32_t count, float scale, int32_t zero_point, const int8_t *x, float *y);

/** Scratch bytes of nt_dequantize_s8_fwd: none. */
size_t nt_dequantize_s8_scratch_bytes(int32_t elements);

/* ---- int8 trainable convs: gradient condensing with quantization-aware scaling ---------------------
 * A trainable int8 conv keeps its int8 weights and int32 bias in SRAM and its scales fixed: the forward is the
 * inference kernel's. Gradients are real-valued (fp32) and condensed as in the fp32 kernels above, with the
 * int8 values dequantized: x = s_x (q + input_offset), w = s_w[co] w_q. `scales` is f32 [out_c + 1]: each
 * output channel's weight scale s_w[co], then the input scale s_x. */

/** Shifted-window sums of an int8 conv's input in real units, patch by patch of the output map:
 * sums[n,patch,tap,c] = s_x * sum over the output positions of the patch (grid, over out_h x out_w), of the taps
 * inside the input, of (x[n, oh*stride-pad+kh, ow*stride-pad+kw, c] + input_offset). taps = k*k: one sum per tap
 * (gradient condensing; for the whole map the layout is nt_conv2d_f32_gc_sums's [n,k,k,c]); taps = 1: the centre
 * tap's sum only, shared by every tap (gradient filtering's input summed over the patch). sums: [n, patches, taps,
 * in_c] (written). */
void nt_conv2d_s8_gc_sums(const nt_conv2d_params_t *p, const nt_gc_grid_t *grid, int32_t taps, int32_t input_offset, float x_scale, const int8_t *x,
                          float *sums);

/** Active counts of an int8 conv's fused clamp, patch by patch of the h x w output: active[n,patch,c] = #positions of
 * the patch with act_min < y < act_max (written, as floats); where the output is clamped its gradient is 0. */
void nt_conv2d_s8_gc_count(int32_t n, int32_t h, int32_t w, int32_t c, const nt_gc_grid_t *grid, int32_t act_min, int32_t act_max, const int8_t *y,
                           float *active);

/** Condensed input gradient of an int8 conv: the mean over each patch of in_grid of the exact input gradient of the
 * output gradient that equals gbar[n,patch,co] over each patch of out_grid, with w[kh,kw,ci_g,co] = w_scale[co] * w_q
 * (w_q in the int8 layouts of nt_conv2d_s8_fwd); for whole maps nt_conv2d_f32_gc_bwd_in. gbar: [n, out patches,
 * out_c]; dxbar: [n, in patches, in_c], accumulated into. Filters whose gbar is 0 are skipped. */
void nt_conv2d_s8_gc_bwd_in(const nt_conv2d_params_t *p, const nt_gc_grid_t *out_grid, const nt_gc_grid_t *in_grid, const float *gbar, const int8_t *w,
                            const float *w_scale, float *dxbar);

/**
 * Condensed SGD step of an int8 conv with quantization-aware scaling (QAS). With the real gradients
 * dW[co,tap,ci] = sum over the patches of gbar[patch,co] * sums[patch,tap,ci] (the one shared sum when taps = 1) and
 * db[co] = sum over the patches of gbar[patch,co] * the patch's positions (nt_conv2d_f32_gc_bwd_w for the whole map),
 * the gradients of the stored integers are s_w dW and s_x s_w db; QAS divides them by s_w^2 and (s_x s_w)^2, so
 *   w_q[co,tap,ci] -= SR(lr * dW / s_w[co]),  clamped to [-127, 127], SR = stochastic rounding at 16
 *                    fractional bits (floor(v + u), u = j/65536 from the top bits of the 32-bit LCG state *rng:
 *                    unbiased, so steps smaller than one quantum still move the weight on average);
 *   b[co]          -= rint(lr * db / (s_x s_w[co])) (the bias quantum is s_x s_w: rounding to nearest),
 *                    kept within 2^30 - k*k*ci_g*255*128 so that the accumulator stays inside int32.
 * For a batch, each sample's weight step is rounded on its own (the same expectation). grid and taps: those of
 * nt_conv2d_s8_gc_sums; gbar: [n, patches, out_c].
 * ages: out_c bytes, the filters' ages of alternant partial update (nt_filter_drift_select): only filters (output
 * channels) of age 0 are updated; NULL: all. w or b may be NULL (not trained). Filters whose gbar is 0 are
 * skipped, drawing nothing. sq: NULL, or two floats to which the squared norms of the batch's real gradients of
 * what is updated are added, sum dW^2 to sq[0] and sum db^2 to sq[1] (elastic selection's importance).
 */
void nt_conv2d_s8_gc_update(const nt_conv2d_params_t *p, const nt_gc_grid_t *grid, int32_t taps, const float *sums, const float *gbar,
                            const float *scales, float lr, const uint8_t *ages, int8_t *w, int32_t *b, uint32_t *rng, float *sq);

/* ---- int8 trainable convs: exact gradients (sparse update, MCUNetV3) ----------------------------------
 * The same int8 conv with full output gradient maps instead of condensed ones: the backward reads the int8 input
 * it ran on (for dW) and its int8 output (for the clamp), both kept until then. Units and scales as above. */

/** The fused clamp's gradient: dy[i] = 0 where y[i] <= act_min or y[i] >= act_max (the output sat on the clamp),
 * else unchanged. y: int8, dy: f32, both `elements` long in the same order. */
void nt_conv2d_s8_bwd_clamp(int32_t elements, int32_t act_min, int32_t act_max, const int8_t *y, float *dy);

/** Exact input gradient of an int8 conv: nt_conv2d_f32_bwd_in with w[kh,kw,ci_g,co] = w_scale[co] * w_q (w_q in the
 * int8 layouts of nt_conv2d_s8_fwd). dy: f32 [n, out_h, out_w, out_c]; dx: f32 [n, in_h, in_w, in_c], accumulated
 * into (+=). Zero entries of dy are skipped. */
void nt_conv2d_s8_bwd_in(const nt_conv2d_params_t *p, const float *dy, const int8_t *w, const float *w_scale, float *dx);

/**
 * Exact SGD step of an int8 conv with quantization-aware scaling: nt_conv2d_s8_gc_update's rules with the exact
 * real gradients dW[co,tap,ci] = s_x * sum over the batch and the positions of dy * (x + input_offset) (the
 * gradient of nt_conv2d_f32_bwd_w on x = s_x (x_q + input_offset)) and db[co] = sum of dy[.., co]. x: the int8
 * input [n, in_h, in_w, in_c] the forward ran on; dy: f32 [n, out_h, out_w, out_c] (after nt_conv2d_s8_bwd_clamp).
 * Each weight's step is rounded once for the whole batch, weight by weight in the int8 layout's order, drawing
 * one number from *rng each. ages, w and b as in nt_conv2d_s8_gc_update; filters whose dy is all 0 are skipped,
 * drawing nothing. No scratch: a filter's gradients are summed 32 input channels at a time (every tap at once when
 * depthwise, kernel <= 7) in a stack array of 49 floats. sq as in nt_conv2d_s8_gc_update.
 */
void nt_conv2d_s8_bwd_update(const nt_conv2d_params_t *p, int32_t input_offset, const int8_t *x, const float *dy, const float *scales, float lr,
                             const uint8_t *ages, int8_t *w, int32_t *b, uint32_t *rng, float *sq);

/* ---- alternant partial update (TinyMP): which filters train --------------------------------------------
 * Each trainable filter (output channel) keeps a drift score: how far the per-sample mean of its output on the
 * user's data lies from the source task's, in source standard deviations, squared and momentum-smoothed. Every
 * round the filters of highest priority score/max(score) + age/horizon are chosen, where age counts the rounds
 * since a filter was last chosen: just chosen filters are damped, so the set rotates. A filter is passed over
 * at most horizon + floor((c - 1) / count) rounds in a row: once its age reaches the horizon, a filter chosen
 * before it has a larger age, so each other filter is chosen at most once more first. */

/** Drift scores from an int8 output y [n, positions, c] (real value y_scale * (q - y_zero)); source: f32 [2, c],
 * the source task's mean of the per-sample channel mean, then 1/its standard deviation. For each sample:
 * score[ch] = momentum * score[ch] + (1 - momentum) * min(((mean_ch - source mean) * source inverse std)^2, 1e30). */
void nt_filter_drift_s8_fwd(int32_t n, int32_t positions, int32_t c, float y_scale, int32_t y_zero, const int8_t *y, const float *source,
                     float momentum, float *score);

/** Scratch of the drift op: none (the choice bisects over the priorities instead of sorting them). */
size_t nt_filter_drift_s8_scratch_bytes(int32_t channels);

/** A round's choice: the `count` filters of highest priority get age 0 (ties in index order), the others age
 * + 1 (saturating at 255). 0 < count <= c, horizon > 0; scores non-negative. No scratch memory. */
void nt_filter_drift_select(int32_t c, int32_t count, int32_t horizon, const float *score, uint8_t *age);

#ifdef __cplusplus
}
#endif

#endif /* NT_KERNELS_H */
