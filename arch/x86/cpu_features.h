#ifndef ARCH_X86_CPU_FEATURES_H
#define ARCH_X86_CPU_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_features {
	char vendor[13];
	bool nx, pdpe1gb;
	/* MSRs partitions may have (hv/msr.c): TSC_AUX with RDTSCP or RDPID,
	 * SPEC_CTRL with IBRS (Intel CPUID 7 EDX 26, AMD 0x80000008 EBX 14). */
	bool tsc_aux, spec_ctrl;
	/* AMD SVM (CPUID 0x8000000A) */
	bool svm, npt, nrips, svm_disabled_by_bios;
	/* QEMU's TCG (CPUID 0x40000000 "TCGTCGTCGTCG"): arch/x86/svm/svm.c
	 * works around one of its SVM bugs. */
	bool qemu_tcg;
	uint32_t svm_rev, nr_asids;
	/* Intel VMX (capability MSRs) */
	bool vmx, vmx_true_ctls, ept, vpid, unrestricted_guest;
	uint64_t vmx_basic, ept_vpid_cap;
};

extern struct cpu_features cpu_features;

void cpu_features_detect(void);
/* One line naming what was found, e.g. "SVM rev 1, NPT, 16 ASIDs, nRIP". */
void cpu_features_describe(char *buf, unsigned long len);

#endif
