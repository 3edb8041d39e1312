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
#include "hv/invalidate.h"
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

/*
 * The per-VM CPU mask: a CPU's bit follows the VM it entered last, so a
 * shootdown looks only at CPUs that may be inside the VM. Fails if a CPU
 * that ran the VM (and may still be inside) is missed, or if the mask
 * keeps a CPU that has moved to another VM.
 */
START_TEST(the_cpu_mask_follows_the_vm_each_cpu_entered_last)
{
	struct vcpu *a = &vm->vcpus[0], *b = &other->vcpus[0];

	fake_set_cpu(5);
	vcpu_enter(a);
	vcpu_exited(a);
	fake_set_cpu(9);
	vcpu_enter(b);
	vcpu_exited(b);
	ck_assert_uint_eq(vm_cpus[vm->id], 1UL << 5);
	ck_assert_uint_eq(vm_cpus[other->id], 1UL << 9);
	fake_set_cpu(5);
	vcpu_enter(b);                      /* CPU 5 moves: its bit moves with it */
	vcpu_exited(b);
	ck_assert_uint_eq(vm_cpus[vm->id], 0);
	ck_assert_uint_eq(vm_cpus[other->id], (1UL << 5) | (1UL << 9));
	vcpu_enter(a);                      /* and back */
	vcpu_exited(a);
	ck_assert_uint_eq(vm_cpus[vm->id], 1UL << 5);
	fake_set_cpu(0);
	/* Nobody inside either VM: nobody kicked. (A CPU inside is kicked
	 * and waited for: the thread tests above and below.) */
	ck_assert_uint_eq(vm_shootdown(vm), 0);
	ck_assert_uint_eq(vm_shootdown(other), 0);
	ck_assert_int_eq(fake_count(EV_KICK), 0);
}
END_TEST

/* Runs in CPU 1's vcpu_enter after its mask bit and in_guest are
 * published, before it reads the generation: a whole punch (zap and
 * shootdown) on CPU 0 fits in the window. CPU 0 sees CPU 1 inside and
 * waits for an exit, so CPU 1 leaves at once. */
static void *punch_from_cpu0(void *arg)
{
	(void)arg;
	fake_set_cpu(0);
	memobj_fallocate(obj, PUNCH, 0, PAGE_SIZE);
	return NULL;
}

static void punch_during_entry(struct vcpu *v)
{
	pthread_t t;
	uint64_t gen = __atomic_load_n(&vm->s2.generation, __ATOMIC_SEQ_CST);

	vcpu_enter_race_hook = NULL;
	pthread_create(&t, NULL, punch_from_cpu0, NULL);
	while (__atomic_load_n(&vm->s2.generation, __ATOMIC_SEQ_CST) == gen)
		;
	while (!__atomic_load_n(&fake_kicked[1], __ATOMIC_SEQ_CST))
		;
	vcpu_exited(v);
	pthread_join(t, NULL);
}

/* A CPU that had never entered the VM (its bit clear) enters while a
 * punch runs: either the shootdown sees its bit and waits for it, or the
 * entry reads the new generation and flushes. Here the punch lands
 * between the two, so both must hold. */
START_TEST(a_first_entry_racing_a_punch_is_waited_for_and_flushes)
{
	struct vcpu *v = &vm->vcpus[0];

	ck_assert_int_eq(vm_handle_fault(vm, 0), 0);
	fake_set_cpu(1);
	ck_assert_uint_eq(vm_cpus[vm->id] & 2, 0);
	vcpu_enter_race_hook = punch_during_entry;
	ck_assert(vcpu_enter(v));                    /* it read the new generation */
	ck_assert_int_eq(fake_count(EV_KICK), 1);    /* and the punch waited for it */
	vcpu_exited(v);
	fake_set_cpu(0);
}
END_TEST


/*
 * Two invalidations of one VM at once: a guest's ACCEPT punches its
 * private object on its own vCPU without hv_lock while the VMM punches the
 * VM's shared object under hv_lock (different object locks, one stage-2).
 * Invalidation A's shootdown started before B retired its table; a CPU
 * that A waited for re-entered in between with A's generation and may
 * cache a path through B's table. A must not free that table: only a
 * shootdown that started after the retirement may (B's own).
 */
static struct vm_invalidation inv_a;
static bool a_done;

static void *invalidate_a_on_cpu0(void *arg)
{
	(void)arg;
	fake_set_cpu(0);
	vm_invalidate_begin(&inv_a, vm);
	vm_invalidate_range(&inv_a, 2 * MB, 2 * MB);
	vm_invalidate_end(&inv_a);
	__atomic_store_n(&a_done, true, __ATOMIC_RELEASE);
	return NULL;
}

START_TEST(a_shootdown_frees_no_table_retired_after_it_started)
{
	struct vcpu *v = &vm->vcpus[0];
	struct vm_invalidation inv_b;
	pthread_t a;

	ck_assert_int_eq(vm_handle_fault(vm, 0), 0);          /* table T0 */
	ck_assert_int_eq(vm_handle_fault(vm, 2 * MB), 0);     /* table T1 */
	fake_set_cpu(1);                 /* X and Y in the VM */
	vcpu_enter(v);
	fake_set_cpu(2);
	vcpu_enter(v);
	pthread_create(&a, NULL, invalidate_a_on_cpu0, NULL);
	while (!__atomic_load_n(&fake_kicked[1], __ATOMIC_SEQ_CST) ||
	       !__atomic_load_n(&fake_kicked[2], __ATOMIC_SEQ_CST))
		;                        /* A zapped T1 and waits for X and Y */
	fake_set_cpu(1);                 /* X leaves and comes back: flushed, T0 cached */
	vcpu_exited(v);
	ck_assert(vcpu_enter(v));
	fake_set_cpu(3);                 /* B retires T0, its shootdown still to come */
	vm_invalidate_begin(&inv_b, vm);
	vm_invalidate_range(&inv_b, 0, 2 * MB);
	uint64_t retired = vm->s2.nr_retired;
	ck_assert_uint_ge(retired, 1);
	fake_set_cpu(2);                 /* Y leaves: A ends */
	vcpu_exited(v);
	pthread_join(a, NULL);
	ck_assert(__atomic_load_n(&a_done, __ATOMIC_ACQUIRE));
	/* X is still inside with a generation older than T0's retirement. */
	ck_assert_uint_ge(vm->s2.nr_retired, 1);
	fake_set_cpu(1);
	vcpu_exited(v);
	fake_set_cpu(3);
	vm_invalidate_end(&inv_b);       /* B's shootdown covers T0: now it goes */
	ck_assert_uint_eq(vm->s2.nr_retired, 0);
	fake_set_cpu(0);
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
	tcase_add_test(tc, the_cpu_mask_follows_the_vm_each_cpu_entered_last);
	tcase_add_test(tc, a_first_entry_racing_a_punch_is_waited_for_and_flushes);
	tcase_add_test(tc, a_shootdown_frees_no_table_retired_after_it_started);
	suite_add_tcase(s, tc);
	return s;
}
