/*
 * Interrupts a VMM raises at its guest's vCPUs (VCPU_INTERRUPT), and the
 * interrupt window: generic, the backend only says whether the guest can
 * take an interrupt now and injects or arms the window (hv/virt.h).
 */
#ifndef HV_EVENTS_H
#define HV_EVENTS_H

#include <stdbool.h>
#include "hv/partition.h"

#define EVENTS_FIRST_VECTOR 32   /* 0-31 are exceptions: never raised as interrupts */

/* Queues vector (32-255, else -EINVAL and nothing changes) at v. Safe
 * while v runs on another CPU: v takes it at its next entry. */
int vcpu_raise_interrupt(struct vcpu *v, unsigned vector);
/* Makes every other CPU now in guest mode in vm exit (no wait), so a vCPU
 * that just got an interrupt or IPI sees it at once rather than at its
 * next exit. Only a hint: a vCPU entering at the same moment may miss it
 * and see the interrupt at its next exit (within its slice). */
void events_kick_vm(struct vm *vm);
/* The highest vector the VMM queued, or -1. */
int vcpu_queued_interrupt(const struct vcpu *v);
/* The highest vector deliverable now: the VMM's queue or the vCPU's
 * APIC (under its priority rules), or -1. */
int vcpu_pending_interrupt(const struct vcpu *v);
/*
 * Just before each entry of a guest vCPU: injects a pending NMI if it can
 * (hv/nmi.h), else the highest queued
 * vector if the guest can take it now, and arms the interrupt window if
 * anything is left (or the VMM wants the window). True if the VMM asked
 * for the window, the guest can take an interrupt now and none is queued:
 * the run ends with SV_EXIT_IRQ_WINDOW instead of entering.
 */
bool events_before_entry(struct vcpu *v, bool vmm_wants_window);
/* A halted guest that could take a queued interrupt, or an NMI, wakes at
 * once. */
bool events_wake_from_hlt(struct vcpu *v);

#endif
