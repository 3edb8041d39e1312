#include "arch/x86/cpu_features.h"
#include "arch/x86/x86.h"
#include "hv/msr.h"
#include "lib/fmt.h"
#include "lib/string.h"

#define MSR_VMX_BASIC             0x480
#define MSR_VMX_PROCBASED_CTLS    0x482
#define MSR_VMX_PROCBASED_CTLS2   0x48b
#define MSR_VMX_EPT_VPID_CAP      0x48c
#define MSR_VMX_TRUE_PROCBASED    0x48e
#define VMX_BASIC_TRUE_CTLS       (1UL << 55)
#define PROC_ACTIVATE_SECONDARY   (1UL << 31)
#define PROC2_EPT                 (1UL << 1)
#define PROC2_VPID                (1UL << 5)
#define PROC2_UNRESTRICTED        (1UL << 7)
#define SPEC_IBRS  (1UL << 0)
#define SPEC_STIBP (1UL << 1)
#define SPEC_SSBD  (1UL << 2)

struct cpu_features cpu_features;

static void detect_svm(struct cpu_features *f)
{
	if (cpuid(0x80000000, 0).eax < 0x8000000a)
		return;
	f->svm = !!(cpuid(0x80000001, 0).ecx & (1u << 2));
	if (!f->svm)
		return;
	struct cpuid_regs r = cpuid(0x8000000a, 0);
	f->svm_rev = r.eax & 0xff;
	f->nr_asids = r.ebx;
	f->npt = r.edx & 1;
	f->nrips = !!(r.edx & (1u << 3));
	f->svm_disabled_by_bios = !!(rdmsr(MSR_VM_CR) & (1u << 4));
}

/* Allowed-1 settings live in the high half of each capability MSR. */
static void detect_vmx(struct cpu_features *f)
{
	f->vmx = !!(cpuid(1, 0).ecx & (1u << 5));
	if (!f->vmx)
		return;
	f->vmx_basic = rdmsr(MSR_VMX_BASIC);
	f->vmx_true_ctls = !!(f->vmx_basic & VMX_BASIC_TRUE_CTLS);
	uint64_t proc = rdmsr(f->vmx_true_ctls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED_CTLS);
	if (!((proc >> 32) & PROC_ACTIVATE_SECONDARY))
		return;
	uint64_t proc2 = rdmsr(MSR_VMX_PROCBASED_CTLS2) >> 32;
	f->ept = !!(proc2 & PROC2_EPT);
	f->vpid = !!(proc2 & PROC2_VPID);
	f->unrestricted_guest = !!(proc2 & PROC2_UNRESTRICTED);
	if (f->ept || f->vpid)
		f->ept_vpid_cap = rdmsr(MSR_VMX_EPT_VPID_CAP);
}

void cpu_features_detect(void)
{
	struct cpu_features *f = &cpu_features;
	struct cpuid_regs r = cpuid(0, 0);
	uint64_t spec = 0;

	memset(f, 0, sizeof(*f));
	memcpy(f->vendor, &r.ebx, 4);
	memcpy(f->vendor + 4, &r.edx, 4);
	memcpy(f->vendor + 8, &r.ecx, 4);
	if (cpuid(0x80000000, 0).eax >= 0x80000001) {
		uint32_t edx = cpuid(0x80000001, 0).edx;
		f->nx = !!(edx & (1u << 20));
		f->pdpe1gb = !!(edx & (1u << 26));
		f->tsc_aux = !!(edx & (1u << 27));
	}
	if (r.eax >= 7) {
		struct cpuid_regs l7 = cpuid(7, 0);
		f->tsc_aux |= !!(l7.ecx & (1u << 22));
		f->spec_ctrl = !!(l7.edx & (1u << 26));
		spec |= (l7.edx & (1u << 26) ? SPEC_IBRS : 0) | (l7.edx & (1u << 27) ? SPEC_STIBP : 0) |
			(l7.edx & (1u << 31) ? SPEC_SSBD : 0);
	}
	if (cpuid(0x80000000, 0).eax >= 0x80000008) {
		uint32_t ebx = cpuid(0x80000008, 0).ebx;
		f->spec_ctrl |= !!(ebx & (1u << 14));
		spec |= (ebx & (1u << 14) ? SPEC_IBRS : 0) | (ebx & (1u << 15) ? SPEC_STIBP : 0) |
			(ebx & (1u << 24) ? SPEC_SSBD : 0);
	}
	/* Only the bits the CPU enumerates: the host writes the guest's
	 * value (hv/msr.h), and any other bit would #GP. */
	msr_spec_ctrl_bits = f->spec_ctrl ? spec : 0;
	detect_svm(f);
	detect_vmx(f);
	r = cpuid(0x40000000, 0);
	f->qemu_tcg = !memcmp(&r.ebx, "TCGT", 4) && !memcmp(&r.ecx, "CGTC", 4) && !memcmp(&r.edx, "GTCG", 4);
}

void cpu_features_describe(char *buf, unsigned long len)
{
	const struct cpu_features *f = &cpu_features;
	uint64_t cap = f->ept_vpid_cap;

	if (f->svm)
		sv_snprintf(buf, len, "SVM rev %u%s, %s, %u ASIDs%s%s", f->svm_rev,
			    f->svm_disabled_by_bios ? " (disabled by firmware)" : "",
			    f->npt ? "NPT" : "no NPT", f->nr_asids,
			    f->nrips ? ", nRIP" : "", f->qemu_tcg ? " (QEMU TCG)" : "");
	else if (f->vmx)
		sv_snprintf(buf, len, "VMX%s, %s%s%s%s%s, %s%s", f->vmx_true_ctls ? " (true controls)" : "",
			    f->ept ? "EPT" : "no EPT",
			    f->ept && (cap & (1UL << 6)) ? " 4-level" : "",
			    f->ept && (cap & (1UL << 14)) ? " WB" : "",
			    f->ept && (cap & (1UL << 16)) ? " 2M" : "",
			    f->ept && (cap & (1UL << 17)) ? " 1G" : "",
			    f->vpid ? "VPID" : "no VPID",
			    f->unrestricted_guest ? ", unrestricted guest" : "");
	else
		sv_snprintf(buf, len, "none (no SVM, no VMX)");
}
