/*
 * hv/ on the host with the fake backend: the fault path, and the
 * invalidate -> zap -> generation -> flush chain that punch-hole relies on.
 */
#include <string.h>
#include <sealvisor/errno.h>
#include "hv/hypercall.h"
#include "hv/vm.h"
#include "mm/pmm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)

static struct memobj *obj;
static struct vm *vm;
static uint64_t free0;

/* A guest with 8 MiB of private memory at gpa 0: 4 KiB pages on demand
 * below 4 MiB, 2 MiB extents above. */
static void setup(void)
{
	arena_pmm(0, 96 * MB);
	memset(vms, 0, sizeof(vms));
	fake_reset();
	free0 = pmm_free_pages();
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, 8 * MB), 0);
	ck_assert_int_eq(memobj_fallocate(obj, 0, 4 * MB, 4 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 8 * MB, obj, 0), 0);
}

static void teardown(void)
{
	if (vm)
		vm_destroy(vm);
	if (obj)
		memobj_close(obj);
	vm = NULL;
	obj = NULL;
	ck_assert_uint_eq(pmm_free_pages(), free0);   /* nothing leaked */
	arena_unmap();
}

static bool mapped(uint64_t gpa, unsigned *level)
{
	uint64_t hpa;
	unsigned l;
	return stage2_lookup(&vm->s2, gpa, &hpa, level ? level : &l);
}

START_TEST(fault_maps_4k_pages_and_2m_extents)
{
	unsigned level;
	ck_assert_int_eq(vm_handle_fault(vm, 0x3000), 0);
	ck_assert(mapped(0x3000, &level));
	ck_assert_uint_eq(level, 0);
	ck_assert_int_eq(vm_handle_fault(vm, 5 * MB + 0x1234), 0);
	ck_assert(mapped(4 * MB, &level));
	ck_assert_uint_eq(level, 1);
	ck_assert_int_eq(vm_handle_fault(vm, 9 * MB), -EFAULT);    /* no region */
	ck_assert_int_eq(vm_audit(), 0);
}
END_TEST

START_TEST(punch_zaps_exactly_the_punched_range)
{
	for (uint64_t gpa = 0; gpa < 0x10000; gpa += PAGE_SIZE)
		ck_assert_int_eq(vm_handle_fault(vm, gpa), 0);
	ck_assert_int_eq(vm_handle_fault(vm, 6 * MB), 0);
	fake_launch(vm);
	ck_assert_int_eq(memobj_fallocate(obj, PUNCH, 0x3000, 0x2000), 0);
	for (uint64_t gpa = 0; gpa < 0x10000; gpa += PAGE_SIZE)
		ck_assert_msg(mapped(gpa, NULL) == (gpa < 0x3000 || gpa >= 0x5000),
			      "gpa 0x%lx", gpa);
	ck_assert(mapped(6 * MB, NULL));
	ck_assert_int_eq(vm_audit(), 0);
}
END_TEST

START_TEST(punch_moves_the_generation_and_frees_tables_after)
{
	for (uint64_t gpa = 0; gpa < 0x8000; gpa += PAGE_SIZE)
		ck_assert_int_eq(vm_handle_fault(vm, gpa), 0);
	fake_launch(vm);    /* before the count: it allocates the attribute bitmaps */
	uint64_t before = pmm_free_pages(), gen = vm->s2.generation;
	ck_assert_int_eq(memobj_fallocate(obj, PUNCH, 0, 0x8000), 0);
	ck_assert_uint_eq(vm->s2.generation, gen + 1);
	ck_assert_uint_eq(vm->s2.nr_retired, 0);
	/* the 8 data pages, the emptied stage-2 tables and the index node */
	ck_assert_uint_eq(pmm_free_pages(), before + 8 + 3 + 1);
}
END_TEST

START_TEST(punch_of_unmapped_pages_needs_no_flush)
{
	uint64_t gen = vm->s2.generation;
	fake_launch(vm);
	ck_assert_int_eq(memobj_fallocate(obj, PUNCH, 0, 0x8000), 0);
	ck_assert_uint_eq(vm->s2.generation, gen);
}
END_TEST

/* The leaf goes whole; the rest faults back as 4 KiB pages (the object
 * split its extent), the punched pages fresh. */
START_TEST(partial_punch_drops_the_2m_leaf_and_the_rest_faults_back)
{
	unsigned level;
	ck_assert_int_eq(vm_handle_fault(vm, 5 * MB), 0);
	ck_assert(mapped(4 * MB, &level));
	ck_assert_uint_eq(level, 1);
	fake_launch(vm);
	ck_assert_int_eq(memobj_fallocate(obj, PUNCH, 4 * MB + 64 * 1024, 16 * 1024), 0);
	for (uint64_t gpa = 4 * MB; gpa < 6 * MB; gpa += 60 * 1024)
		ck_assert_msg(!mapped(gpa, NULL), "gpa 0x%lx", gpa);
	ck_assert_int_eq(vm_handle_fault(vm, 4 * MB + 80 * 1024), 0);
	ck_assert(mapped(4 * MB + 80 * 1024, &level));
	ck_assert_uint_eq(level, 0);
	ck_assert(!mapped(4 * MB + 64 * 1024, NULL));
	ck_assert_int_eq(vm_audit(), 0);
}
END_TEST

START_TEST(vcpu_flushes_once_after_each_zap)
{
	struct vcpu *v = &vm->vcpus[0];
	struct vm_exit e;

	v->vm = vm;
	ck_assert_int_eq(virt->vcpu_init(v), 0);
	v->created = true;
	virt->vcpu_run(v, &e);                   /* first entry flushes */
	virt->vcpu_run(v, &e);
	ck_assert_int_eq(fake_count(EV_ENTRY_FLUSH), 1);
	ck_assert_int_eq(vm_handle_fault(vm, 0x1000), 0);
	virt->vcpu_run(v, &e);                   /* a new mapping needs no flush */
	ck_assert_int_eq(fake_count(EV_ENTRY_FLUSH), 1);
	fake_launch(vm);
	ck_assert_int_eq(memobj_fallocate(obj, PUNCH, 0x1000, 0x1000), 0);
	virt->vcpu_run(v, &e);
	virt->vcpu_run(v, &e);
	ck_assert_int_eq(fake_count(EV_ENTRY_FLUSH), 2);
}
END_TEST

START_TEST(misaligned_region_gets_4k_leaves_for_extents)
{
	struct vm *other;
	struct memobj *o2;
	unsigned level;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o2), 0);
	ck_assert_int_eq(memobj_set_size(o2, 4 * MB), 0);
	ck_assert_int_eq(memobj_fallocate(o2, 0, 0, 4 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&other), 0);
	/* Object offset 0 (an extent) at gpa 1 MiB: not 2 MiB-aligned alike. */
	ck_assert_int_eq(vm_set_region(other, 1 * MB, 4 * MB, o2, 0), 0);
	ck_assert_int_eq(vm_handle_fault(other, 2 * MB), 0);
	uint64_t hpa;
	ck_assert(stage2_lookup(&other->s2, 2 * MB, &hpa, &level));
	ck_assert_uint_eq(level, 0);
	vm_destroy(other);
	memobj_close(o2);
}
END_TEST

START_TEST(second_owner_and_overlap_are_refused)
{
	struct vm *other;
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vm_set_region(other, 0, 4096, obj, 0), -EPERM);
	ck_assert_int_eq(vm_set_region(vm, 4 * MB, 8 * MB, obj, 0), -EEXIST);
	ck_assert_int_eq(vm_set_region(vm, 16 * MB, 4097, obj, 0), -EINVAL);
	vm_destroy(other);
}
END_TEST

START_TEST(destroy_zaps_before_releasing_objects)
{
	ck_assert_int_eq(vm_handle_fault(vm, 0x1000), 0);
	unsigned id = vm->id;
	uint64_t gen = vm->s2.generation;
	vm_destroy(vm);
	vm = NULL;
	ck_assert_uint_eq(vms[id].s2.generation, gen + 1);
	/* The GUEST object outlives its VM (the control partition still has
	 * a handle), but not its pages. */
	ck_assert_uint_eq(memobj_nr_pages(obj), 0);
}
END_TEST

START_TEST(audit_catches_a_foreign_page)
{
	uint64_t hv_page = pmm_alloc(0, OWNER_HV, 0);
	ck_assert_int_eq(stage2_map(&vm->s2, 0x7000, hv_page, 0, S2_RWX), 0);
	ck_assert_int_eq(vm_audit(), -EINVAL);
	ck_assert_int_eq(stage2_zap(&vm->s2, 0x7000, PAGE_SIZE), 1);
	ck_assert_int_eq(vm_audit(), 0);
	pmm_free(hv_page, 0);
}
END_TEST

/* The audit checks a 2 MiB leaf's owner once per leaf (hv/audit.c,
 * large_leaf_ok), but still every page of it: one foreign page in the
 * middle, or a leaf that runs past its region's end, is reported. */
START_TEST(audit_checks_every_page_of_a_2m_leaf)
{
	uint64_t hpa, pa;
	unsigned level, order;
	ck_assert_int_eq(vm_handle_fault(vm, 6 * MB), 0);
	ck_assert(stage2_lookup(&vm->s2, 6 * MB, &hpa, &level));
	ck_assert_uint_eq(level, S2_LEVEL_2M);
	ck_assert_int_eq(vm_audit(), 0);
	struct page_meta *m = pmm_meta((hpa & ~(2 * MB - 1)) + 300 * PAGE_SIZE);
	uint64_t owner = m->owner;
	m->owner = owner + 1;
	ck_assert_int_eq(vm_audit(), -EINVAL);
	m->owner = owner;
	ck_assert_int_eq(vm_audit(), 0);

	struct vm *other;
	struct memobj *o2;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o2), 0);
	ck_assert_int_eq(memobj_add_seals(o2, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o2, 2 * MB), 0);
	ck_assert_int_eq(memobj_fallocate(o2, 0, 0, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vm_set_region(other, 0, 2 * MB - PAGE_SIZE, o2, 0), 0);
	ck_assert_int_eq(memobj_get_page(o2, 0, &pa, &order), 0);
	memobj_put_page(o2, pa);
	ck_assert_uint_eq(order, ORDER_2M);
	ck_assert_int_eq(stage2_map(&other->s2, 0, pa, S2_LEVEL_2M, S2_RWX), 0);
	ck_assert_int_eq(vm_audit(), -EINVAL);       /* its last page is outside the region */
	ck_assert_int_eq(stage2_zap(&other->s2, 0, 2 * MB), 1);
	ck_assert_int_eq(vm_audit(), 0);
	vm_destroy(other);
	memobj_close(o2);
}
END_TEST

START_TEST(populate_measures_and_finalize_freezes)
{
	static const char img[] = "guest image bytes";
	struct vm *other;
	struct memobj *o2;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o2), 0);
	ck_assert_int_eq(memobj_add_seals(o2, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o2, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vm_set_region(other, 0, 2 * MB, o2, 0), 0);
	ck_assert_int_eq(vm_populate(other, 0x1000, img, sizeof(img)), 0);
	ck_assert_int_eq(vm_populate(other, 2 * MB - 4, img, sizeof(img)), -EINVAL);
	ck_assert_int_eq(vm_finalize(other), -EINVAL);              /* no vCPU yet */
	ck_assert_int_eq(vcpu_create(other, 0, &(struct sv_vcpu_regs){ .rip = 0x1000 }), 0);
	ck_assert_int_eq(vm_finalize(other), 0);
	ck_assert_int_eq(vm_populate(other, 0x1000, img, sizeof(img)), -EPERM);
	ck_assert_int_eq(vm_finalize(other), -EPERM);
	/* The same content at the same gpa measures the same. */
	uint8_t m1[32];
	memcpy(m1, other->measurement, 32);
	vm_destroy(other);
	memobj_close(o2);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o2), 0);
	ck_assert_int_eq(memobj_add_seals(o2, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o2, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vm_set_region(other, 0, 2 * MB, o2, 0), 0);
	ck_assert_int_eq(vm_populate(other, 0x2000, img, sizeof(img)), 0);   /* other gpa */
	ck_assert_int_eq(vcpu_create(other, 0, &(struct sv_vcpu_regs){ .rip = 0x1000 }), 0);
	ck_assert_int_eq(vm_finalize(other), 0);
	ck_assert(memcmp(m1, other->measurement, 32) != 0);
	vm_destroy(other);
	memobj_close(o2);
}
END_TEST

START_TEST(dispatch_checks_rights_and_pointers)
{
	struct vm *control;
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(unit_hc(control, 999, 0, 0, 0, 0, 0), -ENOSYS);
	ck_assert_int_eq(unit_hc(control, SV_HC_CONSOLE_WRITE, 4 * MB, 1, 0, 0, 0), -EFAULT);
	ck_assert_int_eq(unit_hc(control, SV_HC_CONSOLE_WRITE, ~0UL, 2, 0, 0, 0), -EFAULT);
	ck_assert_int_eq(unit_hc(control, SV_HC_STATS, 4 * MB - 8, 0, 0, 0, 0), -EFAULT);
	int64_t h = unit_hc(control, SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING, 0, 0, 0, 0);
	ck_assert_int_ge(h, 0);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_SET_REGION, vm->id, 16 * MB, 4096, h, 0), 0);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_SET_REGION, vm->id, 32 * MB, 4096, h + 1, 0), -EBADF);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_DESTROY, 0, 0, 0, 0, 0), -ENOENT);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_POPULATE, vm->id, 0, 4 * MB, 1, 0), -EFAULT);
	/* A guest vCPU running on another CPU cannot be run here too. */
	struct sv_vcpu_regs r = { .rip = 0x100000 };
	memcpy(vm_guest_ptr(control, 0x1000, sizeof(r)), &r, sizeof(r));
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_CREATE, vm->id, 0, 0x1000, 0, 0), 0);
	ck_assert_int_eq(vm_finalize(vm), -EINVAL);           /* the object is empty */
	ck_assert_int_eq(unit_hc(control, SV_HC_MEMOBJ_SET_SIZE, h, 4096, 0, 0, 0), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_CREATE, vm->id, 1, 0x1000, 0, 0), -EPERM);
	vm->vcpus[0].running = true;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, 0x2000, 0, 0), -EBUSY);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_DESTROY, vm->id, 0, 0, 0, 0), -EBUSY);
	vm->vcpus[0].running = false;
	/* Guests may not use the control partition's calls. */
	ck_assert_int_eq(unit_hc(vm, SV_HC_MEMOBJ_CREATE, 0, 0, 0, 0, 0), -EPERM);
	ck_assert_int_eq(unit_hc(vm, SV_HC_VM_CREATE, 0, 0, 0, 0, 0), -EPERM);
	ck_assert_int_eq(unit_hc(vm, SV_HC_STATS, 0, 0, 0, 0, 0), -EFAULT);   /* no RAM of its own */
	ck_assert_int_eq(vm_audit(), 0);
	vm_destroy(control);
}
END_TEST

START_TEST(control_mappings_fault_in_and_are_zapped_by_punch)
{
	struct vm *control;
	struct memobj *shared;
	uint64_t hpa, guest_page;
	unsigned level;
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &shared), 0);
	ck_assert_int_eq(memobj_set_size(shared, 2 * PAGE_SIZE), 0);
	ck_assert_int_eq(vm_map_object(control, obj, 0, 64 * MB, PAGE_SIZE, false), -EPERM); /* GUEST */
	ck_assert_int_eq(vm_map_object(control, shared, 0, 2 * MB, PAGE_SIZE, true), -EINVAL); /* RAM */
	ck_assert_int_eq(vm_map_object(control, shared, 0, 64 * MB, 2 * PAGE_SIZE, false), 0);
	ck_assert_int_eq(vm_map_fault(control, 64 * MB + 5, true), -EACCES);   /* read-only */
	ck_assert_int_eq(vm_map_fault(control, 64 * MB + 5, false), 0);
	ck_assert(stage2_lookup(&control->s2, 64 * MB, &hpa, &level));
	ck_assert_int_eq(vm_audit(), 0);
	uint64_t gen = control->s2.generation;
	ck_assert_int_eq(memobj_fallocate(shared, PUNCH, 0, PAGE_SIZE), 0);
	ck_assert(!stage2_lookup(&control->s2, 64 * MB, &hpa, &level));
	ck_assert_uint_eq(control->s2.generation, gen + 1);
	/* A guest's private page in the control partition breaks invariant 2. */
	ck_assert_int_eq(vm_handle_fault(vm, 0x2000), 0);
	ck_assert(stage2_lookup(&vm->s2, 0x2000, &guest_page, &level));
	ck_assert_int_eq(stage2_map(&control->s2, 64 * MB + PAGE_SIZE, guest_page, 0, S2_READ), 0);
	ck_assert_int_eq(vm_audit(), -EINVAL);
	ck_assert_int_eq(stage2_zap(&control->s2, 64 * MB + PAGE_SIZE, PAGE_SIZE), 1);
	ck_assert_int_eq(vm_unmap_object(control, 64 * MB), 0);
	memobj_close(shared);
	vm_destroy(control);
}
END_TEST

Suite *vm_suite(void)
{
	Suite *s = suite_create("hv vm");
	TCase *tc = tcase_create("fake backend");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fault_maps_4k_pages_and_2m_extents);
	tcase_add_test(tc, punch_zaps_exactly_the_punched_range);
	tcase_add_test(tc, punch_moves_the_generation_and_frees_tables_after);
	tcase_add_test(tc, punch_of_unmapped_pages_needs_no_flush);
	tcase_add_test(tc, partial_punch_drops_the_2m_leaf_and_the_rest_faults_back);
	tcase_add_test(tc, vcpu_flushes_once_after_each_zap);
	tcase_add_test(tc, misaligned_region_gets_4k_leaves_for_extents);
	tcase_add_test(tc, second_owner_and_overlap_are_refused);
	tcase_add_test(tc, destroy_zaps_before_releasing_objects);
	tcase_add_test(tc, audit_catches_a_foreign_page);
	tcase_add_test(tc, audit_checks_every_page_of_a_2m_leaf);
	tcase_add_test(tc, populate_measures_and_finalize_freezes);
	tcase_add_test(tc, dispatch_checks_rights_and_pointers);
	tcase_add_test(tc, control_mappings_fault_in_and_are_zapped_by_punch);
	suite_add_tcase(s, tc);
	return s;
}
