#include "hv/shootdown.h"
#include "hv/shutdown.h"
#include "hv/virt.h"
#include "hv/partition.h"
#include "mm/spinlock.h"

struct cpu_state cpu_state[HV_MAX_CPUS];
void (*vcpu_enter_race_hook)(struct vcpu *v);

uint64_t vm_cpus[SV_MAX_VMS];
_Static_assert(HV_MAX_CPUS <= 64, "vm_cpus holds one bit a CPU");

/* Keeps this CPU's bit in exactly the mask of the VM slot it entered last
 * (and at most one other: a slot reused by a new VM may keep stale bits of
 * CPUs that ran the old one until they enter something else, which only
 * costs the shootdown a look). Only the CPU itself changes its bits. */
static void note_vm(struct cpu_state *c, unsigned cpu, struct vm *vm)
{
	uint64_t bit = 1UL << cpu;

	if (c->last_slot == vm->id && c->last_serial == vm->serial)
		return;
	if (c->last_serial)
		__atomic_and_fetch(&vm_cpus[c->last_slot], ~bit, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&vm_cpus[vm->id], bit, __ATOMIC_SEQ_CST);
	c->last_slot = vm->id;
	c->last_serial = vm->serial;
}

bool vcpu_enter(struct vcpu *v)
{
	unsigned cpu = arch_cpu_id();
	struct cpu_state *c = &cpu_state[cpu];
	struct vm *vm = v->vm;

	if (vm->tlb_tag > SV_MAX_VMS)
		panic("VM %u has TLB tag %u (at most %u)", vm->id, vm->tlb_tag, SV_MAX_VMS);
	/* Mask bit, then in_guest, then the generation (the ordering
	 * argument in hv/shootdown.h). */
	note_vm(c, cpu, vm);
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

unsigned vm_shootdown(struct vm *vm)
{
	unsigned self = arch_cpu_id(), kicked = 0;
	uint64_t seen[HV_MAX_CPUS], waiting = 0;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* after the generation bump */
	uint64_t mask = __atomic_load_n(&vm_cpus[vm->id], __ATOMIC_SEQ_CST) & ~(1UL << self);
	for (uint64_t m = mask; m; m &= m - 1) {
		unsigned i = __builtin_ctzl(m);
		if (__atomic_load_n(&cpu_state[i].in_guest, __ATOMIC_SEQ_CST) != vm)
			continue;
		seen[i] = __atomic_load_n(&cpu_state[i].exits, __ATOMIC_ACQUIRE);
		waiting |= 1UL << i;
		virt->kick_cpu(i);
		kicked++;
	}
	for (uint64_t m = waiting; m; m &= m - 1) {
		unsigned i = __builtin_ctzl(m);
		while (__atomic_load_n(&cpu_state[i].exits, __ATOMIC_ACQUIRE) == seen[i] &&
		       __atomic_load_n(&cpu_state[i].in_guest, __ATOMIC_ACQUIRE) == vm)
			cpu_relax();
	}
	return kicked;
}
