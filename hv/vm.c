/* Partitions: creation, guest-memory regions bound to memory objects, the
 * stage-2 fault path, launch measurement, destruction. */
#include <sealvisor/errno.h>
#include "lib/fmt.h"
#include "hv/clock.h"
#include "hv/invalidate.h"
#include "hv/log.h"
#include "hv/measure.h"
#include "hv/memattr_vm.h"
#include "hv/vcpu_state.h"
#include "hv/shutdown.h"
#include "lib/string.h"
#include "hv/vm.h"
#include "lib/errno_name.h"
#include "mm/pmm.h"

#define SIZE_2M (2UL << 20)
#define GUEST_GPA_LIMIT (1UL << 39)   /* 512 GiB: what the guests' tables may reach */

struct vm vms[SV_MAX_VMS];
static uint64_t next_serial;

struct vm *vm_get(unsigned id)
{
	return id < SV_MAX_VMS && vms[id].in_use ? &vms[id] : NULL;
}

static int vm_alloc(unsigned first, struct vm **out)
{
	for (unsigned i = first; i < SV_MAX_VMS; i++) {
		struct vm *vm = &vms[i];
		if (vm->in_use)
			continue;
		memset(vm, 0, sizeof(*vm));
		vm->id = i;
		vm->serial = __atomic_add_fetch(&next_serial, 1, __ATOMIC_RELAXED);
		int err = stage2_init(&vm->s2, virt->stage2_fmt, i);
		if (!err && (err = virt->vm_init(vm)))
			stage2_destroy(&vm->s2);
		if (err)
			return err;
		vm->in_use = true;
		launch_start(&vm->launch);
		*out = vm;
		return 0;
	}
	return -ENOSPC;
}

int vm_create_guest(struct vm **out)
{
	int err = vm_alloc(1, out);

	if (!err)
		sv_snprintf((*out)->name, sizeof((*out)->name), "vm%u", (*out)->id);
	return err;
}

/* The control partition's RAM is one contiguous block, mapped at gpa 0
 * with 2 MiB leaves: nothing else is ever in its stage-2 table. */
int vm_create_control(uint64_t ram_size, struct vm **out)
{
	unsigned order = 0;
	struct vm *vm;

	while ((PAGE_SIZE << order) < ram_size)
		order++;
	if (vms[0].in_use || order < ORDER_2M)
		return -EINVAL;
	int err = vm_alloc(0, &vm);
	if (err)
		return err;
	vm->is_control = true;
	vm->finalized = true;
	sv_snprintf(vm->name, sizeof(vm->name), "control");
	vm->ram_size = PAGE_SIZE << order;
	vm->ram_hpa = pmm_alloc(order, OWNER_PARTITION, vm->id);
	if (!vm->ram_hpa) {
		vm_destroy(vm);
		return -ENOMEM;
	}
	for (uint64_t off = 0; off < vm->ram_size && !err; off += SIZE_2M)
		err = stage2_map(&vm->s2, off, vm->ram_hpa + off, S2_LEVEL_2M, S2_RWX);
	if (err) {
		vm_destroy(vm);
		return err;
	}
	*out = vm;
	return 0;
}

void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (!vm->ram_size || gpa > vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return phys_to_virt(vm->ram_hpa + gpa);
}

struct region *vm_find_region(struct vm *vm, uint64_t gpa)
{
	for (unsigned i = 0; i < vm->nr_regions; i++) {
		struct region *r = &vm->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

/*
 * The owner callback (memobj lock held; lock order object -> stage-2):
 * every translation of pages [start, end) of obj in this VM goes through
 * the invalidation bracket (hv/invalidate.h) before the object frees a
 * single page.
 */
static void vm_invalidate(struct memobj *obj, void *owner, uint64_t start, uint64_t end)
{
	struct vm *vm = owner;
	struct vm_invalidation inv;

	vm_invalidate_begin(&inv, vm);
	for (unsigned i = 0; i < vm->nr_regions; i++) {
		struct region *r = &vm->regions[i];
		uint64_t lo = r->offset >> PAGE_SHIFT, hi = (r->offset + r->size) >> PAGE_SHIFT;
		if (r->obj != obj || end <= lo || start >= hi)
			continue;
		uint64_t s = start > lo ? start : lo, e = end < hi ? end : hi;
		uint64_t gpa = r->gpa + ((s - lo) << PAGE_SHIFT), len = (e - s) << PAGE_SHIFT;
		vm_invalidate_range(&inv, gpa, len);
		/* After its zap: the audit never sees a leaf on an unaccepted
		 * page. Before the shootdown is as good as after: the pages
		 * stay until the object lock is dropped (this guest's faults
		 * on them wait for it), and acceptance is not checked on a
		 * TLB hit. */
		memattr_private_removed(vm, r, gpa, len);
	}
	vm_invalidate_end(&inv);
}

static void vm_fallocated(struct memobj *obj, void *owner, uint64_t start, uint64_t end)
{
	(void)obj, (void)owner, (void)start, (void)end;   /* faults map lazily */
}

/* Before VM_FINALIZE a GUEST object's pages hold exactly what the digest
 * says was populated: a punch or truncation then would change the launch
 * unmeasured. Object lock held, hence the peek. */
static int vm_may_remove(struct memobj *obj, void *owner)
{
	struct vm *vm = owner;

	return !vm->finalized && (memobj_peek_seals(obj) & MEMOBJ_SEAL_GUEST) ? -EBUSY : 0;
}

static const struct memobj_owner_ops vm_owner_ops = { vm_invalidate, vm_fallocated, vm_may_remove };

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* -EEXIST if [gpa, +size) overlaps a region, or [offset, +size) of obj is
 * already bound: one object page at two gpas would let measured pages be
 * changed through an alias. */
static int region_conflicts(struct vm *vm, uint64_t gpa, uint64_t size, struct memobj *obj,
			    uint64_t offset)
{
	for (unsigned i = 0; i < vm->nr_regions; i++) {
		struct region *r = &vm->regions[i];
		if (ranges_overlap(gpa, size, r->gpa, r->size) ||
		    (r->obj == obj && ranges_overlap(offset, size, r->offset, r->size)))
			return -EEXIST;
	}
	return 0;
}

int vm_set_region(struct vm *vm, uint64_t gpa, uint64_t size, struct memobj *obj, uint64_t offset)
{
	if (vm->is_control || vm->finalized)
		return -EPERM;
	if ((gpa | size | offset) & ~PAGE_MASK || !size || gpa >= GUEST_GPA_LIMIT ||
	    size > GUEST_GPA_LIMIT - gpa || offset > MEMOBJ_MAX_SIZE ||
	    size > MEMOBJ_MAX_SIZE - offset)
		return -EINVAL;
	/* The local APIC's page is never memory: a region there would make
	 * an xAPIC guest's register accesses land in RAM (docs/ARCHITECTURE.md,
	 * "The xAPIC page"). */
	if (gpa < APIC_BASE_ADDR + PAGE_SIZE && gpa + size > APIC_BASE_ADDR)
		return -EINVAL;
	int err = region_conflicts(vm, gpa, size, obj, offset);
	if (err)
		return err;
	if (vm->nr_regions == SV_MAX_REGIONS)
		return -ENOSPC;
	if ((err = memobj_register_owner(obj, vm, &vm_owner_ops)))
		return err;
	memobj_get(obj);
	vm->regions[vm->nr_regions++] = (struct region){ gpa, size, obj, offset, NULL };
	return 0;
}

void (*vm_populate_race_hook)(struct vm *vm, uint64_t gpa);

/* Walks guest range [gpa, +len) of region r a page at a time, each object
 * page locked (memobj_get_page allocates it); with measure, copies src in
 * and extends the digest with what landed. */
static int populate_pages(struct vm *vm, struct region *r, uint64_t gpa, uint64_t len,
			  const void *src, bool measure)
{
	for (uint64_t done = 0; done < len;) {
		uint64_t off = r->offset + (gpa - r->gpa) + done, pa;
		uint64_t n = PAGE_SIZE - (off & ~PAGE_MASK);
		unsigned order;
		if (n > len - done)
			n = len - done;
		int err = memobj_get_page(r->obj, off >> PAGE_SHIFT, &pa, &order);
		if (err)
			return err;
		uint8_t *dst = (uint8_t *)phys_to_virt(pa) + (off & ~PAGE_MASK);
		if (measure) {
			memcpy(dst, (const uint8_t *)src + done, n);
			if (vm_populate_race_hook)
				vm_populate_race_hook(vm, gpa + done);
			/* What landed, not the source: another control vCPU
			 * may be rewriting the source right now. */
			sha256_update(&vm->launch, dst, n);
		}
		memobj_put_page(r->obj, pa);
		done += n;
	}
	return 0;
}

/*
 * Copies into private memory through the object (never through a mapping
 * the control partition could keep) and measures it. Two passes: the first
 * only allocates, so a shortage fails before any byte lands or is hashed;
 * the second cannot fail (the pages are there, and hv_lock keeps punches
 * and truncation out), so the digest always describes guest memory.
 */
int vm_populate(struct vm *vm, uint64_t gpa, const void *src, uint64_t len)
{
	if (vm->is_control || vm->finalized)
		return -EPERM;
	struct region *r = vm_find_region(vm, gpa);
	if (!r || len > r->size - (gpa - r->gpa))
		return -EINVAL;
	if (!(memobj_get_seals(r->obj) & MEMOBJ_SEAL_GUEST))
		return -EPERM;      /* the VMM could rewrite "measured" bytes later */
	int err = populate_pages(vm, r, gpa, len, NULL, false);
	if (err)
		return err;
	launch_populate_head(&vm->launch, gpa, len);
	if ((err = populate_pages(vm, r, gpa, len, src, true)))
		panic("populate of VM %u at 0x%lx lost a page it had just allocated: %s (%d)",
		      vm->id, gpa, errno_name(err), err);
	return 0;
}

int vm_finalize(struct vm *vm)
{
	bool any_vcpu = false;

	if (vm->is_control || vm->finalized)
		return -EPERM;
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++)
		any_vcpu |= vm->vcpus[i].created;
	if (!any_vcpu)
		return -EINVAL;
	/* The digest records regions, not object sizes: a region past its
	 * object's end would be a hole the measurement does not show. */
	for (unsigned i = 0; i < vm->nr_regions; i++) {
		const struct region *r = &vm->regions[i];
		if (r->offset + r->size > memobj_get_size(r->obj))
			return -EINVAL;
	}
	struct memattr *fresh[SV_MAX_REGIONS];
	int err = memattr_launch_alloc(vm, fresh);
	if (err)
		return err;
	launch_layout(&vm->launch, vm);
	sha256_final(&vm->launch, vm->measurement);
	memattr_launch_install(vm, fresh);
	vm->finalized = true;
	return 0;
}

/* The one place a vCPU comes to life, for guests and the control
 * partition alike, in the default state (hv/vcpu_state.h). It is left
 * put (vcpu_put): it may run on any CPU next. */
/* VLAPIC_MIN_PERIOD_US in TSC cycles; without a measured rate (host
 * tests), 500 000 cycles: 200 us at 2.5 GHz. */
static uint64_t vlapic_min_period(void)
{
	uint64_t per_ms = clock_tsc_per_ms();

	return per_ms ? per_ms * VLAPIC_MIN_PERIOD_US / 1000 : 500000;
}

int vcpu_create(struct vm *vm, unsigned id, const struct sv_vcpu_regs *regs)
{
	if (id >= SV_MAX_VCPUS)
		return -EINVAL;
	if (!vm->is_control && vm->finalized)
		return -EPERM;      /* its initial state is part of the measurement */
	struct vcpu *v = &vm->vcpus[id];
	if (v->created)
		return -EEXIST;
	struct sv_regs r;
	struct sv_sregs s;
	vcpu_state_default(regs, &r, &s);
	int err = vcpu_state_valid(vm, id, &r, &s);
	if (err)
		return err;
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->cr3 = regs->cr3;
	vlapic_init(&v->lapic, id, VLAPIC_TSC_PER_TICK);
	v->lapic.min_period = vlapic_min_period();
	if ((err = virt->vcpu_init(v)))
		return err;
	if ((err = vcpu_set_state(v, &r, &s))) {
		virt->vcpu_destroy(v);
		return err;
	}
	v->created = true;
	return 0;
}

/* vcpu_state_check against this CPU's limits, logging what it refused. */
int vcpu_state_valid(const struct vm *vm, unsigned id, const struct sv_regs *r,
		     const struct sv_sregs *s)
{
	struct vcpu_state_limits lim;
	const char *why;

	vcpu_state_host_limits(&lim);
	int err = vcpu_state_check(r, s, &lim, &why);
	if (err)
		log_info("VM %u vCPU %u: register state refused: %s\n", vm->id, id, why);
	return err;
}

int vcpu_set_state(struct vcpu *v, const struct sv_regs *r, const struct sv_sregs *s)
{
	int err = vcpu_state_valid(v->vm, v->id, r, s);

	if (!err) {
		err = virt->vcpu_set_state(v, r, s);
		/* Put again: its next VCPU_RUN may be on another CPU. */
		virt_vcpu_put(v);
	}
	if (!err) {
		v->init_regs = *r;
		v->init_sregs = *s;
	}
	return err;
}

void (*vm_fault_race_hook)(struct vm *vm, uint64_t gpa);

/* The seed's get_lock_pfn/put_unlock_pfn path: the object lock is held
 * from lookup to installation, so a punch cannot slip in between: it
 * waits, then zaps what was installed. (This is what KVM's
 * mmu_invalidate_seq retry achieves without a lock across the two.) */
static int region_fault(struct vm *vm, struct region *r, uint64_t gpa)
{
	uint64_t pa;
	unsigned order;

	uint64_t off = r->offset + (gpa - r->gpa);
	int err = memobj_get_page(r->obj, off >> PAGE_SHIFT, &pa, &order);
	if (err)
		return err;
	if (vm_fault_race_hook)
		vm_fault_race_hook(vm, gpa);
	uint64_t base = gpa & ~(SIZE_2M - 1);
	/* A 2 MiB leaf when the object holds an extent here and the region
	 * covers the whole 2 MiB at the same alignment. */
	bool large = order == ORDER_2M && base >= r->gpa && base + SIZE_2M <= r->gpa + r->size &&
		     ((off - (gpa - base)) & (SIZE_2M - 1)) == 0;
	if (large)
		err = stage2_map(&vm->s2, base, pa & ~(SIZE_2M - 1), S2_LEVEL_2M, S2_RWX);
	if (!large || err == -EEXIST)
		err = stage2_map(&vm->s2, gpa & PAGE_MASK, pa, S2_LEVEL_4K, S2_RWX);
	memobj_put_page(r->obj, pa);
	return err == -EEXIST ? 0 : err;   /* another vCPU won the race */
}

/* attr_lock from the attribute's decision to the installation: an
 * attribute change (which holds it across its zap) cannot slip in. */
int vm_handle_fault(struct vm *vm, uint64_t gpa)
{
	struct region *r = vm_find_region(vm, gpa);

	if (!r)
		return -EFAULT;
	spin_lock(&vm->attr_lock);
	int err = r->attr ? memattr_fault(vm, r, gpa) : region_fault(vm, r, gpa);
	spin_unlock(&vm->attr_lock);
	return err;
}

uint64_t vm_memobj_pages(struct vm *vm)
{
	return memobj_owner_pages(vm);
}

/*
 * Every translation goes (one invalidation, every CPU) before any object
 * is let go; a GUEST object's pages go with its VM (memobj_unregister_owner:
 * it is bound for life).
 */
void vm_destroy(struct vm *vm)
{
	struct vm_invalidation inv;

	for (unsigned i = 0; i < SV_MAX_VCPUS; i++)
		if (vm->vcpus[i].created)
			virt->vcpu_destroy(&vm->vcpus[i]);
	vm_unmap_all(vm);
	vm_invalidate_begin(&inv, vm);
	vm_invalidate_range(&inv, 0, S2_GPA_LIMIT);
	vm_invalidate_end(&inv);
	memattr_destroy(vm);
	for (unsigned i = 0; i < vm->nr_regions; i++) {
		memobj_unregister_owner(vm->regions[i].obj, vm);
		memobj_close(vm->regions[i].obj);
	}
	for (unsigned i = 0; i < SV_MAX_HANDLES; i++)
		if (vm->handles[i])
			memobj_close(vm->handles[i]);
	stage2_destroy(&vm->s2);
	virt_vm_destroy(vm);
	if (vm->ram_hpa)
		pmm_free(vm->ram_hpa, __builtin_ctzl(vm->ram_size >> PAGE_SHIFT));
	vm->in_use = false;
}
