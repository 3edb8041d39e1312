/* Reading the guest's current instruction (hv/guest_fetch.h). */
#include <sealvisor/errno.h>
#include "hv/guest_fetch.h"
#include "hv/memattr_vm.h"
#include "hv/cr_policy.h"
#include "hv/vm.h"
#include "hv/partition.h"
#include "mm/phys.h"
#include "lib/string.h"

/* What the guest's own access would reach: with memory attributes, the
 * shared object for a shared page, nothing for a page it has not
 * accepted (attr_lock from the decision to the copy). */
int guest_read_gpa(struct vm *vm, uint64_t gpa, void *out, unsigned len)
{
	struct region *r = vm_find_region(vm, gpa);
	struct memobj *obj;
	uint64_t pa, off;
	unsigned order;

	if (!r || (gpa & ~PAGE_MASK) + len > PAGE_SIZE || gpa + len > r->gpa + r->size)
		return -EFAULT;
	spin_lock(&vm->attr_lock);
	obj = r->obj;
	off = r->offset + (gpa - r->gpa);
	int err = r->attr ? memattr_get_backing_page(r, gpa, &obj, &off, &pa)
			  : memobj_get_page(obj, off >> PAGE_SHIFT, &pa, &order);
	if (!err) {
		memcpy(out, (const uint8_t *)phys_to_virt(pa) + (off & ~PAGE_MASK), len);
		memobj_put_page(obj, pa);
	}
	spin_unlock(&vm->attr_lock);
	return err;
}

int guest_read_vcpu_gpa(void *vcpu, uint64_t gpa, void *out, unsigned len)
{
	return guest_read_gpa(((struct vcpu *)vcpu)->vm, gpa, out, len);
}

/* The guest may be in any mode it switched to (hv/cr_policy.h): CS.L
 * makes 64-bit code only with EFER.LMA (elsewhere the CPU ignores it),
 * the linear address is CS.base + EIP outside 64-bit code, and the walk
 * follows the paging mode, as the SVM CR intercept's fetch does. */
int guest_fetch_insn(struct vcpu *v, const struct guest_code *c, uint8_t *buf, unsigned n,
		     enum insn_mode *mode, unsigned *got)
{
	enum paging_mode m = paging_mode(c->cr0, c->cr4, c->efer);
	bool long64 = (c->efer & EFER_LMA_BIT) && c->cs_l;
	uint64_t gpa;

	if (long64)
		*mode = INSN_MODE_64;
	else if (c->cs_d)
		*mode = INSN_MODE_32;
	else
		return -EOPNOTSUPP;
	/* A page at a time: one walk, one locked read each. */
	for (*got = 0; *got < n;) {
		uint64_t va = long64 ? c->rip + *got : (uint32_t)(c->cs_base + c->rip + *got);
		unsigned chunk = (unsigned)(PAGE_SIZE - (va & ~PAGE_MASK));
		if (chunk > n - *got)
			chunk = n - *got;
		if (guest_walk(m, c->cr3, c->cr4 & CR4_PSE, va, guest_read_vcpu_gpa, v, &gpa))
			break;
		if (guest_read_gpa(v->vm, gpa, &buf[*got], chunk))
			break;
		*got += chunk;
	}
	return 0;
}
