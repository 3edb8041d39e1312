/* Verdicts of the XSETBV intercept, the CR4 bits a partition may set and
 * CPUID's view of XSAVE (hv/xstate_policy.h). Pure: host-tested in tests/unit/test_xstate.c. */
#include <sealvisor/errno.h>
#include "hv/xstate_policy.h"

struct xstate_host xstate_host;

int xsetbv_check(uint32_t ecx, uint64_t value, uint64_t host_xcr0, unsigned cpl)
{
	if (cpl != 0 || ecx != 0)
		return -EINVAL;
	if (!(value & XCR0_X87) || (value & ~host_xcr0) || (value & ~XCR0_SWITCHED))
		return -EINVAL;
	if ((value & XCR0_AVX) && !(value & XCR0_SSE))
		return -EINVAL;
	uint64_t avx512 = value & XCR0_AVX512;
	if (avx512 && (avx512 != XCR0_AVX512 || !(value & XCR0_AVX)))
		return -EINVAL;
	return 0;
}

/*
 * VME..OSXMMEXCPT are the base architecture; the rest only where the CPU
 * has them. Never: LA57 (a paging-mode change, not emulated), VMXE/SMXE
 * (no nested virtualization), PKE/CET/PKS (their state, PKRU and the CET
 * MSRs, is not switched between partitions).
 */
uint64_t cr4_allowed_for(uint32_t cpuid1_ecx, uint32_t cpuid7_ebx, uint32_t cpuid7_ecx,
			 bool xsave)
{
	uint64_t a = 0x7ff;   /* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT */

	if (cpuid7_ecx & (1u << 2))
		a |= 1UL << 11;           /* UMIP */
	if (cpuid7_ebx & (1u << 0))
		a |= 1UL << 16;           /* FSGSBASE */
	if (cpuid1_ecx & (1u << 17))
		a |= CR4_PCIDE;
	if (xsave && (cpuid1_ecx & CPUID1_ECX_XSAVE))
		a |= CR4_OSXSAVE;
	if (cpuid7_ebx & (1u << 7))
		a |= 1UL << 20;           /* SMEP */
	if (cpuid7_ebx & (1u << 20))
		a |= 1UL << 21;           /* SMAP */
	return a;
}

uint32_t xstate_size(const struct xstate_host *h, uint64_t xcr0)
{
	uint32_t size = XSAVE_LEGACY_SIZE;

	for (unsigned i = 2; i < 8; i++)
		if ((xcr0 & (1UL << i)) && h->offset[i] + h->size[i] > size)
			size = h->offset[i] + h->size[i];
	return size;
}

void cpuid_xstate_adjust(uint32_t leaf, uint32_t sub, struct cpuid_regs *c, uint64_t guest_cr4,
			 uint64_t guest_xcr0, const struct xstate_host *h)
{
	if (leaf == 1) {
		c->ecx &= ~CPUID1_ECX_OSXSAVE;
		if (!h->xsave)
			c->ecx &= ~(CPUID1_ECX_XSAVE | CPUID1_ECX_AVX);
		else if (guest_cr4 & CR4_OSXSAVE)
			c->ecx |= CPUID1_ECX_OSXSAVE;
		if (!(h->xcr0 & XCR0_AVX))
			c->ecx &= ~CPUID1_ECX_AVX;
	} else if (leaf == 7 && sub == 0) {
		c->ecx &= ~((1u << 3) | (1u << 4) | (1u << 7));   /* PKU, OSPKE, CET_SS */
		c->edx &= ~(1u << 20);                            /* CET_IBT */
		if (!(h->xcr0 & XCR0_AVX512))
			c->ebx &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) |
				    (1u << 28) | (1u << 30) | (1u << 31));
	} else if (leaf == 0xd) {
		if (!h->xsave) {
			*c = (struct cpuid_regs){ 0, 0, 0, 0 };
		} else if (sub == 0) {
			*c = (struct cpuid_regs){ (uint32_t)h->xcr0, xstate_size(h, guest_xcr0),
						  xstate_size(h, h->xcr0), (uint32_t)(h->xcr0 >> 32) };
		} else if (sub == 1) {
			/* XSAVEOPT and XGETBV1. Not XSAVES (IA32_XSS is not a
			 * partition's); not XSAVEC either: EBX, the compacted
			 * size a kernel using it must be told, stays 0, and
			 * Linux, finding 0, warns "XSAVE consistency problem". */
			*c = (struct cpuid_regs){ c->eax & 0x5, 0, 0, 0 };
		} else if (sub >= 64 || !(h->xcr0 & (1UL << sub))) {
			*c = (struct cpuid_regs){ 0, 0, 0, 0 };
		}
	}
}
