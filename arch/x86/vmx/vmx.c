/* Intel VMX backend. */
#include <sealvisor/errno.h>
#include "arch/x86/cpu_features.h"
#include "arch/x86/x86.h"
#include "hv/log.h"
#include "hv/virt.h"
#include "hv/string.h"
#include "mm/pmm.h"

#define FC_LOCKED              (1UL << 0)
#define FC_VMXON_OUTSIDE_SMX   (1UL << 2)
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489

/* Firmware may leave IA32_FEATURE_CONTROL unlocked (Bochs does): lock it
 * with VMXON allowed; if it is locked without that bit, VMX is off for good. */
static int vmx_feature_control(void)
{
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);

	if (!(fc & FC_LOCKED)) {
		wrmsr(MSR_FEATURE_CONTROL, fc | FC_LOCKED | FC_VMXON_OUTSIDE_SMX);
		return 0;
	}
	if (!(fc & FC_VMXON_OUTSIDE_SMX)) {
		log_err("vmx: disabled by firmware (IA32_FEATURE_CONTROL 0x%lx)\n", fc);
		return -EACCES;
	}
	return 0;
}

static int vmx_hardware_enable(void)
{
	int err = vmx_feature_control();
	if (err)
		return err;
	uint64_t region = pmm_alloc(0, OWNER_HV, 0);
	if (!region)
		return -ENOMEM;
	*(uint32_t *)phys_to_virt(region) = cpu_features.vmx_basic & 0x7fffffff;

	uint64_t cr0 = (read_cr0() | rdmsr(MSR_VMX_CR0_FIXED0)) & rdmsr(MSR_VMX_CR0_FIXED1);
	uint64_t cr4 = (read_cr4() | CR4_VMXE | rdmsr(MSR_VMX_CR4_FIXED0)) &
		       rdmsr(MSR_VMX_CR4_FIXED1);
	write_cr0(cr0);
	write_cr4(cr4);

	uint8_t fail;
	__asm__ volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(region) : "cc", "memory");
	if (fail) {
		log_err("vmx: VMXON failed (region 0x%lx, cr0 0x%lx, cr4 0x%lx)\n",
			region, cr0, cr4);
		return -EIO;
	}
	log_debug("vmx: VMXON done, region at 0x%lx\n", region);
	return 0;
}

const struct virt_ops vmx_ops = {
	.name = "VMX",
	.hardware_enable = vmx_hardware_enable,
};
