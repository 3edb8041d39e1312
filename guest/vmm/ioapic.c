/* The I/O APIC (guest/vmm/ioapic.h). */
#include <sealvisor/errno.h>
#include "guest/vmm/ioapic.h"
#include "lib/string.h"

#define REG_ID 0x00
#define REG_VER 0x01
#define REG_ARB 0x02
#define REG_RTE 0x10

/* The bits a guest may write: all but Delivery Status and Remote IRR
 * (read-only), and the reserved bits 17-55. */
#define RTE_WRITABLE (0xff000000000000ffull | 0x700ull | IOAPIC_RTE_DEST_LOGICAL | \
		      IOAPIC_RTE_POLARITY_LOW | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED)

void ioapic_init(struct ioapic *io, uint8_t id)
{
	memset(io, 0, sizeof(*io));
	io->id = id & 0x0f;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
}

/* Queue the GSI if its entry lets an interrupt out now. Level entries
 * wait for the EOI of the previous one (Remote IRR). */
static void service(struct ioapic *io, unsigned gsi)
{
	uint64_t e = io->rte[gsi];

	if (!(io->asserted & (1u << gsi)) || (e & IOAPIC_RTE_MASKED))
		return;
	if (e & IOAPIC_RTE_LEVEL) {
		if (e & IOAPIC_RTE_REMOTE_IRR)
			return;
		io->rte[gsi] |= IOAPIC_RTE_REMOTE_IRR;
	}
	io->queued |= 1u << gsi;
}

int ioapic_set_irq(struct ioapic *io, unsigned gsi, bool asserted)
{
	if (gsi >= IOAPIC_PINS)
		return -EINVAL;
	uint32_t bit = 1u << gsi;
	bool was = io->asserted & bit;

	if (asserted)
		io->asserted |= bit;
	else
		io->asserted &= ~bit;
	if (asserted && (!was || (io->rte[gsi] & IOAPIC_RTE_LEVEL)))
		service(io, gsi);
	return 0;
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned i = 0; i < IOAPIC_PINS; i++) {
		uint64_t e = io->rte[i];
		if ((e & IOAPIC_RTE_VECTOR) != vector || !(e & IOAPIC_RTE_REMOTE_IRR))
			continue;
		io->rte[i] &= ~IOAPIC_RTE_REMOTE_IRR;
		service(io, i);
	}
}

int ioapic_next(struct ioapic *io, struct ioapic_msg *m)
{
	if (!io->queued)
		return 0;
	unsigned gsi = (unsigned)__builtin_ctz(io->queued);
	uint64_t e = io->rte[gsi];

	io->queued &= ~(1u << gsi);
	m->gsi = (uint8_t)gsi;
	m->vector = (uint8_t)(e & IOAPIC_RTE_VECTOR);
	m->delivery_mode = (uint8_t)((e >> IOAPIC_RTE_DELMODE_SHIFT) & 7);
	m->logical = e & IOAPIC_RTE_DEST_LOGICAL;
	m->level = e & IOAPIC_RTE_LEVEL;
	m->dest = (uint8_t)(e >> IOAPIC_RTE_DEST_SHIFT);
	return 1;
}

static uint32_t read_reg(const struct ioapic *io)
{
	unsigned idx = io->sel - REG_RTE;

	switch (io->sel) {
	case REG_ID:
	case REG_ARB:
		return io->id << 24;
	case REG_VER:
		return IOAPIC_VERSION;
	default:
		if (io->sel < REG_RTE || idx >= 2 * IOAPIC_PINS)
			return 0;
		return (uint32_t)(io->rte[idx / 2] >> (32 * (idx & 1)));
	}
}

static void write_reg(struct ioapic *io, uint32_t val)
{
	unsigned idx = io->sel - REG_RTE;

	if (io->sel == REG_ID) {
		io->id = (val >> 24) & 0x0f;
		return;
	}
	if (io->sel < REG_RTE || idx >= 2 * IOAPIC_PINS)
		return;                         /* version, arbitration: read-only */
	uint64_t *e = &io->rte[idx / 2];
	unsigned shift = 32 * (idx & 1);
	uint64_t keep = (~RTE_WRITABLE) | ~(0xffffffffull << shift);

	*e = (*e & keep) | (((uint64_t)val << shift) & RTE_WRITABLE);
	/* An edge entry has no Remote IRR; switching to edge drops it. */
	if (!(*e & IOAPIC_RTE_LEVEL))
		*e &= ~IOAPIC_RTE_REMOTE_IRR;
	/* A message not yet taken is withdrawn by masking; its Remote IRR with
	 * it, or the entry would wait for an EOI that never comes. */
	if ((*e & IOAPIC_RTE_MASKED) && (io->queued & (1u << (idx / 2)))) {
		io->queued &= ~(1u << (idx / 2));
		*e &= ~IOAPIC_RTE_REMOTE_IRR;
	}
	/* A level entry unmasked with its line asserted sends now; masked
	 * edges are lost, as on the 82093AA. */
	if (*e & IOAPIC_RTE_LEVEL)
		service(io, idx / 2);
}

uint64_t ioapic_mmio_read(struct ioapic *io, uint64_t off, unsigned size)
{
	uint32_t v;

	if (off == 0x00 && size >= 1 && size <= 4)
		v = io->sel;
	else if (off == 0x10 && (size == 4 || size == 8))
		v = read_reg(io);
	else
		return 0;
	return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void ioapic_mmio_write(struct ioapic *io, uint64_t off, unsigned size, uint64_t val)
{
	if (off == 0x00 && size >= 1 && size <= 4)
		io->sel = (uint32_t)val & 0xff;
	else if (off == 0x10 && (size == 4 || size == 8))
		write_reg(io, (uint32_t)val);
}
