/* Reads of a partition's memory by the hypervisor: the instruction bytes
 * of a CR write (SVM without decode assists) and the PAE PDPTEs (VMX). */
#include <sealvisor/errno.h>
#include "arch/x86/guest_mem.h"
#include "hv/vm.h"

/* Under the object lock the stage-2 fault path takes (vm_read_gpa,
 * hv/guest_read.c): a concurrent punch, truncation, close or unmap
 * cannot free the page in the middle of the read. A read that would
 * cross a page, or of a page not mapped now, is -EAGAIN: the guest
 * re-executes (and faults the page in). */
int guest_read_gpa(void *vcpu, uint64_t gpa, void *out, unsigned len)
{
	struct vcpu *v = vcpu;

	return vm_read_gpa(v->vm, gpa, out, len) ? -EAGAIN : 0;
}
