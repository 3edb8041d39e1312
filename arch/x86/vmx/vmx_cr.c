/*
 * VMX: CR0/CR4 are wholly host-owned (guest/host masks all ones, the guest
 * reads the shadows), so every MOV to CR0/CR4, CLTS and LMSW that would
 * change them exits here; XSETBV always exits. hv/xstate_policy.c judges;
 * an allowed value goes to the shadow as written and to the real register
 * with VMX's fixed bits (CR4.VMXE among them), which never show.
 */
#include "arch/x86/guest_gpr.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_cr.h"
#include "arch/x86/vmx/vmx_tlb.h"
#include "arch/x86/x86.h"
#include "arch/x86/xstate.h"
#include "hv/vm.h"
#include "hv/xstate_policy.h"

enum { ACCESS_MOV_TO_CR = 0, ACCESS_CLTS = 2, ACCESS_LMSW = 3 };

static uint64_t gpr_value(struct vcpu *v, unsigned n)
{
	uint64_t *r = guest_gpr(&v->regs, n);
	return r ? *r : vmread(GUEST_RSP);
}

/* The value the instruction stores, from the exit qualification. */
static uint64_t new_value(struct vcpu *v, uint64_t q, uint64_t old)
{
	switch ((q >> 4) & 3) {
	case ACCESS_CLTS:
		return old & ~CR0_TS;
	case ACCESS_LMSW:   /* bits 0-3 only; PE cannot be cleared */
		return (old & ~0xfUL) | ((q >> 16) & 0xf) | (old & CR0_PE);
	default:
		return gpr_value(v, (q >> 8) & 15);
	}
}

static int cr_write(struct vcpu *v, uint64_t q)
{
	unsigned cr = q & 15, access = (q >> 4) & 3;
	bool is0 = cr == 0;

	if (access == 1 || (cr != 0 && cr != 4))
		return -1;   /* not ours: MOV from CR, CR3/CR8 exits */
	uint64_t old = vmread(is0 ? CR0_SHADOW : CR4_SHADOW), val = new_value(v, q, old);
	uint64_t fixed0 = rdmsr(is0 ? MSR_VMX_CR0_FIXED0 : MSR_VMX_CR4_FIXED0);
	uint64_t fixed1 = rdmsr(is0 ? MSR_VMX_CR0_FIXED1 : MSR_VMX_CR4_FIXED1);
	/* With unrestricted guest (a vCPU may start in real mode: VCPU_SET_SREGS)
	 * CR0.PE and CR0.PG are the guest's own. */
	if (is0 && (vmread(PROC2_CONTROLS) & (1u << 7)))
		fixed0 &= ~(CR0_PE | CR0_PG);
	int err = is0 ? cr0_write_check(old, &val)
		      : cr4_write_check(old, &val, xstate_host.cr4_allowed, vmread(GUEST_CR3));
	uint64_t real = val | fixed0 | (is0 ? 0 : CR4_VMXE);

	if (err || (real & ~fixed1)) {
		virt->inject_exception(v, 13, true, 0);
		return 0;
	}
	vmwrite(is0 ? CR0_SHADOW : CR4_SHADOW, val);
	vmwrite(is0 ? GUEST_CR0 : GUEST_CR4, real);
	/* The architectural TLB flush of a paging-control change. */
	if (val != old)
		vmx_invept_single(vmx_eptp(v->vm));
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(EXIT_INSTR_LEN));
	return 0;
}

bool vmx_cr_xsetbv_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct guest_regs *r = &v->regs;

	switch (e->raw & 0xffff) {
	case EXIT_CR_ACCESS:
		return !(e->raw & EXIT_ENTRY_FAILED) && cr_write(v, e->info1) == 0;
	case EXIT_XSETBV: {
		unsigned cpl = (vmread(GUEST_SS_AR) >> 5) & 3;
		if (xstate_xsetbv(v, (uint32_t)r->rcx, (r->rdx << 32) | (uint32_t)r->rax, cpl))
			virt->inject_exception(v, 13, true, 0);
		else
			vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(EXIT_INSTR_LEN));
		return true;
	}
	default:
		return false;
	}
}
