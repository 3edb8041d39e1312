/*
 * A vCPU's VMCS stays active on the CPU that last ran it (issue 14, item
 * 4): a VCPU_RUN on the same CPU is at most a VMPTRLD (none if it is still
 * current) and a VMRESUME, and host state is written once per load on a
 * CPU, not once per run. As KVM's loaded_vmcs, written for our ownership
 * rule.
 *
 * The SDM rule (vol. 3, 25.1, 25.11.3): a VMCS active on one logical
 * processor must be VMCLEARed on THAT processor (its contents written
 * back, launch state clear) before another one may VMPTRLD it.
 *
 * Invariants, for every vCPU v with x = v->arch:
 *  1. x->cpu is the CPU on which v's VMCS is active, or -1 (clear: in
 *     memory only). x->launched implies x->cpu >= 0.
 *  2. While x->cpu == c, v's host-state fields (and x->host_rsp) are c's:
 *     written by the load that made x->cpu == c.
 *  3. vmcs_current[c] == v only if v's VMCS is the current VMCS of c.
 *  4. Only v's owner (hv_lock held, or v->running: hv/hypercall.c; a
 *     control vCPU's own CPU) loads, runs or moves v. The CPU holding v's
 *     VMCS, if it is another one, VMCLEARs it only when v's owner asks,
 *     from its NMI handler, so it is never using that VMCS at the time
 *     and the owner waits for the clear before it loads v.
 *
 * Moving v from CPU a to CPU b: v's owner, on b, posts v in vmclear_req[a]
 * (one request per target at a time), sends a an NMI and waits for
 * x->cpu to become -1. The NMI reaches vmx_on_nmi on a wherever a is: in
 * the host (even in HLT, even with IF clear) it is delivered; in guest
 * mode it is an NMI exit, and decode_exit dispatches it. An NMI sent while
 * a already handles one is latched and delivered after its IRET, so every
 * post is served by a handler that starts after it.
 *
 * The VMCLEAR in the NMI handler may interrupt a's own VMCS work: it
 * clears a VMCS a is not using (invariant 4), which changes a's current
 * VMCS only if it was that one, and then vmcs_current[a] becomes NULL and
 * a's next vmx_load does a VMPTRLD.
 *
 * Lock order: nothing here takes a lock, and the NMI handler never waits,
 * so a caller may hold hv_lock (vm_destroy) and two CPUs moving vCPUs
 * towards each other both progress (each serves the other while it
 * waits).
 */
#include "arch/x86/vmx/vmcs_cache.h"
#include "hv/arch.h"
#include "hv/limits.h"
#include "hv/vm.h"
#include "mm/spinlock.h"

/* The instructions and the IPI are the backend's (vmx.c) or, in host
 * tests, a model of the SDM's rules (tests/unit/test_vmcs_cache.c): this
 * file is only the bookkeeping. */

static struct vcpu *vmcs_current[HV_MAX_CPUS];
/* A vCPU whose VMCS this CPU is asked to VMCLEAR, or NULL. */
static struct vcpu *vmclear_req[HV_MAX_CPUS];
uint64_t vmcs_bad_clear_requests;

/* On the CPU that holds v (x->cpu == me). */
static void clear_here(struct vcpu *v, unsigned me)
{
	struct vmx_vcpu *x = v->arch;

	vmcs_hw_clear(v->arch_pa);
	if (vmcs_current[me] == v)
		vmcs_current[me] = NULL;
	x->launched = false;
	__atomic_store_n(&x->cpu, -1, __ATOMIC_RELEASE);
}

void vmcs_serve_clear(void)
{
	unsigned me = arch_cpu_id();
	struct vcpu *v = __atomic_exchange_n(&vmclear_req[me], NULL, __ATOMIC_ACQUIRE);

	if (!v)
		return;
	struct vmx_vcpu *x = v->arch;
	/* Invariant 4 broken (its owner thinks we hold it): clearing here
	 * could not help. Counted, not logged: the console lock may be held
	 * by the code this NMI interrupted. */
	if (__atomic_load_n(&x->cpu, __ATOMIC_RELAXED) != (int)me) {
		__atomic_add_fetch(&vmcs_bad_clear_requests, 1, __ATOMIC_RELAXED);
		return;
	}
	clear_here(v, me);
}

static void clear_remote(struct vcpu *v, unsigned cpu)
{
	struct vmx_vcpu *x = v->arch;
	struct vcpu *none = NULL;

	while (!__atomic_compare_exchange_n(&vmclear_req[cpu], &none, v, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_RELAXED)) {
		none = NULL;
		cpu_relax();
	}
	/* The NMI is sent again now and then while we wait: one can be lost
	 * (the APIC never reported it delivered: vmcs_hw_send_nmi fails),
	 * and the target then would never clear, nor we stop waiting. A
	 * spare one finds no request and does nothing (vmcs_serve_clear). */
	vmcs_hw_send_nmi(cpu);
	for (unsigned long spins = 1; __atomic_load_n(&x->cpu, __ATOMIC_ACQUIRE) == (int)cpu; spins++) {
		cpu_relax();
		if (!(spins % VMCLEAR_RESEND_SPINS))
			vmcs_hw_send_nmi(cpu);
	}
}

void vmcs_evict(struct vcpu *v)
{
	struct vmx_vcpu *x = v->arch;
	unsigned me = arch_cpu_id();
	int cpu = __atomic_load_n(&x->cpu, __ATOMIC_ACQUIRE);

	if (cpu == (int)me)
		clear_here(v, me);
	else if (cpu >= 0)
		clear_remote(v, (unsigned)cpu);
}

void vmx_load(struct vcpu *v)
{
	struct vmx_vcpu *x = v->arch;
	unsigned me = arch_cpu_id();

	if (vmcs_current[me] == v)
		return;
	if (__atomic_load_n(&x->cpu, __ATOMIC_ACQUIRE) != (int)me)
		vmcs_evict(v);
	vmcs_hw_load(v->arch_pa);
	vmcs_current[me] = v;
	if (x->cpu == (int)me)
		return;   /* still active here since its last load: host state is ours */
	x->launched = false;
	x->host_rsp = 0;
	vmcs_write_host_state();
	__atomic_store_n(&x->cpu, (int)me, __ATOMIC_RELEASE);
}
