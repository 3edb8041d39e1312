/* PCI configuration mechanism 1 (guest/vmm/pci_host.h). */
#include <stdbool.h>
#include "guest/vmm/pci_host.h"

/* The host bridge's first 0x30 bytes; the rest of its 256 read zero. */
static const uint8_t bridge[0x30] = {
	[0x00] = 0x86, [0x01] = 0x80,             /* vendor: Intel */
	[0x02] = 0x37, [0x03] = 0x12,             /* device: 440FX */
	[0x08] = 0x02,                            /* revision */
	[0x0a] = 0x00, [0x0b] = 0x06,             /* class: bridge, host */
	[0x2c] = 0xf4, [0x2d] = 0x1a,             /* subsystem vendor (QEMU's) */
	[0x2e] = 0x00, [0x2f] = 0x11,             /* subsystem */
};

void pci_host_init(struct pci_host *h)
{
	h->addr = 0;
}

uint32_t pci_addr_read(const struct pci_host *h)
{
	return h->addr;
}

void pci_addr_write(struct pci_host *h, uint32_t val)
{
	/* Bits 30-24 reserved (read 0), bits 1-0 are 0 for type 0/1 cycles. */
	h->addr = val & 0x80fffffcu;
}

uint32_t pci_config_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned size)
{
	uint32_t ones = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;

	if (size == 0 || size > 4 || reg > 255 || (reg & 3) + size > 4)
		return 0xffffffffu;
	if (bus || dev || fn)
		return ones;
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		if (reg + i < sizeof(bridge))
			v |= (uint32_t)bridge[reg + i] << (8 * i);
	return v;
}

static bool window(uint16_t port, unsigned size)
{
	return port >= 0xcfc && port <= 0xcff && (size == 1 || size == 2 || size == 4) &&
	       (port & 3) + size <= 4;
}

uint32_t pci_data_read(const struct pci_host *h, uint16_t port, unsigned size)
{
	uint32_t ones = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	uint32_t a = h->addr;

	if (!window(port, size) || !(a & PCI_ADDR_ENABLE))
		return ones;
	return pci_config_read((a >> 16) & 0xff, (a >> 11) & 0x1f, (a >> 8) & 7,
			       (a & 0xfc) + (port & 3), size);
}

void pci_data_write(struct pci_host *h, uint16_t port, unsigned size, uint32_t val)
{
	/* Nothing on the bus has a writable register (see the header). */
	(void)h; (void)port; (void)size; (void)val;
}
