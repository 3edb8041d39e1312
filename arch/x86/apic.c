/*
 * The local APIC, for the preemption timer: a one-shot timer armed before
 * each guest entry brings control back from a guest that never exits.
 */
#include <sealvisor/errno.h>
#include "arch/x86/apic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/timer_units.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "hv/log.h"

#define MSR_APIC_BASE 0x1b
#define APIC_ENABLE   (1UL << 11)
#define REG_ID        0x20
#define REG_EOI       0xb0
#define REG_ICR_LOW   0x300
#define REG_ICR_HIGH  0x310
#define ICR_INIT      (5u << 8)
#define ICR_STARTUP   (6u << 8)
#define ICR_NMI       (4u << 8)
#define ICR_ASSERT    (1u << 14)
#define ICR_SELF      (1u << 18)   /* destination shorthand: self */
#define ICR_PENDING   (1u << 12)
#define REG_SVR       0xf0
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_INIT_CNT  0x380
#define REG_CUR_CNT   0x390
#define REG_DIV       0x3e0
#define LVT_MASKED    (1u << 16)
#define SPURIOUS_VECTOR 0xff

static volatile uint32_t *apic;
/* Timer ticks (divide by 16) per TSC cycle, 32.32; 0: not calibrated. */
static uint64_t ticks_per_tsc_q32;

static void wr(unsigned reg, uint32_t v)
{
	apic[reg / 4] = v;
}

static void eoi(void)
{
	wr(REG_EOI, 0);
}

static void on_timer(struct trap_frame *f)
{
	(void)f;
	this_cpu()->timer_fired = true;
	eoi();
}

/* The kick's work is done by the exit it caused (hv/shootdown.c). */
static void on_kick(struct trap_frame *f)
{
	(void)f;
	eoi();
}

/* Anything else that arrives (a device the firmware left enabled): note
 * it once and acknowledge it; it must not stop the hypervisor. */
static void on_stray(struct trap_frame *f)
{
	static bool told;

	if (!told)
		log_warn("apic: stray interrupt on vector %lu ignored\n", f->vector);
	told = true;
	if (f->vector != SPURIOUS_VECTOR)
		eoi();
}

void apic_init(void)
{
	outb(0x21, 0xff);               /* mask both 8259s: no legacy IRQs */
	outb(0xa1, 0xff);
	for (unsigned v = 32; v < 256; v++)
		trap_set_handler(v, on_stray);
	trap_set_handler(APIC_TIMER_VECTOR, on_timer);
	trap_set_handler(APIC_KICK_VECTOR, on_kick);
	apic_enable();
}

void apic_enable(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	wrmsr(MSR_APIC_BASE, base | APIC_ENABLE);
	apic = (volatile uint32_t *)(base & ~0xfffUL);   /* the same on every CPU */
	wr(REG_LVT_LINT0, LVT_MASKED);
	wr(REG_LVT_LINT1, LVT_MASKED);
	wr(REG_DIV, 0x3);               /* divide by 16 */
	wr(REG_LVT_TIMER, LVT_MASKED | APIC_TIMER_VECTOR);
	wr(REG_SVR, 0x100 | SPURIOUS_VECTOR);
}

uint32_t apic_id(void)
{
	return apic[REG_ID / 4] >> 24;
}

static int send_ipi(uint32_t dest, uint32_t low)
{
	wr(REG_ICR_HIGH, dest << 24);
	wr(REG_ICR_LOW, low);
	for (int spins = 0; spins < 1000000; spins++)
		if (!(apic[REG_ICR_LOW / 4] & ICR_PENDING))
			return 0;
	return -EIO;
}

int apic_send_init(uint32_t dest)
{
	return send_ipi(dest, ICR_INIT | ICR_ASSERT);
}

int apic_send_sipi(uint32_t dest, uint8_t page)
{
	return send_ipi(dest, ICR_STARTUP | ICR_ASSERT | page);
}

void apic_send_kick(uint32_t dest)
{
	send_ipi(dest, ICR_ASSERT | APIC_KICK_VECTOR);
}

void apic_send_kick_self(void)
{
	send_ipi(0, ICR_SELF | ICR_ASSERT | APIC_KICK_VECTOR);
}

int apic_send_nmi(uint32_t dest)
{
	return send_ipi(dest, ICR_NMI | ICR_ASSERT);
}

void apic_timer_arm(uint32_t ticks)
{
	this_cpu()->timer_fired = false;
	wr(REG_LVT_TIMER, APIC_TIMER_VECTOR);   /* one-shot, unmasked */
	wr(REG_INIT_CNT, ticks);
}

/* Counts down from the top, masked, while the TSC moves `span` cycles.
 * Every CPU's timer runs from the same bus clock, so the boot CPU's rate
 * is every CPU's. */
void apic_timer_calibrate(uint64_t tsc_per_ms)
{
	uint64_t span = tsc_per_ms ? 2 * tsc_per_ms : 5000000;

	wr(REG_LVT_TIMER, LVT_MASKED | APIC_TIMER_VECTOR);
	wr(REG_INIT_CNT, 0xffffffffu);
	uint64_t t0 = __builtin_ia32_rdtsc(), t1;
	while ((t1 = __builtin_ia32_rdtsc()) - t0 < span)
		__builtin_ia32_pause();
	uint32_t left = apic[REG_CUR_CNT / 4];
	wr(REG_INIT_CNT, 0);
	ticks_per_tsc_q32 = timer_ratio_q32(0xffffffffu - left, t1 - t0);
	if (!ticks_per_tsc_q32)
		log_warn("apic: timer not calibrated (%u ticks in %lu TSC cycles): guest timers "
			 "wait for the fixed slice\n", 0xffffffffu - left, t1 - t0);
	else if (tsc_per_ms)
		log_info("apic: timer %lu kHz (divide by 16), against the TSC\n",
			 (unsigned long)((ticks_per_tsc_q32 * tsc_per_ms) >> 32));
}

void apic_timer_arm_until(uint64_t tsc_deadline)
{
	apic_timer_arm(timer_apic_count(__builtin_ia32_rdtsc(), tsc_deadline, ticks_per_tsc_q32));
}

void apic_timer_disarm(void)
{
	wr(REG_INIT_CNT, 0);
	wr(REG_LVT_TIMER, LVT_MASKED | APIC_TIMER_VECTOR);
}

bool apic_timer_take(void)
{
	bool fired = this_cpu()->timer_fired;

	this_cpu()->timer_fired = false;
	return fired;
}
