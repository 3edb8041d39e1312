#ifndef ARCH_X86_APIC_H
#define ARCH_X86_APIC_H

#include <stdbool.h>
#include <stdint.h>

#define APIC_TIMER_VECTOR 0xec
#define APIC_KICK_VECTOR  0xed   /* shootdown: leave guest mode */

/* Boot CPU: interrupt handlers, legacy PICs masked, then apic_enable. */
void apic_init(void);
/* This CPU's local APIC on (xAPIC mode), LINT0/1 and the timer masked. */
void apic_enable(void);
uint32_t apic_id(void);
/* INIT, then a start-up IPI with the given page (vector), to one CPU.
 * Returns -EIO if the APIC never reported the IPI as delivered. */
int apic_send_init(uint32_t apic_id);
int apic_send_sipi(uint32_t apic_id, uint8_t page);
/* APIC_KICK_VECTOR to one CPU; to this CPU (pending until it takes
 * interrupts: an exit from guest mode). */
void apic_send_kick(uint32_t apic_id);
void apic_send_kick_self(void);
/* An NMI to one CPU (the VMX kick's second half, arch/x86/vmx/vmx.c);
 * -EIO if the APIC never reported it delivered. */
int apic_send_nmi(uint32_t apic_id);
/* One-shot timer: fires APIC_TIMER_VECTOR after `ticks` bus ticks / 16. */
void apic_timer_arm(uint32_t ticks);
void apic_timer_disarm(void);
/* Measures the timer's rate against the TSC (boot CPU, once, with the
 * TSC's rate from boot, 0 if unknown). */
void apic_timer_calibrate(uint64_t tsc_per_ms);
/* One-shot: fires when the TSC reaches tsc_deadline (at once if it has;
 * after the fixed ~100 ms if the rate is unknown). */
void apic_timer_arm_until(uint64_t tsc_deadline);
/* True (once) if the timer fired since the last call. */
bool apic_timer_take(void);

#endif
