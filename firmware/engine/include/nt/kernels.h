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

/** ReLU6 forward: y = min(max(x, 0), 6) over count elements. */
void nt_relu6_f32_fwd(int32_t count, const float *x, float *y);

/** ReLU6 input gradient from the output: dx += (0 < y < 6) ? dy : 0. */
void nt_relu6_f32_bwd_in(int32_t count, const float *y, const float *dy, float *dx);

/** Residual add forward: y = a + b over count elements. */
void nt_add_f32_fwd(int32_t count, const float *a, const float *b, float *y);

/** Residual add input gradients: da += dy; db += dy. */
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

#ifdef __cplusplus
}
#endif

#endif /* NT_KERNELS_H */
