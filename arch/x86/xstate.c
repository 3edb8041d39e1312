/*
 * Eager extended-state switching (arch/x86/xstate.h). The hypervisor never
 * uses x87/SSE/AVX itself (-mgeneral-regs-only), so there is no host state
 * to keep: what the registers hold between an exit and the next entry is
 * the last guest's, and XRSTOR of every component the host enables
 * (components whose XSTATE_BV bit is clear are set to their reset values)
 * overwrites all of it before anyone else runs.
 *
 * Save and restore always run with the host XCR0 (every switched
 * component), whatever the vCPU enabled: a component the guest has off is
 * still saved and restored, so nothing of it leaks either. The vCPU's own
 * XCR0 is loaded last before entry and the host's first after exit.
 */
#include <sealvisor/errno.h>
#include "arch/x86/percpu.h"
#include "arch/x86/xstate.h"
#include "hv/log.h"
#include "hv/vm.h"
#include "hv/xstate_policy.h"
#include "lib/string.h"
#include "mm/phys.h"
#include "mm/pmm.h"

#define FCW_RESET   0x37f
#define MXCSR_RESET 0x1f80
/* The figure make bench prints: one XSAVE+XRSTOR pair, in TSC cycles. */
#define BENCH_SAMPLES 4096

static unsigned area_order;
static uint64_t bench_cycles, bench_n;

static inline void xsetbv(uint64_t v)
{
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t xgetbv(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

static void save(void *area)
{
	uint64_t m = xstate_host.xcr0;

	if (xstate_host.xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"((uint32_t)m),
				 "d"((uint32_t)(m >> 32)) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void restore(void *area)
{
	uint64_t m = xstate_host.xcr0;

	if (xstate_host.xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"((uint32_t)m),
				 "d"((uint32_t)(m >> 32)) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

static void read_layout(void)
{
	struct xstate_host *h = &xstate_host;
	struct cpuid_regs l1 = cpuid(1, 0), l7 = { 0, 0, 0, 0 };

	if (cpuid(0, 0).eax >= 7)
		l7 = cpuid(7, 0);
	h->xsave = (l1.ecx & CPUID1_ECX_XSAVE) && cpuid(0, 0).eax >= 0xd;
	h->xcr0 = XCR0_X87 | XCR0_SSE;
	if (h->xsave) {
		struct cpuid_regs d = cpuid(0xd, 0);
		uint64_t supported = ((uint64_t)d.edx << 32) | d.eax;
		h->xcr0 = supported & XCR0_SWITCHED;
		/* AVX-512 all or nothing, and only with AVX (XSETBV's rules). */
		if ((h->xcr0 & XCR0_AVX512) != XCR0_AVX512 || !(h->xcr0 & XCR0_AVX))
			h->xcr0 &= ~XCR0_AVX512;
		for (unsigned i = 2; i < 8; i++) {
			if (!(h->xcr0 & (1UL << i)))
				continue;
			struct cpuid_regs s = cpuid(0xd, i);
			h->size[i] = s.eax;
			h->offset[i] = s.ebx;
		}
	}
	h->cr4_allowed = cr4_allowed_for(l1.ecx, l7.ebx, l7.ecx, h->xsave);
	uint32_t size = h->xsave ? xstate_size(h, h->xcr0) : 512;
	while ((PAGE_SIZE << area_order) < size)
		area_order++;
	log_info("xstate: %s, host XCR0 0x%lx, %u bytes per vCPU\n",
		 h->xsave ? "XSAVE" : "FXSAVE (no XSAVE)", h->xcr0, size);
}

void xstate_cpu_init(void)
{
	if (this_cpu()->id == 0)
		read_layout();
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	if (xstate_host.xsave)
		cr4 |= CR4_OSXSAVE;
	write_cr4(cr4);
	if (xstate_host.xsave)
		xsetbv(xstate_host.xcr0);
}

/* Reset state: XSTATE_BV 0 makes XRSTOR initialise every component; the
 * legacy region still supplies MXCSR (and FCW for FXRSTOR). */
int xstate_vcpu_init(struct vcpu *v)
{
	uint64_t pa = pmm_alloc(area_order, OWNER_HV, v->vm->id);

	if (!pa)
		return -ENOMEM;
	uint8_t *area = phys_to_virt(pa);
	memset(area, 0, PAGE_SIZE << area_order);
	*(uint16_t *)area = FCW_RESET;
	*(uint32_t *)(area + 24) = MXCSR_RESET;
	v->xsave_area = area;
	v->xsave_pa = pa;
	v->xcr0 = XCR0_RESET;
	return 0;
}

void xstate_vcpu_destroy(struct vcpu *v)
{
	if (v->xsave_area)
		pmm_free(v->xsave_pa, area_order);
	v->xsave_area = NULL;
}

static uint64_t bench_timed(void (*op)(void *), void *area)
{
	uint64_t t0 = __builtin_ia32_rdtsc();
	op(area);
	return __builtin_ia32_rdtsc() - t0;
}

/* One XSAVE or XRSTOR timed, until BENCH_SAMPLES pairs are in; then the
 * figure once. Racy between CPUs: a figure, never a check. */
static void bench_add(uint64_t cycles, bool pair_done)
{
	__atomic_add_fetch(&bench_cycles, cycles, __ATOMIC_RELAXED);
	if (pair_done && __atomic_add_fetch(&bench_n, 1, __ATOMIC_RELAXED) == BENCH_SAMPLES)
		log_info("xstate: switch (%s pair) mean %lu TSC cycles over %u guest entries\n",
			 xstate_host.xsave ? "XSAVE+XRSTOR" : "FXSAVE+FXRSTOR",
			 bench_cycles / BENCH_SAMPLES, BENCH_SAMPLES);
}

static void restore_op(void *area)
{
	restore(area);
}

void xstate_load_guest(struct vcpu *v)
{
	if (bench_n < BENCH_SAMPLES)
		bench_add(bench_timed(restore_op, v->xsave_area), false);
	else
		restore(v->xsave_area);
	if (xstate_host.xsave && v->xcr0 != xstate_host.xcr0)
		xsetbv(v->xcr0);
}

/* XCR0 as the vCPU left it: read back, not assumed, in case a CPU (QEMU's
 * TCG) lets XSETBV through without its intercept. */
void xstate_save_guest(struct vcpu *v)
{
	if (xstate_host.xsave) {
		v->xcr0 = xgetbv();
		if (v->xcr0 != xstate_host.xcr0)
			xsetbv(xstate_host.xcr0);
	}
	if (bench_n < BENCH_SAMPLES)
		bench_add(bench_timed(save, v->xsave_area), true);
	else
		save(v->xsave_area);
}

int xstate_xsetbv(struct vcpu *v, uint32_t ecx, uint64_t value, unsigned cpl)
{
	int err = xsetbv_check(ecx, value, xstate_host.xcr0, cpl);

	if (!err)
		v->xcr0 = value;
	return err;
}
