/*
 * The virtual local APIC's xAPIC register view (the 4 KiB page at
 * IA32_APIC_BASE, SDM vol. 3 11.4.1), over the same model as the x2APIC
 * MSRs (hv/vlapic.h): register at offset (x2APIC MSR - 0x800) << 4. What
 * differs from x2APIC: ID in bits 31:24; LDR writable and DFR (flat or
 * cluster model); the ICR as two 32-bit registers, 0x300 (low: writing it
 * sends) and 0x310 (high: destination in bits 31:24); no SELF IPI
 * register; reserved bits and read-only or reserved registers are
 * ignored on write and reserved registers read 0 (xAPIC raises no #GP).
 * Pure and host-tested (tests/unit/test_vlapic_xapic.c).
 */
#ifndef HV_VLAPIC_XAPIC_H
#define HV_VLAPIC_XAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include "hv/vlapic.h"

#define XAPIC_PAGE_SIZE 4096u

/* offset: a 16-byte-aligned register offset in the page (0 - 0xff0);
 * the caller handles other accesses. -EINVAL for an unaligned offset. */
int vlapic_xapic_read(struct vlapic *l, uint32_t offset, uint64_t now, uint32_t *val);
int vlapic_xapic_write(struct vlapic *l, uint32_t offset, uint32_t val, uint64_t now,
		       struct vlapic_ipi *ipi);
/* Does the APIC l accept an xAPIC IPI for 8-bit `dest` (physical: its ID,
 * or 0xff for all; logical: its LDR under its DFR's flat or cluster
 * model, SDM 11.6.2.2)? Reads l's LDR/DFR/ID once each: another vCPU's
 * run may change them meanwhile, as on hardware. */
bool vlapic_xapic_match(const struct vlapic *l, uint8_t dest, bool logical);

#endif
