/*
 * The ownership audit (test builds: debug.audit = on): after every
 * hypercall, every stage-2 leaf of every VM is checked against the page
 * metadata. docs/ARCHITECTURE.md, invariant 1: each mapped page has one recorded owner;
 * invariant 2: the control partition maps only its own RAM and pages of
 * the (never GUEST) objects it mapped, at a gpa inside that mapping, and a
 * guest maps only pages of the memory objects bound to it, at a gpa inside
 * the region of that object; in a region with memory attributes
 * (hv/memattr.h), a private page only from the region's GUEST object and
 * a shared one only from its shared backing, and only pages the guest
 * has accepted in their current attribute.
 */
#include <sealvisor/errno.h>
#include "hv/log.h"
#include "hv/vm.h"
#include "mm/pmm.h"

struct audit {
	struct vm *vm;
	uint64_t leaves;
};

static int bad(struct vm *vm, uint64_t gpa, uint64_t hpa, const char *why)
{
	struct page_meta *m = pmm_meta(hpa);

	log_err("audit: VM %u (%s) maps gpa 0x%lx -> hpa 0x%lx: %s (page owner type %d, owner %lu)\n",
		vm->id, vm->name, gpa, hpa, why, m ? m->owner_type : -1, m ? m->owner : 0);
	return -EINVAL;
}

static int check_attr_page(struct vm *vm, struct region *r, uint64_t gpa, uint64_t hpa,
			   const struct page_meta *m)
{
	uint64_t pg = (gpa - r->gpa) >> PAGE_SHIFT;
	bool shared = memattr_is_shared(r->attr, pg);
	struct memobj *want = shared ? r->attr->shared_obj : r->obj;

	if (!memattr_is_accepted(r->attr, pg))
		return bad(vm, gpa, hpa, "a page the guest has not accepted is mapped");
	if (!want || m->owner_type != OWNER_MEMOBJ || m->owner != memobj_id(want))
		return bad(vm, gpa, hpa, shared ? "shared page not from the shared backing"
			   : "private page not from the region's GUEST object");
	if (shared && (memobj_peek_seals(want) & MEMOBJ_SEAL_GUEST))
		return bad(vm, gpa, hpa, "a GUEST object's page as shared memory");
	return 0;
}

static int check_page(struct vm *vm, uint64_t gpa, uint64_t hpa)
{
	struct page_meta *m = pmm_meta(hpa);

	if (!m || m->state != PAGE_USED)
		return bad(vm, gpa, hpa, "page is not allocated");
	if (vm->is_control && gpa < vm->ram_size) {
		if (hpa < vm->ram_hpa || hpa - vm->ram_hpa >= vm->ram_size ||
		    m->owner_type != OWNER_PARTITION || m->owner != vm->id)
			return bad(vm, gpa, hpa, "not the control partition's own RAM");
		return 0;
	}
	if (vm->is_control) {
		struct object_map *map = vm_find_map(vm, gpa);
		if (!map)
			return bad(vm, gpa, hpa, "above RAM and outside every object mapping");
		if (m->owner_type != OWNER_MEMOBJ || m->owner != memobj_id(map->obj))
			return bad(vm, gpa, hpa, "page does not belong to the mapped object");
		if (memobj_peek_seals(map->obj) & MEMOBJ_SEAL_GUEST)
			return bad(vm, gpa, hpa, "a GUEST object's page in the control partition");
		return 0;
	}
	struct region *r = vm_find_region(vm, gpa);
	if (!r)
		return bad(vm, gpa, hpa, "gpa outside every region");
	if (r->attr)
		return check_attr_page(vm, r, gpa, hpa, m);
	if (m->owner_type != OWNER_MEMOBJ || m->owner != memobj_id(r->obj))
		return bad(vm, gpa, hpa, "page does not belong to the region's object");
	return 0;
}

static bool ranges_meet(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* A leaf over pages that are all private and accepted needs only the
 * owner check: check_attr_page would say the same for each page. */
static bool all_private_accepted(const struct region *r, uint64_t gpa, uint64_t len)
{
	return gpa >= r->gpa && len <= r->size - (gpa - r->gpa) &&
	       memattr_private_accepted(r->attr, (gpa - r->gpa) >> PAGE_SHIFT, len >> PAGE_SHIFT);
}

/* Does [gpa, gpa + len) lie in one region (or, for the control partition,
 * one mapping) and meet no other? Then vm_find_region / vm_find_map return
 * that one for every page of it. */
static bool leaf_in_one_range(struct vm *vm, uint64_t gpa, uint64_t len, uint64_t *owner)
{
	unsigned n = vm->is_control ? SV_MAX_MAPS : vm->nr_regions, holders = 0;
	struct memobj *holder = NULL;

	for (unsigned i = 0; i < n; i++) {
		uint64_t start, size;
		struct memobj *obj;
		if (vm->is_control) {
			if (!vm->maps[i].used)
				continue;
			start = vm->maps[i].gpa, size = vm->maps[i].len, obj = vm->maps[i].obj;
		} else {
			start = vm->regions[i].gpa, size = vm->regions[i].size;
			obj = vm->regions[i].obj;
			if (vm->regions[i].attr && ranges_meet(gpa, len, start, size) &&
			    !all_private_accepted(&vm->regions[i], gpa, len))
				return false;   /* page by page: attributes vary */
		}
		if (gpa + len <= start || (gpa >= start && gpa - start >= size))
			continue;   /* disjoint */
		if (gpa < start || len > size - (gpa - start) || holders++)
			return false;
		holder = obj;
	}
	if (holders != 1 || (vm->is_control && (memobj_peek_seals(holder) & MEMOBJ_SEAL_GUEST)))
		return false;
	*owner = memobj_id(holder);
	return true;
}

/*
 * The same verdict as check_page on each page of a 2 MiB leaf, in one pass
 * over its page metadata: the owner every page must have is worked out
 * once. Returns false when that cannot be done or a page fails, and the
 * caller then checks page by page (and reports the first bad one).
 */
static bool large_leaf_ok(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t pages)
{
	uint64_t len = pages * PAGE_SIZE, owner;
	uint8_t owner_type;
	struct page_meta *m = pmm_meta(hpa), *last = pmm_meta(hpa + len - PAGE_SIZE);

	if (!m || !last || last - m != (long)(pages - 1))
		return false;
	if (vm->is_control && gpa < vm->ram_size) {
		if (len > vm->ram_size - gpa || hpa < vm->ram_hpa ||
		    hpa - vm->ram_hpa > vm->ram_size - len)
			return false;
		owner_type = OWNER_PARTITION, owner = vm->id;
	} else {
		if (!leaf_in_one_range(vm, gpa, len, &owner))
			return false;
		owner_type = OWNER_MEMOBJ;
	}
	for (uint64_t i = 0; i < pages; i++, m++)
		if (m->state != PAGE_USED || m->owner_type != owner_type || m->owner != owner)
			return false;
	return true;
}

static int audit_leaf(void *ctx, uint64_t gpa, uint64_t hpa, unsigned level, unsigned prot)
{
	struct audit *a = ctx;
	uint64_t pages = level ? 512 : 1;

	(void)prot;
	a->leaves++;
	if (pages > 1 && large_leaf_ok(a->vm, gpa, hpa, pages))
		return 0;
	for (uint64_t i = 0; i < pages; i++) {
		int err = check_page(a->vm, gpa + i * PAGE_SIZE, hpa + i * PAGE_SIZE);
		if (err)
			return err;
	}
	return 0;
}

int vm_audit(void)
{
	for (unsigned i = 0; i < SV_MAX_VMS; i++) {
		struct audit a = { &vms[i], 0 };
		if (!vms[i].in_use)
			continue;
		int err = stage2_for_each(&vms[i].s2, audit_leaf, &a);
		if (err)
			return err;
	}
	return 0;
}
