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

/* ---- the handler ----------------------------------------------------- */

static volatile uint32_t hits, c_all, c_any;   /* status C: AND and OR over the hits */
static volatile uint64_t first_tsc, last_tsc;
static volatile bool read_c = true, via_pic;

static MB_HANDLER void rtc(void)
{
	uint64_t t = rdtsc();
	if (!hits)
		first_tsc = t;
	last_tsc = t;
	hits++;
	if (read_c) {
		uint8_t c = mb_cmos(REG_C);
		c_all &= c;
		c_any |= c;
	}
	if (via_pic)
		mb_pic_eoi(8);
	else
		mb_lapic_eoi();
}

static void idt_init(void)
{
	mb_isr_set(RTC_VECTOR, rtc);
	mb_isr_set(PIC_VECTOR + 8, rtc);                /* IRQ 8 on the slave */
	mb_isr_set(PIC_VECTOR + 7, NULL);               /* spurious */
	mb_isr_set(PIC_VECTOR + 15, NULL);
	mb_isr_set(0xff, NULL);
	mb_idt_load();
}

/* ---- time ---------------------------------------------------------------- */

static uint64_t tsc_10ms;

/* Interrupts on, spinning, until hits reaches want or n * 10 ms pass. */
static void wait_for(uint32_t want, unsigned n)
{
	mb_spin_until(&hits, want, n * tsc_10ms);
}

static uint64_t ms(uint64_t tsc) { return tsc * 10 / tsc_10ms; }

/* Sources off, status C cleared, anything already sent taken: the next
 * phase counts from zero. */
static void quiet(uint8_t b)
{
	mb_cmos_write(REG_B, b);
	mb_cmos(REG_C);
	wait_for(~0u, 5);
	hits = 0;
	c_all = 0xff;
	c_any = 0;
	read_c = true;
}

/* ---- the checks ------------------------------------------------------------ */

static void periodic(uint8_t b)
{
	mb_cmos_write(REG_A, (mb_cmos(REG_A) & 0xf0) | RATE_16HZ);
	mb_cmos_write(REG_B, b | B_PIE);
	wait_for(PERIODS, 500);
	mb_cmos_write(REG_B, b);
	mb_check(hits >= PERIODS, "periodic at 16 Hz (PIE): 8 interrupts within 5 s");
	mb_check((c_all & (C_IRQF | C_PF)) == (C_IRQF | C_PF),
		 "status C said IRQF and PF at each of them");
	mb_check(!(c_any & C_AF), "and never AF");
	/* Half: the TSC's calibration itself is off when TCG runs late. */
	mb_check(ms(last_tsc - first_tsc) >= 7 * 625 / 10 / 2,
		 "7 periods took at least half of 437.5 ms");
}

/* Through the 8259 (IRQ 8 on the slave, LINT0 as found: ExtINT), whose
 * edge detection sees one rising edge while the line stays high. (QEMU's
 * I/O APIC takes every re-assertion of a high line as a new edge, a
 * real 82093AA does not: the I/O APIC is not used for this check.) */
static void without_reading_c(uint8_t b)
{
	mb_ioapic_route(RTC_GSI, RTC_VECTOR | MB_RTE_MASKED);
	mb_pic_remap(PIC_VECTOR, 0xfb, 0xfe);              /* cascade and IRQ 8 only */
	via_pic = true;
	read_c = false;
	mb_cmos_write(REG_B, b | B_PIE);
	wait_for(2, 30);
	uint32_t before_read = hits;
	uint8_t c = mb_cmos(REG_C);
	wait_for(2, 100);
	mb_cmos_write(REG_B, b);
	mb_cmos(REG_C);
	wait_for(~0u, 5);
	mb_pic_mask_all();
	via_pic = false;
	mb_ioapic_route(RTC_GSI, RTC_VECTOR);
	mb_check(before_read == 1, "through the 8259, status C unread: one interrupt in 300 ms, "
		 "the line stays high");
	mb_check((c & (C_IRQF | C_PF)) == (C_IRQF | C_PF), "then status C says IRQF and PF");
	mb_check(hits == 2, "and its read lets the next one in");
}

static void update_ended(uint8_t b)
{
	mb_cmos_write(REG_B, b | B_UIE);
	wait_for(1, 250);
	mb_cmos_write(REG_B, b);
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
	mb_rtc_wait_update();
	uint8_t sec = mb_cmos(0x00);
	mb_cmos_write(0x01, bcd_add(sec, 2, 60));             /* two seconds on, in BCD */
	mb_cmos_write(0x03, 0xff);                            /* any minute */
	mb_cmos_write(0x05, 0xff);                            /* any hour */
	uint64_t t0 = rdtsc();
	mb_cmos_write(REG_B, b | B_AIE);
	wait_for(1, 400);
	mb_cmos_write(REG_B, b);
	mb_check(hits == 1, "alarm (AIE) two seconds on: an interrupt within 4 s");
	mb_check((c_any & (C_IRQF | C_AF)) == (C_IRQF | C_AF), "status C said IRQF and AF");
	mb_check(hits && ms(first_tsc - t0) >= 900, "not before a second had passed");
}

void mb_test(void)
{
	__asm__ volatile("cli");
	idt_init();
	mb_pic_mask_all();                                 /* the 8259s out of the way */
	*mb_lapic(0xf0) = 0x1ff;                           /* SVR: on, spurious 0xff */
	*mb_lapic(0x320) = 1u << 16;                       /* its timer: masked */
	mb_ioapic_mask_all();
	tsc_10ms = mb_pit_tsc_10ms();
	mb_check(tsc_10ms > 0, "PIT channel 2 measures 10 ms of TSC");
	uint8_t b = mb_cmos(REG_B) & ~(B_PIE | B_AIE | B_UIE);
	mb_check(!(b & 0x04), "the RTC counts in BCD, as the firmware left it");
	mb_ioapic_route(RTC_GSI, RTC_VECTOR);
	quiet(b);
	periodic(b);
	quiet(b);
	without_reading_c(b);
	quiet(b);
	update_ended(b);
	quiet(b);
	alarm(b);
	mb_ioapic_route(RTC_GSI, MB_RTE_MASKED);
}
