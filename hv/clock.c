#include "hv/clock.h"

static uint64_t tsc_per_ms;

void clock_init(uint64_t per_ms)
{
	tsc_per_ms = per_ms;
}

bool clock_running(void)
{
	return tsc_per_ms != 0;
}

uint64_t clock_tsc_per_ms(void)
{
	return tsc_per_ms;
}

#ifdef SEALVISOR_HOST
uint64_t clock_fake_tsc;
#endif

uint64_t clock_tsc(void)
{
#ifdef SEALVISOR_HOST
	return clock_fake_tsc;
#else
	return __builtin_ia32_rdtsc();
#endif
}

uint64_t clock_ms(void)
{
	return tsc_per_ms ? __builtin_ia32_rdtsc() / tsc_per_ms : 0;
}
