/* marker: a helper guest for stale-tlb. It takes fresh memory a page at a
 * time (most likely the pages stale-tlb just gave up) and fills it with
 * its marker. */
#include "guest/lib/kernel.h"

#define MB (1UL << 20)
#define MARKER 0xb0b0b0b0b0b0b0b0UL

__attribute__((section(".text.start"))) void _start(void)
{
	for (uint64_t a = 8 * MB; a < 40 * MB; a += 8)
		*(volatile uint64_t *)a = MARKER;
	kprintf("marker: 32 MiB marked\n");
	kexit(0);
}
