/*
 * The ACPI tables of the VMM's pc machine, built into a caller buffer for
 * a given guest-physical address: RSDP (revision 2, both checksums), XSDT,
 * RSDT, FADT (revision 3, the ACPI 2.0 layout Linux and ACPICA take for a
 * non-hardware-reduced PC), FACS, DSDT (header and \_S5 only) and MADT.
 * OEM id "SEALVS". The RSDP is at offset 0 (so the gpa must be 16-byte
 * aligned; in 0xe0000-0xfffff if legacy guests are to find it by search).
 *
 * The machine they describe (pc_machine.h): an i440FX/PIIX-style PC, one
 * local APIC per vCPU at 0xfee00000 (processor id = APIC id = vCPU
 * index), the I/O APIC (id 0) at 0xfec00000 GSI base 0, ISA IRQ 0 on GSI
 * 2 (edge, active high), SCI on IRQ 9 (level, active high), NMI on every
 * CPU's LINT1. PM ports as QEMU's PIIX4 at 0x600: PM1a event 0x600 (4
 * bytes), PM1a control 0x604 (2), PM timer 0x608 (24-bit); no GPE block;
 * reset register 0xcf9 value 0x06; SMI_CMD 0 (the machine is always in
 * ACPI mode: PM1a control must read SCI_EN set); \_S5 is SLP_TYP 5.
 * IAPC_BOOT_ARCH says legacy devices present, no 8042 (the VMM's
 * keyboard controller is only an idle status port and a reset line).
 */
#ifndef SEALVISOR_VMM_ACPI_TABLES_H
#define SEALVISOR_VMM_ACPI_TABLES_H

#include <stdint.h>

#define ACPI_OEM_ID "SEALVS"
#define ACPI_PM_BASE 0x600u
#define ACPI_PM1A_EVT (ACPI_PM_BASE + 0)
#define ACPI_PM1A_CNT (ACPI_PM_BASE + 4)
#define ACPI_PM_TMR (ACPI_PM_BASE + 8)
#define ACPI_SCI_IRQ 9u
#define ACPI_S5_SLP_TYP 5u
#define ACPI_LAPIC_BASE 0xfee00000u
#define ACPI_MAX_CPUS 255u            /* xAPIC ids 0-254 (255 is broadcast) */

/* Builds the tables for ncpus vCPUs (1..ACPI_MAX_CPUS) into buf (len
 * bytes) for guest-physical address gpa (16-byte aligned, tables below 4
 * GiB for the RSDT). Returns the bytes used, -ENOSPC if they do not fit,
 * -EINVAL for a bad ncpus or gpa. */
int64_t acpi_build(void *buf, uint64_t len, uint64_t gpa, unsigned ncpus);

/* The byte sum of n bytes (a valid table sums to 0). */
uint8_t acpi_sum(const void *p, uint64_t n);

#endif
