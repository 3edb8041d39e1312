/*
 * A guest vCPU's x2APIC as its MSRs (0x800-0x8ff, IA32_TSC_DEADLINE),
 * over the model in hv/vlapic.h: what the MSR exit path calls, how IPIs
 * between a guest's vCPUs travel, and what runs before each entry.
 */
#ifndef HV_VLAPIC_MSR_H
#define HV_VLAPIC_MSR_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct vlapic_ipi;

/* The x2APIC MSRs, IA32_TSC_DEADLINE and IA32_APIC_BASE (the mode). */
bool vlapic_msr_is_apic(uint32_t msr);
/* 0, -EINVAL (the access raises #GP), -EOPNOTSUPP (an ICR write asking
 * for what is not integrated: NMI; #GP too), -ENOENT (not an APIC MSR). */
int vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t *val);
/* A guest's RDMSR/WRMSR exit: true if it was an APIC MSR (handled:
 * emulated and skipped, or #GP injected). */
bool vlapic_msr_exit(struct vcpu *v, bool write);
/* Delivers an IPI from's APIC sent (x2APIC or, xapic, xAPIC destination
 * rules): 0, or -EOPNOTSUPP for what is not integrated (NMI, INIT,
 * SIPI; logical destinations in x2APIC mode). */
int vlapic_route_ipi(struct vcpu *from, const struct vlapic_ipi *ipi, bool xapic);
/* An APIC message for `to` (an IPI, or its VMM's I/O APIC delivery):
 * posted atomically, merged into its IRR at its next vlapic_sync, and a
 * running vCPU kicked out to take it. Any CPU, any lock. */
void vlapic_post(struct vcpu *to, uint8_t vector);
/* The same for a level-triggered message (its VMM's I/O APIC entry in
 * level mode): accepted with its TMR bit set, so that the guest's EOI
 * of it ends the run with SV_EXIT_EOI (vlapic_eoi_exit). */
void vlapic_post_level(struct vcpu *to, uint8_t vector);
/* At the top of each turn of VCPU_RUN's loop, before anything else can
 * reset the APIC: the vector of a level-triggered interrupt the guest
 * has ended with an EOI since the last turn, for its VMM to clear the
 * I/O APIC's Remote IRR (KVM's IOAPIC EOI exit); -1 if none. */
int vlapic_eoi_exit(struct vcpu *v);
/* Before each entry of v, on its own CPU: IPIs posted to it go into its
 * IRR (level messages after edge ones: a vector posted both ways in one
 * turn stays level, so its EOI is not lost to the VMM) and its timer catches up with `now`. */
void vlapic_sync(struct vcpu *v, uint64_t now);
/* v executed HLT with a software-enabled APIC: something (its timer,
 * another vCPU's IPI or NMI IPI, its VMM) can still wake it, whatever its
 * RFLAGS.IF (an NMI wakes it with IF clear). */
bool vlapic_can_wake(struct vcpu *v);
/* The TSC at which v's next entry must end so that its APIC timer is
 * not late: the nearer of slice_end and the timer's next expiry (an
 * unmasked timer of a guest's software-enabled APIC; the control
 * partition has none). docs/ARCHITECTURE.md, invariant 30. */
uint64_t vlapic_entry_deadline(const struct vcpu *v, uint64_t slice_end);

#endif
