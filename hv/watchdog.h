/*
 * The control-partition watchdog (`watchdog = seconds` in sealvisor.cfg).
 *
 * Progress means: a hypercall from any vCPU of the control partition that
 * the dispatcher ran (a defined number the partition may call), whatever
 * its result. A VCPU_RUN counts when it returns, and returns at least every
 * time slice (~100 ms), so a VMM running a guest that never exits makes
 * progress; a control partition that spins, or waits on itself, makes
 * none. With no progress for `seconds`, the hypervisor stops the machine
 * with SV_EXIT_WATCHDOG. It sees the time only when a control vCPU exits,
 * so while the watchdog is on every control vCPU runs with the preemption
 * timer armed: the stop comes at most a slice after the deadline.
 */
#ifndef HV_WATCHDOG_H
#define HV_WATCHDOG_H

struct vm;
struct vcpu;

/* 0: off. Starts the clock: the control partition's start is progress. */
void watchdog_init(unsigned seconds);
/* A hypercall from caller ran (hypercall_dispatch). */
void watchdog_progress(const struct vm *caller);
/* Before each entry of a control vCPU: stop the machine if the deadline
 * passed, else arm the preemption timer so the next check comes. */
void watchdog_before_entry(struct vcpu *v);

#endif
