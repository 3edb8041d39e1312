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
#include "arch/x86/svm/svm_cr.h"
#include "arch/x86/svm/svm_cr_decode.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/xstate.h"
#include "hv/vcpu_state.h"
#include "hv/vm.h"
#include "hv/xstate_policy.h"
#include "mm/phys.h"

#define EXITINFO1_DECODE_VALID (1UL << 63)
#define PTE_P    1UL
#define PTE_PS   (1UL << 7)
#define PTE_ADDR 0x000ffffffffff000UL
#define LEN_XSETBV 3

uint64_t svm_get_cr4(struct vcpu *v)
{
	return *vmcb64(v->arch, VMCB_CR4);
}

/* len bytes of guest-physical memory within one page, if stage 2 maps it
 * now, under the object lock a stage-2 fault takes (hv/guest_read.c), so
 * a concurrent punch cannot free the page under the read. */
static int read_gpa(struct vcpu *v, uint64_t gpa, void *out, unsigned len)
{
	return vm_read_gpa(v->vm, gpa, out, len);
}

/* gva -> gpa by the guest's 4-level tables (partitions stay in long mode). */
static int translate(struct vcpu *v, uint64_t cr3, uint64_t gva, uint64_t *gpa)
{
	uint64_t table = cr3 & PTE_ADDR, e;

	for (int level = 3; level >= 0; level--) {
		uint64_t idx = (gva >> (12 + 9 * level)) & 511;
		if (read_gpa(v, table + idx * 8, &e, 8) || !(e & PTE_P))
			return -EAGAIN;
		if (level == 0 || (level <= 2 && (e & PTE_PS))) {
			uint64_t size = 1UL << (12 + 9 * level);
			*gpa = (e & PTE_ADDR & ~(size - 1)) | (gva & (size - 1));
			return 0;
		}
		table = e & PTE_ADDR;
	}
	return -EAGAIN;
}

/* Up to n instruction bytes at RIP: how many could be read (an
 * instruction may end just before an unmapped page). With paging off (a
 * 16- or 32-bit start, VCPU_SET_SREGS) the linear address CS.base + RIP is
 * the gpa; otherwise the partition is in long mode (vcpu_state_check
 * refuses legacy paging, and CR0.PG never changes). */
static unsigned fetch(struct vcpu *v, void *vmcb, uint8_t *buf, unsigned n)
{
	uint64_t rip = *vmcb64(vmcb, VMCB_RIP), gpa;
	bool paging = *vmcb64(vmcb, VMCB_CR0) & X86_CR0_PG;
	uint64_t cs_base = *vmcb64(vmcb, VMCB_CS + 8);

	for (unsigned i = 0; i < n; i++) {
		if (!paging)
			gpa = (uint32_t)(cs_base + rip + i);
		else if (translate(v, *vmcb64(vmcb, VMCB_CR3), rip + i, &gpa))
			return i;
		if (read_gpa(v, gpa, &buf[i], 1))
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

static void skip(void *vmcb, unsigned len)
{
	if (cpu_features.nrips && *vmcb64(vmcb, VMCB_NRIP))
		*vmcb64(vmcb, VMCB_RIP) = *vmcb64(vmcb, VMCB_NRIP);
	else
		*vmcb64(vmcb, VMCB_RIP) += len;
}

static void cr_write(struct vcpu *v, unsigned cr, uint64_t info1)
{
	void *vmcb = v->arch;
	unsigned off = cr == 0 ? VMCB_CR0 : VMCB_CR4, len = 3;
	uint64_t old = *vmcb64(vmcb, off), val;
	int err = 0;

	if (info1 & EXITINFO1_DECODE_VALID)
		val = gpr_value(v, info1 & 15);
	else
		err = decode(v, cr, old, &val, &len);
	if (err == -EAGAIN)
		return;
	if (!err)
		err = cr == 0 ? cr0_write_check(old, &val)
			      : cr4_write_check(old, &val, xstate_host.cr4_allowed,
						*vmcb64(vmcb, VMCB_CR3));
	if (err) {
		virt->inject_exception(v, 13, true, 0);
		return;
	}
	*vmcb64(vmcb, off) = val;
	v->cr_flush |= val != old;
	skip(vmcb, len);
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
			skip(v->arch, LEN_XSETBV);
		return true;
	default:
		return false;
	}
}
