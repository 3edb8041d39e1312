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

#define IOAPIC 0xfec00000UL
#define PIC_VECTOR 0x20
#define PIT_VECTOR 0x30
#define COM1_VECTOR 0x34
#define PIT_DIVISOR 1193          /* 1193182 Hz / 1193: 1000.15 Hz */
#define INTERVAL_10MS 10          /* 100 ms */


/* ---- the IDT: three device vectors and the spurious ones ------------- */

static volatile uint32_t pic_hits, pit_hits, com1_hits, com1_iir;
void pic_isr(void), pit_isr(void), com1_isr(void), spurious_isr(void);
__asm__(".text\n"
	"pic_isr:\n"
	"	push %rax\n"
	"	lock incl pic_hits(%rip)\n"
	"	mov $0x20, %al\n"              /* non-specific EOI to the master */
	"	outb %al, $0x20\n"
	"	pop %rax\n"
	"	iretq\n"
	"pit_isr:\n"
	"	push %rax\n"
	"	lock incl pit_hits(%rip)\n"
	"	mov $0xfee000b0, %eax\n"       /* local APIC EOI */
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"com1_isr:\n"
	"	push %rax\n"
	"	push %rdx\n"
	"	lock incl com1_hits(%rip)\n"
	"	mov $0x3fa, %dx\n"             /* IIR: says why, and clears THRE */
	"	inb %dx, %al\n"
	"	movzbl %al, %eax\n"
	"	mov %eax, com1_iir(%rip)\n"
	"	mov $0x3f9, %dx\n"             /* IER 0: once is enough */
	"	xor %eax, %eax\n"
	"	outb %al, %dx\n"
	"	mov $0xfee000b0, %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rdx\n"
	"	pop %rax\n"
	"	iretq\n"
	"spurious_isr:\n"
	"	iretq\n");

static void idt_init(void)
{
	mb_idt_set(PIC_VECTOR, pic_isr);
	mb_idt_set(PIC_VECTOR + 7, spurious_isr);   /* the master's spurious IRQ 7 */
	mb_idt_set(PIT_VECTOR, pit_isr);
	mb_idt_set(COM1_VECTOR, com1_isr);
	mb_idt_set(0xff, spurious_isr);             /* the local APIC's */
	mb_idt_load();
}

/* ---- PIT ---------------------------------------------------------------- */

static void pit_periodic(void)
{
	outb(0x43, 0x34);                                 /* ch 0, lo/hi, mode 2 */
	outb(0x40, PIT_DIVISOR & 0xff);
	outb(0x40, PIT_DIVISOR >> 8);
}

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

/* ---- 8259, I/O APIC ---------------------------------------------------- */

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

static void ioapic_route(unsigned gsi, uint8_t vector, bool masked)
{
	volatile uint32_t *sel = (volatile uint32_t *)IOAPIC, *win = (volatile uint32_t *)(IOAPIC + 0x10);
	*sel = 0x10 + 2 * gsi + 1;
	*win = 0;                                         /* physical destination: APIC 0 */
	*sel = 0x10 + 2 * gsi;
	*win = vector | (masked ? 1u << 16 : 0);          /* fixed, edge, active high */
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
	for (unsigned pin = 0; pin < 24; pin++)
		ioapic_route(pin, 0, true);

	pic_remap(0xfe, 0xff);                             /* only IRQ 0 */
	pit_periodic();
	mb_check(about_100(&pic_hits, tsc_10ms), "PIT at 1 kHz through the 8259: about 100 ticks in 100 ms (25 to 200)");

	outb(0x21, 0xff);                                  /* the 8259 out of the way */
	ioapic_route(gsi == 2 ? 2 : 0, PIT_VECTOR, false);
	uint32_t via_pic = pic_hits;
	mb_check(about_100(&pit_hits, tsc_10ms), "PIT at 1 kHz through the I/O APIC (GSI 2): about 100 ticks in 100 ms (25 to 200)");
	mb_check(pic_hits == via_pic, "none through the masked 8259 meanwhile");
	ioapic_route(2, PIT_VECTOR, true);
	outb(0x43, 0x30);                                  /* ch 0: mode 0, stops after one count */
	outb(0x40, 0);
	outb(0x40, 0);

	ioapic_route(4, COM1_VECTOR, false);
	while (!(inb(0x3fd) & 0x20))                       /* THR empty */
		;
	outb(0x3f9, 0x02);                                 /* IER: THRE */
	uint64_t end = rdtsc() + 50 * tsc_10ms;
	while (!com1_hits && rdtsc() < end)
		__asm__ volatile("sti; hlt; cli");
	ioapic_route(4, COM1_VECTOR, true);
	outb(0x3f9, 0);
	mb_check(com1_hits == 1 && (com1_iir & 0x0f) == 0x02,
		 "COM1's THRE interrupt through the I/O APIC (GSI 4): once, IIR says THRE");
}
