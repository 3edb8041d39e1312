/* Shared by the hypercall fuzzer's two files (tests/fuzz/). */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stdint.h>
#include "hv/vm.h"

/* Small enough that a few objects exhaust it, so the -ENOMEM paths run. */
#define FUZZ_ARENA_BYTES (40UL << 20)
#define FUZZ_CONTROL_RAM (4UL << 20)

/* "RAM" for the page allocator: an mmap'd arena at physical address 0. */
void fuzz_arena_init(uint64_t bytes);

/* Prints the reason and the recent steps, then aborts (libFuzzer saves the
 * input as a crash). */
__attribute__((noreturn, format(printf, 1, 2))) void fuzz_fail(const char *fmt, ...);
/* The step trace fuzz_fail prints: the harness records every step. */
void fuzz_trace_dump(void);

/* After every step: the ownership audit and the page accounting. */
void fuzz_check_step(struct vm *control, const char *what);
/* After the teardown of an input: back to the state of initialisation. */
void fuzz_check_empty(struct vm *control, uint64_t free_baseline);

#endif
