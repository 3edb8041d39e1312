/*
 * intercepts: instructions a partition may not run natively (hv/intercept.c)
 * give exactly the fault the table says, or do nothing, on either backend,
 * and the kernel goes on running:
 *   INVD, WBINVD: no-ops (no fault; INVD must not discard anything);
 *   MONITOR, MWAIT: #UD, and CPUID shows no MONITOR;
 *   RDPMC: #GP(0) (counters are not virtualized);
 *   every SVM instruction (VMRUN VMLOAD VMSAVE STGI CLGI SKINIT INVLPGA)
 *   and every VMX instruction (VMXON VMXOFF VMCLEAR VMPTRLD VMPTRST VMREAD
 *   VMWRITE VMLAUNCH VMRESUME INVEPT INVVPID): #UD, no nested
 *   virtualization, whichever vendor the CPU is.
 */
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"

#define NONE 0xff

static unsigned failed, checked;
static uint8_t page[4096] __attribute__((aligned(4096)));
static volatile uint64_t canary;

static void expect(const char *what, void (*fn)(void *), uint64_t vector, uint64_t error)
{
	struct trap t = { 0 };
	int hit = trap_catch(fn, page, &t);

	checked++;
	if (!hit && vector == NONE) {
		kprintf("intercepts: %s: no exception, as expected\n", what);
		return;
	}
	if (hit && t.vector == vector && t.error == error) {
		kprintf("intercepts: %s: vector %lu error 0x%lx as expected\n", what, t.vector, t.error);
		return;
	}
	failed++;
	if (!hit)
		kprintf("intercepts: %s: no exception, expected vector %lu\n", what, vector);
	else if (vector == NONE)
		kprintf("intercepts: %s: vector %lu error 0x%lx, expected none\n", what, t.vector, t.error);
	else
		kprintf("intercepts: %s: vector %lu error 0x%lx, expected %lu 0x%lx\n", what, t.vector,
			t.error, vector, error);
}

/* A store, then INVD: the store must still be there afterwards (a native
 * INVD on real hardware may drop the dirty line). */
static void do_invd(void *a)
{
	(void)a;
	canary = 0x1a2b3c4d;
	__asm__ volatile("invd" ::: "memory");
}
static void do_wbinvd(void *a) { (void)a; __asm__ volatile("wbinvd" ::: "memory"); }
static void do_monitor(void *a) { __asm__ volatile("monitor" : : "a"(a), "c"(0), "d"(0)); }
static void do_mwait(void *a) { (void)a; __asm__ volatile("mwait" : : "a"(0), "c"(0)); }
static void do_rdpmc(void *a)
{
	(void)a;
	uint32_t lo, hi;
	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0));
}

/* SVM: RAX is a page-aligned address in the guest's memory, so no
 * operand check can fault first. */
static void do_vmrun(void *a) { __asm__ volatile("vmrun" : : "a"(a) : "memory"); }
static void do_vmload(void *a) { __asm__ volatile("vmload" : : "a"(a) : "memory"); }
static void do_vmsave(void *a) { __asm__ volatile("vmsave" : : "a"(a) : "memory"); }
static void do_stgi(void *a) { (void)a; __asm__ volatile("stgi"); }
static void do_clgi(void *a) { (void)a; __asm__ volatile("clgi"); }
static void do_skinit(void *a) { __asm__ volatile("skinit" : : "a"(a) : "memory"); }
static void do_invlpga(void *a) { __asm__ volatile("invlpga %0, %%ecx" : : "a"(a), "c"(0)); }

/* VMX: memory operands in the guest's memory. */
static void do_vmxon(void *a) { __asm__ volatile("vmxon %0" : : "m"(*(uint64_t *)a) : "memory", "cc"); }
static void do_vmxoff(void *a) { (void)a; __asm__ volatile("vmxoff" ::: "cc"); }
static void do_vmclear(void *a) { __asm__ volatile("vmclear %0" : : "m"(*(uint64_t *)a) : "memory", "cc"); }
static void do_vmptrld(void *a) { __asm__ volatile("vmptrld %0" : : "m"(*(uint64_t *)a) : "memory", "cc"); }
static void do_vmptrst(void *a) { __asm__ volatile("vmptrst %0" : "=m"(*(uint64_t *)a) : : "cc"); }
static void do_vmread(void *a)
{
	uint64_t v;
	(void)a;
	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(0x681eUL) : "cc");
}
static void do_vmwrite(void *a) { (void)a; __asm__ volatile("vmwrite %0, %1" : : "r"(0UL), "r"(0x681eUL) : "cc"); }
static void do_vmlaunch(void *a) { (void)a; __asm__ volatile("vmlaunch" ::: "cc", "memory"); }
static void do_vmresume(void *a) { (void)a; __asm__ volatile("vmresume" ::: "cc", "memory"); }
static void do_invept(void *a) { __asm__ volatile("invept %0, %1" : : "m"(*(uint64_t *)a), "r"(1UL) : "cc", "memory"); }
static void do_invvpid(void *a) { __asm__ volatile("invvpid %0, %1" : : "m"(*(uint64_t *)a), "r"(1UL) : "cc", "memory"); }

__attribute__((section(".text.start"))) void _start(void)
{
	trap_init();
	page[0] = 1;    /* fault the page in: only the instruction may fault */
	expect("INVD", do_invd, NONE, 0);
	checked++;
	if (canary != 0x1a2b3c4d) {
		failed++;
		kprintf("intercepts: a store before INVD was lost\n");
	}
	expect("WBINVD", do_wbinvd, NONE, 0);
	uint32_t a = 1, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	checked++;
	if (c & (1u << 3)) {
		failed++;
		kprintf("intercepts: CPUID shows MONITOR (leaf 1 ECX 0x%x)\n", c);
	}
	expect("MONITOR", do_monitor, 6, 0);
	expect("MWAIT", do_mwait, 6, 0);
	expect("RDPMC", do_rdpmc, 13, 0);
	expect("VMRUN", do_vmrun, 6, 0);
	expect("VMLOAD", do_vmload, 6, 0);
	expect("VMSAVE", do_vmsave, 6, 0);
	expect("STGI", do_stgi, 6, 0);
	expect("CLGI", do_clgi, 6, 0);
	expect("SKINIT", do_skinit, 6, 0);
	expect("INVLPGA", do_invlpga, 6, 0);
	expect("VMXON", do_vmxon, 6, 0);
	expect("VMXOFF", do_vmxoff, 6, 0);
	expect("VMCLEAR", do_vmclear, 6, 0);
	expect("VMPTRLD", do_vmptrld, 6, 0);
	expect("VMPTRST", do_vmptrst, 6, 0);
	expect("VMREAD", do_vmread, 6, 0);
	expect("VMWRITE", do_vmwrite, 6, 0);
	expect("VMLAUNCH", do_vmlaunch, 6, 0);
	expect("VMRESUME", do_vmresume, 6, 0);
	expect("INVEPT", do_invept, 6, 0);
	expect("INVVPID", do_invvpid, 6, 0);
	kprintf("intercepts: %u checks, %u failed\n", checked, failed);
	kprintf(failed ? "FAIL\n" : "PASS\n");
	kexit(failed ? 1 : 0);
}
