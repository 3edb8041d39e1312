/* mb-lint0: the 8259's INTR reaches the BSP through its local APIC's
 * LINT0, as on QEMU (and KVM): LINT0 is ExtINT, unmasked, when the kernel
 * starts (the virtual wire), so the PIT's IRQ 0 arrives through the 8259
 * without the kernel touching the APIC; with LINT0 masked nothing arrives
 * and IRQ 0 waits in the 8259's IRR (nobody acknowledges it); unmasked
 * again, the ticks come back. (A globally disabled APIC passes the pin
 * whatever LINT0 says on hardware, KVM and here, but QEMU 7.2 still
 * applies LINT0's mask then: host-tested only, test_vlapic.c.) Ticks
 * are counted up to 20 within 5 s: TCG coalesces PIT periods under load.
 * Prints the same lines on QEMU and under ./sealvisor (tests/mb-tests.sh
 * compares). */
#include "guest/mb/mb.h"

const char *mb_name = "mb-lint0";

#define PIC_VECTOR 0x20
#define PIT_DIVISOR 1193          /* 1193182 Hz / 1193: 1000.15 Hz */
#define LINT0 0x350
#define LVT_MASKED (1u << 16)
#define LVT_EXTINT 0x700u

static volatile uint32_t pic_hits;

static MB_HANDLER void pic_tick(void)
{
	pic_hits++;
	mb_pic_eoi(0);
}

static void idt_init(void)
{
	mb_isr_set(PIC_VECTOR, pic_tick);
	mb_isr_set(PIC_VECTOR + 7, NULL);           /* the master's spurious IRQ 7 */
	mb_isr_set(0xff, NULL);                     /* the local APIC's */
	mb_idt_load();
}

/* Ticks counted over n * 10 ms with interrupts on (or until `enough`),
 * spinning: a HLT would wait for ever where nothing can arrive. */
static uint32_t count_over(unsigned n, uint32_t enough, uint64_t tsc_10ms)
{
	uint32_t before = pic_hits;

	mb_spin_until(&pic_hits, before + enough, n * tsc_10ms);
	return pic_hits - before;
}

static uint8_t pic_reg(uint8_t ocw3)
{
	outb(0x20, ocw3);                                  /* 0x0a: IRR, 0x0b: ISR */
	return inb(0x20);
}

/* LINT0 changed with IRQ 0 closed at the 8259, so no INTR is in flight
 * across the change. */
static void set_lint0(uint32_t v)
{
	outb(0x21, 0xff);
	*mb_lapic(LINT0) = v;
	outb(0x21, 0xfe);
}

void mb_test(void)
{
	__asm__ volatile("cli");
	uint32_t lint0 = *mb_lapic(LINT0);
	/* QEMU's firmware leaves 0x8700 (level), our reset 0x700, as KVM's. */
	mb_check((lint0 & (LVT_MASKED | 0x700)) == LVT_EXTINT,
		 "LINT0 is ExtINT, unmasked, at entry (the virtual wire)");
	idt_init();
	mb_ioapic_mask_all();                              /* the I/O APIC out of the way */
	uint64_t tsc_10ms = mb_pit_tsc_10ms();
	mb_check(tsc_10ms > 0, "PIT channel 2 measures 10 ms of TSC");

	mb_pic_remap(PIC_VECTOR, 0xfe, 0xff);              /* only IRQ 0 */
	mb_pit_periodic(PIT_DIVISOR);                      /* 1 kHz */
	uint32_t n = count_over(500, 20, tsc_10ms);
	mb_check(n >= 20, "PIT at 1 kHz through the 8259 and LINT0 as found: 20 ticks within 5 s");

	*mb_lapic(0xf0) = 0x1ff;                           /* SVR: on, spurious 0xff */
	set_lint0(LVT_EXTINT | LVT_MASKED);
	n = count_over(5, 1, tsc_10ms);
	mb_check(n == 0, "LINT0 masked: no tick in 50 ms");
	mb_check((pic_reg(0x0a) & 1) && !(pic_reg(0x0b) & 1),
		 "IRQ 0 waits in the 8259's IRR, not acknowledged");

	set_lint0(LVT_EXTINT);
	n = count_over(500, 20, tsc_10ms);
	if (n < 20) mb_printf("n=%u\n", n);
	mb_check(n >= 20, "LINT0 unmasked again: 20 ticks within 5 s");

	outb(0x21, 0xff);
	mb_pit_stop();
}
