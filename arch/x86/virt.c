#include <sealvisor/errno.h>
#include "arch/x86/cpu_features.h"
#include "hv/log.h"
#include "hv/virt.h"

extern const struct virt_ops svm_ops, vmx_ops;
const struct virt_ops *virt;

int virt_select(void)
{
	const struct cpu_features *f = &cpu_features;

	if (f->svm && f->npt)
		virt = &svm_ops;
	else if (f->vmx && f->ept)
		virt = &vmx_ops;
	else {
		log_err("virt: need SVM with NPT or VMX with EPT; this CPU (%s) has %s%s%s%s\n",
			f->vendor, f->svm ? "SVM " : "", f->npt ? "NPT " : "",
			f->vmx ? "VMX " : "", f->ept ? "EPT" : "");
		return -ENODEV;
	}
	return 0;
}
