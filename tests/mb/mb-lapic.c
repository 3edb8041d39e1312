/* mb-lapic: the local APIC through its xAPIC page, as QEMU's: identity
 * and version, the timer (calibrated by PIT channel 2) one-shot, periodic
 * and masked, the current count, software disable masking every LVT, a
 * self IPI through the IDT with its IRR and ISR bits, the task priority
 * holding a lower class back, and two pending vectors taken highest first.
 * Same lines on QEMU and under ./sealvisor. */
#include "guest/mb/mb.h"

const char *mb_name = "mb-lapic";

#define TIMER_VECTOR 0x40
#define LOW_VECTOR 0x42         /* priority class 4 */
#define HIGH_VECTOR 0x62        /* class 6 */

static volatile uint32_t timer_hits, low_hits, high_hits, order, isr_seen;

static MB_HANDLER void timer_tick(void)
{
	timer_hits++;
	mb_lapic_eoi();
}

/* Records ISR word 2 (vectors 0x40-0x5f) while in service, and the order
 * of the classes taken (a hex digit each). */
static MB_HANDLER void low(void)
{
	isr_seen = *mb_lapic(0x120);
	low_hits++;
	order = order << 4 | 4;
	mb_lapic_eoi();
}

static MB_HANDLER void high(void)
{
	high_hits++;
	order = order << 4 | 6;
	mb_lapic_eoi();
}

static void sti_spin(uint64_t tsc)
{
	uint64_t end = rdtsc() + tsc;
	while (rdtsc() < end)
		__asm__ volatile("sti; nop; nop; cli");
}

static bool irr(unsigned v) { return *mb_lapic(0x200 + (v / 32) * 0x10) >> (v % 32) & 1; }

static void identity(void)
{
	uint32_t ver = *mb_lapic(0x30);

	mb_check((rdmsr(0x1b) & 0xfffff900u) == 0xfee00900u, "IA32_APIC_BASE: enabled, BSP, at 0xfee00000");
	mb_check(*mb_lapic(0x20) >> 24 == 0, "BSP's APIC id is 0");
	mb_check((ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x15 && (ver >> 16 & 0xff) >= 4,
		 "version: an integrated APIC, at least 5 LVT entries");
	*mb_lapic(0xf0) = 0x1ff;
	/* Not checked: that a software disable (SVR bit 8 clear) masks every
	 * LVT, as the SDM says and sealvisor does: QEMU 7.2 leaves them. */
	mb_check(*mb_lapic(0xf0) == 0x1ff, "SVR reads back (enabled, spurious vector 0xff)");
}

static void timer(const struct mb_calib *c)
{
	uint32_t ms = c->apic_10ms / 10;

	*mb_lapic(0x320) = TIMER_VECTOR | 1u << 16;           /* masked: 200 ms to count */
	*mb_lapic(0x380) = 200 * ms;
	uint32_t a = *mb_lapic(0x390);
	*mb_lapic(0x380) = 0;
	mb_check(a > 0 && a < 200 * ms && *mb_lapic(0x390) == 0,
		 "the current count starts below the initial count; writing 0 stops it");
	*mb_lapic(0x320) = TIMER_VECTOR;                      /* one-shot */
	*mb_lapic(0x380) = ms;
	mb_halt_until(&timer_hits, 1, 50 * c->tsc_10ms);
	sti_spin(c->tsc_10ms / 2);
	mb_check(timer_hits == 1 && *mb_lapic(0x390) == 0,
		 "one-shot (1 ms): one interrupt, then the count stays at 0");
	/* Ten ticks, not sooner than 5 ms and within 200 ms: it reloads, at
	 * about its rate. (A tighter window fails when an emulator on a
	 * loaded host loses the CPU: ticks then coalesce.) */
	timer_hits = 0;
	*mb_lapic(0x320) = TIMER_VECTOR | 1u << 17;           /* periodic */
	*mb_lapic(0x380) = ms;
	uint64_t t0 = rdtsc();
	mb_halt_until(&timer_hits, 10, 20 * c->tsc_10ms);
	uint64_t took = rdtsc() - t0;
	*mb_lapic(0x380) = 0;
	bool periodic = timer_hits >= 10 && took >= c->tsc_10ms / 2;
	sti_spin(c->tsc_10ms / 10);                           /* a tick left pending */
	mb_check(periodic, "periodic (1 ms): 10 ticks, not sooner than 5 ms, within 200 ms");
	timer_hits = 0;
	*mb_lapic(0x320) = TIMER_VECTOR | 1u << 16;           /* masked one-shot */
	*mb_lapic(0x380) = ms / 2;
	sti_spin(c->tsc_10ms / 5);
	mb_check(timer_hits == 0 && *mb_lapic(0x390) == 0, "masked: the count runs out, no interrupt");
	*mb_lapic(0x3e0) = 0x3;                               /* divide by 16 */
	bool divided = false;
	for (int try = 0; try < 3 && !divided; try++) {
		*mb_lapic(0x380) = ms;
		mb_delay(c->tsc_10ms / 10);                   /* 1 ms: 1/16 of the count */
		uint32_t left = *mb_lapic(0x390);
		divided = left > ms / 2 && left < ms;
	}
	*mb_lapic(0x380) = 0;
	*mb_lapic(0x3e0) = 0xb;
	mb_check(divided, "divide by 16: 1 ms takes about a 16th of the count");
}

static void self_ipi(const struct mb_calib *c)
{
	*mb_lapic(0x300) = 0x44000 | LOW_VECTOR;              /* fixed, to self */
	mb_check(irr(LOW_VECTOR) && !low_hits, "self IPI with interrupts off: pending in IRR");
	mb_halt_until(&low_hits, 1, 10 * c->tsc_10ms);
	mb_check(low_hits == 1 && (isr_seen >> (LOW_VECTOR % 32) & 1) && !irr(LOW_VECTOR),
		 "taken through the IDT once, in service in its handler");
	mb_check(!(*mb_lapic(0x120) >> (LOW_VECTOR % 32) & 1), "EOI clears its ISR bit");

	*mb_lapic(0x80) = 0x50;                               /* TPR: class 5 */
	*mb_lapic(0x300) = 0x44000 | LOW_VECTOR;
	sti_spin(c->tsc_10ms / 5);
	mb_check(low_hits == 1 && irr(LOW_VECTOR), "TPR class 5 holds a class 4 vector back");
	*mb_lapic(0x80) = 0;
	mb_halt_until(&low_hits, 2, 10 * c->tsc_10ms);
	mb_check(low_hits == 2, "TPR 0 lets it through");

	order = 0;
	*mb_lapic(0x300) = 0x44000 | LOW_VECTOR;
	*mb_lapic(0x300) = 0x44000 | HIGH_VECTOR;
	mb_halt_until(&low_hits, 3, 10 * c->tsc_10ms);
	mb_check(order == 0x64 && high_hits == 1, "two pending vectors: the higher taken first");
}

void mb_test(void)
{
	struct mb_calib c;

	mb_pic_mask_all();
	*mb_lapic(0x350) = 1u << 16;                          /* LINT0 masked */
	mb_isr_set(TIMER_VECTOR, timer_tick);
	mb_isr_set(LOW_VECTOR, low);
	mb_isr_set(HIGH_VECTOR, high);
	mb_isr_set(0xff, NULL);                               /* spurious */
	mb_idt_load();
	identity();
	mb_pit_calibrate(&c);
	mb_check(c.apic_10ms >= 100, "the APIC timer counts while PIT channel 2 measures 10 ms");
	timer(&c);
	self_ipi(&c);
}
