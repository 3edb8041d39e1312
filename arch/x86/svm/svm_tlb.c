/* SVM ASIDs and TLB_CONTROL (arch/x86/svm/svm_tlb.h). */
#include "arch/x86/svm/svm_tlb.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/svm/vmcb_clean.h"
#include "hv/shootdown.h"
#include "hv/vm.h"

void svm_assign_asid(struct vm *vm, unsigned nr_asids)
{
	vm->asid = vm->id + 1 < nr_asids ? vm->id + 1 : 1;
	/* The tag is the ASID: VMs sharing ASID 1 share TLB entries, so
	 * vcpu_enter flushes whenever it changes hands on a CPU. */
	vm->tlb_tag = vm->asid;
}

void svm_tlb_prepare(struct vcpu *v, void *vmcb, bool flush_by_asid)
{
	if (*vmcb32(vmcb, VMCB_ASID) != v->vm->asid) {
		*vmcb32(vmcb, VMCB_ASID) = v->vm->asid;
		v->arch_dirty |= 1u << VMCB_CLEAN_ASID;   /* TLB_CONTROL is never cached */
	}
	if (vcpu_enter(v))
		*vmcb8(vmcb, VMCB_TLB_CONTROL) = flush_by_asid ? TLB_CONTROL_FLUSH_ASID
							       : TLB_CONTROL_FLUSH_ALL;
	else
		*vmcb8(vmcb, VMCB_TLB_CONTROL) = TLB_CONTROL_NONE;
}
