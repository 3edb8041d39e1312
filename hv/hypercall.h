#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>
#include "hv/vm.h"

/* Runs hypercall a[0] for `caller` with arguments a[1..6]; returns what the
 * caller sees in RAX (>= 0 or -errno). Every argument is checked. */
int64_t hypercall_dispatch(struct vm *caller, const uint64_t a[7]);

/* Test builds: audit every stage-2 table after each hypercall. */
extern bool hypercall_audit;

#endif
