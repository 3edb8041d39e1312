/*
 * PCI configuration mechanism 1 (0xcf8 address, 0xcfc-0xcff data) on an
 * i440FX-like machine, as QEMU's pc: bus 0 holds one host bridge at
 * 00:00.0, Intel 8086:1237 revision 2, class 06.00.00, subsystem
 * 1af4:1100; every other function reads all ones. The bridge's
 * configuration space is read-only here (writes, including to the
 * command register and the i440FX's PAM/SMRAM registers, are ignored:
 * the VMM has no memory to remap).
 *
 * 0xcf8 is a dword register: 1- and 2-byte accesses to 0xcf8-0xcfb are
 * not the address register (0xcf9 is the reset control register, in
 * pc_machine.c); pci_host handles only the dword at 0xcf8 and the data
 * window.
 */
#ifndef SEALVISOR_VMM_PCI_HOST_H
#define SEALVISOR_VMM_PCI_HOST_H

#include <stdint.h>

#define PCI_ADDR_ENABLE 0x80000000u

struct pci_host {
	uint32_t addr;      /* the last dword written to 0xcf8 */
};

void pci_host_init(struct pci_host *h);
uint32_t pci_addr_read(const struct pci_host *h);
void pci_addr_write(struct pci_host *h, uint32_t val);
/* port 0xcfc-0xcff, size 1, 2 or 4 not crossing the dword (else all
 * ones / ignored). */
uint32_t pci_data_read(const struct pci_host *h, uint16_t port, unsigned size);
void pci_data_write(struct pci_host *h, uint16_t port, unsigned size, uint32_t val);
/* Config space of bus:dev.fn at reg (0-255), size bytes (1/2/4, aligned
 * within a dword): the bridge's bytes or all ones. */
uint32_t pci_config_read(unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned size);

#endif
