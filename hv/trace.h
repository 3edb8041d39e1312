/*
 * `log.level = debug` traces: one line per hypercall (at hypercall_dispatch)
 * and per exit (in the run loops). Rate-limited per CPU, because a guest
 * can make millions: the first TRACE_BURST lines of each kind (hypercall,
 * exit) in each TRACE_WINDOW_MS,
 * then one "N trace lines suppressed" line when the next window opens, or
 * when the machine shuts down (trace_flush), so no count is lost.
 */
#ifndef HV_TRACE_H
#define HV_TRACE_H

#include <stdint.h>

#define TRACE_BURST 20
#define TRACE_WINDOW_MS 1000

struct vm;
struct vcpu;
struct vm_exit;

void trace_hypercall(const struct vm *caller, const uint64_t a[7], int64_t ret);
void trace_exit(const struct vcpu *v, const struct vm_exit *e);
/* Reports every CPU's count of suppressed lines not reported yet. */
void trace_flush(void);

#endif
