/* One training step through the executor, on files the host provides by semihosting:
 *   plan.ntplan  the plan;  step.in  the input tensor's bytes followed by the labels' bytes.
 * Writes step.out: the loss (f32) followed by arena space 1 after the update (the parameters), and reports
 * over the UART the instructions of the forward pass, the loss, the backward pass and the update. */
#include <string.h>

#include "nt/exec.h"
#include "nt_board.h"

/* All of the board's largest bank: the plan, then each arena space, 16-byte aligned. */
static uint8_t work[NT_BOARD_LARGEST_BANK_BYTES] __attribute__((section(NT_BOARD_LARGEST_BANK_SECTION), aligned(16)));
static nt_plan_t plan;
static nt_exec_t exec;
/* Per-op forward ticks of the profiling pass; a plan with more ops skips it. */
#define MAX_PROFILED_OPS 1024u
static uint32_t op_ticks[MAX_PROFILED_OPS];

static void fact(const char *key, uint64_t value)
{
    nt_print(key);
    nt_print(": ");
    nt_print_u64(value);
    nt_print("\n");
}

static int fail(const char *what, nt_status status, uint32_t index)
{
    nt_print("error: ");
    nt_print(what);
    nt_print(" ");
    nt_print(nt_status_name(status));
    nt_print(" at ");
    nt_print_u64(index);
    nt_print("\n");
    return 2;
}

static uint32_t align16(uint32_t v) { return (v + 15u) & ~15u; }

int main(void)
{
    nt_board_init();
    const int32_t plan_bytes = nt_host_file_read("plan.ntplan", work, sizeof work);
    if (plan_bytes < 0) {
        nt_print("error: cannot read plan.ntplan: missing, or larger than the board's largest bank (");
        nt_print_u64(sizeof work);
        nt_print(" bytes)\n");
        return 2;
    }
    nt_plan_error_t err;
    nt_status st = nt_plan_load(&plan, work, (size_t)plan_bytes, &err);
    if (st != NT_OK) {
        return fail("plan", st, err.index);
    }
    /* A plan laid out for another board's banks is refused before anything runs. */
    if (plan.board[0] != '\0' && strcmp(plan.board, NT_BOARD_ID) != 0) {
        nt_print("error: the plan is for board ");
        nt_print(plan.board);
        nt_print("; this firmware is for " NT_BOARD_ID "\n");
        return 2;
    }
    for (uint32_t i = 1; i < plan.n_spaces; ++i) {
        const char *name = plan.spaces[i].name;
        int known = strncmp(name, "state", 8) == 0 || strncmp(name, "arena", 8) == 0;
        for (uint32_t b = 0; b < NT_BOARD_BANK_COUNT; ++b) {
            known |= strncmp(name, nt_board_banks[b].name, 8) == 0;
        }
        if (!known) {
            nt_print("error: the plan's memory space ");
            nt_print_u64(i);
            nt_print(" is not a bank of " NT_BOARD_ID "\n");
            return 2;
        }
    }
    uint8_t *spaces[NT_PLAN_MAX_SPACES] = { 0 };
    uint32_t sizes[NT_PLAN_MAX_SPACES] = { 0 };
    uint32_t used = align16((uint32_t)plan_bytes);
    for (uint32_t i = 1; i < plan.n_spaces; ++i) {
        spaces[i] = work + used;
        sizes[i] = plan.spaces[i].bytes;
        used = align16(used + plan.spaces[i].bytes);
        if (used > sizeof work) {
            return fail("arena does not fit the bank", NT_ERR_NO_MEMORY, i);
        }
    }
    st = nt_exec_init(&exec, &plan, spaces, sizes, &err);
    if (st != NT_OK) {
        return fail("exec", st, err.index);
    }
    const nt_plan_tensor_t *input = &plan.tensors[plan.input];
    const nt_plan_tensor_t *labels = &plan.tensors[plan.labels];
    uint8_t *in_buffer = work + used;
    const uint32_t in_bytes = input->bytes + labels->bytes;
    if (used + in_bytes > sizeof work || nt_host_file_read("step.in", in_buffer, in_bytes) != (int32_t)in_bytes) {
        return fail("cannot read step.in", NT_ERR_TRUNCATED, in_bytes);
    }
    memcpy(nt_exec_tensor(&exec, plan.input), in_buffer, input->bytes);
    memcpy(nt_exec_tensor(&exec, plan.labels), in_buffer + input->bytes, labels->bytes);

    /* A forward timed op by op, before the step: "op_forward: index kind in_h in_w in_c out_h out_w out_c kernel stride groups
     * instructions", for finding where a forward pass spends its instructions. */
    const uint32_t profiled = plan.n_ops <= MAX_PROFILED_OPS ? plan.n_ops : 0u;
    if (profiled != 0u) {
        nt_exec_set_clock(&exec, nt_counter_ticks);
        nt_exec_set_op_forward_ticks(&exec, op_ticks);
        nt_exec_forward(&exec);
        nt_exec_set_op_forward_ticks(&exec, NULL);
        nt_exec_set_clock(&exec, NULL);
    }
    for (uint32_t i = 0; i < profiled; ++i) {
        const nt_plan_op_t *op = &plan.ops[i];
        const nt_plan_tensor_t *x = &plan.tensors[op->in[0]];
        const nt_plan_tensor_t *y = &plan.tensors[op->out[0]];
        const int conv = op->kind == NT_OP_CONV2D || op->kind == NT_OP_CONV2D_S8;
        const uint64_t fields[11] = { op->kind, x->dims[1], x->dims[2], x->dims[3], y->dims[1], y->dims[2], y->dims[3],
                                      conv ? (uint32_t)op->params[0] : 0u, conv ? (uint32_t)op->params[1] : 0u,
                                      conv ? (uint32_t)op->params[3] : 0u, nt_counter_ticks_to_instructions(op_ticks[i]) };
        nt_print("op_forward: ");
        nt_print_u64(i);
        for (uint32_t f = 0; f < 11u; ++f) {
            nt_print(" ");
            nt_print_u64(fields[f]);
        }
        nt_print("\n");
    }
    const nt_sgd_config_t sgd = { 0.01f, 0.0f, 0.0f };
    const uint64_t t0 = nt_counter_ticks();
    nt_exec_forward(&exec);
    const uint64_t t1 = nt_counter_ticks();
    const float loss = nt_exec_loss(&exec);
    const uint64_t t2 = nt_counter_ticks();
    st = nt_exec_backward(&exec, NULL);
    const uint64_t t3 = nt_counter_ticks();
    if (st == NT_OK) {
        st = nt_exec_update(&exec, &sgd, NULL);
    }
    const uint64_t t4 = nt_counter_ticks();
    if (st != NT_OK) {
        return fail("train step", st, 0);
    }

    uint32_t loss_bits;
    memcpy(&loss_bits, &loss, sizeof loss_bits);
    nt_print("board: " NT_BOARD_ID "\n");
    fact("plan_bytes", (uint64_t)plan_bytes);
    fact("work_bytes", used);
    fact("loss_bits", loss_bits);
    fact("forward_instructions", nt_counter_ticks_to_instructions(t1 - t0));
    fact("loss_instructions", nt_counter_ticks_to_instructions(t2 - t1));
    fact("backward_instructions", nt_counter_ticks_to_instructions(t3 - t2));
    fact("update_instructions", nt_counter_ticks_to_instructions(t4 - t3));
    fact("step_instructions", nt_counter_ticks_to_instructions(t4 - t0));

    /* step.out = loss, then space 1 (the updated parameters). */
    uint8_t *out = work + used;
    memcpy(out, &loss, sizeof loss);
    memcpy(out + 4, spaces[1], sizes[1]);
    if (used + 4u + sizes[1] > sizeof work || nt_host_file_write("step.out", out, 4u + sizes[1]) != 0) {
        return fail("cannot write step.out", NT_ERR_ARG, 1);
    }
    nt_print("result: ok\n");
    return 0;
}
