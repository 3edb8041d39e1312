/*
 * The control partition's mappings of memory objects (MEMOBJ_MAP): object
 * pages in its own stage-2 table, above its RAM, faulted in lazily and
 * zapped (then flushed) whenever the object drops pages, as the seed's
 * shared mmap. GUEST objects can never be mapped (memobj_map refuses, and
 * a mapped object cannot be GUEST-sealed).
 */
#include <sealvisor/errno.h>
#include "hv/invalidate.h"
#include "hv/vm.h"
#include "mm/pmm.h"

/* maps_lock held (or hv_lock with no fault possible: the audit). */
struct object_map *vm_find_map(struct vm *vm, uint64_t gpa)
{
	for (unsigned i = 0; i < SV_MAX_MAPS; i++) {
		struct object_map *m = &vm->maps[i];
		if (m->used && gpa >= m->gpa && gpa - m->gpa < m->len)
			return m;
	}
	return NULL;
}

/* Object lock held (lock order object -> stage-2). The fields read here
 * do not change while the mapper is on the object's list. */
static void map_invalidate(struct memobj *obj, void *ctx, uint64_t start, uint64_t end)
{
	struct object_map *m = ctx;
	uint64_t lo = m->offset >> PAGE_SHIFT, hi = (m->offset + m->len) >> PAGE_SHIFT;
	struct vm_invalidation inv;

	(void)obj;
	if (end <= lo || start >= hi)
		return;
	uint64_t s = start > lo ? start : lo, e = end < hi ? end : hi;
	vm_invalidate_begin(&inv, m->vm);
	vm_invalidate_range(&inv, m->gpa + ((s - lo) << PAGE_SHIFT), (e - s) << PAGE_SHIFT);
	vm_invalidate_end(&inv);
}

int vm_map_object(struct vm *vm, struct memobj *obj, uint64_t offset, uint64_t gpa,
		  uint64_t len, bool writable)
{
	struct object_map *slot = NULL;

	if (!vm->is_control)
		return -EPERM;
	if ((offset | gpa | len) & ~PAGE_MASK || !len || gpa < vm->ram_size ||
	    gpa >= SV_MAP_GPA_LIMIT || len > SV_MAP_GPA_LIMIT - gpa ||
	    offset > memobj_get_size(obj) || len > memobj_get_size(obj) - offset)
		return -EINVAL;
	spin_lock(&vm->maps_lock);
	int err = 0;
	for (unsigned i = 0; i < SV_MAX_MAPS && !err; i++) {
		struct object_map *m = &vm->maps[i];
		if (m->used && gpa < m->gpa + m->len && m->gpa < gpa + len)
			err = -EEXIST;
		if (!m->used && !slot)
			slot = m;
	}
	if (!err && !slot)
		err = -ENOSPC;
	if (!err)
		err = memobj_map(obj, writable);
	if (!err) {
		memobj_get(obj);
		*slot = (struct object_map){ .writable = writable, .gpa = gpa, .len = len,
					     .offset = offset, .obj = obj, .vm = vm };
		slot->mapper = (struct memobj_mapper){ map_invalidate, slot, NULL };
		memobj_add_mapper(obj, &slot->mapper);
		slot->used = true;    /* complete before a fault can find it */
	}
	spin_unlock(&vm->maps_lock);
	return err;
}

/* maps_lock held: no fault can install into the range after the zap, and
 * the object (a reference of the mapping's) outlives every fault. */
static void unmap(struct object_map *m)
{
	struct vm_invalidation inv;

	memobj_remove_mapper(m->obj, &m->mapper);
	vm_invalidate_begin(&inv, m->vm);
	vm_invalidate_range(&inv, m->gpa, m->len);
	vm_invalidate_end(&inv);
	memobj_unmap(m->obj, m->writable);
	memobj_close(m->obj);
	m->used = false;
}

int vm_unmap_object(struct vm *vm, uint64_t gpa)
{
	spin_lock(&vm->maps_lock);
	struct object_map *m = vm_find_map(vm, gpa);
	int err = !m || m->gpa != gpa ? -EINVAL : 0;
	if (!err)
		unmap(m);
	spin_unlock(&vm->maps_lock);
	return err;
}

void vm_unmap_all(struct vm *vm)
{
	spin_lock(&vm->maps_lock);
	for (unsigned i = 0; i < SV_MAX_MAPS; i++)
		if (vm->maps[i].used)
			unmap(&vm->maps[i]);
	spin_unlock(&vm->maps_lock);
}

void (*vm_map_fault_race_hook)(struct vm *vm, uint64_t gpa);

/* A control-partition fault inside a mapping: the object's page, mapped
 * with the mapping's rights. The fault runs on a control vCPU without
 * hv_lock, while another may unmap: maps_lock is held from the slot lookup
 * to the install, and the object lock from page lookup to install. */
int vm_map_fault(struct vm *vm, uint64_t gpa, bool write)
{
	uint64_t pa;
	unsigned order;
	int err = 0;

	spin_lock(&vm->maps_lock);
	struct object_map *m = vm_find_map(vm, gpa);
	if (!m)
		err = -EFAULT;
	else if (write && !m->writable)
		err = -EACCES;
	if (!err) {
		if (vm_map_fault_race_hook)
			vm_map_fault_race_hook(vm, gpa);
		uint64_t off = m->offset + (gpa - m->gpa);
		err = memobj_get_page(m->obj, off >> PAGE_SHIFT, &pa, &order);
	}
	if (!err) {
		err = stage2_map(&vm->s2, gpa & PAGE_MASK, pa, S2_LEVEL_4K,
				 m->writable ? S2_READ | S2_WRITE : S2_READ);
		memobj_put_page(m->obj, pa);
	}
	spin_unlock(&vm->maps_lock);
	return err == -EEXIST ? 0 : err;
}
