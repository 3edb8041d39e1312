/*
 * From a TSC deadline to the count of the timer a backend arms for it:
 * the host local APIC's (calibrated against the TSC at boot, kept as
 * ticks per TSC cycle in 32.32 fixed point) or the VMX preemption
 * timer's (TSC >> shift). Pure arithmetic, host-tested
 * (tests/unit/test_timer.c).
 *
 * Both round up, so the timer never fires before the deadline (an early
 * exit would only find the guest's timer not yet due and re-enter), and
 * both arm at least one tick: a deadline already past still lets the
 * guest enter, and exits at once.
 */
#ifndef ARCH_X86_TIMER_UNITS_H
#define ARCH_X86_TIMER_UNITS_H

#include <stdint.h>

/* Where the APIC timer could not be calibrated (ratio 0): the fixed
 * one-shot of the past, about 100 ms under QEMU (divide by 16). */
#define TIMER_APIC_UNCALIBRATED 6000000u

/* ticks counted over tsc cycles, as ticks per TSC cycle in 32.32 fixed
 * point; 0 if it cannot be expressed (no cycles, no ticks, or a ratio
 * at or above 2^32). */
uint64_t timer_ratio_q32(uint64_t ticks, uint64_t tsc);
/* The APIC timer's initial count for an expiry at deadline, from now. */
uint32_t timer_apic_count(uint64_t now, uint64_t deadline, uint64_t ratio_q32);
/* The VMX preemption timer's value (it counts TSC >> shift). */
uint32_t timer_vmx_count(uint64_t now, uint64_t deadline, unsigned shift);

#endif
