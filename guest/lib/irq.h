/*
 * Interrupts in test kernels: IDT entries for vectors 32-255 whose handler
 * counts each delivery per vCPU and returns (there is no interrupt
 * controller behind them: no EOI), so a test can check exactly which
 * vectors arrived, how often and in which order.
 *
 *   trap_init(); irq_init();
 *   vmm_call(SV_GUEST_INTERRUPT, 0x40, 0);
 *   irq_sti_hlt();                      // waits for it
 *   check(irq_count(0x40) == 1);
 */
#ifndef GUEST_IRQ_H
#define GUEST_IRQ_H

#include <stdint.h>

/* After trap_init: fills IDT entries 32-255 (shared by all vCPUs). */
void irq_init(void);
/* Deliveries of vector on this vCPU since start. */
uint64_t irq_count(unsigned vector);
/* All deliveries of vectors 32-255 on this vCPU. */
uint64_t irq_total(void);
/* The n-th vector delivered on this vCPU (0 = first; up to 32), or -1. */
int irq_nth(unsigned n);
/* This vCPU's local APIC to x2APIC mode (IA32_APIC_BASE EXTD | EN): it
 * starts in xAPIC mode, as after RESET, and the x2APIC MSRs exist only
 * in x2APIC mode. */
void irq_x2apic_on(void);
/* sti; hlt; cli: sleeps until an interrupt has been delivered (one that
 * was pending arrives right after the sti's shadow, at the hlt). */
void irq_sti_hlt(void);

#endif
