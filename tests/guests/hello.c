/* hello: the smallest guest. It prints and passes. */
#include "guest/lib/kernel.h"

__attribute__((section(".text.start"))) void _start(void)
{
	kprintf("hello from a confidential guest\n");
	kprintf("PASS\n");
	kexit(0);
}
