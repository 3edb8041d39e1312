/*
 * punch: fill memory with a pattern, ask the VMM to punch holes in it (one
 * 2 MiB-aligned range of extents, one that splits an extent, one in 4 KiB
 * pages), then read them back: only zeros, never the old data; memory
 * outside the holes keeps the pattern. The VMM checks the pages went back.
 * Acceptance is on for all guest memory: the first read of a punched page
 * raises #VE at that page (never a silent zero page); the handler checks
 * the gpa is in a hole and accepts a zero page there (2 MiB at once where
 * the hole covers the block), and the read goes on.
 */
#include "guest/lib/kernel.h"
#include "guest/lib/memattr.h"
#include "guest/lib/trap.h"

#define MB (1UL << 20)

struct hole {
	uint64_t gpa, len;
};

static const struct hole holes[] = {
	{ 66 * MB, 4 * MB },                 /* whole extents */
	{ 72 * MB + 40 * 4096, 16 * 4096 },  /* inside one extent: split */
	{ 20 * MB + 3 * 4096, 5 * 4096 },    /* 4 KiB pages */
};

static uint64_t pattern(uint64_t addr)
{
	return addr ^ 0xa5a5a5a55a5a5a5aUL;
}

static int in_hole(uint64_t a)
{
	for (unsigned i = 0; i < sizeof(holes) / sizeof(holes[0]); i++)
		if (a >= holes[i].gpa && a < holes[i].gpa + holes[i].len)
			return 1;
	return 0;
}

#define SIZE_2M (2 * MB)
/* #VEs: one per 2 MiB block of hole 0, one per page of holes 1 and 2. */
#define WANT_VES (4 * MB / SIZE_2M + 16 + 5)

static uint64_t ves, bad_ves;

static void on_ve(uint64_t gpa)
{
	uint64_t block = gpa & ~(SIZE_2M - 1);
	bool whole = in_hole(block) && in_hole(block + SIZE_2M - 1);

	ves++;
	if (!in_hole(gpa)) {
		kprintf("punch: #VE at 0x%lx, outside every hole\n", gpa);
		bad_ves++;
	}
	if (sv_accept(whole ? block : gpa & ~4095UL, whole ? SIZE_2M : 4096)) {
		kprintf("punch: #VE at 0x%lx, accept failed: stopping\n", gpa);
		kexit(1);
	}
}

static void fill(uint64_t from, uint64_t to)
{
	for (uint64_t a = from; a < to; a += 8)
		*(volatile uint64_t *)a = pattern(a);
}

static uint64_t check(uint64_t from, uint64_t to)
{
	uint64_t bad = 0;

	for (uint64_t a = from; a < to; a += 8) {
		uint64_t v = *(volatile uint64_t *)a;
		bad += in_hole(a) ? v != 0 : v != pattern(a);
	}
	return bad;
}

__attribute__((section(".text.start"))) void _start(void)
{
	uint64_t bad = 0;
	int64_t before = vmm_call(SV_GUEST_STATS, 0, 0);

	trap_init();
	sv_ve_init(on_ve);

	fill(20 * MB, 21 * MB);
	fill(64 * MB, 80 * MB);
	for (unsigned i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		int64_t r = vmm_call(SV_GUEST_PUNCH, holes[i].gpa, holes[i].len);
		kprintf("punch: hole %u [0x%lx, +0x%lx) -> %ld\n", i, holes[i].gpa, holes[i].len, r);
		bad += r != 0;
	}
	int64_t after = vmm_call(SV_GUEST_STATS, 0, 0);
	bad += check(20 * MB, 21 * MB) + check(64 * MB, 80 * MB);
	kprintf("punch: object pages %ld before, %ld after the holes were read back\n", before, after);
	kprintf("punch: %lu words wrong\n", bad);
	kprintf("punch: %lu #VEs (%lu expected), %lu outside the holes\n", ves, (uint64_t)WANT_VES, bad_ves);
	bad += bad_ves + (ves != WANT_VES);
	kprintf(bad ? "FAIL\n" : "PASS\n");
	kexit(bad ? 1 : 0);
}
