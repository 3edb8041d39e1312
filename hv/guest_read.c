/*
 * The hypervisor reading a partition's memory where it must (the SVM
 * CR-write decoder without decode assists: the instruction bytes and the
 * guest page tables that lead to them). It reads what the vCPU sees, a
 * page its stage-2 table maps now, under the lock the stage-2 fault path
 * takes for that memory (docs/ARCHITECTURE.md, invariant 7 and the lock
 * order): every removal (punch, truncation, close, unmap, destroy) zaps
 * the translation under that lock before it frees the page, so the page
 * cannot be freed, zeroed and reused under the read. A translation
 * already gone is -EAGAIN: the guest re-executes and faults it back in.
 */
#include <sealvisor/errno.h>
#include "hv/vm.h"
#include "lib/string.h"
#include "mm/memobj.h"
#include "mm/phys.h"

void (*vm_read_race_hook)(struct vm *vm, uint64_t gpa);

static int copy_mapped(struct vm *vm, uint64_t gpa, void *out, unsigned len)
{
	uint64_t hpa;
	unsigned level;

	if (!stage2_lookup(&vm->s2, gpa, &hpa, &level))
		return -EAGAIN;
	if (vm_read_race_hook)
		vm_read_race_hook(vm, gpa);
	memcpy(out, (uint8_t *)phys_to_virt(hpa) + (gpa & ~PAGE_MASK), len);
	return 0;
}

/* Under an object's lock (lock order 4; maps_lock, 2, first for a mapping). */
static int copy_object_page(struct vm *vm, struct memobj *obj, uint64_t gpa, void *out,
			    unsigned len)
{
	memobj_lock(obj);
	int err = copy_mapped(vm, gpa, out, len);
	memobj_unlock(obj);
	return err;
}

int vm_read_gpa(struct vm *vm, uint64_t gpa, void *out, unsigned len)
{
	if (!len || (gpa & ~PAGE_MASK) + len > PAGE_SIZE)
		return -EINVAL;
	if (vm->is_control && gpa < vm->ram_size)
		return copy_mapped(vm, gpa, out, len);   /* its RAM lives as long as it does */
	if (vm->is_control) {
		int err = -EAGAIN;
		spin_lock(&vm->maps_lock);
		struct object_map *m = vm_find_map(vm, gpa);
		if (m)
			err = copy_object_page(vm, m->obj, gpa, out, len);
		spin_unlock(&vm->maps_lock);
		return err;
	}
	struct region *r = vm_find_region(vm, gpa);
	return r ? copy_object_page(vm, r->obj, gpa, out, len) : -EAGAIN;
}
