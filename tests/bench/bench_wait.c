/*
 * The longest wait behind a 1 GiB punch (issue 14 item 2): CPU 0 punches
 * 1 GiB of written memory that a VM has mapped, through the dispatcher;
 * meanwhile CPU 1 (a thread) alternates a hypercall (MEMOBJ_GET_SIZE of
 * another object: it takes the global lock) and a stage-2 fault on a page
 * of the same object outside the punched range (it takes the object
 * lock), and records the longest each took while the punch ran. Before
 * item 2 both waited out the zeroing of 1 GiB (20-25 ms).
 */
#include <pthread.h>
#include <sealvisor/hypercall.h>
#include "hv/vm.h"
#include "mm/memobj.h"
#include "tests/bench/bench.h"
#include "tests/unit/fake_virt.h"

#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)

struct waiter {
	struct vm *vm;
	int other;
	bool started, stop;           /* between threads: __atomic only */
	double hc_max, fault_max;
	uint64_t ops;
};

static void *cpu1(void *arg)
{
	struct waiter *w = arg;

	fake_set_cpu(1);
	__atomic_store_n(&w->started, true, __ATOMIC_RELEASE);
	for (uint64_t i = 0; !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE); i++) {
		double t0 = now();
		if (sv_hc(SV_HC_MEMOBJ_GET_SIZE, w->other, 0, 0, 0) != (int64_t)KIB4)
			die("GET_SIZE");
		double t1 = now();
		if (vm_handle_fault(w->vm, GIB + (i % 512) * KIB4))
			die("vm_handle_fault");
		double t2 = now();
		w->hc_max = t1 - t0 > w->hc_max ? t1 - t0 : w->hc_max;
		w->fault_max = t2 - t1 > w->fault_max ? t2 - t1 : w->fault_max;
		w->ops++;
	}
	return NULL;
}

static void wait_rows(unsigned flags, const char *punch_name, const char *hc_name,
		      const char *fault_name)
{
	double punch[RUNS], hc[RUNS], fault[RUNS];

	for (int r = 0; r < RUNS; r++) {
		int h = sv_object(flags, true, GIB + 2 * MIB), other = sv_object(0, false, KIB4);
		struct vm *vm = sv_guest(h, GIB + 2 * MIB);
		struct waiter w = { .vm = vm, .other = other };
		pthread_t t;

		if (sv_hc(SV_HC_MEMOBJ_FALLOCATE, h, 0, 0, GIB + 2 * MIB))
			die("fallocate");
		sv_write_pages(h, vm, GIB + 2 * MIB);
		pthread_create(&t, NULL, cpu1, &w);
		while (!__atomic_load_n(&w.started, __ATOMIC_ACQUIRE))
			;
		double t0 = now();
		if (sv_hc(SV_HC_MEMOBJ_FALLOCATE, h, PUNCH, 0, GIB))
			die("punch");
		punch[r] = now() - t0;
		/* Only what overlapped the punch counts: stop right after it. */
		__atomic_store_n(&w.stop, true, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		hc[r] = w.hc_max;
		fault[r] = w.fault_max;
		vm_destroy(vm);
		sv_hc(SV_HC_MEMOBJ_CLOSE, h, 0, 0, 0);
		sv_hc(SV_HC_MEMOBJ_CLOSE, other, 0, 0, 0);
	}
	row_add(punch_name, NULL, GIB, punch, -1, 0);
	/* One event per row: "per 4 KiB" of a 4 KiB row is ns per event. */
	row_add(hc_name, NULL, KIB4, hc, -1, 1e6);
	row_add(fault_name, NULL, KIB4, fault, -1, 1e6);
}

void bench_wait(void)
{
	wait_rows(0, "wait: 1 GiB punch, written, mapped, 2 MiB extents (CPU 0)",
		  "wait: longest CPU 1 hypercall during it (ns)",
		  "wait: longest CPU 1 fault, same object, during it (ns)");
	wait_rows(MEMOBJ_4K_ONLY, "wait: 1 GiB punch, written, mapped, 4 KiB pages (CPU 0)",
		  "wait: longest CPU 1 hypercall during it (ns) ",
		  "wait: longest CPU 1 fault, same object, during it (ns) ");
}
