/*
 * xstate (issue 11): the vector state is the partition's own.
 *  - It starts in the reset state: nothing of the VMM (which fills its own
 *    XMM registers before every VCPU_RUN) or of an earlier guest shows.
 *  - CR0/CR4 writes the hypervisor refuses fault with #GP and change
 *    nothing; allowed ones take effect (checked by their effect: EM and
 *    OSFXSR make SSE fault with #UD).
 *  - With XSAVE: OSXSAVE shows in CPUID once set, XSETBV with invalid
 *    values faults with #GP, a valid one takes effect (AVX usable).
 *  - A pattern in XMM0-15 (and the YMM upper halves with AVX), MXCSR and
 *    the x87 control word survives several preemptions and exits, and a
 *    move to another CPU half way (the VMM runs the rest of this vCPU
 *    from its control vCPU 1: SV_GUEST_MIGRATE).
 */
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"
#include "guest/lib/xmm.h"

#define SEED 0x5eed00005eed0000UL
#define PREEMPTIONS 4   /* half of them after the move to another CPU */
#define CR4_VMXE (1UL << 13)
#define CR4_OSXSAVE (1UL << 18)
#define CR4_OSFXSR (1UL << 9)
#define CR4_PKE (1UL << 22)
#define CR0_EM (1UL << 2)
#define CR0_PG (1UL << 31)

static unsigned failed, checked;

static void check(int ok, const char *what)
{
	checked++;
	if (!ok)
		failed++;
	kprintf("xstate: %s: %s\n", what, ok ? "ok" : "FAILED");
}

static struct { uint32_t a, b, c, d; } cpuid(uint32_t leaf, uint32_t sub)
{
	uint32_t a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
	return (typeof(cpuid(0, 0))){ a, b, c, d };
}

static uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static void write_cr0(void *v) { __asm__ volatile("mov %0, %%cr0" : : "r"((uint64_t)v) : "memory"); }
static void write_cr4(void *v) { __asm__ volatile("mov %0, %%cr4" : : "r"((uint64_t)v) : "memory"); }
static void do_sse(void *a) { (void)a; __asm__ volatile("xorps %%xmm15, %%xmm15" ::: "memory"); }

static uint64_t xcr0_now(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

struct xsetbv_args { uint32_t ecx; uint64_t value; };
static void do_xsetbv(void *p)
{
	struct xsetbv_args *x = p;
	__asm__ volatile("xsetbv" : : "c"(x->ecx), "a"((uint32_t)x->value),
			 "d"((uint32_t)(x->value >> 32)) : "memory");
}

/* fn(arg) must fault with vector (error code 0 for #GP). */
static void expect_fault(const char *what, void (*fn)(void *), void *arg, uint64_t vector)
{
	struct trap t = { 0 };
	int hit = trap_catch(fn, arg, &t);
	char line[96];

	sv_snprintf(line, sizeof(line), "%s faults with vector %lu (got %s%lu)", what, vector,
		    hit ? "" : "none, ", hit ? t.vector : 0);
	check(hit && t.vector == vector && t.error == 0, line);
}

static void expect_ok(const char *what, void (*fn)(void *), void *arg)
{
	struct trap t = { 0 };
	char line[96];

	sv_snprintf(line, sizeof(line), "%s is allowed", what);
	check(!trap_catch(fn, arg, &t), line);
}

static void reset_state(void)
{
	struct fxarea a;
	unsigned nonzero = 0;

	fx_save(&a);
	for (unsigned i = 0; i < 16; i++)
		nonzero += a.xmm[i][0] != 0 || a.xmm[i][1] != 0;
	kprintf("xstate: at start fcw 0x%x mxcsr 0x%x, %u of 16 XMM registers non-zero\n", a.fcw,
		a.mxcsr, nonzero);
	check(nonzero == 0 && a.mxcsr == 0x1f80 && a.fcw == 0x37f,
	      "starts in the reset state (nothing of the VMM or an earlier guest)");
}

static void control_registers(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();

	check(!(cr0 & CR0_EM) && (cr4 & CR4_OSFXSR), "initial CR0.EM clear, CR4.OSFXSR set");
	expect_fault("CR4.VMXE", write_cr4, (void *)(cr4 | CR4_VMXE), 13);
	expect_fault("CR4.PKE", write_cr4, (void *)(cr4 | CR4_PKE), 13);
	expect_fault("clearing CR0.PG", write_cr0, (void *)(cr0 & ~CR0_PG), 13);
	check(read_cr0() == cr0 && read_cr4() == cr4, "refused writes changed nothing");
	expect_ok("setting CR0.EM", write_cr0, (void *)(cr0 | CR0_EM));
	check(read_cr0() == (cr0 | CR0_EM), "CR0 reads back with EM");
	expect_fault("SSE with CR0.EM", do_sse, 0, 6);
	write_cr0((void *)cr0);
	expect_ok("clearing CR4.OSFXSR", write_cr4, (void *)(cr4 & ~CR4_OSFXSR));
	expect_fault("SSE without CR4.OSFXSR", do_sse, 0, 6);
	write_cr4((void *)cr4);
	expect_ok("SSE once both are back", do_sse, 0);
}

/* True if AVX is on (XCR0 = x87|SSE|AVX) when it returns. */
static int xsave_and_xsetbv(void)
{
	uint64_t cr4 = read_cr4();

	if (!(cpuid(1, 0).c & (1u << 26))) {
		kprintf("xstate: no XSAVE on this CPU\n");
		expect_fault("CR4.OSXSAVE without XSAVE", write_cr4, (void *)(cr4 | CR4_OSXSAVE), 13);
		return 0;
	}
	check(!(cpuid(1, 0).c & (1u << 27)), "CPUID OSXSAVE clear while CR4.OSXSAVE is");
	expect_ok("CR4.OSXSAVE", write_cr4, (void *)(cr4 | CR4_OSXSAVE));
	check(!!(cpuid(1, 0).c & (1u << 27)), "CPUID OSXSAVE set once CR4.OSXSAVE is");
	check(xcr0_now() == 3, "XCR0 starts as x87|SSE");
	static struct xsetbv_args bad[] = {
		{ 1, 3 }, { 0, 0 }, { 0, 2 }, { 0, 5 }, { 0, 3 | (1UL << 9) }, { 0, 0x23 },
		{ 0, 3 | (1UL << 62) },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[48];
		sv_snprintf(what, sizeof(what), "XSETBV(%u, 0x%lx)", bad[i].ecx, bad[i].value);
		expect_fault(what, do_xsetbv, &bad[i], 13);
	}
	check(xcr0_now() == 3, "refused XSETBVs left XCR0 alone");
	uint32_t size3 = cpuid(0xd, 0).b;
	check(size3 == 576, "CPUID 0xD EBX: 576 bytes for x87|SSE");
	if (!(cpuid(1, 0).c & (1u << 28))) {
		kprintf("xstate: no AVX on this CPU\n");
		return 0;
	}
	static struct xsetbv_args avx = { 0, 7 };
	expect_ok("XSETBV(0, 7)", do_xsetbv, &avx);
	check(xcr0_now() == 7, "XCR0 reads back 7");
	check(cpuid(0xd, 0).b == cpuid(0xd, 2).b + cpuid(0xd, 2).a,
	      "CPUID 0xD EBX grows with the AVX component");
	return xcr0_now() == 7;
}

/* YMM upper halves: vinserti128 would need AVX2; vinsertf128 is AVX. */
#define YMM_FILL(n) __asm__ volatile("vinsertf128 $1, %0, %%ymm" #n ", %%ymm" #n : : "m"(hi[n]))
#define YMM_READ(n) __asm__ volatile("vextractf128 $1, %%ymm" #n ", %0" : "=m"(out[n]))

static void ymm_fill(uint64_t (*hi)[2])
{
	YMM_FILL(0); YMM_FILL(1); YMM_FILL(2); YMM_FILL(3); YMM_FILL(4); YMM_FILL(5);
	YMM_FILL(6); YMM_FILL(7); YMM_FILL(8); YMM_FILL(9); YMM_FILL(10); YMM_FILL(11);
	YMM_FILL(12); YMM_FILL(13); YMM_FILL(14); YMM_FILL(15);
}

static void ymm_read(uint64_t (*out)[2])
{
	YMM_READ(0); YMM_READ(1); YMM_READ(2); YMM_READ(3); YMM_READ(4); YMM_READ(5);
	YMM_READ(6); YMM_READ(7); YMM_READ(8); YMM_READ(9); YMM_READ(10); YMM_READ(11);
	YMM_READ(12); YMM_READ(13); YMM_READ(14); YMM_READ(15);
}

/* Integer work only, until the VMM saw `until` preemptions: one needs a
 * whole time slice without an exit, so the spins between two questions
 * grow until one is that long. */
static uint64_t spin_until(uint64_t until)
{
	static uint64_t chunk = 1000000;
	uint64_t seen, last = ~0UL;

	while ((seen = (uint64_t)vmm_call(SV_GUEST_PREEMPTIONS, 0, 0)) < until) {
		if (seen == last)
			chunk *= 2;
		last = seen;
		for (volatile uint64_t n = 0; n < chunk; n++)
			;
	}
	return seen;
}

static void survives_preemption(int avx)
{
	static uint64_t hi[16][2], out[16][2];
	struct fxarea a;
	uint64_t seen;

	for (unsigned i = 0; i < 16; i++)
		hi[i][0] = SEED + i, hi[i][1] = ~(SEED + i);
	fx_save(&a);
	fx_pattern(&a, SEED);
	a.fcw = 0x27f;            /* precision 53 bits */
	a.mxcsr = 0x7f80;         /* round toward zero */
	fx_load(&a);
	if (avx)
		ymm_fill(hi);         /* VEX: the XMM halves stay as loaded */
	spin_until(PREEMPTIONS / 2);
	int64_t moved = vmm_call(SV_GUEST_MIGRATE, 0, 0);
	seen = spin_until(PREEMPTIONS);
	unsigned bad = fx_check(SEED);
	fx_save(&a);
	unsigned bad_hi = 0;
	if (avx) {
		ymm_read(out);
		for (unsigned i = 0; i < 16; i++)
			bad_hi += out[i][0] != hi[i][0] || out[i][1] != hi[i][1];
	}
	kprintf("xstate: %s\n", moved == 0 ? "moved to another CPU half way"
					      : "not moved (the VMM has one CPU)");
	kprintf("xstate: after %lu preemptions: %u XMM, %u YMM-upper registers changed, fcw 0x%x "
		"mxcsr 0x%x\n", seen, bad, bad_hi, a.fcw, a.mxcsr);
	check(bad == 0 && bad_hi == 0 && a.fcw == 0x27f && a.mxcsr == 0x7f80,
	      avx ? "XMM, YMM, MXCSR and FCW survive preemption"
		  : "XMM, MXCSR and FCW survive preemption");
}

__attribute__((section(".text.start"))) void _start(void)
{
	reset_state();   /* first: before anything of ours touches the state */
	trap_init();
	control_registers();
	int avx = xsave_and_xsetbv();
	survives_preemption(avx);
	kprintf("xstate: %u checks, %u failed\n", checked, failed);
	kexit(failed ? 1 : 0);
}
