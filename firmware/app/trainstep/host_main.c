/* The trainstep app for the host: the same training step as main.c, on plan.ntplan and step.in in the
 * working directory, writing step.out. Run under `valgrind --tool=callgrind` to count the host's
 * instructions per phase (nt_exec_forward, nt_exec_loss, nt_exec_backward, nt_exec_update). */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nt/exec.h"

/* 16-byte aligned, as the plan loader and the spaces require. */
static void *alloc16(size_t bytes)
{
    void *p = NULL;
    return posix_memalign(&p, 16, bytes == 0 ? 16 : bytes) == 0 ? p : NULL;
}

static unsigned char *read_file(const char *name, long *len)
{
    FILE *f = fopen(name, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = alloc16((size_t)*len);
    if (data && fread(data, 1, (size_t)*len, f) != (size_t)*len) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

int main(void)
{
    long plan_len = 0;
    long in_len = 0;
    unsigned char *plan_bytes = read_file("plan.ntplan", &plan_len);
    unsigned char *in = read_file("step.in", &in_len);
    if (!plan_bytes || !in) {
        fprintf(stderr, "error: cannot read plan.ntplan or step.in\n");
        return 2;
    }
    nt_plan_t plan;
    nt_plan_error_t err;
    nt_status st = nt_plan_load(&plan, plan_bytes, (size_t)plan_len, &err);
    if (st != NT_OK) {
        fprintf(stderr, "error: plan %s at section %d entry %u\n", nt_status_name(st), (int)err.section, (unsigned)err.index);
        return 2;
    }
    uint8_t *spaces[NT_PLAN_MAX_SPACES] = { 0 };
    uint32_t sizes[NT_PLAN_MAX_SPACES] = { 0 };
    for (uint32_t i = 1; i < plan.n_spaces; ++i) {
        sizes[i] = plan.spaces[i].bytes;
        spaces[i] = alloc16(sizes[i]);
        if (!spaces[i]) {
            fprintf(stderr, "error: out of memory for space %u\n", (unsigned)i);
            return 2;
        }
        memset(spaces[i], 0, sizes[i]);
    }
    static nt_exec_t exec;
    st = nt_exec_init(&exec, &plan, spaces, sizes, &err);
    const nt_plan_tensor_t *input = &plan.tensors[plan.input];
    const nt_plan_tensor_t *labels = &plan.tensors[plan.labels];
    if (st != NT_OK || (uint32_t)in_len != input->bytes + labels->bytes) {
        fprintf(stderr, "error: executor %s or step.in has the wrong size\n", nt_status_name(st));
        return 2;
    }
    memcpy(nt_exec_tensor(&exec, plan.input), in, input->bytes);
    memcpy(nt_exec_tensor(&exec, plan.labels), in + input->bytes, labels->bytes);
    const nt_sgd_config_t sgd = { 0.01f, 0.0f, 0.0f };
    nt_exec_forward(&exec);
    const float loss = nt_exec_loss(&exec);
    st = nt_exec_backward(&exec, NULL);
    if (st == NT_OK) {
        st = nt_exec_update(&exec, &sgd, NULL);
    }
    if (st != NT_OK) {
        fprintf(stderr, "error: train step %s\n", nt_status_name(st));
        return 2;
    }
    FILE *out = fopen("step.out", "wb");
    if (!out || fwrite(&loss, sizeof loss, 1, out) != 1 || fwrite(spaces[1], 1, sizes[1], out) != sizes[1]) {
        fprintf(stderr, "error: cannot write step.out\n");
        return 2;
    }
    fclose(out);
    printf("loss: %.9g\nresult: ok\n", (double)loss);
    return 0;
}
