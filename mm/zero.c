#include <stdint.h>
#include "mm/zero.h"

void zero_nocache(void *p, size_t bytes)
{
	uint64_t *q = p, *end = (uint64_t *)((uint8_t *)p + bytes), zero = 0;

	for (; q < end; q += 8)
		__asm__ volatile("movnti %1, 0(%0)\n\tmovnti %1, 8(%0)\n\t"
				 "movnti %1, 16(%0)\n\tmovnti %1, 24(%0)\n\t"
				 "movnti %1, 32(%0)\n\tmovnti %1, 40(%0)\n\t"
				 "movnti %1, 48(%0)\n\tmovnti %1, 56(%0)"
				 : : "r"(q), "r"(zero) : "memory");
}
