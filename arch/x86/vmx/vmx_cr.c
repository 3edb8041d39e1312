/*
 * VMX: CR0/CR4 are wholly host-owned (guest/host masks all ones, the guest
 * reads the shadows), so every MOV to CR0/CR4, CLTS and LMSW that would
 * change them exits here; XSETBV always exits. hv/xstate_policy.c judges;
 * an allowed value goes to the shadow as written and to the real register
 * with VMX's fixed bits (CR4.VMXE among them), which never show. A write
 * that switches modes (hv/cr_policy.h) also moves EFER.LMA with the
 * "IA-32e mode guest" entry control, and loads the PDPTEs for PAE paging.
 */
#include "arch/x86/guest_gpr.h"
#include "hv/guest_fetch.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_cr.h"
#include "arch/x86/vmx/vmx_tlb.h"
#include "arch/x86/x86.h"
#include "arch/x86/xstate.h"
#include "hv/cr_policy.h"
#include "hv/shutdown.h"
#include "hv/vm.h"
#include "hv/xstate_policy.h"

enum { ACCESS_MOV_TO_CR = 0, ACCESS_CLTS = 2, ACCESS_LMSW = 3 };
#define AR_L              (1u << 13)   /* VMCS access rights: CS.L */
#define ENTRY_IA32E_GUEST (1u << 9)

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

static struct cr_state cr_state(void)
{
	return (struct cr_state){ .cr0 = vmread(CR0_SHADOW), .cr4 = vmread(CR4_SHADOW),
				  .cr3 = vmread(GUEST_CR3), .efer = vmread(GUEST_EFER),
				  .cs_l = vmread(GUEST_CS_AR) & AR_L };
}

/* PAE paging with EPT: VM entry loads the PDPTEs from the VMCS, not from
 * memory (a MOV to CR3 the guest executes loads them itself, and the exit
 * saves them). An emulated CR0/CR4 write that leaves the guest in PAE
 * paging must load them as the CPU would, with its #GP for a reserved
 * bit: 0, or -EINVAL. */
static int load_pdptes(struct vcpu *v, uint64_t cr3)
{
	uint64_t e[4];
	unsigned bits = cpuid(0x80000000, 0).eax >= 0x80000008 ?
			(cpuid(0x80000008, 0).eax & 0xff) : 36;

	if (guest_read_vcpu_gpa(v, cr3 & 0xffffffe0UL, e, sizeof(e)))
		return -EINVAL;
	for (unsigned i = 0; i < 4; i++)
		if (!pdpte_valid(e[i], bits))
			return -EINVAL;
	for (unsigned i = 0; i < 4; i++)
		vmwrite(GUEST_PDPTE0 + 2 * i, e[i]);
	return 0;
}

/* EFER.LMA and the "IA-32e mode guest" entry control move together (VM
 * entry checks that they agree). Entering long mode with a 16-bit busy
 * TSS in TR would fail that entry's TR check; the CPU itself does not
 * care until a task switch, so TR becomes a 64-bit busy one (as KVM's
 * enter_lmode does). */
static void set_efer(uint64_t efer)
{
	uint32_t entry = vmread(ENTRY_CONTROLS) & ~ENTRY_IA32E_GUEST;

	vmwrite(GUEST_EFER, efer);
	vmwrite(ENTRY_CONTROLS, entry | (efer & EFER_LMA_BIT ? ENTRY_IA32E_GUEST : 0));
	if ((efer & EFER_LMA_BIT) && (vmread(GUEST_TR_AR) & 0xf) == 3)
		vmwrite(GUEST_TR_AR, (vmread(GUEST_TR_AR) & ~0xfUL) | 11);
}

/* Invariant 26 before every entry: a CPU refuses an entry where EFER.LMA,
 * the "IA-32e mode guest" control and CR0.PG/EFER.LME disagree, but Bochs
 * does not check, so a slip in the bookkeeping above would pass there
 * unseen. Three VMREADs an entry. */
void vmx_check_long_mode(struct vcpu *v)
{
	uint64_t efer = vmread(GUEST_EFER);
	bool lma = efer & EFER_LMA_BIT, lme = efer & EFER_LME_BIT;
	bool ia32e = vmread(ENTRY_CONTROLS) & ENTRY_IA32E_GUEST;
	bool pg = vmread(GUEST_CR0) & CR0_PG;

	if (lma != ia32e || (pg && lme != lma) || (lma && !pg))
		panic("vmx: VM %u vCPU %u: EFER 0x%lx, CR0.PG %d and the IA-32e entry control %d "
		      "disagree\n", v->vm->id, v->id, efer, pg, ia32e);
}

static int cr_write(struct vcpu *v, uint64_t q)
{
	unsigned cr = q & 15, access = (q >> 4) & 3;
	bool is0 = cr == 0;

	if (access == 1 || (cr != 0 && cr != 4))
		return -1;   /* not ours: MOV from CR, CR3/CR8 exits */
	struct cr_state s = cr_state();
	uint64_t old = is0 ? s.cr0 : s.cr4, val = new_value(v, q, old), efer = s.efer;
	uint64_t fixed0 = rdmsr(is0 ? MSR_VMX_CR0_FIXED0 : MSR_VMX_CR4_FIXED0);
	uint64_t fixed1 = rdmsr(is0 ? MSR_VMX_CR0_FIXED1 : MSR_VMX_CR4_FIXED1);
	/* With unrestricted guest (a vCPU may start in real mode: VCPU_SET_SREGS)
	 * CR0.PE and CR0.PG are the guest's own. */
	if (is0 && (vmread(PROC2_CONTROLS) & (1u << 7)))
		fixed0 &= ~(CR0_PE | CR0_PG);
	int err = is0 ? cr0_write_check(&s, &val, &efer)
		      : cr4_write_check(&s, &val, xstate_host.cr4_allowed);
	uint64_t real = val | fixed0 | (is0 ? 0 : CR4_VMXE);

	/* Without unrestricted guest the CPU cannot run a guest with PE or
	 * PG clear: such a switch is refused (#GP), never forced on in the
	 * real register behind the shadow, which would leave LMA and the
	 * entry control disagreeing with the CPU's CR0. */
	uint64_t forced = is0 ? fixed0 & (CR0_PE | CR0_PG) : 0;   /* none with UG */

	if (!err && ((real & ~fixed1) || (val & forced) != forced))
		err = -EINVAL;
	if (!err && val != old &&
	    paging_mode(is0 ? val : s.cr0, is0 ? s.cr4 : val, efer) == PAGING_PAE)
		err = load_pdptes(v, s.cr3);
	if (err) {
		virt->inject_exception(v, 13, true, 0);
		return 0;
	}
	vmwrite(is0 ? CR0_SHADOW : CR4_SHADOW, val);
	vmwrite(is0 ? GUEST_CR0 : GUEST_CR4, real);
	if (efer != s.efer)
		set_efer(efer);
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
