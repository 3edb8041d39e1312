/*
 * Zeroing whole pages that nobody will read soon: pages being freed, and
 * pages handed to a guest. Only general-register instructions (no FPU or
 * vector state is touched), chosen once by CPUID (zero_method):
 *  - CLZERO (AMD, CPUID 0x80000008 EBX[0], 64-byte lines): zeroes a whole
 *    line without reading it; on the EPYC host we measure it writes at
 *    about twice the rate of the best non-temporal store loop;
 *  - otherwise MOVNTI, 8 stores a line: non-temporal, no read for
 *    ownership, no cache pollution. REP STOSB (ERMS/FSRM) was measured
 *    too and lost to MOVNTI for pages and 2 MiB blocks (make bench shows
 *    every method the CPU has, against the bound, in the same run).
 *
 * Both are weakly ordered: call zero_fence() after a batch and before the
 * pages become visible to anyone else (before pmm_free, before dropping
 * the lock that publishes them).
 */
#ifndef MM_ZERO_H
#define MM_ZERO_H

#include <stdbool.h>
#include <stddef.h>

/* bytes must be a multiple of 64 and p 64-byte aligned (pages are). */
void zero_nocache(void *p, size_t bytes);

static inline void zero_fence(void)
{
	__asm__ volatile("sfence" ::: "memory");
}

/* The methods, for the benchmark: name and whether this CPU has it. */
enum zero_method { ZERO_MOVNTI, ZERO_CLZERO, ZERO_STOSB, ZERO_NR_METHODS };
const char *zero_method_name(enum zero_method m);
bool zero_method_available(enum zero_method m);
/* The one zero_nocache uses (chosen at the first call). */
enum zero_method zero_method(void);
void zero_with(enum zero_method m, void *p, size_t bytes);

#endif
