/*
 * msrs: every MSR on the allow list (hv/msr.c) round-trips, and keeps its
 * value across trips through the VMM and a preemption, as
 * do DR0-3, DR7 and a SWAPGS; EFER never shows SVME and refuses it; MSRs off
 * the list are #GP(0) under the default policy. The VMM checks meanwhile
 * that none of these values reaches its own vCPU (guest/vmm/run.c).
 */
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"

#define EFER 0xc0000080u
#define EFER_SCE (1UL << 0)
#define EFER_SVME (1UL << 12)
#define GS_BASE 0xc0000101u
#define KERNEL_GS_BASE 0xc0000102u
#define PAT_RESET 0x0007040600070406UL

static unsigned failed, checked;

#define fail(fmt, ...) (failed++, kprintf("msrs: FAIL " fmt "\n", __VA_ARGS__))


/* 0, or the vector of the exception (error code in *err). */
static uint64_t msr(bool write, uint32_t index, uint64_t *value, uint64_t *err)
{
	struct msr_access a = { index, value ? *value : 0 };
	struct trap t;

	if (trap_catch(write ? trap_wrmsr : trap_rdmsr, &a, &t)) {
		*err = t.error;
		return t.vector ? t.vector : 0xfe;
	}
	if (!write && value)
		*value = a.value;
	return 0;
}

static uint64_t rd(uint32_t index)
{
	uint64_t v = 0, err;
	checked++;
	if (msr(false, index, &v, &err))
		fail("RDMSR 0x%x faulted (error 0x%lx)", index, err);
	return v;
}

static void wr(uint32_t index, uint64_t v)
{
	uint64_t err;
	checked++;
	if (msr(true, index, &v, &err))
		fail("WRMSR 0x%x <- 0x%lx faulted (error 0x%lx)", index, v, err);
}

static void expect_gp(bool write, uint32_t index, uint64_t value)
{
	uint64_t err = 0, vec = msr(write, index, &value, &err);
	checked++;
	if (vec != 13 || err != 0)
		fail("%s 0x%x: vector %lu error 0x%lx, expected #GP(0)", write ? "WRMSR" : "RDMSR",
		     index, vec, err);
}

static struct cpuid_regs { uint32_t a, b, c, d; } cpuid(uint32_t leaf)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(0));
	return r;
}

static bool has_tsc_aux(void)
{
	return (cpuid(0x80000001).d & (1u << 27)) || (cpuid(0).a >= 7 && (cpuid(7).c & (1u << 22)));
}

static bool has_spec_ctrl(void)
{
	return (cpuid(0).a >= 7 && (cpuid(7).d & (1u << 26))) ||
	       (cpuid(0x80000000).a >= 0x80000008 && (cpuid(0x80000008).b & (1u << 14)));
}

static struct { uint32_t index; uint64_t value; bool (*present)(void); } allowed[] = {
	{ 0xc0000081, 0x0023001000080000UL, 0 },         /* STAR */
	{ 0xc0000082, 0xffffffff81c0ffeeUL, 0 },         /* LSTAR */
	{ 0xc0000083, 0xffffffff81c0c5a7UL, 0 },         /* CSTAR */
	{ 0xc0000084, 0x47700, 0 },                      /* SFMASK */
	{ KERNEL_GS_BASE, 0xffff8880deadb000UL, 0 },
	{ 0xc0000100, 0x00007f1234567000UL, 0 },         /* FS_BASE */
	{ GS_BASE, 0xffff888012345000UL, 0 },
	{ 0x174, 0x10, 0 },                              /* SYSENTER_CS */
	{ 0x175, 0xffff8880aaaa0000UL, 0 },              /* SYSENTER_ESP */
	{ 0x176, 0xffffffff81bbbb00UL, 0 },              /* SYSENTER_EIP */
	{ 0x277, 0x0007040600070106UL, 0 },              /* PAT: entry 1 WT -> WC */
	{ 0xc0000103, 0x2a, has_tsc_aux },               /* TSC_AUX */
	{ 0x48, 1, has_spec_ctrl },                      /* SPEC_CTRL: IBRS */
};
#define NR_ALLOWED (sizeof(allowed) / sizeof(allowed[0]))

/* DR7 with only LE and GE set: no breakpoint is armed. */
#define DR7_VALUE 0x700UL

static const uint64_t dr_values[4] = { 0x100000, 0x200008, 0xffff800000300010UL, 0x7ff000 };

static void set_drs(void)
{
	__asm__ volatile("mov %0, %%dr0" : : "r"(dr_values[0]));
	__asm__ volatile("mov %0, %%dr1" : : "r"(dr_values[1]));
	__asm__ volatile("mov %0, %%dr2" : : "r"(dr_values[2]));
	__asm__ volatile("mov %0, %%dr3" : : "r"(dr_values[3]));
	__asm__ volatile("mov %0, %%dr7" : : "r"(DR7_VALUE));
}

static void check_drs(const char *when)
{
	uint64_t d[4], dr7;
	__asm__ volatile("mov %%dr0, %0" : "=r"(d[0]));
	__asm__ volatile("mov %%dr1, %0" : "=r"(d[1]));
	__asm__ volatile("mov %%dr2, %0" : "=r"(d[2]));
	__asm__ volatile("mov %%dr3, %0" : "=r"(d[3]));
	__asm__ volatile("mov %%dr7, %0" : "=r"(dr7));
	checked++;
	if (dr7 != DR7_VALUE)
		fail("DR7 is 0x%lx %s, expected 0x%lx", dr7, when, DR7_VALUE);
	for (unsigned i = 0; i < 4; i++) {
		checked++;
		if (d[i] != dr_values[i])
			fail("DR%u is 0x%lx %s, expected 0x%lx", i, d[i], when, dr_values[i]);
	}
}

static void check_all(const char *when)
{
	for (unsigned i = 0; i < NR_ALLOWED; i++) {
		if (allowed[i].present && !allowed[i].present())
			continue;
		uint64_t got = rd(allowed[i].index);
		checked++;
		if (got != allowed[i].value)
			fail("MSR 0x%x reads 0x%lx %s, expected 0x%lx", allowed[i].index, got, when,
			     allowed[i].value);
	}
	check_drs(when);
	kprintf("msrs: allowed MSRs and DR0-3 checked %s\n", when);
}

/* Other vCPUs (the VMM's, at least) run in between: a VMM call, then
 * spins, each twice as long as the last, until the VMM has seen this vCPU
 * preempted (its time slice ended without an exit) at least once more. */
static void let_others_run(void)
{
	int64_t before = vmm_call(SV_GUEST_PREEMPTIONS, 0, 0);

	int64_t now;

	for (unsigned long n = 1UL << 20; (now = vmm_call(SV_GUEST_PREEMPTIONS, 0, 0)) == before;
	     n *= 2)
		for (volatile unsigned long i = 0; i < n; i++)
			;
	kprintf("msrs: preempted (the VMM counts %ld -> %ld)\n", before, now);
}

static void efer_checks(void)
{
	uint64_t efer = rd(EFER), v, err;

	checked++;
	if (efer & EFER_SVME)
		fail("EFER reads 0x%lx: SVME shows", efer);
	v = efer | EFER_SVME;
	checked++;
	if (msr(true, EFER, &v, &err) != 13)
		fail("setting EFER.SVME (0x%lx) did not #GP", v);
	wr(EFER, efer | EFER_SCE);
	v = rd(EFER);
	checked++;
	if (v != (efer | EFER_SCE))
		fail("EFER reads 0x%lx after setting SCE, expected 0x%lx", v, efer | EFER_SCE);
	wr(EFER, efer);
}

static void swapgs_checks(void)
{
	uint64_t kgs = 0xffff8880000a1000UL, gs = 0xffff8880000b2000UL;

	wr(KERNEL_GS_BASE, kgs);
	wr(GS_BASE, gs);
	__asm__ volatile("swapgs");
	let_others_run();
	uint64_t got_gs = rd(GS_BASE), got_kgs = rd(KERNEL_GS_BASE);
	__asm__ volatile("swapgs");
	checked++;
	if (got_gs != kgs || got_kgs != gs)
		fail("after SWAPGS GS_BASE 0x%lx KERNEL_GS_BASE 0x%lx, expected 0x%lx 0x%lx", got_gs,
		     got_kgs, kgs, gs);
	wr(GS_BASE, 0);
}

static void rdtscp_check(void)
{
	uint32_t aux;

	if (!(cpuid(0x80000001).d & (1u << 27)))
		return;
	__asm__ volatile("rdtscp" : "=c"(aux) : : "rax", "rdx");
	checked++;
	if (aux != 0x2a)
		fail("RDTSCP gives TSC_AUX 0x%x, expected 0x2a", aux);
}

__attribute__((section(".text.start"))) void _start(void)
{
	trap_init();
	for (unsigned i = 0; i < NR_ALLOWED; i++) {
		if (allowed[i].present && !allowed[i].present()) {
			kprintf("msrs: MSR 0x%x: not on this CPU, so #GP\n", allowed[i].index);
			expect_gp(false, allowed[i].index, 0);
			expect_gp(true, allowed[i].index, allowed[i].value);
			continue;
		}
		wr(allowed[i].index, allowed[i].value);
	}
	set_drs();
	check_all("as written");
	rdtscp_check();
	let_others_run();
	check_all("after a preemption");
	rdtscp_check();
	efer_checks();
	swapgs_checks();
	/* Off the list: #GP under the default policy, reads and writes. */
	static const uint32_t refused[] = { 0x10, 0x3a, 0xc0010114, 0xc0010117,
					    0xc0011234, 0x40000000 };
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		expect_gp(false, refused[i], 0);
		expect_gp(true, refused[i], 0);
	}
	wr(0xc0000100, 0);
	wr(0x277, PAT_RESET);
	kprintf("msrs: %u checks, %u failed\n", checked, failed);
	kprintf(failed ? "FAIL\n" : "PASS\n");
	kexit(failed ? 1 : 0);
}
