/*
 * Milliseconds since an arbitrary start, from the TSC. The boot code
 * measures TSC ticks per millisecond against the firmware's Stall() before
 * it leaves boot services (an invariant TSC is assumed, as QEMU and Bochs
 * give). Until then, and on the host, the clock reads 0.
 */
#ifndef HV_CLOCK_H
#define HV_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

void clock_init(uint64_t tsc_per_ms);
uint64_t clock_ms(void);
/* The TSC (guests see the same one: it is not offset); host tests set
 * clock_fake_tsc instead. */
uint64_t clock_tsc(void);
#ifdef SEALVISOR_HOST
extern uint64_t clock_fake_tsc;
#endif
/* False until clock_init got a rate: clock_ms() is 0 then. */
bool clock_running(void);
/* TSC cycles per millisecond, 0 until clock_init got a rate. */
uint64_t clock_tsc_per_ms(void);

#endif
