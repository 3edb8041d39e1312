/*
 * A guest vCPU's xAPIC page: stage-2 faults in the 4 KiB at its
 * IA32_APIC_BASE while its APIC is in xAPIC mode are decoded
 * (hv/insn_decode.c) and emulated against its virtual APIC
 * (hv/vlapic_xapic.c). The page is never memory (vm_set_region refuses
 * a region over it), so every access faults.
 */
#ifndef HV_VLAPIC_MMIO_H
#define HV_VLAPIC_MMIO_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* A stage-2 fault at gpa that no region resolves: true if it was an
 * access to v's xAPIC page, emulated and skipped. False (the VMM sees an
 * SV_EXIT_MMIO, as before): not the page, not xAPIC mode, or an
 * instruction the decoder does not take. */
bool vlapic_mmio_exit(struct vcpu *v, uint64_t gpa, bool write);

#endif
