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

#define IOAPIC 0xfec00000UL
#define PIC_VECTOR 0x20
#define PIT_DIVISOR 1193          /* 1193182 Hz / 1193: 1000.15 Hz */
#define LINT0 0x350
#define LVT_MASKED (1u << 16)
#define LVT_EXTINT 0x700u

static volatile uint32_t pic_hits;
void pic_isr(void), spurious_isr(void);
__asm__(".text\n"
	"pic_isr:\n"
	"	push %rax\n"
	"	lock incl pic_hits(%rip)\n"
	"	mov $0x20, %al\n"              /* non-specific EOI to the master */
	"	outb %al, $0x20\n"
	"	pop %rax\n"
	"	iretq\n"
	"spurious_isr:\n"
	"	iretq\n");

static uint64_t idt[256 * 2] __attribute__((aligned(16)));

static void gate(unsigned vector, void (*fn)(void))
{
	uint64_t h = (uint64_t)fn;
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[vector * 2] = (h & 0xffff) | (uint64_t)cs << 16 | 0x8eUL << 40 | ((h >> 16) & 0xffff) << 48;
	idt[vector * 2 + 1] = h >> 32;
}

static void idt_init(void)
{
	gate(PIC_VECTOR, pic_isr);
	gate(PIC_VECTOR + 7, spurious_isr);         /* the master's spurious IRQ 7 */
	gate(0xff, spurious_isr);                   /* the local APIC's */
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof(idt) - 1,
										 (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

/* TSC cycles in a 10 ms one-shot of PIT channel 2 (gate: port 0x61 bit 0,
 * output: bit 5). */
static uint64_t tsc_per_10ms(void)
{
	outb(0x61, inb(0x61) & ~0x03);
	outb(0x43, 0xb0);                                 /* ch 2, lo/hi, mode 0 */
	outb(0x42, 11932 & 0xff);
	outb(0x42, 11932 >> 8);
	uint64_t t0 = rdtsc();
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	for (unsigned spin = 0; spin < 100000000 && !(inb(0x61) & 0x20); spin++)
		;
	return rdtsc() - t0;
}

/* Ticks counted over n * 10 ms with interrupts on (or until `enough`),
 * spinning: a HLT would wait for ever where nothing can arrive. */
static uint32_t count_over(unsigned n, uint32_t enough, uint64_t tsc_10ms)
{
	uint32_t before = pic_hits;
	uint64_t end = rdtsc() + n * tsc_10ms;
	__asm__ volatile("sti");
	while (rdtsc() < end && pic_hits - before < enough)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	return pic_hits - before;
}

static void pic_remap(uint8_t master_mask, uint8_t slave_mask)
{
	static const uint8_t seq[][2] = {
		{ 0x20, 0x11 }, { 0xa0, 0x11 }, { 0x21, PIC_VECTOR }, { 0xa1, PIC_VECTOR + 8 },
		{ 0x21, 0x04 }, { 0xa1, 0x02 }, { 0x21, 0x01 }, { 0xa1, 0x01 },
	};
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		outb(seq[i][0], seq[i][1]);
	outb(0x21, master_mask);
	outb(0xa1, slave_mask);
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
	for (unsigned pin = 0; pin < 24; pin++) {          /* the I/O APIC out of the way */
		volatile uint32_t *sel = (volatile uint32_t *)IOAPIC;
		volatile uint32_t *win = (volatile uint32_t *)(IOAPIC + 0x10);
		*sel = 0x10 + 2 * pin;
		*win = LVT_MASKED;
	}
	uint64_t tsc_10ms = tsc_per_10ms();
	mb_check(tsc_10ms > 0, "PIT channel 2 measures 10 ms of TSC");

	pic_remap(0xfe, 0xff);                             /* only IRQ 0 */
	outb(0x43, 0x34);                                  /* ch 0, lo/hi, mode 2: 1 kHz */
	outb(0x40, PIT_DIVISOR & 0xff);
	outb(0x40, PIT_DIVISOR >> 8);
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
	outb(0x43, 0x30);                                  /* ch 0: mode 0, stops after one count */
	outb(0x40, 0);
	outb(0x40, 0);
}
