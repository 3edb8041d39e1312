/*
 * smp-punch: two vCPUs. vCPU 1 keeps reading a private range while vCPU 0
 * fills it with round r's data and asks the VMM to punch it, round after
 * round. Once vCPU 1 has seen "round r punched", it may read zeros or
 * later rounds' data in the range, never round r's or older: that would be
 * a translation the punch should have removed from its CPU.
 */
#include "guest/lib/kernel.h"

KERNEL_VCPUS(2);

#define MB (1UL << 20)
#define RANGE (16 * MB)
#define RANGE_LEN (256 * 1024)
#define ROUNDS 30

struct shared {
	volatile uint64_t reader_ready, punched, done, reader_done;
	volatile uint64_t stale, reads, punch_errors;
};
static struct shared *const sh = (struct shared *)(8 * MB);

static void writer(void)
{
	while (!sh->reader_ready)
		;
	for (uint64_t round = 1; round <= ROUNDS; round++) {
		for (uint64_t a = RANGE; a < RANGE + RANGE_LEN; a += 8)
			*(volatile uint64_t *)a = round << 32 | (a & 0xffffffff) | 1;
		if (vmm_call(SV_GUEST_PUNCH, RANGE, RANGE_LEN))
			sh->punch_errors++;
		__atomic_store_n(&sh->punched, round, __ATOMIC_RELEASE);
	}
	sh->done = 1;
	while (!sh->reader_done)
		;
	kprintf("smp-punch: %d rounds, %lu reads by vCPU 1, %lu stale words, %lu punch errors\n",
		ROUNDS, sh->reads, sh->stale, sh->punch_errors);
	int bad = sh->stale || sh->punch_errors || !sh->reads;
	kprintf(bad ? "FAIL\n" : "PASS\n");
	kexit(bad ? 1 : 0);
}

static void reader(void)
{
	sh->reader_ready = 1;
	while (!sh->done) {
		uint64_t seen = __atomic_load_n(&sh->punched, __ATOMIC_ACQUIRE);
		for (uint64_t a = RANGE; a < RANGE + RANGE_LEN; a += 512) {
			uint64_t v = *(volatile uint64_t *)a;
			if (v && (v >> 32) <= seen)
				sh->stale++;
		}
		sh->reads++;
	}
	sh->reader_done = 1;
	kpark();
}

__attribute__((section(".text.start"))) void _start(uint64_t id)
{
	if (id == 0)
		writer();
	reader();
}
