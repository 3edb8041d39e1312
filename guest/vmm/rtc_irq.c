/* The RTC's interrupts (guest/vmm/rtc_cmos.h): status C's flags are
 * gathered lazily, for the interval since the last look, whenever the
 * guest touches the RTC or the VMM ticks the machine; rtc_next_event
 * tells the VMM when to tick so that IRQ 8 rises on time. Event times
 * follow QEMU's: periodic ones at multiples of the period from time 0,
 * the others at the wall clock's second boundaries. */
#include "guest/vmm/rtc_cmos.h"

#define NS_PER_S 1000000000ull
#define RTC_HZ 32768ull
#define DAY_S 86400ull

/* Divider bits 5-6 both set hold the chain in reset: no updates. */
static bool updating(const struct rtc *r)
{
	return (r->ram[RTC_REG_A] & 0x60) != 0x60;
}

/* The periodic interrupt's period in ns, 0 if off: rate code n gives
 * 32768 Hz >> (n - 1); codes 1 and 2 act as 8 and 9 (QEMU, datasheet). */
static uint64_t period_ns(const struct rtc *r)
{
	unsigned code = r->ram[RTC_REG_A] & 0x0f;

	if (!code || !(r->ram[RTC_REG_B] & RTC_B_PIE))
		return 0;
	if (code <= 2)
		code += 7;
	return (1ull << (code - 1)) * NS_PER_S / RTC_HZ;
}

static void raise(struct rtc *r, uint8_t flags)
{
	r->ram[RTC_REG_C] |= flags;
	if (flags & r->ram[RTC_REG_B] & RTC_C_FLAGS)
		r->ram[RTC_REG_C] |= RTC_C_IRQF;
}

/* Any second in (s0, s1] whose time matches the alarm; a day covers
 * every pattern, so no more than a day is searched. */
static bool alarm_between(const struct rtc *r, uint64_t s0, uint64_t s1)
{
	uint64_t first = s1 - s0 > DAY_S ? s1 - DAY_S : s0;

	for (uint64_t s = s1; s > first; s--)
		if (rtc_alarm_matches(r, rtc_wall(r, s * NS_PER_S)))
			return true;
	return false;
}

void rtc_tick(struct rtc *r, uint64_t now)
{
	uint64_t from = r->events_ns, p = period_ns(r);
	uint8_t flags = 0;

	if (now <= from)
		return;
	if (p && now / p != from / p)
		flags |= RTC_C_PF;
	if (updating(r) && now / NS_PER_S != from / NS_PER_S) {
		flags |= RTC_C_UF;
		/* SET stops the time of day, so no alarm (QEMU's comment on
		 * the datasheet); the update flag still comes. */
		if (!(r->ram[RTC_REG_B] & RTC_B_SET) &&
		    alarm_between(r, from / NS_PER_S, now / NS_PER_S))
			flags |= RTC_C_AF;
	}
	r->events_ns = now;
	raise(r, flags);
}

bool rtc_irq_level(const struct rtc *r)
{
	return r->ram[RTC_REG_C] & RTC_C_IRQF;
}

uint64_t rtc_next_event(const struct rtc *r, uint64_t now)
{
	uint64_t p = period_ns(r), next = UINT64_MAX;

	if (rtc_irq_level(r))
		return UINT64_MAX;              /* high until status C is read */
	if (p)
		next = (now / p + 1) * p;
	if (updating(r) && (r->ram[RTC_REG_B] & (RTC_B_UIE | RTC_B_AIE))) {
		uint64_t second = (now / NS_PER_S + 1) * NS_PER_S;
		if (second < next)
			next = second;
	}
	return next;
}

uint8_t rtc_read_c(struct rtc *r, uint64_t now)
{
	rtc_tick(r, now);
	uint8_t c = r->ram[RTC_REG_C];
	r->ram[RTC_REG_C] = 0;
	return c;
}

/* A flag already set whose interrupt is now enabled raises IRQ 8 at once;
 * with none, IRQF (and the line) drops (QEMU's cmos_ioport_write). */
void rtc_write_b(struct rtc *r, uint8_t val)
{
	r->ram[RTC_REG_B] = val;
	if (val & r->ram[RTC_REG_C] & RTC_C_FLAGS)
		r->ram[RTC_REG_C] |= RTC_C_IRQF;
	else
		r->ram[RTC_REG_C] &= (uint8_t)~RTC_C_IRQF;
}
