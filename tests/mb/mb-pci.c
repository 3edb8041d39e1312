/* mb-pci: PCI configuration mechanism 1 as a kernel probes it: the
 * address register at 0xcf8 reads back, the host bridge at 00:00.0
 * (Intel, class 06/00, header type 0), byte and word accesses through
 * 0xcfc-0xcff agree with the dword, its read-only ID ignores writes, an
 * absent function and an absent bus read all ones, and so does the data
 * port with the enable bit clear. Only what QEMU's q35 and sealvisor's
 * 440FX-like bridge share is checked. Same lines on QEMU and under
 * ./sealvisor. */
#include "guest/mb/mb.h"

const char *mb_name = "mb-pci";

static uint32_t addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 1u << 31 | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

void mb_test(void)
{
	outl(0xcf8, addr(0, 2, 2, 0x34));
	mb_check(inl(0xcf8) == addr(0, 2, 2, 0x34), "0xcf8 reads back the address written");

	uint32_t id = mb_pci_read(0, 0, 0), class = mb_pci_read(0, 0, 8), hdr = mb_pci_read(0, 0, 0x0c);
	mb_check((id & 0xffff) == 0x8086 && id >> 16 != 0xffff, "00:00.0: an Intel device");
	mb_check(class >> 16 == 0x0600, "00:00.0: class 06/00, a host bridge");
	mb_check((hdr >> 16 & 0x7f) == 0, "00:00.0: header type 0");

	outl(0xcf8, addr(0, 0, 0, 0));
	uint16_t vendor = inw(0xcfc), device = inw(0xcfe);
	uint8_t lo = inb(0xcfc), hi = inb(0xcfd), b2 = inb(0xcfe), b3 = inb(0xcff);
	mb_check(vendor == (id & 0xffff) && device == id >> 16 && lo == (uint8_t)id &&
		 hi == (uint8_t)(id >> 8) && b2 == (uint8_t)(id >> 16) && b3 == (uint8_t)(id >> 24),
		 "word and byte reads through 0xcfc-0xcff agree with the dword");
	outl(0xcf8, addr(0, 0, 0, 0x0c));
	mb_check(inb(0xcfe) == (uint8_t)(hdr >> 16), "byte read of the header type at 0xcfe");

	outl(0xcf8, addr(0, 0, 0, 0));
	outw(0xcfc, 0x1234);
	mb_check(mb_pci_read(0, 0, 0) == id, "writing the vendor ID changes nothing");

	mb_check(mb_pci_read(0x1e, 7, 0) == 0xffffffff, "an absent function (00:1e.7) reads all ones");
	outl(0xcf8, addr(5, 0, 0, 0));
	mb_check(inl(0xcfc) == 0xffffffff, "an absent bus (5) reads all ones");
	outl(0xcf8, addr(0, 0, 0, 0) & ~(1u << 31));
	mb_check(inl(0xcfc) == 0xffffffff, "enable bit clear: the data port reads all ones");
}
