/* CPUID as partitions see it (a VM's own table: hv/cpuid_policy.c). */
#include <sealvisor/hypercall.h>
#include "arch/x86/x86.h"
#include "hv/clock.h"
#include "hv/cpuid_policy.h"
#include "hv/vlapic.h"
#include "hv/run.h"
#include "hv/xstate_policy.h"

#define CPUID1_ECX_MONITOR    (1u << 3)   /* MONITOR/MWAIT are #UD (hv/intercept.c) */
#define CPUID1_ECX_VMX        (1u << 5)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define EXT1_ECX_SVM          (1u << 2)
/* Leaf 1 EDX, mirrored in 0x80000001 EDX on AMD: machine check and MTRRs.
 * Their MSRs (MCG_*, MCi_*, MTRRcap, the MTRRs) are not on the allow
 * list (hv/msr.c) and #GP; a kernel told they exist reads them, and
 * Linux panics on a faulting MCA read ("MCA architectural violation"). */
#define CPUID_EDX_MCE         (1u << 7)
#define CPUID_EDX_MTRR        (1u << 12)
#define CPUID_EDX_MCA         (1u << 14)
#define CPUID_EDX_NO_MSRS     (CPUID_EDX_MCE | CPUID_EDX_MTRR | CPUID_EDX_MCA)
/* Leaf 7 EBX: INVPCID is #UD in a VMX guest without the "enable INVPCID"
 * control, which this hypervisor does not set; Linux executes it on sight
 * (its first global TLB flush). SVM would run it, but one CPUID for both
 * backends: Linux flushes with CR4.PGE and CR3 writes instead. */
#define CPUID7_EBX_INVPCID    (1u << 10)

void cpuid_emulate(const struct vm *vm, struct guest_regs *r)
{
	uint32_t leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;
	struct cpuid_regs c;

	if (leaf == SV_CPUID_LEAF) {
		c = (struct cpuid_regs){ SV_CPUID_ABI_LEAF, SV_CPUID_SIG_EBX, SV_CPUID_SIG_ECX,
					 SV_CPUID_SIG_EDX };
	} else if (leaf == SV_CPUID_ABI_LEAF) {
		c = (struct cpuid_regs){ SV_ABI_VERSION, 0, 0, 0 };
	} else if (leaf == SV_CPUID_TIMING_LEAF) {
		/* Guests calibrate nothing: the TSC and their APIC timer tick
		 * at the rate the boot measured (hv/clock.h). */
		uint32_t khz = (uint32_t)clock_tsc_per_ms();
		c = (struct cpuid_regs){ khz, khz / VLAPIC_TSC_PER_TICK, 0, 0 };
	} else if (leaf > SV_CPUID_LEAF && leaf < SV_CPUID_LEAF + 0x100) {
		c = (struct cpuid_regs){ 0, 0, 0, 0 };
	} else if (vm && vm->nr_cpuid) {
		if (!cpuid_policy_lookup(vm->cpuid, vm->nr_cpuid, leaf, sub, &c))
			c = (struct cpuid_regs){ 0, 0, 0, 0 };
	} else {
		c = cpuid(leaf, sub);
		/* No nested virtualization: partitions never see SVM or VMX. */
		if (leaf == 1)
			c.ecx = (c.ecx & ~(CPUID1_ECX_VMX | CPUID1_ECX_MONITOR)) | CPUID1_ECX_HYPERVISOR;
		if (leaf == 0x80000001)
			c.ecx &= ~EXT1_ECX_SVM;
		if (leaf == 1 || leaf == 0x80000001)
			c.edx &= ~CPUID_EDX_NO_MSRS;
		if (leaf == 7 && sub == 0)
			c.ebx &= ~CPUID7_EBX_INVPCID;
	}
	r->rax = c.eax;
	r->rbx = c.ebx;
	r->rcx = c.ecx;
	r->rdx = c.edx;
}

/* The APIC ID CPUID names is the vCPU's own local APIC's: not the
 * physical CPU's it happens to run on (a host value that would change as
 * the vCPU moves), nor one value for every vCPU (a table is per VM). A
 * leaf that reads all zeros (not in the table) stays zeros. */
static void cpuid_apic_id(uint32_t leaf, struct cpuid_regs *c, uint32_t id)
{
	bool answered = c->eax | c->ebx | c->ecx | c->edx;

	if (leaf == 1)
		c->ebx = (c->ebx & 0x00ffffffu) | id << 24;
	else if ((leaf == 0xb || leaf == 0x1f) && answered)
		c->edx = id;
	else if (leaf == 0x8000001e && answered)
		c->eax = id;
}

void cpuid_emulate_vcpu(struct vcpu *v)
{
	struct guest_regs *r = &v->regs;
	uint32_t leaf = (uint32_t)r->rax, sub = (uint32_t)r->rcx;

	cpuid_emulate(v->vm, r);
	struct cpuid_regs c = { (uint32_t)r->rax, (uint32_t)r->rbx, (uint32_t)r->rcx,
				(uint32_t)r->rdx };
	cpuid_xstate_adjust(leaf, sub, &c, virt_get_cr4(v), v->xcr0, &xstate_host);
	cpuid_apic_id(leaf, &c, v->lapic.id);
	r->rax = c.eax;
	r->rbx = c.ebx;
	r->rcx = c.ecx;
	r->rdx = c.edx;
}
