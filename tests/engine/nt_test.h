/* Minimal assertion helpers for the engine's C tests: a failed check prints where and exits 1. */
#ifndef NT_TEST_H
#define NT_TEST_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "nt/kernels.h"

#define NT_CHECK(cond)                                                                  \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

#define NT_CHECK_EQ_U(expected, actual)                                                 \
    do {                                                                                \
        unsigned long long e_ = (unsigned long long)(expected);                         \
        unsigned long long a_ = (unsigned long long)(actual);                           \
        if (e_ != a_) {                                                                 \
            fprintf(stderr, "%s:%d: expected %llu (0x%llx), got %llu (0x%llx): %s\n",   \
                    __FILE__, __LINE__, e_, e_, a_, a_, #actual);                       \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

/* One step of the tests' xorshift64 generator (each test keeps its own state and takes the bits it needs). */
static inline void nt_test_xorshift(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
}

/* Zeroed memory for a test (at least one byte); a failed allocation fails the test. */
static inline void *nt_test_alloc(size_t bytes)
{
    void *v = calloc(bytes > 0 ? bytes : 1, 1);
    NT_CHECK(v != NULL);
    return v;
}

/* A depthwise conv: one input and one output channel per group. */
static inline int nt_test_depthwise(const nt_conv2d_params_t *p)
{
    return p->groups > 1 && p->groups == p->in_c && p->groups == p->out_c;
}

/* Index of conv weight (co, tap, ci_g) in the int8 layouts (OHWI, or [kh][kw][1][c] for a depthwise conv) and in
 * the fp32 HWIO layout, for tests that compare int8 kernels with fp32 ones. */
static inline size_t nt_test_s8_weight_at(const nt_conv2d_params_t *p, int32_t co, int32_t tap, int32_t ci)
{
    return nt_test_depthwise(p) ? (size_t)tap * p->out_c + co : ((size_t)co * p->kernel * p->kernel + tap) * (p->in_c / p->groups) + ci;
}

static inline size_t nt_test_f32_weight_at(const nt_conv2d_params_t *p, int32_t co, int32_t tap, int32_t ci)
{
    return ((size_t)tap * (p->in_c / p->groups) + ci) * p->out_c + co;
}

/* Largest |a-b| over two float vectors, relative to the largest |a| (absolute when that is tiny). */
static inline double nt_test_max_error(const float *a, const float *b, size_t count)
{
    double scale = 1e-6, err = 0.0;
    for (size_t i = 0; i < count; ++i) {
        scale = fmax(scale, fabs((double)a[i]));
    }
    for (size_t i = 0; i < count; ++i) {
        err = fmax(err, fabs((double)a[i] - (double)b[i]) / scale);
    }
    return err;
}

#endif
