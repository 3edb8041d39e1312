/*
 * make bench: fallocate and punch-hole of 1 GiB, in one call and in 4 KiB
 * steps, for objects backed by 4 KiB pages and by 2 MiB extents; Linux's own
 * memfd (shmem) doing the same, and memset of the same bytes as the bound,
 * all in one run on one machine. Figures only: nothing here passes or fails.
 * Each figure is the best of RUNS runs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "mm/heap.h"
#include "mm/memobj.h"
#include "mm/pmm.h"

#define GIB (1UL << 30)
#define SIZE GIB
#define ARENA (SIZE + (64UL << 20))
#define RUNS 3
#define STEP 4096UL
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The arena stands in for RAM. It is touched once up front so that neither
 * sealvisor nor memset pays Linux's first-touch page faults. */
static void *arena_setup(void)
{
	void *a = mmap(NULL, ARENA, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (a == MAP_FAILED)
		die("mmap arena");
	memset(a, 1, ARENA);
	phys_virt_offset = (uintptr_t)a;
	void *meta = calloc(1, pmm_meta_bytes(0, ARENA));
	if (!meta || pmm_init(0, ARENA, meta) || pmm_add_range(PAGE_SIZE, ARENA - PAGE_SIZE))
		die("pmm_init");
	heap_init();
	return a;
}

struct result {
	const char *name;
	double secs;
	int memfd_row;        /* index of the Linux row to compare with, or -1 */
};

static struct result rows[16];
static int nrows;

static int add_row(const char *name, double secs, int memfd_row)
{
	rows[nrows] = (struct result){ name, secs, memfd_row };
	return nrows++;
}

/* Every page handed out once, as a guest touching all its memory would:
 * from then on a punch must zero it. Not timed. */
static void touch_all(struct memobj *o)
{
	for (uint64_t pg = 0; pg < SIZE / PAGE_SIZE; pg++) {
		uint64_t pa;
		unsigned order;
		if (memobj_get_page(o, pg, &pa, &order))
			die("memobj_get_page");
		memobj_put_page(o, pa);
	}
}

/* sealvisor: allocate, then punch, the whole GiB; best of RUNS. With
 * `written`, every page is handed out in between (so punch zeroes it). */
static void bench_memobj(unsigned flags, int step, bool written, const char *alloc_name,
			 const char *punch_name, int memfd_alloc, int memfd_punch)
{
	double best_a = 1e9, best_p = 1e9;

	for (int r = 0; r < RUNS; r++) {
		struct memobj *o;
		if (memobj_create(flags | MEMOBJ_ALLOW_SEALING, &o) ||
		    memobj_add_seals(o, MEMOBJ_SEAL_GUEST) || memobj_set_size(o, SIZE))
			die("memobj setup");
		double t0 = now();
		for (uint64_t off = 0; off < SIZE; off += step ? STEP : SIZE)
			if (memobj_fallocate(o, 0, off, step ? STEP : SIZE))
				die("memobj_fallocate");
		double t1 = now();
		if (written) {
			touch_all(o);
			t1 = now();
		}
		for (uint64_t off = 0; off < SIZE; off += step ? STEP : SIZE)
			if (memobj_fallocate(o, PUNCH, off, step ? STEP : SIZE))
				die("memobj punch");
		double t2 = now();
		memobj_close(o);
		best_a = t1 - t0 < best_a ? t1 - t0 : best_a;
		best_p = t2 - t1 < best_p ? t2 - t1 : best_p;
	}
	if (alloc_name)
		add_row(alloc_name, best_a, memfd_alloc);
	add_row(punch_name, best_p, memfd_punch);
}

static void bench_linux(int step, int *alloc_row, int *punch_row)
{
	double best_a = 1e9, best_p = 1e9;

	for (int r = 0; r < RUNS; r++) {
		int fd = memfd_create("sealvisor-bench", 0);
		if (fd < 0)
			die("memfd_create");
		double t0 = now();
		for (uint64_t off = 0; off < SIZE; off += step ? STEP : SIZE)
			if (fallocate(fd, 0, off, step ? STEP : SIZE))
				die("fallocate");
		double t1 = now();
		for (uint64_t off = 0; off < SIZE; off += step ? STEP : SIZE)
			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
				      step ? STEP : SIZE))
				die("fallocate punch");
		double t2 = now();
		close(fd);
		best_a = t1 - t0 < best_a ? t1 - t0 : best_a;
		best_p = t2 - t1 < best_p ? t2 - t1 : best_p;
	}
	*alloc_row = add_row(step ? "linux memfd fallocate, 4 KiB steps" : "linux memfd fallocate, one call", best_a, -1);
	*punch_row = add_row(step ? "linux memfd punch, 4 KiB steps" : "linux memfd punch, one call", best_p, -1);
}

int main(void)
{
	uint8_t *arena = arena_setup();
	double best = 1e9;
	int la1, lp1, la4, lp4;

	for (int r = 0; r < RUNS; r++) {
		double t0 = now();
		memset(arena + PAGE_SIZE, 0, SIZE);
		__asm__ volatile("" : : "r"(arena) : "memory");
		double t = now() - t0;
		best = t < best ? t : best;
	}
	int memset_row = add_row("memset (bound)", best, -1);
	bench_linux(0, &la1, &lp1);
	bench_linux(1, &la4, &lp4);
	bench_memobj(0, 0, false, "sealvisor fallocate, 2 MiB extents, one call",
		     "sealvisor punch, 2 MiB extents, one call", la1, lp1);
	bench_memobj(MEMOBJ_4K_ONLY, 0, false, "sealvisor fallocate, 4 KiB pages, one call",
		     "sealvisor punch, 4 KiB pages, one call", la1, lp1);
	bench_memobj(0, 1, false, "sealvisor fallocate, 4 KiB steps",
		     "sealvisor punch, 4 KiB steps", la4, lp4);
	int written = nrows;
	bench_memobj(0, 0, true, NULL, "sealvisor punch+zero, 2 MiB extents, written", la1, lp1);
	bench_memobj(MEMOBJ_4K_ONLY, 0, true, NULL, "sealvisor punch+zero, 4 KiB pages, written",
		     la1, lp1);

	/* Each side zeroes a page once per allocate/punch cycle, at different
	 * ends: sealvisor when a page leaves an object (punch: free memory is
	 * always zero, so fallocate only takes pages), Linux shmem when a page
	 * is allocated or first touched. The cycle rows add the two. */
	static const char *const cycle_names[] = {
		"cycle: 2 MiB extents vs memfd, one call",
		"cycle: 4 KiB pages vs memfd, one call",
		"cycle: 4 KiB steps vs memfd, 4 KiB steps",
	};
	int linux_cycle[2];
	linux_cycle[0] = add_row("cycle: linux memfd, one call", rows[la1].secs + rows[lp1].secs, -1);
	linux_cycle[1] = add_row("cycle: linux memfd, 4 KiB steps", rows[la4].secs + rows[lp4].secs, -1);
	for (int i = 0; i < 3; i++) {
		int a = memset_row + 5 + 2 * i;
		add_row(cycle_names[i], rows[a].secs + rows[a + 1].secs, linux_cycle[i == 2]);
	}
	add_row("cycle: 2 MiB extents, written, vs memfd", rows[memset_row + 5].secs +
		rows[written].secs, linux_cycle[0]);
	add_row("cycle: 4 KiB pages, written, vs memfd", rows[memset_row + 7].secs +
		rows[written + 1].secs, linux_cycle[0]);

	printf("sealvisor memory-object benchmark: 1 GiB per operation, best of %d runs\n", RUNS);
	printf("(each page is zeroed once per cycle: by sealvisor at punch if it was ever\n"
	       " handed out, by Linux at allocation or first touch; \"written\" rows hand\n"
	       " every page out before the punch, so the punch zeroes the whole GiB; the\n"
	       " memfd rows are Linux shmem with 4 KiB pages on this host; x columns are\n"
	       " time ratios, below 1.0 is faster)\n\n");
	printf("%-46s %8s %10s %9s %9s\n", "operation", "GiB/s", "ns/4KiB", "x memset", "x memfd");
	for (int i = 0; i < nrows; i++) {
		struct result *r = &rows[i];
		double gibs = (double)SIZE / GIB / r->secs;
		double ns = r->secs * 1e9 / (SIZE / PAGE_SIZE);
		printf("%-46s %8.2f %10.1f %9.2f ", r->name, gibs, ns, r->secs / rows[memset_row].secs);
		if (r->memfd_row >= 0)
			printf("%9.2f\n", r->secs / rows[r->memfd_row].secs);
		else
			printf("%9s\n", "-");
	}
	return 0;
}
