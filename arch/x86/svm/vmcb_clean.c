/* VMCB clean-bit bookkeeping's counters (arch/x86/svm/vmcb_clean.h). */
#include "arch/x86/svm/vmcb_clean.h"

uint64_t vmcb_field_writes[HV_MAX_CPUS];

uint64_t vmcb_field_writes_total(void)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < HV_MAX_CPUS; i++)
		t += __atomic_load_n(&vmcb_field_writes[i], __ATOMIC_RELAXED);
	return t;
}
