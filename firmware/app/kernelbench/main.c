/* Kernel benchmark (and, built as kernelcheck, the optimized-vs-reference check): reads bench.cases (semihosting) and, for each case, fills its operands with
 * pseudo-random values, runs the kernel once and reports the instructions it took.
 *   bench.cases: u32 count, then per case 16 x i32:
 *     kind, n, in_h, in_w, in_c, out_c, kernel, stride, pad, groups, (6 reserved)
 *   kind: 1 conv s8 fwd, 2 fc s8 fwd (in_c -> out_c), 3 conv f32 fwd, 4 conv f32 dx, 5 conv f32 dW,
 *         6 fc f32 fwd, 7 fc f32 dx, 8 fc f32 dW
 * Output lines: "case_<i>_instructions: N". Instruction counts do not depend on the operand values
 * beyond a few data-dependent clamps. Built with NT_KERNELCHECK, the int8 cases also draw random
 * quantization parameters, run the reference kernel (nt_engine_ref) on the same operands and report
 * "case_<i>_mismatches: N", the output bytes that differ. */
#include <string.h>

#include "nt/kernels.h"
#include "nt_board.h"

#define FIELDS 16
#define MAX_CASES 64 /* the host sends at most this many per run */
#define MAX_CHANNELS 1024

static uint8_t work[NT_BOARD_LARGEST_BANK_BYTES] __attribute__((section(NT_BOARD_LARGEST_BANK_SECTION), aligned(16)));
static int32_t cases[1 + MAX_CASES * FIELDS];
static int32_t multiplier[MAX_CHANNELS];
static int32_t shift[MAX_CHANNELS];

static uint32_t rng_state = 0x12345678u;

static uint32_t next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void fill_s8(int8_t *p, uint32_t count)
{
    for (uint32_t i = 0; i < count; ++i) {
        p[i] = (int8_t)(next_random() & 0xFFu);
    }
}

static void fill_f32(float *p, uint32_t count)
{
    for (uint32_t i = 0; i < count; ++i) {
        p[i] = (float)((int32_t)(next_random() & 0xFFFFu) - 32768) * (1.0f / 32768.0f);
    }
}

#ifdef NT_KERNELCHECK
void nt_ref_conv2d_s8_fwd(const nt_conv2d_params_t *p, const nt_s8_quant_t *q, const int8_t *x, const int8_t *w,
                          const int32_t *b, int8_t *y);
void nt_ref_fc_s8_fwd(int32_t n, int32_t in, int32_t out, const nt_s8_quant_t *q, const int8_t *x, const int8_t *w,
                      const int32_t *b, int8_t *y);

void nt_ref_conv2d_f32_fwd(const nt_conv2d_params_t *p, const float *x, const float *w, const float *b, float *y);
void nt_ref_conv2d_f32_bwd_in(const nt_conv2d_params_t *p, const float *dy, const float *w, float *dx);
void nt_ref_conv2d_f32_bwd_w(const nt_conv2d_params_t *p, const float *x, const float *dy, float *dw, float *db);

/* fp32 variants may use fused multiply-add: an element differs when |a - b| > 1e-4 * max(1, |b|). */
static uint32_t f32_mismatches(const float *a, const float *b, uint32_t count)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < count; ++i) {
        const float mag = b[i] < 0.0f ? -b[i] : b[i];
        const float d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
        n += d > 1e-4f * (mag > 1.0f ? mag : 1.0f) ? 1u : 0u;
    }
    return n;
}

/* Requantization parameters spanning the realistic range: multipliers in [2^30, 2^31), shifts -13..-1; one
 * case in eight also has a channel with a left shift or none (the kernels' other path), and half the cases
 * clamp at both ends as a fused ReLU6 does. */
static void random_quant(nt_s8_quant_t *q, int32_t channels)
{
    for (int32_t i = 0; i < channels; ++i) {
        multiplier[i] = (int32_t)((1u << 30) | (next_random() & 0x3FFFFFFFu));
        shift[i] = -1 - (int32_t)(next_random() % 13u);
    }
    if (next_random() % 8u == 0) {
        shift[next_random() % (uint32_t)channels] = (int32_t)(next_random() % 3u);
    }
    q->input_offset = (int32_t)(next_random() % 256u) - 127;
    q->output_offset = (int32_t)(next_random() % 256u) - 128;
    const int relu6 = (int)(next_random() & 1u);
    q->act_min = relu6 ? q->output_offset : -128;
    q->act_max = relu6 ? q->act_min + (int32_t)(next_random() % (uint32_t)(128 - q->act_min)) : 127;
}
#endif

static uint32_t align16(uint32_t v) { return (v + 15u) & ~15u; }

/* Carves `bytes` from the work area; returns NULL when the bank is exhausted. */
static void *take(uint32_t *used, uint32_t bytes)
{
    if (*used + bytes > sizeof work) {
        return NULL;
    }
    void *p = work + *used;
    *used = align16(*used + bytes);
    return p;
}

static void report(int32_t index, const char *key, uint64_t value)
{
    nt_print("case_");
    nt_print_u64((uint64_t)index);
    nt_print("_");
    nt_print(key);
    nt_print(": ");
    nt_print_u64(value);
    nt_print("\n");
}

int main(void)
{
    nt_board_init();
    const int32_t bytes = nt_host_file_read("bench.cases", cases, sizeof cases);
    if (bytes < 4 || cases[0] < 0 || cases[0] > MAX_CASES || bytes < (int32_t)(4 + (uint32_t)cases[0] * FIELDS * 4)) {
        nt_print("error: bench.cases is missing or malformed\n");
        return 2;
    }
    for (int32_t i = 0; i < MAX_CHANNELS; ++i) {
        multiplier[i] = 1 << 30;
        shift[i] = -7;
    }
    for (int32_t c = 0; c < cases[0]; ++c) {
        const int32_t *f = &cases[1 + c * FIELDS];
        nt_conv2d_params_t p = { f[1], f[2], f[3], f[4], 0, 0, f[5], f[6], f[7], f[8], f[9] };
        p.out_h = (p.in_h + 2 * p.pad - p.kernel) / p.stride + 1;
        p.out_w = (p.in_w + 2 * p.pad - p.kernel) / p.stride + 1;
        const uint32_t in = (uint32_t)p.n * p.in_h * p.in_w * p.in_c;
        const uint32_t out = (uint32_t)p.n * p.out_h * p.out_w * p.out_c;
        const uint32_t wcount = (uint32_t)p.kernel * p.kernel * (p.in_c / p.groups) * p.out_c;
        nt_s8_quant_t q = { 1, -3, -128, 127, multiplier, shift };
        uint32_t used = 0;
        uint64_t t0 = 0;
        uint64_t t1 = 0;
        const int32_t kind = f[0];
        if (kind == 1 || kind == 2) {
            int8_t *x = take(&used, in);
            int8_t *w = take(&used, wcount);
            int32_t *b = take(&used, 4u * p.out_c);
            int8_t *y = take(&used, out);
            if (!x || !w || !b || !y || p.out_c > MAX_CHANNELS) {
                report(c, "error", 1);
                continue;
            }
            fill_s8(x, in);
            fill_s8(w, wcount);
            memset(b, 0, 4u * p.out_c);
#ifdef NT_KERNELCHECK
            random_quant(&q, p.out_c);
            for (int32_t i = 0; i < p.out_c; ++i) {
                b[i] = (int32_t)(next_random() % 40001u) - 20000;
            }
            if (next_random() % 8u == 0) {
                b[next_random() % (uint32_t)p.out_c] = (1 << 29) + (int32_t)(next_random() % 1000u); /* too large to double */
            }
#endif
            t0 = nt_counter_ticks();
            if (kind == 1) {
                nt_conv2d_s8_fwd(&p, &q, x, w, b, y);
            } else {
                nt_fc_s8_fwd(p.n, p.in_c, p.out_c, &q, x, w, b, y);
            }
            t1 = nt_counter_ticks();
#ifdef NT_KERNELCHECK
            int8_t *expected = take(&used, out);
            if (!expected) {
                report(c, "error", 1);
                continue;
            }
            if (kind == 1) {
                nt_ref_conv2d_s8_fwd(&p, &q, x, w, b, expected);
            } else {
                nt_ref_fc_s8_fwd(p.n, p.in_c, p.out_c, &q, x, w, b, expected);
            }
            uint32_t mismatches = 0;
            for (uint32_t i = 0; i < out; ++i) {
                mismatches += y[i] != expected[i] ? 1u : 0u;
            }
            report(c, "mismatches", mismatches);
#endif
        } else if (kind >= 3 && kind <= 8) {
            float *x = take(&used, 4u * in);
            float *w = take(&used, 4u * wcount);
            float *y = take(&used, 4u * out);
            float *b = take(&used, 4u * p.out_c);
            if (!x || !w || !y || !b) {
                report(c, "error", 1);
                continue;
            }
            fill_f32(x, in);
            fill_f32(w, wcount);
            fill_f32(y, out);
            fill_f32(b, (uint32_t)p.out_c);
#ifdef NT_KERNELCHECK
            /* The kernel's outputs (y for the forward, x for dx, w for dW) are accumulated into for the
             * gradients, so the reference starts from a copy of the same values. */
            float *expected = NULL;
            uint32_t expected_count = kind == 3 ? out : kind == 4 ? in : wcount;
            if (kind >= 3 && kind <= 5) {
                expected = take(&used, 4u * expected_count);
                if (!expected) {
                    report(c, "error", 1);
                    continue;
                }
                memcpy(expected, kind == 3 ? y : kind == 4 ? x : w, 4u * expected_count);
            }
#endif
            t0 = nt_counter_ticks();
            switch (kind) {
            case 3: nt_conv2d_f32_fwd(&p, x, w, b, y); break;
            case 4: nt_conv2d_f32_bwd_in(&p, y, w, x); break;
            case 5: nt_conv2d_f32_bwd_w(&p, x, y, w, NULL); break;
            case 6: nt_fc_f32_fwd(p.n, p.in_c, p.out_c, x, w, b, y); break;
            case 7: nt_fc_f32_bwd_in(p.n, p.in_c, p.out_c, y, w, x); break;
            default: nt_fc_f32_bwd_w(p.n, p.in_c, p.out_c, x, y, w, NULL); break;
            }
            t1 = nt_counter_ticks();
#ifdef NT_KERNELCHECK
            if (expected) {
                const float *got = kind == 3 ? y : kind == 4 ? x : w;
                switch (kind) {
                case 3: nt_ref_conv2d_f32_fwd(&p, x, w, b, expected); break;
                case 4: nt_ref_conv2d_f32_bwd_in(&p, y, w, expected); break;
                default: {
                    /* w now holds the optimized result; the reference accumulates the same gradient into its copy
                     * of the original weights, taken before the run. */
                    nt_ref_conv2d_f32_bwd_w(&p, x, y, expected, NULL);
                    break;
                }
                }
                report(c, "mismatches", f32_mismatches(got, expected, expected_count));
            }
#endif
        } else {
            report(c, "error", 2);
            continue;
        }
        report(c, "instructions", nt_counter_ticks_to_instructions(t1 - t0));
    }
    nt_print("result: ok\n");
    return 0;
}
