/* mb-rtc-irq: the MC146818 RTC's interrupts on ISA IRQ 8 (GSI 8 of the
 * I/O APIC, edge; once through the 8259), as QEMU gives them: periodic at
 * status A's rate while PIE, each with PF and IRQF in status C; the line
 * stays high until status C is read, so a handler that does not read it
 * gets one interrupt and no more until the read; update-ended (UIE) once
 * a second with UF; the alarm (AIE) at the second its registers name,
 * hours and minutes "don't care", with AF. Time is measured with the TSC
 * (calibrated by PIT channel 2); bounds are wide, as TCG runs late under
 * load. Prints the same lines on QEMU and under ./sealvisor
 * (tests/mb-tests.sh compares). */
#include "guest/mb/mb.h"

const char *mb_name = "mb-rtc-irq";

#define IOAPIC 0xfec00000UL
#define RTC_VECTOR 0x38
#define RTC_GSI 8
#define PIC_VECTOR 0x20
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define RATE_16HZ 0x0c            /* 32768 >> 11 */
#define PERIODS 8

static uint8_t cmos_read(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
	outb(0x70, idx);
	outb(0x71, v);
}

/* ---- the handler ----------------------------------------------------- */

static volatile uint32_t hits, c_all, c_any;   /* status C: AND and OR over the hits */
static volatile uint64_t first_tsc, last_tsc;
static volatile bool read_c = true, via_pic;

__attribute__((target("general-regs-only"))) void rtc_handler(void)
{
	uint64_t t = rdtsc();
	if (!hits)
		first_tsc = t;
	last_tsc = t;
	hits++;
	if (read_c) {
		uint8_t c = cmos_read(REG_C);
		c_all &= c;
		c_any |= c;
	}
	if (via_pic) {
		outb(0xa0, 0x20);                          /* EOI: slave, then master */
		outb(0x20, 0x20);
	} else {
		*mb_lapic(0xb0) = 0;                       /* EOI */
	}
}

void rtc_isr(void), spurious_isr(void);
__asm__(".text\n"
	"rtc_isr:\n"                                   /* 5 words + 9 pushes: aligned */
	"	push %rax\n	push %rcx\n	push %rdx\n	push %rsi\n	push %rdi\n"
	"	push %r8\n	push %r9\n	push %r10\n	push %r11\n"
	"	cld\n"
	"	call rtc_handler\n"
	"	pop %r11\n	pop %r10\n	pop %r9\n	pop %r8\n"
	"	pop %rdi\n	pop %rsi\n	pop %rdx\n	pop %rcx\n	pop %rax\n"
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
	gate(RTC_VECTOR, rtc_isr);
	gate(PIC_VECTOR + 8, rtc_isr);                  /* IRQ 8 on the slave */
	gate(PIC_VECTOR + 7, spurious_isr);
	gate(PIC_VECTOR + 15, spurious_isr);
	gate(0xff, spurious_isr);
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof(idt) - 1,
										 (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

static void rte_set(unsigned gsi, uint32_t low)
{
	volatile uint32_t *sel = (volatile uint32_t *)IOAPIC, *win = (volatile uint32_t *)(IOAPIC + 0x10);
	*sel = 0x10 + 2 * gsi + 1;
	*win = 0;                                         /* physical destination: APIC 0 */
	*sel = 0x10 + 2 * gsi;
	*win = low;                                       /* fixed, edge, active high */
}

/* ---- time ---------------------------------------------------------------- */

static uint64_t tsc_10ms;

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

/* Interrupts on, spinning, until hits reaches want or n * 10 ms pass. */
static void wait_for(uint32_t want, unsigned n)
{
	uint64_t end = rdtsc() + n * tsc_10ms;
	__asm__ volatile("sti");
	while (hits < want && rdtsc() < end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
}

static uint64_t ms(uint64_t tsc) { return tsc * 10 / tsc_10ms; }

/* Sources off, status C cleared, anything already sent taken: the next
 * phase counts from zero. */
static void quiet(uint8_t b)
{
	cmos_write(REG_B, b);
	cmos_read(REG_C);
	wait_for(~0u, 5);
	hits = 0;
	c_all = 0xff;
	c_any = 0;
	read_c = true;
}

/* ---- the checks ------------------------------------------------------------ */

static void periodic(uint8_t b)
{
	cmos_write(REG_A, (cmos_read(REG_A) & 0xf0) | RATE_16HZ);
	cmos_write(REG_B, b | B_PIE);
	wait_for(PERIODS, 500);
	cmos_write(REG_B, b);
	mb_check(hits >= PERIODS, "periodic at 16 Hz (PIE): 8 interrupts within 5 s");
	mb_check((c_all & (C_IRQF | C_PF)) == (C_IRQF | C_PF),
		 "status C said IRQF and PF at each of them");
	mb_check(!(c_any & C_AF), "and never AF");
	/* Half: the TSC's calibration itself is off when TCG runs late. */
	mb_check(ms(last_tsc - first_tsc) >= 7 * 625 / 10 / 2,
		 "7 periods took at least half of 437.5 ms");
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

/* Through the 8259 (IRQ 8 on the slave, LINT0 as found: ExtINT), whose
 * edge detection sees one rising edge while the line stays high. (QEMU's
 * I/O APIC takes every re-assertion of a high line as a new edge, a
 * real 82093AA does not: the I/O APIC is not used for this check.) */
static void without_reading_c(uint8_t b)
{
	rte_set(RTC_GSI, RTC_VECTOR | 1u << 16);
	pic_remap(0xfb, 0xfe);                             /* cascade and IRQ 8 only */
	via_pic = true;
	read_c = false;
	cmos_write(REG_B, b | B_PIE);
	wait_for(2, 30);
	uint32_t before_read = hits;
	uint8_t c = cmos_read(REG_C);
	wait_for(2, 100);
	cmos_write(REG_B, b);
	cmos_read(REG_C);
	wait_for(~0u, 5);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	via_pic = false;
	rte_set(RTC_GSI, RTC_VECTOR);
	mb_check(before_read == 1, "through the 8259, status C unread: one interrupt in 300 ms, "
		 "the line stays high");
	mb_check((c & (C_IRQF | C_PF)) == (C_IRQF | C_PF), "then status C says IRQF and PF");
	mb_check(hits == 2, "and its read lets the next one in");
}

static void update_ended(uint8_t b)
{
	cmos_write(REG_B, b | B_UIE);
	wait_for(1, 250);
	cmos_write(REG_B, b);
	mb_check(hits == 1, "update-ended (UIE): an interrupt within 2.5 s");
	mb_check((c_any & (C_IRQF | C_UF)) == (C_IRQF | C_UF) && !(c_any & C_PF),
		 "status C said IRQF and UF, not PF");
}

static uint8_t bcd_add(uint8_t bcd, unsigned n, unsigned mod)
{
	unsigned v = ((bcd >> 4) * 10 + (bcd & 0x0f) + n) % mod;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static void alarm(uint8_t b)
{
	while (cmos_read(REG_A) & 0x80)                    /* UIP: wait for the update */
		;
	uint8_t sec = cmos_read(0x00);
	cmos_write(0x01, bcd_add(sec, 2, 60));             /* two seconds on, in BCD */
	cmos_write(0x03, 0xff);                            /* any minute */
	cmos_write(0x05, 0xff);                            /* any hour */
	uint64_t t0 = rdtsc();
	cmos_write(REG_B, b | B_AIE);
	wait_for(1, 400);
	cmos_write(REG_B, b);
	mb_check(hits == 1, "alarm (AIE) two seconds on: an interrupt within 4 s");
	mb_check((c_any & (C_IRQF | C_AF)) == (C_IRQF | C_AF), "status C said IRQF and AF");
	mb_check(hits && ms(first_tsc - t0) >= 900, "not before a second had passed");
}

void mb_test(void)
{
	__asm__ volatile("cli");
	idt_init();
	outb(0x21, 0xff);                                  /* the 8259s out of the way */
	outb(0xa1, 0xff);
	*mb_lapic(0xf0) = 0x1ff;                           /* SVR: on, spurious 0xff */
	*mb_lapic(0x320) = 1u << 16;                       /* its timer: masked */
	for (unsigned pin = 0; pin < 24; pin++)
		rte_set(pin, 1u << 16);
	tsc_10ms = tsc_per_10ms();
	mb_check(tsc_10ms > 0, "PIT channel 2 measures 10 ms of TSC");
	uint8_t b = cmos_read(REG_B) & ~(B_PIE | B_AIE | B_UIE);
	mb_check(!(b & 0x04), "the RTC counts in BCD, as the firmware left it");
	rte_set(RTC_GSI, RTC_VECTOR);
	quiet(b);
	periodic(b);
	quiet(b);
	without_reading_c(b);
	quiet(b);
	update_ended(b);
	quiet(b);
	alarm(b);
	rte_set(RTC_GSI, 1u << 16);
}
