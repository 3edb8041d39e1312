/* The I/O APIC through its index and window registers (guest/mb/mb.h). */
#include "guest/mb/mb.h"

static volatile uint32_t *const sel = (volatile uint32_t *)MB_IOAPIC;
static volatile uint32_t *const win = (volatile uint32_t *)(MB_IOAPIC + 0x10);

uint32_t mb_ioapic_read(unsigned reg)
{
	*sel = reg;
	return *win;
}

void mb_ioapic_write(unsigned reg, uint32_t v)
{
	*sel = reg;
	*win = v;
}

/* The high word first: the entry is complete when its low word (and with
 * it the mask bit) changes. */
void mb_ioapic_route(unsigned gsi, uint32_t low)
{
	mb_ioapic_write(0x10 + 2 * gsi + 1, 0);
	mb_ioapic_write(0x10 + 2 * gsi, low);
}

uint32_t mb_ioapic_rte_low(unsigned gsi)
{
	return mb_ioapic_read(0x10 + 2 * gsi);
}

void mb_ioapic_mask_all(void)
{
	for (unsigned pin = 0; pin < MB_IOAPIC_PINS; pin++)
		mb_ioapic_route(pin, MB_RTE_MASKED);
}
