/* irq: interrupts its VMM raises (VCPU_INTERRUPT, through the demo VMM's
 * SV_GUEST_INTERRUPT hook) arrive through the guest's IDT exactly once,
 * only when the guest can take them (RFLAGS.IF set), highest vector
 * first; HLT wakes for them; bad vectors are refused; and the VMM's
 * interrupt window (SV_EXIT_IRQ_WINDOW) opens exactly when the guest
 * unmasks. */
#include "guest/lib/irq.h"
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"

static unsigned failed, checked;

static void check(int ok, const char *what)
{
	checked++;
	if (ok) {
		kprintf("irq: %s: ok\n", what);
		return;
	}
	failed++;
	kprintf("irq: %s: FAILED (total %lu delivered)\n", what, irq_total());
}

static int64_t raise(uint64_t vector)
{
	return vmm_call(SV_GUEST_INTERRUPT, vector, 0);
}

/* Some exits with IF clear: the queued interrupt must not slip in. */
static void masked_exits(void)
{
	for (int i = 0; i < 3; i++) {
		uint32_t a = 0, b, c = 0, d;
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	}
}

__attribute__((section(".text.start"))) void _start(void)
{
	trap_init();
	irq_init();

	check(raise(31) == -EINVAL && raise(0) == -EINVAL && raise(256) == -EINVAL &&
	      irq_total() == 0, "vectors 0, 31 and 256 refused (EINVAL), nothing delivered");

	check(raise(0x40) == 0, "vector 0x40 raised");
	masked_exits();
	check(irq_total() == 0, "not delivered while RFLAGS.IF is clear");
	irq_sti_hlt();
	check(irq_count(0x40) == 1 && irq_total() == 1, "delivered once at sti; hlt");

	/* IF set at the call: delivered on the way back in, before the cli. */
	__asm__ volatile("sti" ::: "memory");
	int64_t r = raise(0x41);
	__asm__ volatile("cli" ::: "memory");
	check(r == 0 && irq_count(0x41) == 1 && irq_total() == 2,
	      "delivered at once to a guest with interrupts enabled");

	check(raise(0x50) == 0 && raise(0x60) == 0, "0x50 and 0x60 raised");
	irq_sti_hlt();
	__asm__ volatile("sti; nop; cli" ::: "memory");
	check(irq_nth(2) == 0x60 && irq_nth(3) == 0x50 && irq_total() == 4,
	      "both delivered, the higher vector first");

	/* The VMM asks for the window and raises 0x70 when it opens. */
	check(vmm_call(SV_GUEST_IRQ_WINDOW, 0x70, 0) == 0, "window requested");
	masked_exits();
	check(irq_count(0x70) == 0, "no window while RFLAGS.IF is clear");
	__asm__ volatile("sti; nop; cli" ::: "memory");
	check(irq_count(0x70) == 1 && irq_total() == 5, "the window opened at sti: 0x70 delivered");

	kprintf("irq: %u checks, %u failed\n", checked, failed);
	kprintf(failed ? "FAIL\n" : "PASS\n");
	kexit(failed ? 1 : 0);
}
