/* Guest NMIs on VMX (arch/x86/vmx/vmx_nmi.h): the virt ops and the
 * blocking fix-up after an exit in the middle of an IRET. The CPU keeps
 * the guest's NMI blocking (virtual NMIs); vmx.c's decode_exit and
 * requeue_event call in here or keep it right. */
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_nmi.h"
#include "hv/partition.h"

struct vmx_nmi_caps vmx_nmi_caps;

/* A fault (an exception exit, an EPT violation) in the middle of an IRET
 * that ended an NMI handler: the CPU saved the guest as unblocked, but the
 * IRET will run again, so it is still in its handler (SDM 27.2.3; KVM's
 * vmx_recover_nmi_blocking). Undefined when an event was being delivered
 * or for a double fault. */
void vmx_nmi_recover_blocking(uint64_t reason, uint64_t q)
{
	uint32_t info = (uint32_t)vmread(EXIT_INTR_INFO);
	bool unblocked = (reason & 0xffff) == EXIT_EPT_VIOLATION ? q & INTR_INFO_UNBLOCK_NMI
			 : (info & INTR_INFO_VALID) && (info & INTR_INFO_UNBLOCK_NMI) &&
			   (uint8_t)info != 8;

	if (vmx_nmi_caps.vnmi && unblocked && !(vmread(IDT_VECTORING_INFO) & INTR_INFO_VALID))
		vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) | BLOCKED_BY_NMI);
}

/*
 * Guest NMIs: virtual NMIs, so the CPU tracks the guest's NMI blocking in
 * its interruptibility state (set by the injected NMI's delivery, cleared
 * by its IRET; vmx_nmi_recover_blocking and vmx.c's requeue_event keep it right
 * across exits in the middle of either). The STI/MOV SS shadow blocks
 * NMIs too: VM entry may refuse an NMI injected under blocking by STI
 * (SDM 26.3.1.5), and KVM treats both as blocking.
 */
bool vmx_nmi_blocked(struct vcpu *v)
{
	vmx_load(v);
	uint32_t slot = (uint32_t)vmread(ENTRY_INTR_INFO);
	return (vmread(GUEST_INTERRUPTIBILITY) & BLOCKED_BY_NMI) ||
	       ((slot & INTR_INFO_VALID) && INTR_INFO_TYPE(slot) == INTR_TYPE_NMI);
}

bool vmx_nmi_allowed(struct vcpu *v)
{
	vmx_load(v);
	return vmx_nmi_caps.vnmi &&
	       !(vmread(GUEST_INTERRUPTIBILITY) & (BLOCKED_BY_NMI | BLOCKED_BY_STI_MOVSS)) &&
	       !(vmread(ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

void vmx_inject_nmi(struct vcpu *v)
{
	vmx_load(v);
	vmwrite(ENTRY_INTR_INFO, X86_NMI_VECTOR | INTR_TYPE_NMI << 8 | INTR_INFO_VALID);
}

/* NMI-window exiting (it needs virtual NMIs): an exit before the first
 * instruction at which the guest is not NMI-blocked, after its handler's
 * IRET or any injected event. */
void vmx_request_nmi_window(struct vcpu *v)
{
	vmx_load(v);
	if (vmx_nmi_caps.window)
		vmwrite(PROC_CONTROLS, vmread(PROC_CONTROLS) | PROC_NMI_WINDOW);
}
