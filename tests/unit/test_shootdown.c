/*
 * The cross-CPU invalidation protocol (hv/shootdown.c), with threads as
 * CPUs and the fake backend: pages are freed only after every CPU that was
 * in the VM has left guest mode, and a fault racing a punch never leaves a
 * translation to a freed page.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <sealvisor/errno.h>
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "mm/pmm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)

static struct memobj *obj;
static struct vm *vm, *other;
static uint64_t free0;

static void setup(void)
{
	unit_machine(64 * MB);
	free0 = pmm_free_pages();
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, 4 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 4 * MB, obj, 0), 0);
	fake_launch(vm);
	other->vcpus[0].vm = other;
}

static void teardown(void)
{
	vm_destroy(vm);
	vm_destroy(other);
	memobj_close(obj);
	ck_assert_uint_eq(pmm_free_pages(), free0);
	arena_unmap();
}

/* CPU 1 runs a vCPU of `target` until it is kicked; it takes its time to
 * leave guest mode, and notes what the page allocator looked like then. */
struct guest_cpu {
	struct vcpu *v;
	bool entered, stop;      /* flags between threads: __atomic only */
	uint64_t free_at_exit;
	bool flushed_on_reentry;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static void *cpu1(void *arg)
{
	struct guest_cpu *g = arg;

	fake_set_cpu(1);
	vcpu_enter(g->v);
	__atomic_store_n(&g->entered, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&fake_kicked[1], __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE))
		;
	sleep_ms(30);                       /* a slow exit */
	g->free_at_exit = pmm_free_pages();
	vcpu_exited(g->v);
	g->flushed_on_reentry = vcpu_enter(g->v);
	vcpu_exited(g->v);
	return NULL;
}

START_TEST(pages_are_freed_only_after_cpus_in_the_vm_left_it)
{
	struct guest_cpu g = { .v = &vm->vcpus[0] };
	pthread_t t;

	for (uint64_t gpa = 0; gpa < 16 * PAGE_SIZE; gpa += PAGE_SIZE)
		ck_assert_int_eq(vm_handle_fault(vm, gpa), 0);
	fake_set_cpu(1);                        /* CPU 1 is up to date for the VM */
	vcpu_enter(g.v);
	vcpu_exited(g.v);
	fake_set_cpu(0);
	pthread_create(&t, NULL, cpu1, &g);
	while (!__atomic_load_n(&g.entered, __ATOMIC_ACQUIRE))
		;
	uint64_t before = pmm_free_pages();
	ck_assert_int_eq(memobj_fallocate(obj, PUNCH, 0, 16 * PAGE_SIZE), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(fake_count(EV_KICK), 1);
	ck_assert_uint_eq(g.free_at_exit, before);      /* nothing freed while it was inside */
	ck_assert_uint_gt(pmm_free_pages(), before);
	ck_assert(g.flushed_on_reentry);                /* and it flushes before it goes back */
}
END_TEST

START_TEST(cpus_in_other_vms_are_left_alone)
{
	struct guest_cpu g = { .v = &other->vcpus[0] };
	pthread_t t;

	ck_assert_int_eq(vm_handle_fault(vm, 0), 0);
	pthread_create(&t, NULL, cpu1, &g);
	while (!__atomic_load_n(&g.entered, __ATOMIC_ACQUIRE))
		;
	ck_assert_int_eq(memobj_fallocate(obj, PUNCH, 0, PAGE_SIZE), 0);
	ck_assert_int_eq(fake_count(EV_KICK), 0);
	__atomic_store_n(&g.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	ck_assert(!g.flushed_on_reentry);
}
END_TEST

static bool racing;              /* __atomic only: read by the faulting thread */

static void *faulter(void *arg)
{
	(void)arg;
	fake_set_cpu(1);
	for (unsigned i = 0; __atomic_load_n(&racing, __ATOMIC_ACQUIRE); i++)
		vm_handle_fault(vm, (i % 64) * PAGE_SIZE);
	return NULL;
}

/* The object lock is held from lookup to install (vm_handle_fault), so a
 * punch cannot free a page between the two: no translation may ever point
 * at a freed page, however the two interleave. */
START_TEST(a_fault_racing_a_punch_never_maps_a_freed_page)
{
	pthread_t t;

	__atomic_store_n(&racing, true, __ATOMIC_RELEASE);
	pthread_create(&t, NULL, faulter, NULL);
	for (int i = 0; i < 3000; i++) {
		ck_assert_int_eq(memobj_fallocate(obj, PUNCH, 0, 64 * PAGE_SIZE), 0);
		if (i % 100 == 0)
			ck_assert_int_eq(vm_audit(), 0);
	}
	__atomic_store_n(&racing, false, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	ck_assert_int_eq(vm_audit(), 0);
}
END_TEST

static void *punch_page0(void *arg)
{
	(void)arg;
	fake_set_cpu(1);
	memobj_fallocate(obj, PUNCH, 0, PAGE_SIZE);
	return NULL;
}

static pthread_t puncher;

/* Starts a punch of the very page being faulted in, and gives it every
 * chance to run before the fault installs the page. */
static void punch_in_the_window(struct vm *v, uint64_t gpa)
{
	(void)v, (void)gpa;
	pthread_create(&puncher, NULL, punch_page0, NULL);
	sleep_ms(30);
}

START_TEST(a_punch_in_the_fault_window_waits_then_zaps)
{
	uint64_t hpa;
	unsigned level;

	vm_fault_race_hook = punch_in_the_window;
	ck_assert_int_eq(vm_handle_fault(vm, 0), 0);
	vm_fault_race_hook = NULL;
	pthread_join(puncher, NULL);
	ck_assert(!stage2_lookup(&vm->s2, 0, &hpa, &level));   /* the punch zapped it */
	ck_assert_int_eq(vm_audit(), 0);
}
END_TEST

Suite *shootdown_suite(void)
{
	Suite *s = suite_create("shootdown");
	TCase *tc = tcase_create("threads as CPUs");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pages_are_freed_only_after_cpus_in_the_vm_left_it);
	tcase_add_test(tc, cpus_in_other_vms_are_left_alone);
	tcase_add_test(tc, a_fault_racing_a_punch_never_maps_a_freed_page);
	tcase_add_test(tc, a_punch_in_the_fault_window_waits_then_zaps);
	suite_add_tcase(s, tc);
	return s;
}
