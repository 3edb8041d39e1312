#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H

#include <stdint.h>

struct __attribute__((packed)) acpi_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
};

/* Finds a table by signature through the RSDP's XSDT (or RSDT); NULL if absent. */
const struct acpi_header *acpi_find_table(uint64_t rsdp, const char sig[4]);

struct boot_cpu;

/* The CPUs the MADT lists (local APIC and x2APIC entries), into out (at
 * most max); returns how many, or -1 without a MADT. */
int acpi_madt_cpus(uint64_t rsdp, struct boot_cpu *out, int max);

#endif
