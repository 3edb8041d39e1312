/* x87/SSE state for test kernels and the demo VMM, which are built without
 * SSE (-mgeneral-regs-only): FXSAVE/FXRSTOR of an image, and a pattern. */
#ifndef GUEST_XMM_H
#define GUEST_XMM_H

#include <stdint.h>

struct fxarea {
	uint16_t fcw, fsw;
	uint8_t ftw, pad0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st[8][16];
	uint64_t xmm[16][2];
	uint8_t rest[96];
} __attribute__((aligned(64)));

static inline void fx_save(struct fxarea *a)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*a));
}

static inline void fx_load(const struct fxarea *a)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*a));
}

/* A pattern for XMM0-15 that names its owner (seed) and register. */
static inline void fx_pattern(struct fxarea *a, uint64_t seed)
{
	for (unsigned i = 0; i < 16; i++) {
		a->xmm[i][0] = seed ^ (0x0101010101010101UL * (i + 1));
		a->xmm[i][1] = ~seed + i;
	}
}

/* XMM0-15 of the live registers against the pattern: mismatches. */
static inline unsigned fx_check(uint64_t seed)
{
	struct fxarea now, want;
	unsigned bad = 0;

	fx_save(&now);
	fx_pattern(&want, seed);
	for (unsigned i = 0; i < 16; i++)
		bad += now.xmm[i][0] != want.xmm[i][0] || now.xmm[i][1] != want.xmm[i][1];
	return bad;
}

/* Loads the pattern into XMM0-15, leaving x87 and MXCSR as they are. */
static inline void fx_fill(uint64_t seed)
{
	struct fxarea a;

	fx_save(&a);
	fx_pattern(&a, seed);
	fx_load(&a);
}

#endif
