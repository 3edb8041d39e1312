/* Page zeroing by the fastest general-register method the CPU has (mm/zero.h). */
#include <stdint.h>
#include "mm/zero.h"

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

static void zero_movnti(void *p, size_t bytes)
{
	uint64_t *q = p, *end = (uint64_t *)((uint8_t *)p + bytes), zero = 0;

	for (; q < end; q += 8)
		__asm__ volatile("movnti %1, 0(%0)\n\tmovnti %1, 8(%0)\n\t"
				 "movnti %1, 16(%0)\n\tmovnti %1, 24(%0)\n\t"
				 "movnti %1, 32(%0)\n\tmovnti %1, 40(%0)\n\t"
				 "movnti %1, 48(%0)\n\tmovnti %1, 56(%0)"
				 : : "r"(q), "r"(zero) : "memory");
}

/* The asm advances RAX: it is an in/out operand, a scratch copy of q (as
 * an input only, the compiler may keep q in RAX and skip 192 bytes of
 * every 256: tests/unit/zero_os.c). */
static void zero_clzero(void *p, size_t bytes)
{
	for (uint8_t *q = p, *end = q + bytes; q < end; q += 256) {
		uint8_t *line = q;
		__asm__ volatile("clzero\n\tlea 64(%%rax), %%rax\n\tclzero\n\t"
				 "lea 64(%%rax), %%rax\n\tclzero\n\tlea 64(%%rax), %%rax\n\tclzero"
				 : "+a"(line) : : "memory");
	}
}

static void zero_stosb(void *p, size_t bytes)
{
	__asm__ volatile("rep stosb" : "+D"(p), "+c"(bytes) : "a"(0) : "memory");
}

static const char *const names[ZERO_NR_METHODS] = { "movnti", "clzero", "rep stosb" };

const char *zero_method_name(enum zero_method m)
{
	return names[m];
}

bool zero_method_available(enum zero_method m)
{
	uint32_t r[4];

	switch (m) {
	case ZERO_MOVNTI:
		return true;                       /* SSE2: every x86-64 CPU */
	case ZERO_CLZERO:
		cpuid(0x80000000, r);
		if (r[0] < 0x80000008)
			return false;
		cpuid(0x80000008, r);
		if (!(r[1] & 1))
			return false;
		cpuid(1, r);                       /* CLFLUSH line size: CLZERO's */
		return ((r[1] >> 8) & 0xff) * 8 == 64;
	case ZERO_STOSB:
		cpuid(0, r);
		if (r[0] < 7)
			return false;
		cpuid(7, r);
		return r[1] & (1u << 9);           /* ERMS */
	default:
		return false;
	}
}

/* 0: not chosen yet; else method + 1. Racing first calls choose alike. */
static unsigned chosen;

enum zero_method zero_method(void)
{
	unsigned c = __atomic_load_n(&chosen, __ATOMIC_RELAXED);

	if (!c) {
		c = (zero_method_available(ZERO_CLZERO) ? ZERO_CLZERO : ZERO_MOVNTI) + 1;
		__atomic_store_n(&chosen, c, __ATOMIC_RELAXED);
	}
	return c - 1;
}

void zero_with(enum zero_method m, void *p, size_t bytes)
{
	if (m == ZERO_CLZERO && bytes % 256 == 0)
		zero_clzero(p, bytes);
	else if (m == ZERO_STOSB)
		zero_stosb(p, bytes);
	else
		zero_movnti(p, bytes);
}

void zero_nocache(void *p, size_t bytes)
{
	zero_with(zero_method(), p, bytes);
}
