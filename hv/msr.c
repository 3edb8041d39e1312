/* The MSR allow list and the per-VM policy for everything else (hv/msr.h). */
#include <sealvisor/errno.h>
#include "hv/cr_policy.h"
#include "hv/msr.h"
#include "hv/partition.h"
#include "hv/vlapic_msr.h"

#define LEN_MSR 2   /* RDMSR 0f 32, WRMSR 0f 30 */

uint64_t msr_spec_ctrl_bits;

/* What a written value must look like; anything else is #GP, as the CPU
 * would do, and before it reaches a control block where it would make
 * the next entry fail instead. */
enum msr_check { ANY, CANONICAL, LOW32, PAT, EFER, SPEC_CTRL };

static const struct {
	uint32_t index;
	enum msr_check check;
} allow[] = {
	/* SYSCALL/SYSRET and SWAPGS state: a 64-bit kernel's own. */
	{ MSR_IA32_STAR, ANY },
	{ MSR_IA32_LSTAR, CANONICAL },
	{ MSR_IA32_CSTAR, CANONICAL },
	{ MSR_IA32_SFMASK, LOW32 },
	{ MSR_IA32_KERNEL_GS_BASE, CANONICAL },
	{ MSR_IA32_FS_BASE, CANONICAL },
	{ MSR_IA32_GS_BASE, CANONICAL },
	{ MSR_IA32_SYSENTER_CS, LOW32 },
	{ MSR_IA32_SYSENTER_ESP, CANONICAL },
	{ MSR_IA32_SYSENTER_EIP, CANONICAL },
	/* RDTSCP/RDPID's value (where the CPU has them). */
	{ MSR_IA32_TSC_AUX, LOW32 },
	/* Memory types of its own mappings, combined with stage 2's. */
	{ MSR_IA32_PAT, PAT },
	/* SCE, NXE, and LME as a mode switch allows it; SVME is hidden. */
	{ MSR_IA32_EFER, EFER },
	/* Its own speculation controls (where the host has them). */
	{ MSR_IA32_SPEC_CTRL, SPEC_CTRL },
};

static int rule(uint32_t index)
{
	for (unsigned i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		if (allow[i].index == index)
			return (int)i;
	return -1;
}

bool msr_allowed(uint32_t index)
{
	return rule(index) >= 0;
}

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

static bool pat_valid(uint64_t v)
{
	for (unsigned i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(v >> (8 * i));
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* 0 with *value as the backend must store it, or -EINVAL (#GP). */
static int check_write(struct vcpu *v, uint32_t index, enum msr_check c, uint64_t *value)
{
	uint64_t cur;

	switch (c) {
	case ANY:
		return 0;
	case CANONICAL:
		return canonical(*value) ? 0 : -EINVAL;
	case LOW32:
		return *value >> 32 ? -EINVAL : 0;
	case PAT:
		return pat_valid(*value) ? 0 : -EINVAL;
	case SPEC_CTRL:
		return *value & ~msr_spec_ctrl_bits ? -EINVAL : 0;
	case EFER:
		/* LME follows the mode-switch rules (hv/cr_policy.c). */
		if (virt->msr_get(v, index, &cur))
			return -EINVAL;
		return efer_write_check(cur & ~EFER_SVME_BIT, virt->get_cr0(v), value);
	}
	return -EINVAL;
}

static uint64_t edx_eax(const struct guest_regs *r)
{
	return (r->rdx << 32) | (uint32_t)r->rax;
}

bool msr_emulate(struct vcpu *v, bool write)
{
	struct guest_regs *r = &v->regs;
	uint32_t index = (uint32_t)r->rcx;
	int i = rule(index);
	uint64_t value;

	/* A guest's x2APIC MSRs (0x800-0x8ff), TSC_DEADLINE and APIC_BASE
	 * are its virtual APIC's (hv/vlapic_msr.c), never its VMM's. */
	if (vlapic_msr_exit(v, write))
		return true;
	if (i < 0) {
		if (!v->vm->is_control && v->vm->msr_policy == SV_MSR_POLICY_EXIT)
			return false;
		virt_inject_gp(v);
		return true;
	}
	if (write) {
		value = edx_eax(r);
		if (check_write(v, index, allow[i].check, &value) || virt->msr_set(v, index, value)) {
			virt_inject_gp(v);
			return true;
		}
	} else {
		if (virt->msr_get(v, index, &value)) {
			virt_inject_gp(v);    /* this CPU does not have it */
			return true;
		}
		if (index == MSR_IA32_EFER)
			value &= ~EFER_SVME_BIT;
		r->rax = (uint32_t)value;
		r->rdx = value >> 32;
	}
	virt->skip_instruction(v, LEN_MSR);
	return true;
}

int msr_set_policy(struct vm *vm, uint64_t policy)
{
	if (policy != SV_MSR_POLICY_GP && policy != SV_MSR_POLICY_EXIT)
		return -EINVAL;
	if (vm->finalized)
		return -EPERM;
	vm->msr_policy = (uint8_t)policy;
	return 0;
}

uint64_t msr_policy_word(const struct vm *vm)
{
	return vm->msr_policy;
}
