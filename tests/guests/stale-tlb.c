/*
 * stale-tlb: vCPU 1 keeps reading a private range on the other CPU while
 * vCPU 0 has the VMM punch it and hand the freed memory to another guest,
 * which fills its memory with a marker. A translation the punch should
 * have removed would show that marker here: it must never be read.
 */
#include "guest/lib/kernel.h"

KERNEL_VCPUS(2);

#define MB (1UL << 20)
#define RANGE (16 * MB)
#define RANGE_LEN (1 * MB)
#define MARKER 0xb0b0b0b0b0b0b0b0UL

struct shared {
	volatile uint64_t reader_ready, done, reader_done, seen_marker, reads;
};
static struct shared *const sh = (struct shared *)(8 * MB);

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
	int bad = r != 0 || sh->seen_marker || !sh->reads;
	kprintf(bad ? "FAIL\n" : "PASS\n");
	kexit(bad ? 1 : 0);
}

static void reader(void)
{
	sh->reader_ready = 1;
	while (!sh->done) {
		for (uint64_t a = RANGE; a < RANGE + RANGE_LEN; a += 4096)
			sh->seen_marker += *(volatile uint64_t *)a == MARKER;
		sh->reads++;
	}
	sh->reader_done = 1;
	kpark();
}

__attribute__((section(".text.start"))) void _start(uint64_t id)
{
	if (id == 0)
		owner();
	reader();
}
