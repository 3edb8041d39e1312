/* spin: a guest that never exits. Only the preemption timer can give the
 * CPU back to the VMM, which stops it after a few time slices. */
#include "guest/lib/kernel.h"

__attribute__((section(".text.start"))) void _start(void)
{
	kprintf("spin: looping for ever without an exit\n");
	vmm_call(SV_GUEST_EXPECT_PREEMPT, 0, 0);
	for (volatile uint64_t n = 0;; n++)
		;
}
