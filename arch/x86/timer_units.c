/* TSC deadlines in the backends' timer units (arch/x86/timer_units.h). */
#include "arch/x86/timer_units.h"

uint64_t timer_ratio_q32(uint64_t ticks, uint64_t tsc)
{
	if (!tsc || !ticks || ticks >> 32 || ticks / tsc >> 32)
		return 0;
	return (ticks << 32) / tsc;
}

/* At least 1, at most what a 32-bit count register holds. */
static uint32_t clamp_count(unsigned __int128 n)
{
	if (n == 0)
		return 1;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint32_t timer_apic_count(uint64_t now, uint64_t deadline, uint64_t ratio_q32)
{
	if (!ratio_q32)
		return TIMER_APIC_UNCALIBRATED;
	uint64_t delta = deadline > now ? deadline - now : 0;
	unsigned __int128 scaled = (unsigned __int128)delta * ratio_q32;
	return clamp_count((scaled + 0xffffffffu) >> 32);
}

uint32_t timer_vmx_count(uint64_t now, uint64_t deadline, unsigned shift)
{
	uint64_t delta = deadline > now ? deadline - now : 0;
	unsigned __int128 n = ((unsigned __int128)delta + ((1UL << shift) - 1)) >> shift;
	return clamp_count(n);
}
