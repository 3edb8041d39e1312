/* SVM: guest MSRs kept in the VMCB (arch/x86/svm/svm_msr.h). */
#include <sealvisor/errno.h>
#include "arch/x86/svm/svm_msr.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/svm/vmcb_clean.h"
#include "hv/msr.h"

/* The VMCB offset of the guest's copy, or 0. */
static unsigned vmcb_offset(uint32_t index)
{
	switch (index) {
	case MSR_IA32_FS_BASE: return VMCB_FS + 8;
	case MSR_IA32_GS_BASE: return VMCB_GS + 8;
	case MSR_IA32_KERNEL_GS_BASE: return VMCB_KERNEL_GS_BASE;
	case MSR_IA32_STAR: return VMCB_STAR;
	case MSR_IA32_LSTAR: return VMCB_LSTAR;
	case MSR_IA32_CSTAR: return VMCB_CSTAR;
	case MSR_IA32_SFMASK: return VMCB_SFMASK;
	case MSR_IA32_SYSENTER_CS: return VMCB_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP: return VMCB_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP: return VMCB_SYSENTER_EIP;
	case MSR_IA32_PAT: return VMCB_GPAT;
	}
	return 0;
}

int svm_vmcb_msr_get(struct vcpu *v, uint32_t index, uint64_t *value)
{
	unsigned off = vmcb_offset(index);

	if (!off)
		return -ENOENT;
	*value = *vmcb64(v->arch, off);
	return 0;
}

int svm_vmcb_msr_set(struct vcpu *v, uint32_t index, uint64_t value)
{
	unsigned off = vmcb_offset(index);

	if (!off)
		return -ENOENT;
	vmcb_put64(v, off, value);   /* G_PAT is cached (NP group): invariant 35 */
	return 0;
}
