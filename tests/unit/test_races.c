/*
 * Races between CPUs on one VM (issue 9 item 7), with threads as CPUs and
 * the fake backend: the test's thread is CPU 0 and drives rounds; CPU 1 is
 * a thread that repeats one operation while a round is open. Each round
 * CPU 0 does the conflicting operation in the middle of CPU 1's loop, then
 * both stop and the state is checked:
 *
 *  - the control partition faulting on a mapping while it is unmapped and
 *    its object's last handle closed (no translation may outlive the
 *    mapping, no fault may touch a freed object);
 *  - a guest faulting on pages being punched (no translation may map a
 *    page the object no longer holds there);
 *  - VCPU_RUN racing VM_DESTROY (destroy waits for the run: -EBUSY, never
 *    frees a VM in use; a run after it finds no VM).
 *
 * The loops find real interleavings; the ThreadSanitizer build
 * (make tsan-test) also reports unordered accesses in them that a run
 * happened not to trip over.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sealvisor/errno.h>
#include "hv/hypercall.h"
#include "hv/memattr_vm.h"
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "mm/pmm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)
#define MIN_ROUNDS 40
#define MAX_ROUNDS 4000
#define ROUNDS_SECONDS 1.5   /* per test: the TSan build gets fewer rounds */
#define STUCK_SECONDS 10.0   /* a CPU that takes longer is stuck, not slow */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned load(const unsigned *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(unsigned *p, unsigned v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* Waits for the counter *p to reach v; false after `secs` (the other CPU
 * is stuck, e.g. spinning on the lock of an object freed under it). */
static bool wait_for(const unsigned *p, unsigned v, double secs)
{
	double end = now() + secs;

	while (load(p) < v) {
		if (now() > end)
			return false;
		sched_yield();
	}
	return true;
}

/* A pseudo-random pause, so CPU 0 acts at a different point of CPU 1's
 * loop each round. */
static void jitter(unsigned *seed, int max)
{
	for (int i = rand_r(seed) % max; i > 0; i--)
		__builtin_ia32_pause();
}

/* What CPU 1 saw that it should not have: checked by CPU 0 after each
 * round (Check's asserts belong to the test's thread). */
static unsigned bad_count;
static char bad_what[160];

static void note_bad(const char *fmt, long value)
{
	if (__atomic_fetch_add(&bad_count, 1, __ATOMIC_ACQ_REL) == 0)
		snprintf(bad_what, sizeof(bad_what), fmt, value);
}

static void assert_cpu1_saw_nothing_bad(unsigned round)
{
	unsigned n = load(&bad_count);

	ck_assert_msg(n == 0, "round %u: CPU 1 saw %u bad results, first: %s", round, n, bad_what);
}

/* CPU 1: runs work(ctx) over and over while a round is open. */
struct cpu1 {
	pthread_t t;
	void (*work)(void *ctx);
	void *ctx;
	unsigned opened, started, closed, finished, quit;   /* round numbers */
	unsigned calls;                                     /* this round */
};

static void *cpu1_main(void *arg)
{
	struct cpu1 *c = arg;

	fake_set_cpu(1);
	for (unsigned r = 1;; r++) {
		while (load(&c->opened) != r) {
			if (load(&c->quit))
				return NULL;
			sched_yield();
		}
		store(&c->calls, 0);
		store(&c->started, r);
		while (load(&c->closed) != r) {
			c->work(c->ctx);
			__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELEASE);
		}
		store(&c->finished, r);
	}
}

static void cpu1_start(struct cpu1 *c, void (*work)(void *), void *ctx)
{
	*c = (struct cpu1){ .work = work, .ctx = ctx };
	bad_count = 0;
	ck_assert_int_eq(pthread_create(&c->t, NULL, cpu1_main, c), 0);
}

/* Opens a round and returns once CPU 1 is inside its loop. */
static unsigned cpu1_open(struct cpu1 *c)
{
	unsigned r = c->opened + 1;

	store(&c->opened, r);
	ck_assert_msg(wait_for(&c->started, r, STUCK_SECONDS), "round %u: CPU 1 never started", r);
	ck_assert_msg(wait_for(&c->calls, 1, STUCK_SECONDS), "round %u: CPU 1 is stuck", r);
	return r;
}

/* Closes the round and waits until CPU 1 is out of its loop. */
static void cpu1_close(struct cpu1 *c, unsigned r)
{
	store(&c->closed, r);
	ck_assert_msg(wait_for(&c->finished, r, STUCK_SECONDS),
		      "round %u: CPU 1 is stuck in its operation (spinning on a freed object's lock?)",
		      r);
	assert_cpu1_saw_nothing_bad(r);
}

static void cpu1_stop(struct cpu1 *c)
{
	store(&c->quit, 1);
	pthread_join(c->t, NULL);
}

/* Rounds go on until MAX_ROUNDS, or ROUNDS_SECONDS once MIN_ROUNDS ran. */
static bool more_rounds(unsigned done, double start)
{
	return done < MIN_ROUNDS || (done < MAX_ROUNDS && now() - start < ROUNDS_SECONDS);
}

static struct vm *control;
static uint64_t free0, objects0;

static void setup(void)
{
	unit_machine(64 * MB);
	free0 = pmm_free_pages();
	objects0 = memobj_nr_objects();
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
}

static void teardown(void)
{
	vm_destroy(control);
	ck_assert_uint_eq(memobj_nr_objects(), objects0);
	ck_assert_uint_eq(pmm_free_pages(), free0);   /* nothing leaked */
	arena_unmap();
}

/* ---- a. control partition: map fault vs unmap + close of the last handle ---- */

#define MAP_GPA (64 * MB)
#define MAP_PAGES 16

struct map_faulter {
	unsigned next;      /* page cursor */
	unsigned mapped;    /* faults that installed (or found) a translation */
};

static void map_fault_work(void *ctx)
{
	struct map_faulter *f = ctx;
	unsigned i = f->next++ % MAP_PAGES;
	int r = vm_map_fault(control, MAP_GPA + i * PAGE_SIZE + 8, i & 1);

	/* Mapped, or no mapping there (any more); -EINVAL would be the
	 * fault reading a freed object (its size went to 0). */
	if (r == 0)
		f->mapped++;
	else if (r != -EFAULT)
		note_bad("vm_map_fault returned %ld", r);
}

/* The object's only references: handle 0 and the mapping. */
static struct memobj *map_new_object(void)
{
	struct memobj *o;

	ck_assert_int_eq(memobj_create(0, &o), 0);
	ck_assert_int_eq(memobj_set_size(o, MAP_PAGES * PAGE_SIZE), 0);
	control->handles[0] = o;
	ck_assert_int_eq(vm_map_object(control, o, 0, MAP_GPA, MAP_PAGES * PAGE_SIZE, true), 0);
	return o;
}

/* Both orders end with the object freed: closing the handle first makes
 * the unmap drop the last reference; unmapping first leaves it to close. */
static void close_and_unmap(struct memobj *o, bool close_first)
{
	if (close_first) {
		control->handles[0] = NULL;
		memobj_close(o);
	}
	ck_assert_int_eq(vm_unmap_object(control, MAP_GPA), 0);
	if (!close_first) {
		control->handles[0] = NULL;
		memobj_close(o);
	}
}

static void assert_window_unmapped(void)
{
	uint64_t hpa;
	unsigned level;

	for (unsigned i = 0; i < MAP_PAGES; i++)
		ck_assert_msg(!stage2_lookup(&control->s2, MAP_GPA + i * PAGE_SIZE, &hpa, &level),
			      "gpa 0x%lx still maps hpa 0x%lx after the unmap",
			      MAP_GPA + i * PAGE_SIZE, hpa);
}

START_TEST(map_fault_racing_unmap_and_close_leaves_nothing_mapped)
{
	struct map_faulter f = { 0 };
	struct cpu1 c;
	unsigned seed = 9, rounds = 0;
	double start = now();

	cpu1_start(&c, map_fault_work, &f);
	for (; more_rounds(rounds, start); rounds++) {
		uint64_t free_before = pmm_free_pages();
		struct memobj *o = map_new_object();
		unsigned r = cpu1_open(&c);
		jitter(&seed, 4000);
		close_and_unmap(o, r & 1);
		cpu1_close(&c, r);
		ck_assert_msg(vm_audit() == 0, "round %u: a translation outlived its page", r);
		assert_window_unmapped();
		/* The object, its pages and the emptied stage-2 tables are gone. */
		ck_assert_uint_eq(memobj_nr_objects(), objects0);
		ck_assert_uint_eq(pmm_free_pages(), free_before);
	}
	cpu1_stop(&c);
	ck_assert_uint_gt(f.mapped, 0);           /* CPU 1 did map pages, not only miss */
}
END_TEST

/* ---- b. guest: fault vs punch of the same pages ---- */

#define EXT_GPA (2 * MB)                       /* a 2 MiB extent, mapped by one leaf */
#define WINDOW_PAGES 64
#define EXT_PUNCH_FIRST 16                     /* part of the extent: splits its leaf */
#define EXT_PUNCH_PAGES 32
#define PUNCHES_PER_ROUND 4

static struct vm *guest;
static struct memobj *gobj;

static uint64_t window_gpa(unsigned i)
{
	return i < WINDOW_PAGES ? i * PAGE_SIZE : EXT_GPA + (i - WINDOW_PAGES) * PAGE_SIZE;
}

/* Between the fault's page lookup and its install, on CPU 1: a short
 * pause there makes a punch from CPU 0 far more likely to arrive inside
 * the window (where the object lock must hold it off). */
static void widen_fault_window(struct vm *vm, uint64_t gpa)
{
	static __thread unsigned seed = 11;

	(void)vm, (void)gpa;
	jitter(&seed, 300);
}

static int64_t guest_accept_call(uint64_t gpa, uint64_t size);

static void guest_fault_work(void *ctx)
{
	static __thread unsigned seed = 13;
	unsigned *next = ctx;
	uint64_t gpa = window_gpa((*next)++ % (2 * WINDOW_PAGES));
	int r = vm_handle_fault(guest, gpa);

	/* A punched page is no longer accepted (every GUEST region has
	 * acceptance on): the guest takes the #VE and accepts a fresh page,
	 * which its next fault maps. */
	if (r == VM_FAULT_VE)
		r = (int)guest_accept_call(gpa, PAGE_SIZE);
	if (r)
		note_bad("vm_handle_fault or the ACCEPT after its #VE returned %ld", r);
	/* The guest runs a little before its next fault; back to back, the
	 * unfair spinlock would starve CPU 0's punch of the object lock. */
	jitter(&seed, 300);
}

/* The guest's SV_HC_GUEST_ACCEPT on its vCPU 0 (CPU 1 and, between
 * rounds, CPU 0 only). */
static int64_t guest_accept_call(uint64_t gpa, uint64_t size)
{
	static struct sv_run run;
	struct vcpu *v = &guest->vcpus[0];

	v->regs.rax = SV_HC_GUEST_ACCEPT, v->regs.rdi = gpa, v->regs.rsi = size;
	memattr_guest_call(v, &run);
	return (int64_t)v->regs.rax;
}

/* A GUEST object of 4 MiB bound at gpa 0 of a fresh guest. */
static void guest_setup(void)
{
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &gobj), 0);
	ck_assert_int_eq(memobj_add_seals(gobj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(gobj, 4 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&guest), 0);
	ck_assert_int_eq(vm_set_region(guest, 0, 4 * MB, gobj, 0), 0);
	fake_launch(guest);      /* punches are the VMM's only after finalize */
}

/* Back to an empty low window and a whole extent at EXT_GPA, so every
 * round faults 4 KiB pages in and maps a 2 MiB leaf that a partial punch
 * must take down (split, or drop whole as issue 9 has it). */
static void guest_reset(void)
{
	ck_assert_int_eq(memobj_fallocate(gobj, PUNCH, 0, 4 * MB), 0);
	/* Accepted again as the guest would (ACCEPT punches, so before the
	 * extent is allocated): the extent's 2 MiB leaf needs all its pages
	 * accepted. */
	ck_assert_int_eq(guest_accept_call(0, 2 * MB), 0);
	ck_assert_int_eq(guest_accept_call(EXT_GPA, 2 * MB), 0);
	ck_assert_int_eq(memobj_fallocate(gobj, 0, EXT_GPA, 2 * MB), 0);
}

static void punch_window(unsigned *seed)
{
	for (int i = 0; i < PUNCHES_PER_ROUND; i++) {
		ck_assert_int_eq(memobj_fallocate(gobj, PUNCH, 0, WINDOW_PAGES * PAGE_SIZE), 0);
		ck_assert_int_eq(memobj_fallocate(gobj, PUNCH, EXT_GPA + EXT_PUNCH_FIRST * PAGE_SIZE,
						  EXT_PUNCH_PAGES * PAGE_SIZE), 0);
		jitter(seed, 4000);
	}
}

/* Every translation left in the window is the object's page at that
 * offset now: a punched page kept mapped would differ (or be free). The
 * lookup allocates a page only where the object has none, i.e. exactly
 * where a translation outlived its page, and then it fails anyway. */
static void assert_guest_maps_object_pages(unsigned round)
{
	for (unsigned i = 0; i < 2 * WINDOW_PAGES; i++) {
		uint64_t gpa = window_gpa(i), hpa, pa;
		unsigned level, order;
		if (!stage2_lookup(&guest->s2, gpa, &hpa, &level))
			continue;
		ck_assert_int_eq(memobj_get_page(gobj, gpa >> PAGE_SHIFT, &pa, &order), 0);
		memobj_put_page(gobj, pa);
		ck_assert_msg(pa == hpa, "round %u: gpa 0x%lx maps hpa 0x%lx, but the object's page "
			      "there is 0x%lx: a punched page stayed mapped", round, gpa, hpa, pa);
	}
}

START_TEST(guest_fault_racing_punch_never_keeps_a_punched_page)
{
	struct cpu1 c;
	unsigned cursor = 0, seed = 5, rounds = 0;
	double start = now();

	guest_setup();
	vm_fault_race_hook = widen_fault_window;
	cpu1_start(&c, guest_fault_work, &cursor);
	for (; more_rounds(rounds, start); rounds++) {
		guest_reset();
		unsigned r = cpu1_open(&c);
		punch_window(&seed);
		cpu1_close(&c, r);
		ck_assert_msg(vm_audit() == 0, "round %u: a translation outlived its page", r);
		assert_guest_maps_object_pages(r);
	}
	cpu1_stop(&c);
	vm_fault_race_hook = NULL;
	vm_destroy(guest);
	memobj_close(gobj);
}
END_TEST

/* ---- c. VCPU_RUN vs VM_DESTROY, both through hypercall_dispatch ---- */

#define REGS_GPA 0x1000     /* in the control partition's RAM */
#define RUN_GPA 0x2000
#define GUEST_SIZE (2 * MB)

static int64_t hc(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	return unit_hc(control, nr, a, b, c, d, e);
}

/* What each run of the guest does: faults in pages (each handled in the
 * hypervisor, in the run), CPUIDs between them, then HLT, which returns to
 * the VMM. */
static void script_guest(void)
{
	static const uint64_t gpas[] = { 0x1000, 0x7000, 0x1ff000, 0x3000, 0x100000, 0x8000 };
	int n = 0;

	for (unsigned i = 0; i < sizeof(gpas) / sizeof(gpas[0]); i++) {
		fake_exits[n++] = (struct vm_exit){ .reason = VMEXIT_NPF, .gpa = gpas[i], .write = true };
		fake_exits[n++] = (struct vm_exit){ .reason = VMEXIT_CPUID };
	}
	fake_exits[n++] = (struct vm_exit){ .reason = VMEXIT_HLT };
	fake_nexits = n;
}

/* Runs on CPU 1 inside the guest run, at each fault it handles: the VM
 * must still exist while its vCPU runs (VM_DESTROY is -EBUSY until the run
 * is over). The pause keeps the run going long enough for CPU 0's
 * VM_DESTROY to land in the middle of it. */
static void fault_in_run(struct vm *vm, uint64_t gpa)
{
	static __thread unsigned seed = 3;

	if (!vm->in_use || !vm->vcpus[0].running)
		note_bad("a fault at gpa 0x%lx in the run of a destroyed VM", (long)gpa);
	jitter(&seed, 500);
}

struct runner {
	unsigned vm_id;     /* set by CPU 0 before the round opens */
	unsigned gone;      /* runs that found no VM, this round */
	unsigned runs;      /* runs that returned to the VMM, over all rounds */
	unsigned seed;      /* CPU 1's */
};

static void run_work(void *ctx)
{
	struct runner *rn = ctx;

	fake_next_exit = 0;                       /* CPU 1 is the only CPU running guests */
	int64_t r = hc(SV_HC_VCPU_RUN, rn->vm_id, 0, RUN_GPA, 0, 0);
	const struct sv_run *run = vm_guest_ptr(control, RUN_GPA, sizeof(*run));
	if (r == 0 && run->exit_reason == SV_EXIT_HLT)
		rn->runs++;
	else if (r == -ENOENT)
		store(&rn->gone, load(&rn->gone) + 1);
	else
		note_bad(r ? "VCPU_RUN returned %ld" : "VCPU_RUN's exit reason was %ld",
			 r ? r : (long)run->exit_reason);
	/* The VMM handles the exit before it runs the vCPU again; without
	 * this gap CPU 0 would rarely get hv_lock between two runs (the
	 * spinlock is not fair) and a round could take seconds. */
	jitter(&rn->seed, 4000);
}

/* A finalized guest with one vCPU (created before VM_FINALIZE, as issue 9
 * requires) on a GUEST object; returns its id, *handle its object. */
static unsigned launch_guest(int64_t *handle)
{
	struct sv_vcpu_regs regs = { .rip = 0x100000 };
	int64_t h = hc(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING, 0, 0, 0, 0);
	int64_t id = hc(SV_HC_VM_CREATE, 0, 0, 0, 0, 0);

	ck_assert_int_ge(h, 0);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(hc(SV_HC_MEMOBJ_ADD_SEALS, h, MEMOBJ_SEAL_GUEST, 0, 0, 0), 0);
	ck_assert_int_eq(hc(SV_HC_MEMOBJ_SET_SIZE, h, GUEST_SIZE, 0, 0, 0), 0);
	ck_assert_int_eq(hc(SV_HC_VM_SET_REGION, id, 0, GUEST_SIZE, h, 0), 0);
	memcpy(vm_guest_ptr(control, REGS_GPA, sizeof(regs)), &regs, sizeof(regs));
	ck_assert_int_eq(hc(SV_HC_VCPU_CREATE, id, 0, REGS_GPA, 0, 0), 0);
	ck_assert_int_eq(hc(SV_HC_VM_FINALIZE, id, 0, 0, 0, 0), 0);
	*handle = h;
	return (unsigned)id;
}

/* VM_DESTROY until it succeeds; every other answer must be -EBUSY (the
 * vCPU is running on CPU 1). Returns how many times it was busy. The pause
 * between tries lets CPU 1 take hv_lock to end its run. */
static unsigned destroy_until_done(unsigned id, unsigned *seed)
{
	unsigned busy = 0;

	for (;;) {
		int64_t r = hc(SV_HC_VM_DESTROY, id, 0, 0, 0, 0);
		if (r == 0)
			return busy;
		ck_assert_msg(r == -EBUSY, "VM_DESTROY returned %ld", r);
		busy++;
		jitter(seed, 4000);
	}
}

START_TEST(destroy_racing_run_waits_for_it_and_leaks_nothing)
{
	struct runner rn = { 0 };
	struct cpu1 c;
	unsigned rounds = 0, busy = 0, seed = 7;
	double start = now();

	script_guest();
	vm_fault_race_hook = fault_in_run;
	cpu1_start(&c, run_work, &rn);
	for (; more_rounds(rounds, start); rounds++) {
		uint64_t free_before = pmm_free_pages(), objects_before = memobj_nr_objects();
		int64_t h;
		rn.vm_id = launch_guest(&h);
		store(&rn.gone, 0);
		unsigned r = cpu1_open(&c);
		busy += destroy_until_done(rn.vm_id, &seed);
		/* CPU 1 keeps running the vCPU: it must now find no VM. */
		ck_assert_msg(wait_for(&rn.gone, 1, STUCK_SECONDS),
			      "round %u: CPU 1 never saw the VM gone", r);
		cpu1_close(&c, r);
		ck_assert_int_eq(hc(SV_HC_VCPU_RUN, rn.vm_id, 0, RUN_GPA, 0, 0), -ENOENT);
		ck_assert_int_eq(vm_audit(), 0);
		ck_assert_int_eq(hc(SV_HC_MEMOBJ_CLOSE, h, 0, 0, 0, 0), 0);
		ck_assert_uint_eq(memobj_nr_objects(), objects_before);
		ck_assert_uint_eq(pmm_free_pages(), free_before);
	}
	cpu1_stop(&c);
	vm_fault_race_hook = NULL;
	/* The race was exercised: the guest did run, and some VM_DESTROY
	 * came while it was running. */
	ck_assert_uint_gt(rn.runs, 0);
	ck_assert_uint_gt(busy, 0);
}
END_TEST

Suite *races_suite(void)
{
	Suite *s = suite_create("races");
	TCase *tc = tcase_create("threads as CPUs");

	/* The TSan build runs these several times slower. */
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, map_fault_racing_unmap_and_close_leaves_nothing_mapped);
	tcase_add_test(tc, guest_fault_racing_punch_never_keeps_a_punched_page);
	tcase_add_test(tc, destroy_racing_run_waits_for_it_and_leaks_nothing);
	suite_add_tcase(s, tc);
	return s;
}
