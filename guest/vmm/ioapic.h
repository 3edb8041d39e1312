/*
 * The I/O APIC (82093AA as QEMU's hw/intc/ioapic.c presents it): a 4 KiB
 * MMIO page at 0xfec00000 with IOREGSEL (0x00) and IOWIN (0x10); ID (0),
 * version 0x00170011 (24 entries, version 0x11), arbitration (2), and 24
 * redirection entries (0x10 + 2n low, 0x11 + 2n high).
 *
 * Inputs are the asserted state of each GSI (the caller has applied the
 * board's wiring; the polarity bit is kept for the guest to read, as
 * QEMU does). Interrupts to deliver are queued per GSI and taken with
 * ioapic_next(): a message is computed when taken, so edges arriving
 * before the caller takes them coalesce into one, as a real IRR would.
 * Level-triggered entries set Remote IRR when sent and are resent after
 * ioapic_eoi() while still asserted.
 */
#ifndef SEALVISOR_VMM_IOAPIC_H
#define SEALVISOR_VMM_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_PINS 24u
#define IOAPIC_VERSION (0x11u | (IOAPIC_PINS - 1) << 16)

#define IOAPIC_RTE_VECTOR 0xffull
#define IOAPIC_RTE_DELMODE_SHIFT 8
#define IOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define IOAPIC_RTE_DELIVERY_STATUS (1ull << 12)
#define IOAPIC_RTE_POLARITY_LOW (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR (1ull << 14)
#define IOAPIC_RTE_LEVEL (1ull << 15)
#define IOAPIC_RTE_MASKED (1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT 56

/* Delivery modes (bits 8-10). */
enum { IOAPIC_DM_FIXED = 0, IOAPIC_DM_LOWEST = 1, IOAPIC_DM_SMI = 2, IOAPIC_DM_NMI = 4,
       IOAPIC_DM_INIT = 5, IOAPIC_DM_EXTINT = 7 };

struct ioapic_msg {
	uint8_t vector, dest, delivery_mode, gsi;
	bool logical, level;
};

struct ioapic {
	uint32_t sel;
	uint32_t id;                 /* bits 24-27 of register 0 */
	uint64_t rte[IOAPIC_PINS];
	uint32_t asserted;           /* input lines, bit per GSI */
	uint32_t queued;             /* GSIs with a message for ioapic_next */
};

void ioapic_init(struct ioapic *io, uint8_t id);
/* off: offset in the page; size 1, 2, 4 or 8 (aligned into IOREGSEL or
 * IOWIN; anything else reads 0 / is ignored, as QEMU). */
uint64_t ioapic_mmio_read(struct ioapic *io, uint64_t off, unsigned size);
void ioapic_mmio_write(struct ioapic *io, uint64_t off, unsigned size, uint64_t val);
/* The GSI's input line; -EINVAL for gsi >= 24. */
int ioapic_set_irq(struct ioapic *io, unsigned gsi, bool asserted);
/* The local APICs' EOI broadcast for vector. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/* Takes the next interrupt to deliver: 1 and *m, or 0 when none. */
int ioapic_next(struct ioapic *io, struct ioapic_msg *m);

#endif
