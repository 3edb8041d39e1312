/* db-storm: a guest whose #DB handler raises #DB again, for ever: it sets
 * RFLAGS.TF and single-steps into the next #DB (ICEBP would do it in one
 * instruction, but QEMU's TCG has none). Each
 * #DB exits to the hypervisor (intercepted, then reflected), which must
 * still end the VMM's VCPU_RUN after its time slice (SV_EXIT_PREEMPT), so
 * the VMM can stop and destroy it: the CVE-2015-5307/8104 class, where
 * such a guest kept a host CPU in an endless delivery loop. */
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"

extern char storm[];
__asm__(".text\nstorm: pushfq; orq $0x100, (%rsp); popfq; nop; jmp storm\n");

__attribute__((section(".text.start"))) void _start(void)
{
	trap_init();
	trap_set_gate(1, storm);
	kprintf("db-storm: #DB handler raises #DB, for ever\n");
	vmm_call(SV_GUEST_EXPECT_PREEMPT, 0, 0);
	__asm__ volatile("jmp storm");
	kexit(1);
}
