/* Reads of a partition's memory by the hypervisor: the instruction bytes
 * of a CR write (SVM without decode assists) and the PAE PDPTEs (VMX). */
#include <sealvisor/errno.h>
#include "arch/x86/guest_mem.h"
#include "hv/vm.h"
#include "mm/phys.h"

/* No object lock is held: a punch racing this read can only make the
 * guest's own instruction or table read wrongly, and whatever value
 * results still goes through the same verdict: at worst this guest gets
 * a #GP or an allowed value it did not write. */
int guest_read_gpa(void *vcpu, uint64_t gpa, void *out, unsigned len)
{
	struct vcpu *v = vcpu;
	uint64_t hpa;
	unsigned level;

	if ((gpa & ~PAGE_MASK) + len > PAGE_SIZE || !stage2_lookup(&v->vm->s2, gpa, &hpa, &level))
		return -EAGAIN;
	const uint8_t *src = (const uint8_t *)phys_to_virt(hpa) + (gpa & ~PAGE_MASK);
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)out)[i] = src[i];
	return 0;
}
