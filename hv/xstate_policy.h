/*
 * What a partition may do with the extended state and the control
 * registers that gate it: the verdicts of the CR0/CR4 write and XSETBV
 * intercepts, and CPUID's description of the XSAVE state. Pure functions
 * of their arguments (host-tested); arch/x86/xstate.c and the backends'
 * intercept handlers apply them.
 */
#ifndef HV_XSTATE_POLICY_H
#define HV_XSTATE_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/x86.h"

#define XCR0_X87        (1UL << 0)
#define XCR0_SSE        (1UL << 1)
#define XCR0_AVX        (1UL << 2)
#define XCR0_OPMASK     (1UL << 5)
#define XCR0_ZMM_HI256  (1UL << 6)
#define XCR0_HI16_ZMM   (1UL << 7)
#define XCR0_AVX512     (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
/* The components the hypervisor switches between partitions: no other may
 * ever be enabled in a partition (MPX, PKRU, AMX... are not switched). */
#define XCR0_SWITCHED   (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512)
/* A partition's XCR0 at reset: x87 and SSE, what a 64-bit OS expects
 * before it enables more with XSETBV. */
#define XCR0_RESET      (XCR0_X87 | XCR0_SSE)
#define XSAVE_LEGACY_SIZE 576   /* legacy region + XSAVE header */

#define CR0_PE (1UL << 0)
#define CR0_MP (1UL << 1)
#define CR0_EM (1UL << 2)
#define CR0_TS (1UL << 3)
#define CR0_ET (1UL << 4)
#define CR0_NE (1UL << 5)
#define CR0_AM (1UL << 18)
#define CR0_NW (1UL << 29)
#define CR0_CD (1UL << 30)
#define CR0_PG (1UL << 31)
#define CR4_PAE        (1UL << 5)
#define CR4_OSFXSR     (1UL << 9)
#define CR4_OSXMMEXCPT (1UL << 10)
#define CR4_PCIDE      (1UL << 17)
#define CR4_OSXSAVE    (1UL << 18)
#define CPUID1_ECX_XSAVE   (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define CPUID1_ECX_AVX     (1u << 28)

/* The host's XSAVE layout, filled once at boot (arch/x86/xstate.c). */
struct xstate_host {
	bool xsave;                 /* else FXSAVE only: XCR0 is x87|SSE for ever */
	uint64_t xcr0;              /* the host's XCR0: XCR0_SWITCHED & supported */
	uint32_t offset[8], size[8];/* CPUID 0xD sub-leaf i, components 2..7 */
	uint64_t cr4_allowed;       /* CR4 bits a partition may set */
};
extern struct xstate_host xstate_host;

/* XSETBV(ecx, value) at cpl against the host's XCR0: 0 (apply), or -EINVAL
 * (the guest gets #GP). */
int xsetbv_check(uint32_t ecx, uint64_t value, uint64_t host_xcr0, unsigned cpl);

/* MOV to CR0/CR4 is judged by hv/cr_policy.h (mode switches). */
/* The CR4 bits the host lets partitions set, from CPUID leaves 1 and 7. */
uint64_t cr4_allowed_for(uint32_t cpuid1_ecx, uint32_t cpuid7_ebx, uint32_t cpuid7_ecx,
			 bool xsave);

/* XSAVE area size (standard format) for the components in xcr0. */
uint32_t xstate_size(const struct xstate_host *h, uint64_t xcr0);
/* CPUID leaves 1 (OSXSAVE, XSAVE, AVX), 7 (PKU) and 0xD as a partition with
 * this CR4 and XCR0 must see them. */
void cpuid_xstate_adjust(uint32_t leaf, uint32_t sub, struct cpuid_regs *c, uint64_t guest_cr4,
			 uint64_t guest_xcr0, const struct xstate_host *h);

#endif
