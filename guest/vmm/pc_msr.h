/*
 * The MSRs of the PC machine a `qemu -kernel` guest runs on, beyond the
 * hypervisor's allow list (hv/msr.c), which answers the rest itself: such
 * a guest's VM has SV_MSR_POLICY_EXIT, and its other MSR accesses come
 * here. Pure, host-tested (tests/unit/test_pc.c).
 *
 *   IA32_MISC_ENABLE (0x1a0): reads 0x1801 (fast strings on, BTS and PEBS
 *     unavailable; XD not disabled); a write of that same value is taken,
 *     any other #GP. Linux's verify_cpu reads it on every Intel CPU of
 *     family 6 model 13 or later, before it has an IDT: a #GP there is a
 *     triple fault.
 *   AMD's interrupt-pending message register (0xc0010055): reads 0 (no
 *     C1E, nothing to report), writes #GP. Linux reads it, without a
 *     fault handler of its own, on the family 0xf CPU QEMU's qemu64 is.
 *   anything else: #GP, as the hypervisor's own default would do.
 */
#ifndef SEALVISOR_VMM_PC_MSR_H
#define SEALVISOR_VMM_PC_MSR_H

#include <stdbool.h>
#include <stdint.h>

#define PC_MSR_MISC_ENABLE 0x1a0u
#define PC_MISC_ENABLE_VALUE 0x1801ull
#define PC_MSR_AMD_INT_PENDING 0xc0010055u

/* 0 with *value set, or -1: the guest gets #GP. */
int pc_msr_read(uint32_t index, uint64_t *value);
/* 0, or -1: #GP. */
int pc_msr_write(uint32_t index, uint64_t value);

#endif
