/*
 * Making every CPU let go of a VM's translations: the cross-CPU half of
 * docs/ARCHITECTURE.md, invariant 3.
 *
 * Protocol. A CPU entering a vCPU of VM v publishes cpu_state.in_guest = v
 * and then reads v's stage-2 generation, flushing the VM's TLB context if
 * it moved since this CPU last flushed for v (vcpu_enter). After the exit it bumps cpu_state.exits and clears
 * in_guest (vcpu_exited). An invalidation zaps the stage-2 entries and bumps
 * the generation (stage2_zap), then reads every other CPU's in_guest; each
 * CPU found inside v is kicked out with an IPI and waited for until its
 * exits counter moves (vm_shootdown). Only then are pages or retired table
 * pages freed.
 *
 * Only CPUs that may be inside v are looked at: vm_cpus[v's slot] has the
 * bit of every CPU whose last guest entry was into v (a CPU sets its bit
 * before it publishes in_guest, and clears it only when it next enters
 * another VM, so it never clears it while inside v). A shootdown costs one
 * load per such CPU, not a scan of every CPU slot.
 *
 * Memory ordering: the generation bump, the mask read and the in_guest
 * reads on one side, the mask bit set, the in_guest store and the
 * generation read on the other, are all sequentially consistent. In their
 * single total order either the entering CPU reads the new generation (and
 * flushes before it enters), or the invalidating CPU reads its bit set and
 * in_guest == v (and waits for an exit, after which the next entry sees the
 * new generation and flushes). A CPU whose bit the shootdown did not see
 * set it after the mask read, so after the bump: it reads the new
 * generation. A CPU that entered before the zap is seen in the mask with
 * in_guest == v and waited for. So when vm_shootdown returns, no CPU can
 * use a translation the zap removed.
 */
#ifndef HV_SHOOTDOWN_H
#define HV_SHOOTDOWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>

#include "hv/limits.h"

struct vm;
struct vcpu;

struct cpu_state {
	struct vm *in_guest;          /* the VM whose vCPU this CPU runs, or NULL */
	uint64_t exits;               /* guest exits on this CPU so far */
	/* What this CPU's TLB may hold under each tag (struct vm tlb_tag):
	 * the VM that last ran with it here (by serial: slots, ASIDs and
	 * VPIDs are reused, and two VMs may share a tag when ASIDs run out)
	 * and its generation at the last flush. Tracked per CPU, not per
	 * vCPU: a vCPU that moves to another CPU meets that CPU's leftovers. */
	struct { uint64_t serial, generation; } tag[SV_MAX_VMS + 1];
	/* The VM this CPU entered last (slot and serial; serial 0: none):
	 * its bit is set in vm_cpus[last_slot]. Only this CPU reads it. */
	unsigned last_slot;
	uint64_t last_serial;
};

extern struct cpu_state cpu_state[HV_MAX_CPUS];
/* Per VM slot, the CPUs that may be in guest mode in it (see above);
 * atomic accesses only. Kept apart from struct vm, which VM creation
 * clears with memset while a CPU may still be clearing its stale bit. */
extern uint64_t vm_cpus[SV_MAX_VMS];

/* arch_cpu_id(), the calling CPU's index, is the architecture's (hv/arch.h). */
#include "hv/arch.h"

/* Backends call these around every guest entry. vcpu_enter returns true
 * if the TLB entries under the VM's tag must be flushed before entering:
 * the VM's generation moved since this CPU last flushed for it, or another
 * VM used the tag here since. */
bool vcpu_enter(struct vcpu *v);
/* Host tests only (NULL otherwise): runs in vcpu_enter between publishing
 * in_guest and reading the generation. */
extern void (*vcpu_enter_race_hook)(struct vcpu *v);
void vcpu_exited(struct vcpu *v);

/* After a zap of vm's stage-2: returns once no other CPU is still in guest
 * mode with translations from before the zap. Returns how many CPUs it
 * kicked (for tests and the benchmark). */
unsigned vm_shootdown(struct vm *vm);

#endif
