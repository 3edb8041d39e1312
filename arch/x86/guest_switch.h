/*
 * Guest state that neither the VMCB nor the VMCS switches, switched by
 * hand around each entry (struct vcpu_switched): the debug address
 * registers, TSC_AUX, SPEC_CTRL, and on VMX the SYSCALL/SWAPGS MSRs.
 *
 * Invariant: the hypervisor itself uses none of them (no breakpoints, no
 * SYSCALL, SWAPGS, RDTSCP or RDPID), so their host values are dead and
 * are not restored, except SPEC_CTRL, which protects the host. What one
 * vCPU leaves in them is overwritten before any other vCPU enters.
 */
#ifndef ARCH_X86_GUEST_SWITCH_H
#define ARCH_X86_GUEST_SWITCH_H

#include <stdbool.h>
#include "hv/partition.h"

/* with_msrs: also STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE, DR6 (VMX). */
void guest_switch_enter(struct vcpu *v, bool with_msrs);
void guest_switch_exit(struct vcpu *v, bool with_msrs);
/* The guest copies of TSC_AUX and SPEC_CTRL, for msr_get/msr_set of
 * both backends: NULL where the CPU lacks the MSR. */
uint64_t *guest_switch_msr(struct vcpu *v, uint32_t index);

#endif
