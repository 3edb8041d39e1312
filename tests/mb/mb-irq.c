/* mb-irq: device interrupts as a kernel started by `qemu -kernel` takes
 * them. PIT channel 0 at about 1 kHz (mode 2), its ticks counted over a
 * 100 ms interval measured with the TSC (calibrated by PIT channel 2; up
 * to three intervals, for a loaded host):
 * (a) through the 8259 (remapped to 0x20, only IRQ 0 open, EOI to port
 * 0x20; the local APIC's LINT0 in ExtINT, the virtual-wire mode), then
 * (b) through the I/O APIC (GSI 2, found as the MADT's override of IRQ 0;
 * physical destination APIC 0; local APIC EOI). Then COM1's THRE
 * interrupt (IER bit 1) through the I/O APIC's GSI 4. More than one tick
 * means the EOI worked: without it the same vector stays in service.
 * Prints the same lines on QEMU and under ./sealvisor. */
#include "guest/mb/mb.h"
#include "lib/string.h"

const char *mb_name = "mb-irq";

#define PIC_VECTOR 0x20
#define PIT_VECTOR 0x30
#define COM1_VECTOR 0x34
#define PIT_DIVISOR 1193          /* 1193182 Hz / 1193: 1000.15 Hz */
#define INTERVAL_10MS 10          /* 100 ms */


/* ---- the IDT: three device vectors and the spurious ones ------------- */

static volatile uint32_t pic_hits, pit_hits, com1_hits, com1_iir;

static MB_HANDLER void pic_tick(void)
{
	pic_hits++;
	mb_pic_eoi(0);
}

static MB_HANDLER void pit_tick(void)
{
	pit_hits++;
	mb_lapic_eoi();
}

/* Reading IIR says why, and clears THRE; IER 0: once is enough. */
static MB_HANDLER void com1_thre(void)
{
	com1_hits++;
	com1_iir = inb(MB_COM1 + 2);
	outb(MB_COM1 + 1, 0);
	mb_lapic_eoi();
}

static void idt_init(void)
{
	mb_isr_set(PIC_VECTOR, pic_tick);
	mb_isr_set(PIC_VECTOR + 7, NULL);           /* the master's spurious IRQ 7 */
	mb_isr_set(PIT_VECTOR, pit_tick);
	mb_isr_set(COM1_VECTOR, com1_thre);
	mb_isr_set(0xff, NULL);                     /* the local APIC's */
	mb_idt_load();
}

/* ---- PIT ---------------------------------------------------------------- */

/* Interrupts on for the interval; the counter's growth over it. */
static uint32_t count_over(volatile uint32_t *hits, uint64_t tsc_10ms)
{
	uint32_t before = *hits;
	uint64_t end = rdtsc() + INTERVAL_10MS * tsc_10ms;
	while (rdtsc() < end)
		__asm__ volatile("sti; hlt; cli");
	return *hits - before;
}

/* About 100 ticks in one of up to three 100 ms intervals: an emulator
 * on a loaded host may lose the CPU in one (ticks then coalesce); a
 * wrong rate or a lost EOI fails all three. */
static bool about_100(volatile uint32_t *hits, uint64_t tsc_10ms)
{
	for (int try = 0; try < 3; try++) {
		uint32_t n = count_over(hits, tsc_10ms);
		if (n >= 25 && n <= 200)
			return true;
	}
	return false;
}

void mb_test(void)
{
	__asm__ volatile("cli");
	idt_init();
	*mb_lapic(0xf0) = 0x1ff;                              /* SVR: on, spurious 0xff */
	*mb_lapic(0x350) = 0x700;                             /* LINT0: ExtINT (virtual wire) */
	struct mb_calib cal;
	mb_pit_calibrate(&cal);                               /* leaves its timer masked */
	uint64_t tsc_10ms = cal.tsc_10ms;
	mb_check(tsc_10ms > 0, "PIT channel 2 measures 10 ms of TSC");

	int gsi = mb_madt_gsi(0);
	mb_check(gsi == 2, "the MADT overrides ISA IRQ 0 to GSI 2");
	mb_check(mb_madt_gsi(4) == 4, "ISA IRQ 4 (COM1) is GSI 4");
	mb_ioapic_mask_all();

	mb_pic_remap(PIC_VECTOR, 0xfe, 0xff);              /* only IRQ 0 */
	mb_pit_periodic(PIT_DIVISOR);
	mb_check(about_100(&pic_hits, tsc_10ms), "PIT at 1 kHz through the 8259: about 100 ticks in 100 ms (25 to 200)");

	outb(0x21, 0xff);                                  /* the 8259 out of the way */
	mb_ioapic_route(gsi == 2 ? 2 : 0, PIT_VECTOR);
	uint32_t via_pic = pic_hits;
	mb_check(about_100(&pit_hits, tsc_10ms), "PIT at 1 kHz through the I/O APIC (GSI 2): about 100 ticks in 100 ms (25 to 200)");
	mb_check(pic_hits == via_pic, "none through the masked 8259 meanwhile");
	mb_ioapic_route(2, PIT_VECTOR | MB_RTE_MASKED);
	mb_pit_stop();

	mb_ioapic_route(4, COM1_VECTOR);
	mb_com1_thre_on();
	mb_halt_until(&com1_hits, 1, 50 * tsc_10ms);
	mb_ioapic_route(4, COM1_VECTOR | MB_RTE_MASKED);
	outb(0x3f9, 0);
	mb_check(com1_hits == 1 && (com1_iir & 0x0f) == 0x02,
		 "COM1's THRE interrupt through the I/O APIC (GSI 4): once, IIR says THRE");
}
