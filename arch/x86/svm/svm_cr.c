/*
 * SVM: MOV to CR0/CR4 (and CLTS/LMSW) and XSETBV, intercepted and judged by
 * hv/xstate_policy.c. Without decode assists (QEMU's TCG has none) the
 * exit does not say which register held the value: the instruction is
 * read from guest memory through the guest's page tables and decoded
 * (only the forms that write CR0/CR4 from a register).
 */
#include <sealvisor/errno.h>
#include "arch/x86/cpu_features.h"
#include "arch/x86/guest_gpr.h"
#include "hv/guest_fetch.h"
#include "arch/x86/svm/svm_cr.h"
#include "arch/x86/svm/svm_cr_decode.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/svm/vmcb_clean.h"
#include "arch/x86/xstate.h"
#include "hv/cr_policy.h"
#include "hv/vcpu_state.h"
#include "hv/vm.h"
#include "hv/xstate_policy.h"

#define EXITINFO1_DECODE_VALID (1UL << 63)
#define LEN_XSETBV 3

uint64_t svm_get_cr4(struct vcpu *v)
{
	return *vmcb64(v->arch, VMCB_CR4);
}

uint64_t svm_get_cr0(struct vcpu *v)
{
	return *vmcb64(v->arch, VMCB_CR0);
}

/*
 * EFER.LME does nothing until CR0.PG is set, and the guest sets CR0.PG
 * only through the CR0 intercept below, which takes LME from here. So
 * while paging is off LME is kept out of the VMCB: QEMU 7.2's TCG, exiting
 * from a guest with LME set and CR0.PG and CR4.PAE clear, leaves its own
 * long-mode flags wrong, and the next exception it delivers to that guest
 * goes through the 64-bit IDT format (observed: a #GP turned into a triple
 * fault). Hardware takes either. The guest's view is the VMCB's EFER with
 * this LME, without SVME.
 */
uint64_t svm_efer_get(struct vcpu *v)
{
	uint64_t e = *vmcb64(v->arch, VMCB_EFER) & ~EFER_SVME_BIT;

	if (!(*vmcb64(v->arch, VMCB_CR0) & X86_CR0_PG) && v->sw.svm_lme)
		e |= EFER_LME_BIT;
	return e;
}

/* After CR0: whether LME goes into the VMCB depends on its PG. */
void svm_efer_set(struct vcpu *v, uint64_t efer)
{
	bool paging = *vmcb64(v->arch, VMCB_CR0) & X86_CR0_PG;

	v->sw.svm_lme = efer & EFER_LME_BIT;
	if (!paging)
		efer &= ~EFER_LME_BIT;
	vmcb_put64(v, VMCB_EFER, efer | EFER_SVME_BIT);
}

static bool cs_l(void *vmcb)
{
	return *(uint16_t *)vmcb8(vmcb, VMCB_CS + 2) & SV_SEG_L;
}

/* Up to n instruction bytes at RIP: how many could be read (an
 * instruction may end just before an unmapped page). The guest may be in
 * any mode it switched to (hv/cr_policy.h): the linear address is
 * CS.base + EIP outside 64-bit code, and the walk follows its paging
 * mode. */
static unsigned fetch(struct vcpu *v, void *vmcb, uint8_t *buf, unsigned n)
{
	uint64_t rip = *vmcb64(vmcb, VMCB_RIP), gpa;
	uint64_t efer = *vmcb64(vmcb, VMCB_EFER), cr4 = *vmcb64(vmcb, VMCB_CR4);
	enum paging_mode m = paging_mode(*vmcb64(vmcb, VMCB_CR0), cr4, efer);
	bool long64 = (efer & EFER_LMA_BIT) && cs_l(vmcb);
	uint64_t lin = long64 ? rip : (uint32_t)(*vmcb64(vmcb, VMCB_CS + 8) + rip);

	for (unsigned i = 0; i < n; i++) {
		if (guest_walk(m, *vmcb64(vmcb, VMCB_CR3), cr4 & CR4_PSE, lin + i, guest_read_vcpu_gpa, v, &gpa))
			return i;
		if (guest_read_vcpu_gpa(v, gpa, &buf[i], 1))
			return i;
	}
	return n;
}

static uint64_t gpr_value(struct vcpu *v, unsigned n)
{
	uint64_t *r = guest_gpr(&v->regs, n);
	return r ? *r : *vmcb64(v->arch, VMCB_RSP);
}

/* The value a CR write stores and its length, from the instruction at
 * RIP: 0, -EAGAIN (not mapped yet: the guest re-executes it) or -EINVAL
 * (not emulated: #GP). */
static int decode(struct vcpu *v, unsigned cr, uint64_t old, uint64_t *val, unsigned *len)
{
	uint8_t b[8];
	struct cr_insn insn;
	int err = svm_cr_decode(b, fetch(v, v->arch, b, sizeof(b)), cr, &insn);

	if (err)
		return err;
	*val = cr_insn_value(&insn, old, insn.kind == CR_INSN_CLTS ? 0 : gpr_value(v, insn.gpr));
	*len = insn.len;
	return 0;
}

static void skip(struct vcpu *v, unsigned len)
{
	void *vmcb = v->arch;

	if (cpu_features.nrips && *vmcb64(vmcb, VMCB_NRIP))
		vmcb_put64(v, VMCB_RIP, *vmcb64(vmcb, VMCB_NRIP));
	else
		vmcb_put64(v, VMCB_RIP, *vmcb64(vmcb, VMCB_RIP) + len);
}

/* The CPU sets EFER.LMA itself only on a CR0.PG it executes; this write
 * is emulated into the VMCB, so the policy's EFER (LMA following PG with
 * LME) goes there too. VMRUN takes the result as it is. */
static void cr_write(struct vcpu *v, unsigned cr, uint64_t info1)
{
	void *vmcb = v->arch;
	unsigned off = cr == 0 ? VMCB_CR0 : VMCB_CR4, len = 3;
	uint64_t old = *vmcb64(vmcb, off), val, efer;
	struct cr_state s = { .cr0 = *vmcb64(vmcb, VMCB_CR0), .cr4 = *vmcb64(vmcb, VMCB_CR4),
			      .cr3 = *vmcb64(vmcb, VMCB_CR3), .cs_l = cs_l(vmcb),
			      .efer = svm_efer_get(v) };
	int err = 0;

	if (info1 & EXITINFO1_DECODE_VALID)
		val = gpr_value(v, info1 & 15);
	else
		err = decode(v, cr, old, &val, &len);
	if (err == -EAGAIN)
		return;
	efer = s.efer;
	if (!err)
		err = cr == 0 ? cr0_write_check(&s, &val, &efer)
			      : cr4_write_check(&s, &val, xstate_host.cr4_allowed);
	if (err) {
		virt->inject_exception(v, 13, true, 0);
		return;
	}
	vmcb_put64(v, off, val);
	svm_efer_set(v, efer);
	v->cr_flush |= val != old;
	skip(v, len);
}

static unsigned cpl(void *vmcb)
{
	return *vmcb8(vmcb, VMCB_CPL) & 3;
}

bool svm_cr_xsetbv_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct guest_regs *r = &v->regs;

	switch ((uint32_t)e->raw) {
	case SVM_EXIT_CR0_WRITE:
		cr_write(v, 0, e->info1);
		return true;
	case SVM_EXIT_CR4_WRITE:
		cr_write(v, 4, e->info1);
		return true;
	case SVM_EXIT_XSETBV:
		if (xstate_xsetbv(v, (uint32_t)r->rcx, (r->rdx << 32) | (uint32_t)r->rax,
				  cpl(v->arch)))
			virt->inject_exception(v, 13, true, 0);
		else
			skip(v, LEN_XSETBV);
		return true;
	default:
		return false;
	}
}
