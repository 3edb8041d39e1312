/*
 * Shared by the hostile control partitions in tests/guests (the files named
 * *-control.c): exact-result checks, page accounting, the second control
 * vCPU as a worker, and tiny hand-assembled guests run with VCPU_RUN.
 * Header-only (static functions): each partition is one image.
 */
#ifndef TESTS_GUESTS_HOSTILE_H
#define TESTS_GUESTS_HOSTILE_H

#include "guest/lib/sv.h"

#define MB (1UL << 20)
#define PAGE 4096UL

static unsigned checks, failures;
static struct sv_boot_params *bp;

static void __attribute__((unused)) expect(const char *what, int64_t got, int64_t want)
{
	checks++;
	if (got == want)
		return;
	failures++;
	sv_printf("FAIL %s: got %ld (%s), expected %ld (%s)\n", what, got, sv_strerror(got),
		  want, sv_strerror(want));
}

static struct sv_stats __attribute__((unused)) stats(uint64_t vm)
{
	struct sv_stats st;

	memset(&st, 0, sizeof(st));
	expect("stats", sv_call2(SV_HC_STATS, (uint64_t)&st, vm), 0);
	return st;
}

/* Page accounting back where it started: free, object and stage-2 pages,
 * objects and VMs. */
static void __attribute__((unused)) expect_baseline(const char *when, const struct sv_stats *base)
{
	struct sv_stats st = stats(0);
	char what[96];

	sv_printf("%s: free %lu (baseline %lu), memobj %lu (%lu), stage2 %lu (%lu), heap %lu (%lu), "
		  "hv %lu (%lu), objects %lu, VMs %lu\n", when, st.free_pages, base->free_pages,
		  st.memobj_pages, base->memobj_pages, st.stage2_pages, base->stage2_pages,
		  st.heap_pages, base->heap_pages, st.hv_pages, base->hv_pages, st.memobjs, st.vms);
	sv_snprintf(what, sizeof(what), "%s: free pages back to the baseline", when);
	expect(what, (int64_t)st.free_pages, (int64_t)base->free_pages);
	sv_snprintf(what, sizeof(what), "%s: object pages back to the baseline", when);
	expect(what, (int64_t)st.memobj_pages, (int64_t)base->memobj_pages);
	sv_snprintf(what, sizeof(what), "%s: stage-2 pages back to the baseline", when);
	expect(what, (int64_t)st.stage2_pages, (int64_t)base->stage2_pages);
	sv_snprintf(what, sizeof(what), "%s: no objects left", when);
	expect(what, (int64_t)st.memobjs, (int64_t)base->memobjs);
	sv_snprintf(what, sizeof(what), "%s: only the control partition left", when);
	expect(what, (int64_t)st.vms, 1);
}

/* ---- The second control vCPU as a worker ----
 * Control vCPU 1 starts (CONTROL_VCPU_START) in worker_main and sleeps in
 * HLT (the hypervisor parks its CPU) until vCPU 0 posts a job and wakes it
 * with CONTROL_VCPU_WAKE; a wake-up sent before its HLT is not lost. */
enum { W_IDLE, W_READY, W_RUNNING, W_DONE };
static void (*volatile worker_job)(void);
static volatile int worker_state;
static volatile bool worker_up;
static uint8_t worker_stack[64 * 1024] __attribute__((aligned(4096)));

static void __attribute__((unused)) worker_main(uint64_t cpu)
{
	(void)cpu;
	__atomic_store_n(&worker_up, true, __ATOMIC_SEQ_CST);
	for (;;) {
		while (__atomic_load_n(&worker_state, __ATOMIC_ACQUIRE) != W_READY)
			__asm__ volatile("hlt");
		__atomic_store_n(&worker_state, W_RUNNING, __ATOMIC_SEQ_CST);
		worker_job();
		__atomic_store_n(&worker_state, W_DONE, __ATOMIC_RELEASE);
	}
}

static bool __attribute__((unused)) worker_start(void)
{
	if (bp->nr_cpus < 2) {
		/* One CPU cannot race itself: a skip, not a failure. */
		sv_printf("SKIP: this test needs 2 CPUs, the machine runs %u\n", bp->nr_cpus);
		return false;
	}
	int64_t r = sv_call3(SV_HC_CONTROL_VCPU_START, 1, (uint64_t)worker_main,
			     (uint64_t)worker_stack + sizeof(worker_stack) - 8);
	expect("start control vCPU 1", r, 0);
	if (r)
		return false;
	while (!__atomic_load_n(&worker_up, __ATOMIC_SEQ_CST))
		__asm__ volatile("pause");
	return true;
}

/* Posts a job and returns once vCPU 1 has started it. */
static void __attribute__((unused)) worker_run(void (*job)(void))
{
	worker_job = job;
	__atomic_store_n(&worker_state, W_READY, __ATOMIC_RELEASE);
	expect("wake control vCPU 1", sv_call1(SV_HC_CONTROL_VCPU_WAKE, 1), 0);
	while (__atomic_load_n(&worker_state, __ATOMIC_ACQUIRE) == W_READY)
		__asm__ volatile("pause");
}

static void __attribute__((unused)) worker_wait(void)
{
	while (__atomic_load_n(&worker_state, __ATOMIC_ACQUIRE) != W_DONE)
		__asm__ volatile("pause");
	worker_state = W_IDLE;
}

/* ---- Tiny guests ----
 * Page tables for a guest at GUEST_PT: PML4, PDPT, PD identity-mapping the
 * first 1 GiB with 2 MiB pages (what the demo VMM gives its kernels). */
#define GUEST_PT 0x1000UL
#define GUEST_PT_LEN (3 * PAGE)

static void __attribute__((unused)) guest_page_tables(uint64_t *pt)
{
	memset(pt, 0, GUEST_PT_LEN);
	pt[0] = (GUEST_PT + 0x1000) | 3;
	pt[512] = (GUEST_PT + 0x2000) | 3;
	for (uint64_t i = 0; i < 512; i++)
		pt[1024 + i] = (i << 21) | 0x83;
}

/* A GUEST-sealed object of `size` bytes; `extents`: fallocate all of it
 * first (2 MiB extents, so faults map 2 MiB stage-2 leaves). */
static int64_t __attribute__((unused)) guest_object(uint64_t size, bool extents)
{
	int64_t g = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING);
	expect("create the guest's object", g >= 0, 1);
	expect("GUEST-seal it", sv_call2(SV_HC_MEMOBJ_ADD_SEALS, g, MEMOBJ_SEAL_GUEST), 0);
	expect("size it", sv_call2(SV_HC_MEMOBJ_SET_SIZE, g, size), 0);
	if (extents)
		expect("fallocate it", sv_call4(SV_HC_MEMOBJ_FALLOCATE, g, 0, 0, size), 0);
	return g;
}

#endif
