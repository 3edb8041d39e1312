/* VPIDs, EPTPs and INVEPT before entry (arch/x86/vmx/vmx_tlb.h). */
#include "arch/x86/vmx/vmx_tlb.h"
#include "hv/shootdown.h"
#include "hv/vm.h"

#define EPTP_WB        6
#define EPTP_4_LEVELS  (3 << 3)

void vmx_assign_vpid(struct vm *vm, bool have_vpid)
{
	vm->asid = have_vpid ? vm->id + 1 : 0;
	/* Guest-physical mappings are tagged by EPTP, one per live VM; the
	 * slot number tells a CPU which VM's leftovers it may hold. */
	vm->tlb_tag = vm->id + 1;
}

uint64_t vmx_eptp(const struct vm *vm)
{
	return vm->s2.root | EPTP_4_LEVELS | EPTP_WB;
}

void vmx_tlb_prepare(struct vcpu *v)
{
	if (vcpu_enter(v))
		vmx_invept_single(vmx_eptp(v->vm));
}
