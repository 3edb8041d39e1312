/*
 * Per-CPU data, reached through the GS base: this_cpu() is one load. The
 * boot CPU's lives in the image; each AP's is allocated when it starts.
 */
#ifndef ARCH_X86_PERCPU_H
#define ARCH_X86_PERCPU_H

#include <stdbool.h>
#include <stdint.h>
#include "hv/limits.h"

struct vcpu;

struct percpu {
	struct percpu *self;          /* at offset 0: this_cpu() reads gs:0 */
	unsigned id;                  /* 0 = boot CPU */
	uint32_t apic_id;
	uint64_t stack_lo, stack_hi;  /* the CPU's main stack, for backtraces */
	void *desc;                   /* its GDT/TSS/IST stacks (arch/x86/desc.c) */
	/* Start-up (arch/x86/smp.c): AP_STARTING, then AP_RUNNING (the AP,
	 * then ONLINE or FAILED) or AP_ABANDONED (the boot CPU): one wins. */
	int start;
	volatile bool timer_fired;    /* the local APIC's preemption timer */
};

extern struct percpu *cpus[HV_MAX_CPUS];

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* Makes p this CPU's per-CPU area (writes the GS base). */
void percpu_install(struct percpu *p);

#endif
