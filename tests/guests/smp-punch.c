/*
 * smp-punch: two vCPUs. vCPU 1 keeps reading a private range while vCPU 0
 * fills it with round r's data and asks the VMM to punch it, round after
 * round. Once vCPU 1 has seen "round r punched", it may read zeros or
 * later rounds' data in the range, never round r's or older: that would be
 * a translation the punch should have removed from its CPU.
 * Acceptance is on for all guest memory: after a punch, either vCPU's
 * first access to a page raises #VE (never a silent zero page); the
 * handler accepts a zero page (-EEXIST: the other vCPU was first) and the
 * access goes on. Every round must bring #VEs.
 */
#include "guest/lib/kernel.h"
#include "guest/lib/memattr.h"
#include "guest/lib/trap.h"

KERNEL_VCPUS(2);

#define MB (1UL << 20)
#define RANGE (16 * MB)
#define RANGE_LEN (256 * 1024)
#define ROUNDS 30

struct shared {
	volatile uint64_t reader_ready, punched, done, reader_done;
	volatile uint64_t stale, reads, punch_errors;
	volatile uint64_t idt_ready, ves, bad_ves;
};
static struct shared *const sh = (struct shared *)(8 * MB);

static void on_ve(uint64_t gpa)
{
	__atomic_add_fetch(&sh->ves, 1, __ATOMIC_RELAXED);
	int64_t r = sv_accept(gpa & ~4095UL, 4096);
	if ((r && r != -EEXIST) || gpa < RANGE || gpa >= RANGE + RANGE_LEN)
		__atomic_add_fetch(&sh->bad_ves, 1, __ATOMIC_RELAXED);
}

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
	kprintf("smp-punch: %lu #VEs (at least %d), %lu outside the range or not accepted\n",
		sh->ves, (ROUNDS - 1) * (int)(RANGE_LEN / 4096), sh->bad_ves);
	int bad = sh->stale || sh->punch_errors || !sh->reads || sh->bad_ves ||
		  sh->ves < (ROUNDS - 1) * RANGE_LEN / 4096;   /* every fill after a punch */
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
	if (id == 0) {
		trap_init();
		sv_ve_init(on_ve);
		sh->idt_ready = 1;
		writer();
	}
	reader();
}
