/* exceptions: faults reach the guest's own IDT with the right vector, error
 * code and CR2, whether the CPU raised them in the guest (#UD, #DE, #PF) or
 * the hypervisor injected them (#GP for a refused MSR or string I/O). */
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"

static unsigned failed, checked;

static void expect(const char *what, void (*fn)(void *), void *arg, uint64_t vector,
		   uint64_t error, uint64_t cr2)
{
	struct trap t = { 0 };
	int hit = trap_catch(fn, arg, &t);

	checked++;
	if (hit && t.vector == vector && t.error == error && (vector != 14 || t.cr2 == cr2)) {
		kprintf("exceptions: %s: vector %lu error 0x%lx as expected\n", what, t.vector, t.error);
		return;
	}
	failed++;
	if (!hit)
		kprintf("exceptions: %s: no exception, expected vector %lu\n", what, vector);
	else
		kprintf("exceptions: %s: vector %lu error 0x%lx cr2 0x%lx, expected %lu 0x%lx 0x%lx\n",
			what, t.vector, t.error, t.cr2, vector, error, cr2);
}

static void do_ud(void *a) { (void)a; __asm__ volatile("ud2"); }
static void do_de(void *a)
{
	(void)a;
	__asm__ volatile("xor %%edx, %%edx; xor %%ecx, %%ecx; mov $1, %%eax; div %%ecx"
			 ::: "rax", "rcx", "rdx");
}
/* Above the 1 GiB the VMM's page tables map: a not-present read, error 0. */
static void do_pf(void *a) { (void)*(volatile uint64_t *)a; }
static void do_rdmsr(void *a)
{
	(void)a;
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0011234u));
}
static void do_insb(void *a)
{
	(void)a;
	uint8_t buf[4];
	void *p = buf;
	__asm__ volatile("insb" : "+D"(p) : "d"((uint16_t)0x3f8) : "memory");
}
static void do_nothing(void *a) { (void)a; }

__attribute__((section(".text.start"))) void _start(void)
{
	trap_init();
	expect("ud2", do_ud, 0, 6, 0, 0);
	expect("divide by zero", do_de, 0, 0, 0, 0);
	expect("page fault", do_pf, (void *)0x40001008UL, 14, 0, 0x40001008UL);
	expect("refused MSR", do_rdmsr, 0, 13, 0, 0);
	expect("string I/O", do_insb, 0, 13, 0, 0);
	struct trap t;
	checked++;
	if (trap_catch(do_nothing, 0, &t) != 0) {
		failed++;
		kprintf("exceptions: a function that does not fault was reported as faulting\n");
	}
	checked++;
	if (trap_count() != 5) {
		failed++;
		kprintf("exceptions: %lu exceptions counted, expected 5\n", trap_count());
	}
	kprintf("exceptions: %u checks, %u failed\n", checked, failed);
	kprintf(failed ? "FAIL\n" : "PASS\n");
	kexit(failed ? 1 : 0);
}
