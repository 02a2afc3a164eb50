/* Minimal assertion helpers for the engine's C tests: a failed check prints where and exits 1. */
#ifndef NT_TEST_H
#define NT_TEST_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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
