#include "hv/shootdown.h"
#include "hv/shutdown.h"
#include "hv/virt.h"
#include "hv/partition.h"
#include "mm/spinlock.h"

struct cpu_state cpu_state[HV_MAX_CPUS];
void (*vcpu_enter_race_hook)(struct vcpu *v);

bool vcpu_enter(struct vcpu *v)
{
	struct cpu_state *c = &cpu_state[arch_cpu_id()];
	struct vm *vm = v->vm;

	if (vm->tlb_tag > SV_MAX_VMS)
		panic("VM %u has TLB tag %u (at most %u)", vm->id, vm->tlb_tag, SV_MAX_VMS);
	/* Publish first, then read (the ordering argument above). */
	__atomic_store_n(&c->in_guest, vm, __ATOMIC_SEQ_CST);
	if (vcpu_enter_race_hook)
		vcpu_enter_race_hook(v);
	uint64_t g = __atomic_load_n(&vm->s2.generation, __ATOMIC_SEQ_CST);
	if (c->tag[vm->tlb_tag].serial == vm->serial && c->tag[vm->tlb_tag].generation == g)
		return false;
	c->tag[vm->tlb_tag].serial = vm->serial;
	c->tag[vm->tlb_tag].generation = g;
	return true;
}

void vcpu_exited(struct vcpu *v)
{
	struct cpu_state *c = &cpu_state[arch_cpu_id()];

	(void)v;
	__atomic_add_fetch(&c->exits, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&c->in_guest, NULL, __ATOMIC_RELEASE);
}

void vm_shootdown(struct vm *vm)
{
	unsigned self = arch_cpu_id();
	uint64_t seen[HV_MAX_CPUS];
	bool waiting[HV_MAX_CPUS] = { false };

	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* after the generation bump */
	for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
		if (i == self || __atomic_load_n(&cpu_state[i].in_guest, __ATOMIC_SEQ_CST) != vm)
			continue;
		seen[i] = __atomic_load_n(&cpu_state[i].exits, __ATOMIC_ACQUIRE);
		waiting[i] = true;
		virt->kick_cpu(i);
	}
	for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
		while (waiting[i] &&
		       __atomic_load_n(&cpu_state[i].exits, __ATOMIC_ACQUIRE) == seen[i] &&
		       __atomic_load_n(&cpu_state[i].in_guest, __ATOMIC_ACQUIRE) == vm)
			cpu_relax();
	}
}
