#include "arch/x86/percpu.h"
#include "arch/x86/x86.h"
#include "hv/shootdown.h"

#define MSR_GS_BASE 0xc0000101

struct percpu *cpus[HV_MAX_CPUS];

void percpu_install(struct percpu *p)
{
	p->self = p;
	cpus[p->id] = p;
	wrmsr(MSR_GS_BASE, (uint64_t)p);
}

unsigned arch_cpu_id(void)
{
	return this_cpu()->id;
}
