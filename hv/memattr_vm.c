/* Private and shared memory of a guest VM (hv/memattr_vm.h). */
#include <sealvisor/errno.h>
#include "hv/invalidate.h"
#include "hv/memattr_vm.h"
#include "hv/partition.h"
#include "mm/pmm.h"

#define SIZE_2M (2UL << 20)

/* vm_find_region's lookup, here so that hv/vm.c (which calls into this
 * file) is not included back. */
static struct region *region_at(struct vm *vm, uint64_t gpa)
{
	for (unsigned i = 0; i < vm->nr_regions; i++) {
		struct region *r = &vm->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

/* The region holding all of [gpa, +len) (page-aligned, non-empty), or NULL. */
static struct region *range_region(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if ((gpa | len) & ~PAGE_MASK || !len)
		return NULL;
	struct region *r = region_at(vm, gpa);
	return r && len <= r->size - (gpa - r->gpa) ? r : NULL;
}

static uint64_t page_of(const struct region *r, uint64_t gpa)
{
	return (gpa - r->gpa) >> PAGE_SHIFT;
}

/* attr_lock held. Attributes need a private backing the VMM cannot read:
 * a GUEST-sealed region. Published for faults that hold attr_lock. It
 * allocates only before VM_FINALIZE (calls 50 and 51): from finalize on
 * every GUEST region has its bitmaps (memattr_launch_alloc), so a guest's
 * call or a fault never allocates them. */
int memattr_region_enable(struct vm *vm, struct region *r)
{
	struct memattr *a;

	if (r->attr)
		return 0;
	if (!(memobj_get_seals(r->obj) & MEMOBJ_SEAL_GUEST))
		return -EPERM;
	int err = memattr_create(r->size >> PAGE_SHIFT, &a);
	if (err)
		return err;
	a->vm = vm;
	a->gpa = r->gpa;
	r->attr = a;
	return 0;
}

/*
 * VM_FINALIZE, before the digest is final: bitmaps for every GUEST-sealed
 * region that has none, all allocated before any is installed, so a
 * shortage (-ENOMEM) or a region too large (-E2BIG) changes nothing.
 * Nothing runs in the VM yet and regions are fixed from here on: after
 * memattr_launch_install no fault path, guest call or VMM call ever
 * allocates attributes for a GUEST region.
 */
int memattr_launch_alloc(struct vm *vm, struct memattr *fresh[SV_MAX_REGIONS])
{
	for (unsigned i = 0; i < vm->nr_regions; i++) {
		struct region *r = &vm->regions[i];
		fresh[i] = NULL;
		if (r->attr || !(memobj_get_seals(r->obj) & MEMOBJ_SEAL_GUEST))
			continue;
		int err = memattr_create(r->size >> PAGE_SHIFT, &fresh[i]);
		if (err) {
			while (i--)
				memattr_free(fresh[i]);
			return err;
		}
		fresh[i]->vm = vm;
		fresh[i]->gpa = r->gpa;
	}
	return 0;
}

/* After the digest: the regions get their launch attributes (every page
 * private and accepted: what record 2, which names the GUEST seal, and
 * the populate records measured). No record 9 for them: it would say
 * "no shared pages", which the GUEST seal already does. */
void memattr_launch_install(struct vm *vm, struct memattr *fresh[SV_MAX_REGIONS])
{
	spin_lock(&vm->attr_lock);
	for (unsigned i = 0; i < vm->nr_regions; i++)
		if (fresh[i])
			vm->regions[i].attr = fresh[i];
	spin_unlock(&vm->attr_lock);
}

static void zap(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct vm_invalidation inv;

	vm_invalidate_begin(&inv, vm);
	vm_invalidate_range(&inv, gpa, len);
	vm_invalidate_end(&inv);
}

/*
 * After finalize, private -> shared punches the private pages first (their
 * contents must not come back), and every page that changes loses the
 * guest's acceptance. Before, nothing is punched (a punch of a GUEST
 * object is refused then, and record 9 tells the verifier which pages
 * are shared) and the launch state is what the guest accepts.
 */
int vm_set_memory_attributes(struct vm *vm, uint64_t gpa, uint64_t len, uint64_t attrs)
{
	struct region *r = range_region(vm, gpa, len);
	bool shared = attrs == SV_MEMATTR_SHARED;

	if (!r || attrs > SV_MEMATTR_SHARED)
		return -EINVAL;
	spin_lock(&vm->attr_lock);
	int err = memattr_region_enable(vm, r);
	if (!err && shared && vm->finalized)
		err = memobj_fallocate(r->obj, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
				       r->offset + (gpa - r->gpa), len);
	if (!err) {
		/* Zap before the bits change: the audit never sees a leaf
		 * that disagrees with them. */
		zap(vm, gpa, len);
		for (uint64_t pg = page_of(r, gpa), n = 0; n < len >> PAGE_SHIFT; n++, pg++) {
			if (memattr_is_shared(r->attr, pg) == shared)
				continue;
			memattr_set_shared(r->attr, pg, shared);
			if (vm->finalized)
				memattr_set_accepted(r->attr, pg, false);
		}
	}
	spin_unlock(&vm->attr_lock);
	return err;
}

/* Shared-object lock held: the pages it drops leave the VM. */
static void shared_invalidate(struct memobj *obj, void *ctx, uint64_t start, uint64_t end)
{
	struct memattr *a = ctx;
	uint64_t lo = a->shared_offset >> PAGE_SHIFT, hi = lo + a->npages;

	(void)obj;
	if (end <= lo || start >= hi)
		return;
	uint64_t s = start > lo ? start : lo, e = end < hi ? end : hi;
	zap(a->vm, a->gpa + ((s - lo) << PAGE_SHIFT), (e - s) << PAGE_SHIFT);
}

int vm_set_shared_memory(struct vm *vm, uint64_t gpa, struct memobj *obj, uint64_t offset)
{
	struct region *r = region_at(vm, gpa);

	if (!r || r->gpa != gpa || offset & ~PAGE_MASK || offset > MEMOBJ_MAX_SIZE ||
	    r->size > MEMOBJ_MAX_SIZE - offset)
		return -EINVAL;
	if (memobj_get_seals(obj) & MEMOBJ_SEAL_GUEST)
		return -EPERM;   /* private memory is never anybody's shared memory */
	spin_lock(&vm->attr_lock);
	int err = memattr_region_enable(vm, r);
	if (!err && r->attr->shared_obj)
		err = -EEXIST;
	if (!err)
		err = memobj_map(obj, 1);   /* -EPERM: GUEST (or write-sealed) */
	if (!err) {
		struct memattr *a = r->attr;
		memobj_get(obj);
		a->shared_offset = offset;
		a->mapper = (struct memobj_mapper){ shared_invalidate, a, NULL };
		memobj_add_mapper(obj, &a->mapper);
		a->shared_obj = obj;
	}
	spin_unlock(&vm->attr_lock);
	return err;
}

struct memobj *memattr_backing(struct region *r, uint64_t gpa, uint64_t *off)
{
	struct memattr *a = r->attr;

	switch (memattr_decide(a, page_of(r, gpa))) {
	case MEMATTR_MAP_PRIVATE:
		*off = r->offset + (gpa - r->gpa);
		return r->obj;
	case MEMATTR_MAP_SHARED:
		*off = a->shared_offset + (gpa - r->gpa);
		return a->shared_obj;
	default:
		return NULL;
	}
}

/* A private page's leaf: 2 MiB when the object holds an extent there,
 * the region covers the whole aligned block and every page of it is
 * private and accepted (any change to one of them zaps the block first:
 * a zap drops a partly covered 2 MiB leaf whole). */
static int map_private(struct vm *vm, struct region *r, uint64_t gpa, uint64_t pa, unsigned order)
{
	uint64_t base = gpa & ~(SIZE_2M - 1), off = r->offset + (base - r->gpa);
	int err = -EEXIST;

	if (order == ORDER_2M && base >= r->gpa && base + SIZE_2M <= r->gpa + r->size &&
	    !(off & (SIZE_2M - 1)) &&
	    memattr_private_accepted(r->attr, page_of(r, base), SIZE_2M >> PAGE_SHIFT))
		err = stage2_map(&vm->s2, base, pa & ~(SIZE_2M - 1), S2_LEVEL_2M, S2_RWX);
	if (err == -EEXIST)
		err = stage2_map(&vm->s2, gpa & PAGE_MASK, pa, S2_LEVEL_4K, S2_RWX);
	return err;
}

void (*memattr_fault_race_hook)(struct vm *vm, uint64_t gpa);

int memattr_get_backing_page(struct region *r, uint64_t gpa, struct memobj **obj,
			     uint64_t *off, uint64_t *pa)
{
	unsigned order;

	*obj = memattr_backing(r, gpa, off);
	if (!*obj)
		return -EFAULT;
	if (memattr_fault_race_hook)
		memattr_fault_race_hook(r->attr->vm, gpa);
	int err = memobj_get_page(*obj, *off >> PAGE_SHIFT, pa, &order);
	/* As in memattr_fault: a punch since the decision took the page. */
	if (!err && *obj == r->obj && !memattr_is_accepted(r->attr, page_of(r, gpa))) {
		memobj_put_page(*obj, *pa);
		err = -EFAULT;
	}
	return err;
}

int memattr_fault(struct vm *vm, struct region *r, uint64_t gpa)
{
	struct memattr *a = r->attr;
	uint64_t pa, off = gpa - r->gpa;
	struct memobj *obj = r->obj;
	unsigned order;

	switch (memattr_decide(a, page_of(r, gpa))) {
	case MEMATTR_VE:
		return VM_FAULT_VE;
	case MEMATTR_EXIT:
		return VM_FAULT_EXIT;
	case MEMATTR_MAP_SHARED:
		obj = a->shared_obj;
		off += a->shared_offset;
		break;
	case MEMATTR_MAP_PRIVATE:
		off += r->offset;
		break;
	}
	if (memattr_fault_race_hook)
		memattr_fault_race_hook(vm, gpa);
	int err = memobj_get_page(obj, off >> PAGE_SHIFT, &pa, &order);
	if (err)   /* past the object's end: the backing is missing there */
		return obj == r->obj ? err : VM_FAULT_EXIT;
	if (vm_fault_race_hook)
		vm_fault_race_hook(vm, gpa);
	if (obj == r->obj) {
		/* Again under the object lock: a punch that ran between the
		 * decision and memobj_get_page cleared the bit in its owner
		 * callback, and the page we hold is a fresh one. */
		if (!memattr_is_accepted(a, page_of(r, gpa)))
			err = VM_FAULT_VE;
		else
			err = map_private(vm, r, gpa, pa, order);
	} else {
		/* 4 KiB leaves only for shared pages: a conversion must never
		 * leave a 2 MiB leaf that spans both kinds of page. */
		err = stage2_map(&vm->s2, gpa & PAGE_MASK, pa, S2_LEVEL_4K, S2_RWX);
	}
	memobj_put_page(obj, pa);
	return err == -EEXIST ? 0 : err;
}

void memattr_raise_ve(struct vcpu *v, uint64_t gpa)
{
	v->ve_gpa = gpa;
	v->ve_pending = true;
	virt->inject_exception(v, SV_VE_VECTOR, false, 0);
}

void memattr_exit_fault(struct vcpu *v, uint64_t gpa, struct sv_run *run)
{
	struct region *r = region_at(v->vm, gpa);

	run->exit_reason = SV_EXIT_MEMORY_FAULT;
	run->memory.gpa = gpa & PAGE_MASK;
	run->memory.size = PAGE_SIZE;
	run->memory.attributes = r && r->attr && memattr_is_shared(r->attr, page_of(r, gpa)) ?
				 SV_MEMATTR_SHARED : SV_MEMATTR_PRIVATE;
	run->memory.pad = 0;
	run->memory.ret = 0;
}

void memattr_private_removed(struct vm *vm, struct region *r, uint64_t gpa, uint64_t len)
{
	/* Before finalize only populate's pages are there, and they cannot
	 * be removed (vm_may_remove): nothing to withdraw. */
	if (!r->attr || !vm->finalized)
		return;
	memattr_withdraw_private(r->attr, page_of(r, gpa), len >> PAGE_SHIFT);
}

void memattr_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_regions; i++) {
		struct memattr *a = vm->regions[i].attr;
		if (!a)
			continue;
		if (a->shared_obj) {
			memobj_remove_mapper(a->shared_obj, &a->mapper);
			memobj_unmap(a->shared_obj, 1);
			memobj_close(a->shared_obj);
		}
		memattr_free(a);
		vm->regions[i].attr = NULL;
	}
}
