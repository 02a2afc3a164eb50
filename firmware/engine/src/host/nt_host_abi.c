/* Host-only ABI helpers for the C# bindings: the sizes of the opaque structs they allocate. */
#include <stddef.h>

#include "nt/exec.h"
#include "nt/plan.h"

size_t nt_host_plan_bytes(void);
size_t nt_host_exec_bytes(void);

size_t nt_host_plan_bytes(void) { return sizeof(nt_plan_t); }

size_t nt_host_exec_bytes(void) { return sizeof(nt_exec_t); }
