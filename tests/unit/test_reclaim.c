/*
 * Pages leave an object (and its VM's stage-2) under the locks, and are
 * zeroed and freed only after them (mm/reclaim.h, hv/deferred_free.h):
 * inside a hypercall, once the dispatcher has dropped its global lock.
 * Fails if a page is freed while still reachable (mapped or in the
 * index), if the object lock is still held when the zeroing starts, if a
 * page is freed holding data, or if a deferred page is never freed.
 */
#include <string.h>
#include "hv/deferred_free.h"
#include "hv/vm.h"
#include "mm/memobj.h"
#include "mm/memobj_internal.h"
#include "mm/pmm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)

static struct memobj *obj;
static struct vm *vm;
static uint64_t free0;

static void setup(void)
{
	unit_machine(64 * MB);
	free0 = pmm_free_pages();
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, 8 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 8 * MB, obj, 0), 0);
	fake_launch(vm);
}

static void teardown(void)
{
	const char *why;

	vm_destroy(vm);
	memobj_close(obj);
	ck_assert_uint_eq(pmm_free_pages(), free0);
	ck_assert_msg(pmm_check_free_zero(&why) == 0, "%s", why);
	arena_unmap();
}

/* The guest faults every page of [gpa, gpa + len) in and writes it. */
static void fault_and_write(uint64_t gpa, uint64_t len)
{
	for (uint64_t g = gpa; g < gpa + len; g += PAGE_SIZE) {
		uint64_t hpa;
		unsigned level;
		ck_assert_int_eq(vm_handle_fault(vm, g), 0);
		ck_assert(stage2_lookup(&vm->s2, g, &hpa, &level));
		memset(phys_to_virt(hpa), 0xa5, PAGE_SIZE);
	}
}

/* Punches [off, off + len) inside a dispatch bracket and checks the state
 * in between: unreachable, lock free, nothing freed yet; then freed, zero. */
static void punch_deferred(uint64_t off, uint64_t len, uint64_t present, bool mapped)
{
	const char *why;
	uint64_t hpa, pages = memobj_nr_pages(obj), first, last;
	unsigned level, order;

	first = idx_lookup(&obj->index, off / PAGE_SIZE, &order) & IE_ADDR;
	last = idx_lookup(&obj->index, (off + len) / PAGE_SIZE - 1, &order) & IE_ADDR;
	ck_assert(first && last);
	hv_defer_frees_begin();
	ck_assert_int_eq(memobj_fallocate(obj, PUNCH, off, len), 0);
	/* Out of the object and the stage-2, but not freed yet. */
	ck_assert_uint_eq(memobj_nr_pages(obj), pages - present);
	ck_assert(!idx_lookup(&obj->index, off / PAGE_SIZE, &order));
	for (uint64_t g = off; mapped && g < off + len; g += PAGE_SIZE)
		ck_assert(!stage2_lookup(&vm->s2, g, &hpa, &level));
	ck_assert_int_eq(pmm_meta(first)->state, PAGE_USED);
	ck_assert_int_eq(pmm_meta(last)->state, PAGE_USED);
	ck_assert(spin_trylock(&obj->lock));             /* and the object lock is free */
	spin_unlock(&obj->lock);
	hv_defer_frees_end();
	ck_assert_int_eq(pmm_meta(first)->state, PAGE_FREE);
	ck_assert_int_eq(pmm_meta(last)->state, PAGE_FREE);
	ck_assert_msg(pmm_check_free_zero(&why) == 0, "%s", why);
}

START_TEST(a_punch_in_a_hypercall_frees_after_the_locks)
{
	ck_assert_int_eq(memobj_fallocate(obj, 0, 0, 8 * MB), 0);
	fault_and_write(0, 3 * MB);                      /* 2 MiB extents, written */
	punch_deferred(0, 2 * MB, 512, true);            /* a whole extent */
	punch_deferred(2 * MB + 8 * PAGE_SIZE, 4 * PAGE_SIZE, 4, true);   /* part of one */
	punch_deferred(2 * MB, 2 * MB, 508, true);       /* the rest: a whole leaf */
	punch_deferred(4 * MB, 4 * MB, 1024, false);     /* never handed out */
	ck_assert_uint_eq(memobj_nr_pages(obj), 0);
}
END_TEST

START_TEST(without_a_dispatch_a_punch_frees_at_once)
{
	const char *why;

	ck_assert_int_eq(memobj_fallocate(obj, 0, 0, 4 * MB), 0);
	fault_and_write(0, 4 * MB);
	uint64_t before = pmm_free_pages();
	ck_assert_int_eq(memobj_fallocate(obj, PUNCH, 0, 4 * MB), 0);
	ck_assert_uint_ge(pmm_free_pages(), before + 1024);
	ck_assert_msg(pmm_check_free_zero(&why) == 0, "%s", why);
}
END_TEST

/* Truncation and close take the same path. */
START_TEST(truncation_and_close_free_after_the_locks)
{
	struct memobj *o;
	const char *why;

	ck_assert_int_eq(memobj_create(0, &o), 0);
	ck_assert_int_eq(memobj_set_size(o, 4 * MB), 0);
	ck_assert_int_eq(memobj_write(o, 5 * PAGE_SIZE, "x", 1), 1);
	ck_assert_int_eq(memobj_fallocate(o, 0, 2 * MB, 2 * MB), 0);
	unsigned order;
	uint64_t page = idx_lookup(&o->index, 5, &order) & IE_ADDR;
	uint64_t extent = idx_lookup(&o->index, 512, &order) & IE_ADDR;
	hv_defer_frees_begin();
	ck_assert_int_eq(memobj_set_size(o, PAGE_SIZE), 0);
	ck_assert_int_eq(pmm_meta(page)->state, PAGE_USED);
	ck_assert_int_eq(pmm_meta(extent)->state, PAGE_USED);
	hv_defer_frees_end();
	ck_assert_int_eq(pmm_meta(page)->state, PAGE_FREE);
	ck_assert_int_eq(pmm_meta(extent)->state, PAGE_FREE);
	hv_defer_frees_begin();
	memobj_close(o);
	hv_defer_frees_end();
	ck_assert_msg(pmm_check_free_zero(&why) == 0, "%s", why);
}
END_TEST

Suite *reclaim_suite(void)
{
	Suite *s = suite_create("reclaim");
	TCase *tc = tcase_create("after the locks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_punch_in_a_hypercall_frees_after_the_locks);
	tcase_add_test(tc, without_a_dispatch_a_punch_frees_at_once);
	tcase_add_test(tc, truncation_and_close_free_after_the_locks);
	suite_add_tcase(s, tc);
	return s;
}
