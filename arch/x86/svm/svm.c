/* AMD SVM backend. */
#include <sealvisor/errno.h>
#include "arch/x86/cpu_features.h"
#include "arch/x86/x86.h"
#include "hv/log.h"
#include "hv/virt.h"
#include "hv/string.h"
#include "mm/pmm.h"

/* EFER.SVME, then the host save area VMRUN uses for host state. */
static int svm_hardware_enable(void)
{
	if (cpu_features.svm_disabled_by_bios) {
		log_err("svm: disabled by firmware (VM_CR.SVMDIS set)\n");
		return -EACCES;
	}
	uint64_t hsave = pmm_alloc(0, OWNER_HV, 0);
	if (!hsave)
		return -ENOMEM;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	log_debug("svm: enabled, host save area at 0x%lx\n", hsave);
	return 0;
}

const struct virt_ops svm_ops = {
	.name = "SVM",
	.hardware_enable = svm_hardware_enable,
};
