/*
 * make bench: the memory-object and invalidation path against Linux, in
 * one run on one machine. Figures only: nothing here passes or fails, the
 * targets of issue 14 are printed next to the rows they apply to. Every
 * row is min / median / max of RUNS runs in ns per 4 KiB.
 *
 * How each comparison does equal work, row by row:
 *  - zeroing (bench_zero.c): mm/zero.c's method and the bound loop write
 *    the same bytes of the same buffer in the same block sizes; the bound
 *    writes non-zero data (zero stores are flattered on this host).
 *  - cycle rows (here and bench_linux.c): allocate the object's whole
 *    size, write one word in every 4 KiB page, punch it all; sealvisor's
 *    allocate and punch are hypercalls through hypercall_dispatch, its
 *    writes go through the fault path (memobj_get_page, or the VM's
 *    stage-2 fault on the "VM owner" rows, which also maps every page and
 *    so zaps and shoots down at the punch); Linux's are fallocate(2) and
 *    stores through an mmap. 2 MiB extents are compared with hugetlb
 *    (2 MiB pages), 4 KiB pages with shmem (4 KiB), both with guest_memfd.
 *  - per-4K rows: one hypercall against one syscall per 4 KiB page, on
 *    written pages for punch (both sides zero what they free or allocate).
 *  - owner rows: the same punch of the same pages, with and without a VM
 *    owner that has them mapped (or nothing mapped): the targets of item 1.
 *  - the wait row (bench_wait.c): a second CPU's hypercalls and faults
 *    while a 1 GiB punch runs on the first.
 *  - memattr rows (bench_memattr.c): a guest's private <-> shared
 *    conversions and ACCEPT, per 4 KiB and per 2 MiB unit (no Linux peer).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sealvisor/hypercall.h>
#include "hv/hypercall.h"
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "mm/heap.h"
#include "mm/memobj.h"
#include "mm/pmm.h"
#include "mm/stage2.h"
#include "mm/zero.h"
#include "tests/bench/bench.h"
#include "tests/unit/fake_virt.h"

#define ARENA (2 * GIB + 256 * MIB)
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)
#define STEPS_SIZE (64 * MIB)

struct vm *bench_control;

/* The arena stands in for RAM, touched once up front so that no row pays
 * Linux's first-touch faults for it. */
static void machine_setup(void)
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
	fake_reset();
	fake_set_cpu(0);
	if (vm_create_control(4 * MIB, &bench_control))
		die("vm_create_control");
}

int64_t sv_hc(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return hypercall_dispatch(bench_control, (uint64_t[7]){ nr, a, b, c, d, 0, 0 });
}

int sv_object(unsigned flags, bool guest, uint64_t bytes)
{
	int64_t h = sv_hc(SV_HC_MEMOBJ_CREATE, flags | MEMOBJ_ALLOW_SEALING, 0, 0, 0), e = 0;
	if (h < 0 || (guest && (e = sv_hc(SV_HC_MEMOBJ_ADD_SEALS, h, MEMOBJ_SEAL_GUEST, 0, 0))) ||
	    (e = sv_hc(SV_HC_MEMOBJ_SET_SIZE, h, bytes, 0, 0))) {
		fprintf(stderr, "memobj setup: handle %ld, error %ld\n", h, e);
		exit(1);
	}
	return (int)h;
}

struct memobj *sv_obj(int handle)
{
	return bench_control->handles[handle];
}

void sv_write_pages(int handle, struct vm *vm, uint64_t bytes)
{
	for (uint64_t off = 0; off < bytes; off += PAGE_SIZE) {
		uint64_t pa;
		unsigned level;
		if (vm) {
			if (vm_handle_fault(vm, off) || !stage2_lookup(&vm->s2, off, &pa, &level))
				die("vm_handle_fault");
		} else {
			if (memobj_get_page(sv_obj(handle), off / PAGE_SIZE, &pa, &level))
				die("memobj_get_page");
			memobj_put_page(sv_obj(handle), pa);
		}
		*(volatile uint64_t *)phys_to_virt(pa) = off | 1;
	}
}

struct vm *sv_guest(int handle, uint64_t bytes)
{
	struct vm *vm;

	if (vm_create_guest(&vm) || vm_set_region(vm, 0, bytes, sv_obj(handle), 0))
		die("guest VM");
	fake_launch(vm);
	return vm;
}

static void sv_close(int handle, struct vm *vm)
{
	if (vm)
		vm_destroy(vm);
	if (sv_hc(SV_HC_MEMOBJ_CLOSE, handle, 0, 0, 0))
		die("close");
}

static void sv_falloc(int h, unsigned mode, uint64_t bytes, uint64_t step)
{
	for (uint64_t off = 0; off < bytes; off += step)
		if (sv_hc(SV_HC_MEMOBJ_FALLOCATE, h, mode, off, step))
			die("SV_HC_MEMOBJ_FALLOCATE");
}

/* The cycle: allocate, write every page, punch; one hypercall each. */
static void sv_cycle(unsigned flags, bool owner, uint64_t bytes, double secs[RUNS])
{
	for (int r = 0; r < RUNS; r++) {
		int h = sv_object(flags, owner, bytes);
		struct vm *vm = owner ? sv_guest(h, bytes) : NULL;
		double t0 = now();
		sv_falloc(h, 0, bytes, bytes);
		sv_write_pages(h, vm, bytes);
		sv_falloc(h, PUNCH, bytes, bytes);
		secs[r] = now() - t0;
		sv_close(h, vm);
	}
}

static const uint64_t sizes[] = { 2 * MIB, 16 * MIB, 128 * MIB, GIB };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void cycle_rows(void)
{
	static char names[8][NSIZES][96];
	struct { const char *series; unsigned flags; bool owner; int peer; } sv[] = {
		{ "sealvisor, 2 MiB extents", 0, false, LINUX_HUGETLB },
		{ "sealvisor, 4 KiB pages", MEMOBJ_4K_ONLY, false, LINUX_SHMEM },
		{ "sealvisor, 2 MiB extents, VM owner, mapped", 0, true, LINUX_HUGETLB },
	};
	int lrow[3][NSIZES];
	double secs[RUNS];

	for (int k = 0; k < 3; k++)
		for (unsigned s = 0; s < NSIZES; s++) {
			snprintf(names[k][s], sizeof(names[k][s]), "cycle: %s", linux_name(k));
			const char *why = linux_cycle(k, sizes[s], false, secs);
			lrow[k][s] = why ? -1 : row_add(names[k][s], linux_name(k), sizes[s], secs, -1, 0);
			if (why)
				row_skip(names[k][s], why);
		}
	for (int k = 0; k < 3; k++)
		for (unsigned s = 0; s < NSIZES; s++) {
			snprintf(names[3 + k][s], sizeof(names[3 + k][s]), "cycle: %s", sv[k].series);
			sv_cycle(sv[k].flags, sv[k].owner, sizes[s], secs);
			int ref = lrow[sv[k].peer][s];
			row_add(names[3 + k][s], sv[k].series, sizes[s], secs, ref, 0);
		}
}

/* Per-4K rows: a 64 MiB object of single pages, one hypercall a page. */
struct steps {
	double alloc[RUNS], punch[RUNS];
};

static void sv_steps(bool owner, bool mapped, bool written, bool by_call, struct steps *st, int r)
{
	int h = sv_object(MEMOBJ_4K_ONLY, owner, STEPS_SIZE);
	struct vm *vm = owner ? sv_guest(h, STEPS_SIZE) : NULL;
	double t0 = now();

	sv_falloc(h, 0, STEPS_SIZE, PAGE_SIZE);
	st->alloc[r] = now() - t0;
	if (written)
		sv_write_pages(h, mapped ? vm : NULL, STEPS_SIZE);
	t0 = now();
	if (by_call) {
		for (uint64_t off = 0; off < STEPS_SIZE; off += PAGE_SIZE)
			if (memobj_fallocate(sv_obj(h), PUNCH, off, PAGE_SIZE))
				die("memobj_fallocate");
	} else {
		sv_falloc(h, PUNCH, STEPS_SIZE, PAGE_SIZE);
	}
	st->punch[r] = now() - t0;
	sv_close(h, vm);
}

static void step_rows(void)
{
	struct steps lx[3], plain, plain_fn, unwritten, mapped, mapped_fn, unmapped;
	int lalloc[3], lpunch[3];

	for (int k = 0; k < 3; k++) {
		const char *why = linux_steps(k, STEPS_SIZE, lx[k].alloc, lx[k].punch);
		static char na[3][96], np[3][96];
		snprintf(na[k], sizeof(na[k]), "4K: %s fallocate (syscall)", linux_name(k));
		snprintf(np[k], sizeof(np[k]), "4K: %s punch, written (syscall)", linux_name(k));
		lalloc[k] = lpunch[k] = -1;
		if (why) {
			row_skip(na[k], why);
			continue;
		}
		lalloc[k] = row_add(na[k], NULL, STEPS_SIZE, lx[k].alloc, -1, 0);
		lpunch[k] = row_add(np[k], NULL, STEPS_SIZE, lx[k].punch, -1, 0);
	}
	for (int r = 0; r < RUNS; r++) {
		sv_steps(false, false, true, false, &plain, r);
		sv_steps(false, false, true, true, &plain_fn, r);
		sv_steps(false, false, false, false, &unwritten, r);
		sv_steps(true, true, true, false, &mapped, r);
		sv_steps(true, true, true, true, &mapped_fn, r);
		sv_steps(true, false, false, false, &unmapped, r);
	}
	row_add("4K: sealvisor fallocate (hypercall)", NULL, STEPS_SIZE, plain.alloc, lalloc[LINUX_SHMEM], 0);
	row_add("4K: sealvisor punch, written, no owner, vs memfd (hypercall)", NULL, STEPS_SIZE,
		plain.punch, lpunch[LINUX_SHMEM], 0);
	/* The targets: rows that ran side by side in every run (sv_steps). */
	int p = row_add_paired("4K: sealvisor punch, written, no owner (hypercall)", STEPS_SIZE,
			       plain.punch, -1, 0);
	row_add_paired("4K: sealvisor punch, written, VM owner, mapped (hypercall)", STEPS_SIZE,
		       mapped.punch, p, 1.3);
	int pf = row_add_paired("4K: allocator punch, written, no owner (function call)", STEPS_SIZE,
				plain_fn.punch, -1, 0);
	row_add_paired("4K: punch, written, VM owner, mapped (function call)", STEPS_SIZE,
		       mapped_fn.punch, pf, 1.3);
	int u = row_add_paired("4K: sealvisor punch, unwritten, no owner (hypercall)", STEPS_SIZE,
			       unwritten.punch, -1, 0);
	row_add_paired("4K: sealvisor punch, unwritten, VM owner, unmapped (hypercall)", STEPS_SIZE,
		       unmapped.punch, u, 1.2);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench";

	mkdir(dir, 0755);
	machine_setup();
	linux_setup();
	printf("sealvisor memory-object benchmark: ns per 4 KiB, min / median / max of %d runs\n"
	       "(zeroing: mm/zero.c uses %s; targets of issue 14 are shown as (target <= ...))\n\n",
	       RUNS, zero_method_name(zero_method()));
	/* BENCH_ONLY=zero|cycle|steps|wait|memattr runs one section (while working on it). */
	const char *only = getenv("BENCH_ONLY");
	if (!only || !strcmp(only, "zero")) {
		void *buf = mmap(NULL, GIB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (buf == MAP_FAILED)
			die("mmap");
		memset(buf, 1, GIB);
		bench_zero(buf, GIB);
		munmap(buf, GIB);
	}
	if (!only || !strcmp(only, "cycle"))
		cycle_rows();
	if (!only || !strcmp(only, "steps"))
		step_rows();
	if (!only || !strcmp(only, "wait"))
		bench_wait();
	if (!only || !strcmp(only, "memattr"))
		bench_memattr();
	linux_teardown();
	rows_print(dir);
	printf("\nCSV: %s/memobj.csv, plot data: %s/cycle.dat, script: %s/cycle.gp\n", dir, dir, dir);
	return 0;
}
