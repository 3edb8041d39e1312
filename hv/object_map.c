/*
 * The control partition's mappings of memory objects (MEMOBJ_MAP): object
 * pages in its own stage-2 table, above its RAM, faulted in lazily and
 * zapped (then flushed) whenever the object drops pages, as the seed's
 * shared mmap. GUEST objects can never be mapped (memobj_map refuses, and
 * a mapped object cannot be GUEST-sealed).
 */
#include <sealvisor/errno.h>
#include "hv/log.h"
#include "hv/shutdown.h"
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "mm/pmm.h"

struct object_map *vm_find_map(struct vm *vm, uint64_t gpa)
{
	for (unsigned i = 0; i < SV_MAX_MAPS; i++) {
		struct object_map *m = &vm->maps[i];
		if (m->used && gpa >= m->gpa && gpa - m->gpa < m->len)
			return m;
	}
	return NULL;
}

/* Object lock held (lock order object -> stage-2). */
static void map_invalidate(struct memobj *obj, void *ctx, uint64_t start, uint64_t end)
{
	struct object_map *m = ctx;
	uint64_t lo = m->offset >> PAGE_SHIFT, hi = (m->offset + m->len) >> PAGE_SHIFT;

	(void)obj;
	if (end <= lo || start >= hi)
		return;
	uint64_t s = start > lo ? start : lo, e = end < hi ? end : hi;
	int64_t n = stage2_zap(&m->vm->s2, m->gpa + ((s - lo) << PAGE_SHIFT), (e - s) << PAGE_SHIFT);
	if (n < 0)
		panic("stage-2 zap of the control partition failed (%ld)", n);
	if (n > 0) {
		vm_shootdown(m->vm);
		stage2_free_retired(&m->vm->s2);
	}
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
	for (unsigned i = 0; i < SV_MAX_MAPS; i++) {
		struct object_map *m = &vm->maps[i];
		if (m->used && gpa < m->gpa + m->len && m->gpa < gpa + len)
			return -EEXIST;
		if (!m->used && !slot)
			slot = m;
	}
	if (!slot)
		return -ENOSPC;
	int err = memobj_map(obj, writable);
	if (err)
		return err;
	memobj_get(obj);
	*slot = (struct object_map){ .used = true, .writable = writable, .gpa = gpa, .len = len,
				     .offset = offset, .obj = obj, .vm = vm };
	slot->mapper = (struct memobj_mapper){ map_invalidate, slot, NULL };
	memobj_add_mapper(obj, &slot->mapper);
	return 0;
}

static void unmap(struct object_map *m)
{
	memobj_remove_mapper(m->obj, &m->mapper);
	if (stage2_zap(&m->vm->s2, m->gpa, m->len) > 0) {
		vm_shootdown(m->vm);
		stage2_free_retired(&m->vm->s2);
	}
	memobj_unmap(m->obj, m->writable);
	memobj_close(m->obj);
	m->used = false;
}

int vm_unmap_object(struct vm *vm, uint64_t gpa)
{
	struct object_map *m = vm_find_map(vm, gpa);

	if (!m || m->gpa != gpa)
		return -EINVAL;
	unmap(m);
	return 0;
}

void vm_unmap_all(struct vm *vm)
{
	for (unsigned i = 0; i < SV_MAX_MAPS; i++)
		if (vm->maps[i].used)
			unmap(&vm->maps[i]);
}

/* A control-partition fault inside a mapping: the object's page, mapped
 * with the mapping's rights, the object locked from lookup to install. */
int vm_map_fault(struct vm *vm, uint64_t gpa, bool write)
{
	struct object_map *m = vm_find_map(vm, gpa);
	uint64_t pa;
	unsigned order;

	if (!m)
		return -EFAULT;
	if (write && !m->writable)
		return -EACCES;
	uint64_t off = m->offset + (gpa - m->gpa);
	int err = memobj_get_page(m->obj, off >> PAGE_SHIFT, &pa, &order);
	if (err)
		return err;
	err = stage2_map(&vm->s2, gpa & PAGE_MASK, pa, S2_LEVEL_4K,
			 m->writable ? S2_READ | S2_WRITE : S2_READ);
	memobj_put_page(m->obj, pa);
	return err == -EEXIST ? 0 : err;
}
