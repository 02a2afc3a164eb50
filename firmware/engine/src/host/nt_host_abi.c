/* Host-only ABI helpers for the C# bindings: the sizes of the opaque structs they allocate, and the executor's phase ticks. */
#include <stddef.h>

#include "nt/exec.h"
#include "nt/plan.h"

size_t nt_host_plan_bytes(void);
size_t nt_host_exec_bytes(void);
const uint64_t *nt_host_exec_ticks(const nt_exec_t *ex);

size_t nt_host_plan_bytes(void) { return sizeof(nt_plan_t); }

size_t nt_host_exec_bytes(void) { return sizeof(nt_exec_t); }

/* The executor's ticks per phase (NT_PHASE_COUNT of them). */
const uint64_t *nt_host_exec_ticks(const nt_exec_t *ex) { return ex->ticks; }
