/*
 * stale-tlb: vCPU 1 keeps reading a private range on the other CPU while
 * vCPU 0 has the VMM punch it and hand the freed memory to another guest,
 * which fills its memory with a marker. A translation the punch should
 * have removed would show that marker here: it must never be read.
 * Acceptance is on for all guest memory: after the punch vCPU 1's first
 * read of each page must raise #VE (its handler accepts a zero page); a
 * page read after its #VE must never give the old value back either.
 * A stale translation shows as the marker, or the old value, or as too
 * few #VEs; a #VE or a zero page are right.
 */
#include "guest/lib/kernel.h"
#include "guest/lib/memattr.h"
#include "guest/lib/trap.h"

KERNEL_VCPUS(2);

#define MB (1UL << 20)
#define RANGE (16 * MB)
#define RANGE_LEN (1 * MB)
#define MARKER 0xb0b0b0b0b0b0b0b0UL

struct shared {
	volatile uint64_t reader_ready, done, reader_done, seen_marker, reads;
	volatile uint64_t idt_ready, ves, bad_ves, old_after_ve;
	volatile uint8_t ve_page[RANGE_LEN / 4096];
};
static struct shared *const sh = (struct shared *)(8 * MB);

/* vCPU 1 only: the owner never touches the range after the handoff. */
static void on_ve(uint64_t gpa)
{
	sh->ves++;
	if (gpa < RANGE || gpa >= RANGE + RANGE_LEN || sv_accept(gpa & ~4095UL, 4096)) {
		sh->bad_ves++;
		return;
	}
	sh->ve_page[(gpa - RANGE) / 4096] = 1;
}

static void owner(void)
{
	for (uint64_t a = RANGE; a < RANGE + RANGE_LEN; a += 8)
		*(volatile uint64_t *)a = a;
	while (!sh->reader_ready)
		;
	int64_t r = vmm_call(SV_GUEST_HANDOFF, RANGE, RANGE_LEN);
	sh->done = 1;
	while (!sh->reader_done)
		;
	kprintf("stale-tlb: handoff %ld, %lu passes by vCPU 1, marker seen %lu times\n", r,
		sh->reads, sh->seen_marker);
	kprintf("stale-tlb: %lu #VEs (%lu expected), %lu bad, old value after a #VE %lu times\n",
		sh->ves, RANGE_LEN / 4096, sh->bad_ves, sh->old_after_ve);
	int bad = r != 0 || sh->seen_marker || !sh->reads || sh->bad_ves || sh->old_after_ve ||
		  sh->ves != RANGE_LEN / 4096;
	kprintf(bad ? "FAIL\n" : "PASS\n");
	kexit(bad ? 1 : 0);
}

static void reader(void)
{
	while (!sh->idt_ready)
		;
	trap_load();
	sh->reader_ready = 1;
	while (!sh->done) {
		for (uint64_t a = RANGE; a < RANGE + RANGE_LEN; a += 4096) {
			uint64_t v = *(volatile uint64_t *)a;
			sh->seen_marker += v == MARKER;
			sh->old_after_ve += v == a && sh->ve_page[(a - RANGE) / 4096];
		}
		sh->reads++;
	}
	/* Every page once more: one the loop did not reach after the punch
	 * takes its #VE now. */
	for (uint64_t a = RANGE; a < RANGE + RANGE_LEN; a += 4096)
		sh->seen_marker += *(volatile uint64_t *)a == MARKER;
	sh->reader_done = 1;
	kpark();
}

__attribute__((section(".text.start"))) void _start(uint64_t id)
{
	if (id == 0) {
		trap_init();
		sv_ve_init(on_ve);
		sh->idt_ready = 1;
		owner();
	}
	reader();
}
