#ifndef ARCH_X86_APIC_H
#define ARCH_X86_APIC_H

#include <stdbool.h>
#include <stdint.h>

#define APIC_TIMER_VECTOR 0xec

/* Local APIC on (xAPIC mode), legacy PICs masked, timer vector handled. */
void apic_init(void);
/* One-shot timer: fires APIC_TIMER_VECTOR after `ticks` bus ticks / 16. */
void apic_timer_arm(uint32_t ticks);
void apic_timer_disarm(void);
/* True (once) if the timer fired since the last call. */
bool apic_timer_take(void);

#endif
