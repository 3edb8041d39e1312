/*
 * map-race-control: a hostile control partition that races its own
 * MEMOBJ_MAP mappings against its own accesses, from its two vCPUs
 * (issue 9 item 7). Run with debug.audit = on.
 *
 * Design. The hypervisor kills the control partition for an access to a
 * gpa with no mapping (control_fatal in hv/run.c), so the accessing vCPU
 * must only ever touch a mapping that exists. Each round:
 *
 *   - object O (NPAGES pages, filled with PAT(round, page)) is mapped at
 *     MAP_A ("A"). A stays mapped until the toucher has stopped.
 *   - vCPU 1, the toucher, sweeps A without end: one qword per page, a
 *     different qword each sweep. Every value must be 0 (a punched page,
 *     faulted back in fresh) or PAT(round, page); anything else is a
 *     translation that outlived its page (the page has been freed and
 *     reused, e.g. by the decoy below).
 *   - vCPU 0, the churner, keeps invalidating the very pages the toucher
 *     faults on and rewriting the mapping table around A:
 *       punch a run of O's pages (A's translations go: each of the
 *       toucher's next reads of them is a fresh stage-2 fault that
 *       allocates a page, racing the churn);
 *       fill the decoy object D at once (it tends to get the pages just
 *       freed: a stale translation would show DECOY);
 *       map O again at MAP_B, in the same 2 MiB as A (the same last-level
 *       stage-2 table), write the pattern back through it (the churner's
 *       own faults on B race the toucher's on A), unmap B (its zap can
 *       empty that shared table, which is then retired and freed while
 *       the toucher's faults install into it);
 *       now and then map O read-only at MAP_C (another table), read it,
 *       unmap it; punch D whole.
 *     At the end of the round the churner punches all of O and closes the
 *     last handle while A still holds the object and the toucher is
 *     faulting on it, lets the toucher sweep twice more (the object now
 *     lives only through the mapping), stops it, then unmaps A (which
 *     frees O).
 *
 * Checks: every call returns exactly what it should; the toucher never
 * sees a foreign value and really ran during the churn; after each round
 * and at the end no object page is left and page accounting (free,
 * object and stage-2 pages) is back to the baseline; the audit never fires
 * (it would end the run with status 3 before the summary line).
 */
#include "tests/guests/hostile.h"

#define NPAGES 64
#define MAP_A (256 * MB)
#define MAP_B (MAP_A + NPAGES * PAGE)   /* same 2 MiB as A: same stage-2 table */
#define MAP_C (512 * MB)
#define ROUNDS 2
#define ITERS 20
#define DPAGES 16
#define DECOY 0xdec0dec0dec0dec0UL
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)

static volatile unsigned round_nr;
static volatile bool stop;
static volatile uint64_t sweeps, bad, bad_value, bad_page, zeros;
/* Liveness of the churner's zaps: a zap of our stage-2 table kicks vCPU 1
 * out of guest mode and waits for it. The churner bumps `progress` around
 * every call; if one call lasts STALL_SWEEPS of the toucher's sweeps, the
 * kick did not work (vCPU 1 never exits on its own: it only reads mapped
 * memory). The toucher then counts a stall and from then on executes
 * CPUID (an exit) every sweep, so the rest of the test is not held up. */
#define STALL_SWEEPS 200000
static volatile uint64_t progress, stalls;
static volatile bool in_call, cooperative;

static uint64_t pat(unsigned round, uint64_t page)
{
	return 0x5eed000000000000UL | (uint64_t)round << 32 | page << 12 | 0x5a;
}

/* vCPU 1: reads A, only A, until told to stop. */
static void toucher(void)
{
	const volatile uint64_t *a = (const volatile uint64_t *)MAP_A;
	unsigned r = round_nr;

	uint64_t seen = ~0UL, since = 0;

	for (uint64_t s = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); s++) {
		uint64_t now = __atomic_load_n(&progress, __ATOMIC_ACQUIRE);
		if (now != seen || !in_call)
			seen = now, since = 0;
		else if (++since == STALL_SWEEPS)
			stalls++, cooperative = true;
		if (cooperative) {
			uint32_t eax = 0, ebx, ecx = 0, edx;
			__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
		}
		for (uint64_t p = 0; p < NPAGES; p++) {
			uint64_t v = a[p * 512 + (s + p) % 512];
			if (!v)
				zeros++;   /* punched, faulted back in fresh */
			else if (v != pat(r, p)) {
				if (!bad++)
					bad_value = v, bad_page = p;
			}
		}
		__atomic_store_n(&sweeps, s + 1, __ATOMIC_RELEASE);
	}
}

static uint64_t obuf[NPAGES * 512] __attribute__((aligned(4096)));
static uint64_t dbuf[DPAGES * 512] __attribute__((aligned(4096)));

static void wait_sweeps(uint64_t n)
{
	uint64_t target = __atomic_load_n(&sweeps, __ATOMIC_ACQUIRE) + n;
	while (__atomic_load_n(&sweeps, __ATOMIC_ACQUIRE) < target)
		__asm__ volatile("pause");
}

static void one_round(unsigned r, int64_t d)
{
	volatile uint64_t *b = (volatile uint64_t *)MAP_B;
	int64_t o = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING);
	unsigned ok = 0, calls = 0;

	expect("create the object", o >= 0, 1);
	expect("size it", sv_call2(SV_HC_MEMOBJ_SET_SIZE, o, NPAGES * PAGE), 0);
	for (uint64_t i = 0; i < NPAGES * 512; i++)
		obuf[i] = pat(r, i / 512);
	expect("fill it", sv_call4(SV_HC_MEMOBJ_WRITE, o, 0, (uint64_t)obuf, sizeof(obuf)), sizeof(obuf));
	expect("map it at A", sv_call5(SV_HC_MEMOBJ_MAP, o, 0, MAP_A, NPAGES * PAGE, 0), 0);
	round_nr = r;
	stop = false;
	sweeps = zeros = stalls = 0;
	worker_run(toucher);
	wait_sweeps(1);
	uint64_t sweeps_before = sweeps;

	/* Calls in the loop are counted and reported once, not per call. */
#define CALL(cond) (progress++, in_call = true, calls++, ok += (cond) ? 1 : 0, in_call = false)
	for (unsigned i = 0; i < ITERS; i++) {
		uint64_t start = (i * 7) % NPAGES, len = 1 + i % 8;
		if (start + len > NPAGES)
			len = NPAGES - start;
		CALL(sv_call4(SV_HC_MEMOBJ_FALLOCATE, o, PUNCH, start * PAGE, len * PAGE) == 0);
		CALL(sv_call4(SV_HC_MEMOBJ_WRITE, d, 0, (uint64_t)dbuf, sizeof(dbuf)) == sizeof(dbuf));
		CALL(sv_call5(SV_HC_MEMOBJ_MAP, o, 0, MAP_B, NPAGES * PAGE, 1) == 0);
		for (uint64_t p = start; p < start + len; p++)
			for (unsigned q = 0; q < 512; q++)
				b[p * 512 + q] = pat(r, p);
		CALL(sv_call1(SV_HC_MEMOBJ_UNMAP, MAP_B) == 0);
		if (i % 4 == 3) {
			CALL(sv_call5(SV_HC_MEMOBJ_MAP, o, 0, MAP_C, NPAGES * PAGE, 0) == 0);
			uint64_t v = *(volatile uint64_t *)(MAP_C + start * PAGE);
			CALL(v == 0 || v == pat(r, start));
			CALL(sv_call1(SV_HC_MEMOBJ_UNMAP, MAP_C) == 0);
		}
		CALL(sv_call4(SV_HC_MEMOBJ_FALLOCATE, d, PUNCH, 0, DPAGES * PAGE) == 0);
	}
	expect("every churn call succeeded", ok, calls);
	uint64_t churn_sweeps = sweeps - sweeps_before, churn_zeros = zeros;

	/* Every page of O goes while the toucher faults on them, then the last
	 * handle: A alone holds the object now. */
	expect("punch all of the object", sv_call4(SV_HC_MEMOBJ_FALLOCATE, o, PUNCH, 0, NPAGES * PAGE), 0);
	expect("close the last handle while A maps it", sv_call1(SV_HC_MEMOBJ_CLOSE, o), 0);
	expect("the handle is gone", sv_call1(SV_HC_MEMOBJ_GET_SIZE, o), -EBADF);
	wait_sweeps(2);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	worker_wait();
	expect("unmap A (frees the object)", sv_call1(SV_HC_MEMOBJ_UNMAP, MAP_A), 0);
	expect("unmap A twice", sv_call1(SV_HC_MEMOBJ_UNMAP, MAP_A), -EINVAL);
	sv_printf("round %u: %u churn calls, toucher swept %lu times during the churn, %lu in all, "
		  "read %lu punched pages during the churn, %lu foreign values\n", r, calls, churn_sweeps,
		  sweeps, churn_zeros, bad);
	expect("the toucher ran during the churn", churn_sweeps > 0, 1);
	if (stalls)
		sv_printf("FAIL %lu churn call(s) waited %u+ sweeps for vCPU 1 to leave guest mode: "
			  "the shootdown kick did not make it exit\n", stalls, STALL_SWEEPS);
	expect("every zap got vCPU 1 out of guest mode by itself (no stall)", stalls, 0);
	expect("the toucher read pages fresh from a punch (it raced the churn)", churn_zeros > 0, 1);
	if (bad)
		sv_printf("FAIL toucher read 0x%lx in page %lu of round %u\n", bad_value, bad_page, r);
	expect("the toucher never read a foreign value", bad, 0);
	struct sv_stats st = stats(0);
	expect("no object pages left after the round (the decoy is punched)", st.memobj_pages, 0);
	expect("only the decoy object left", st.memobjs, 1);
	bad = 0;
}

__attribute__((section(".text.start"))) void _start(struct sv_boot_params *params)
{
	bp = params;
	sv_control_init(bp, "map-race-control");
	sv_printf("map-race-control: racing mappings against accesses on %u vCPUs\n", bp->nr_cpus);
	if (worker_start()) {
		/* After vCPU 1 started: its VMCB is the hypervisor's for good. */
		struct sv_stats base = stats(0);
		int64_t d = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING);
		expect("create the decoy", d >= 0, 1);
		expect("size the decoy", sv_call2(SV_HC_MEMOBJ_SET_SIZE, d, DPAGES * PAGE), 0);
		for (uint64_t i = 0; i < DPAGES * 512; i++)
			dbuf[i] = DECOY;
		for (unsigned r = 1; r <= ROUNDS; r++)
			one_round(r, d);
		expect("close the decoy", sv_call1(SV_HC_MEMOBJ_CLOSE, d), 0);
		expect_baseline("map-race-control: at the end", &base);
	}
	sv_printf("map-race-control: %u checks, %u failed\n", checks, failures);
	sv_printf("summary: %u passed, %u failed\n", checks - failures, failures);
	sv_shutdown(failures ? 1 : 0);
}
