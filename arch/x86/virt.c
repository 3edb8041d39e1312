#include <sealvisor/errno.h>
#include "arch/x86/cpu_features.h"
#include "hv/log.h"
#include "hv/virt.h"

extern const struct virt_ops svm_ops, vmx_ops;
const struct virt_ops *virt;

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

int arch_virt_select(void)
{
	const struct cpu_features *f = &cpu_features;

	if (f->svm && f->npt)
		virt = &svm_ops;
	else if (f->vmx && f->ept)
		virt = &vmx_ops;
	else {
		/* Every feature named with yes/no: a list of only the present
		 * ones read as cut off when it was short or empty. */
		log_err("virt: need SVM with NPT or VMX with EPT; this CPU (%s) has SVM: %s, "
			"NPT: %s, VMX: %s, EPT: %s\n", f->vendor, yes_no(f->svm), yes_no(f->npt),
			yes_no(f->vmx), yes_no(f->ept));
		return -ENODEV;
	}
	return 0;
}
