/* Alternant partial update: the drift score follows its formula; each round chooses exactly `count` filters, the
 * most drifted first among equals in age; and every filter is chosen again within the documented bound
 * (horizon + floor((c - 1) / count) rounds passed over), whatever the scores do, including scores that never let
 * some filters win on drift. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nt/kernels.h"
#include "nt_test.h"

static uint64_t state = 0x243F6A8885A308D3ull;

static uint32_t next(void)
{
    nt_test_xorshift(&state);
    return (uint32_t)(state >> 32);
}

static void check_score(void)
{
    enum { N = 2, P = 4, C = 5 };
    int8_t y[N * P * C];
    for (int i = 0; i < N * P * C; ++i) {
        y[i] = (int8_t)((int32_t)(next() % 256u) - 128);
    }
    const float scale = 0.05f, momentum = 0.75f;
    const int32_t zero = -7;
    float source[2 * C], score[C], want[C];
    for (int ch = 0; ch < C; ++ch) {
        source[ch] = 0.3f * (float)ch - 0.5f;
        source[C + ch] = 0.5f + 0.25f * (float)ch;
        score[ch] = want[ch] = 0.1f * (float)ch;
    }
    nt_filter_drift_s8_fwd(N, P, C, scale, zero, y, source, momentum, score);
    for (int n = 0; n < N; ++n) {
        for (int ch = 0; ch < C; ++ch) {
            double sum = 0.0;
            for (int p = 0; p < P; ++p) {
                sum += y[(n * P + p) * C + ch];
            }
            const double z = ((double)scale * (sum / P - zero) - (double)source[ch]) * (double)source[C + ch];
            want[ch] = (float)((double)momentum * (double)want[ch] + (1.0 - (double)momentum) * z * z);
        }
    }
    NT_CHECK(nt_test_max_error(want, score, C) < 1e-5);
}

/* Over many rounds with scores from `kind` (0: random, 1: fixed and far apart, 2: the first half always zero),
 * no filter is passed over more than the bound, and every round chooses exactly count. */
static void check_rotation(int32_t c, int32_t count, int32_t horizon, int kind)
{
    float *score = calloc((size_t)c, sizeof(float));
    uint8_t *age = calloc((size_t)c, 1);
    int32_t *waited = calloc((size_t)c, sizeof(int32_t));
    NT_CHECK(score && age && waited);
    const int32_t bound = horizon + (c - 1) / count;
    int32_t longest = 0;
    for (int round = 0; round < 40 * (bound + 1); ++round) {
        for (int32_t ch = 0; ch < c; ++ch) {
            score[ch] = kind == 0 ? (float)(next() % 1000u) / 7.0f : kind == 1 ? (float)(ch * ch) : (ch < c / 2 ? 0.0f : 1.0f + (float)(next() % 5u));
        }
        nt_filter_drift_select(c, count, horizon, score, age);
        int32_t chosen = 0;
        for (int32_t ch = 0; ch < c; ++ch) {
            if (age[ch] == 0u) {
                ++chosen;
                waited[ch] = 0;
            } else {
                longest = waited[ch] + 1 > longest ? waited[ch] + 1 : longest;
                ++waited[ch];
                NT_CHECK(age[ch] == waited[ch] || round < bound + 1);
            }
        }
        NT_CHECK_EQ_U(count, chosen);
    }
    NT_CHECK(longest <= bound);
    free(score);
    free(age);
    free(waited);
}

/* With equal ages, the most drifted filters are chosen. */
static void check_drift_first(void)
{
    enum { C = 8 };
    const float score[C] = { 0.1f, 5.0f, 0.2f, 9.0f, 0.0f, 3.0f, 0.3f, 0.4f };
    uint8_t age[C] = { 0 };
    nt_filter_drift_select(C, 3, 4, score, age);
    for (int ch = 0; ch < C; ++ch) {
        NT_CHECK((age[ch] == 0u) == (ch == 1 || ch == 3 || ch == 5));
    }
}

int main(void)
{
    check_score();
    check_drift_first();
    const int32_t shapes[][3] = { { 8, 4, 2 }, { 10, 3, 4 }, { 1280, 640, 2 }, { 96, 10, 10 }, { 33, 1, 1 }, { 7, 7, 1 }, { 200, 20, 30 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; ++i) {
        for (int kind = 0; kind < 3; ++kind) {
            check_rotation(shapes[i][0], shapes[i][1], shapes[i][2], kind);
        }
    }
    return 0;
}
