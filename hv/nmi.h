/*
 * NMIs for guest vCPUs: raised by the VMM (VCPU_NMI) or by another vCPU's
 * NMI IPI (hv/vlapic_msr.c), injected before an entry when the guest is
 * not NMI-blocked. Generic: the backend says whether the guest is in its
 * NMI handler and injects or arms the NMI window (hv/virt.h).
 */
#ifndef HV_NMI_H
#define HV_NMI_H

#include <stdbool.h>
#include "hv/partition.h"

/* At most this many raised and not yet seen by the vCPU's run: as a CPU
 * that latches one NMI while it delivers another, more are one. */
#define NMI_QUEUE_MAX 2

/* Raises an NMI at v. Safe from any CPU while v runs elsewhere; never
 * fails, never grows anything: raising 10^6 is raising two. */
void vcpu_raise_nmi(struct vcpu *v);
/* What v still has to inject, after merging what was raised (v's run). */
unsigned vcpu_pending_nmis(struct vcpu *v);
/*
 * Just before each entry, ahead of interrupts (an NMI goes first): injects
 * one if the guest can take it now, and arms the NMI window if one is left
 * or cannot go in yet. True if it injected (the injection slot is taken).
 */
bool nmi_before_entry(struct vcpu *v);
/* A halted guest wakes for an NMI it can take, whatever its RFLAGS.IF. */
bool nmi_wakes_from_hlt(struct vcpu *v);

#endif
