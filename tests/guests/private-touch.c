/*
 * private-touch: 64 MiB of private memory, faulted in page by page (4 KiB
 * pages on demand below 64 MiB, 2 MiB extents above): it must read as zero,
 * then hold a written pattern.
 */
#include "guest/lib/kernel.h"

#define START (16UL << 20)
#define SIZE  (64UL << 20)

__attribute__((section(".text.start"))) void _start(void)
{
	volatile uint64_t *p = (volatile uint64_t *)START;
	uint64_t words = SIZE / 8, bad = 0;

	for (uint64_t i = 0; i < words; i += 512)   /* one read per page */
		bad += p[i] != 0;
	kprintf("private-touch: %lu MiB faulted in, %lu pages not zero\n", SIZE >> 20, bad);
	for (uint64_t i = 0; i < words; i += 8)
		p[i] = i * 0x9e3779b97f4a7c15UL;
	for (uint64_t i = 0; i < words; i += 8)
		bad += p[i] != i * 0x9e3779b97f4a7c15UL;
	kprintf("private-touch: pattern check, %lu words wrong\n", bad);
	kprintf(bad ? "FAIL\n" : "PASS\n");
	kexit(bad ? 1 : 0);
}
