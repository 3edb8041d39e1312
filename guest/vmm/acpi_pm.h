/*
 * The ACPI fixed-hardware registers acpi_tables.c's FADT points at, as
 * byte registers at ACPI_PM_BASE (0x600): PM1a status (0x600, write 1 to
 * clear) and enable (0x602), PM1a control (0x604: SCI_EN always set,
 * since there is no SMI_CMD to enable ACPI mode; SLP_EN with SLP_TYP 5
 * requests power-off) and the 24-bit 3.579545 MHz PM timer (0x608, read
 * only, derived from the caller's ns clock). No SCI is ever raised: no
 * event (power button, timer overflow) is modelled.
 */
#ifndef SEALVISOR_VMM_ACPI_PM_H
#define SEALVISOR_VMM_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_PM_SIZE 12u
#define ACPI_PM_TIMER_HZ 3579545ull
#define ACPI_PM1_SCI_EN 0x0001u
#define ACPI_PM1_SLP_EN 0x2000u

struct acpi_pm {
	uint16_t sts, en, cnt;
	bool poweroff_requested;
};

void acpi_pm_init(struct acpi_pm *pm);
/* off: 0..ACPI_PM_SIZE-1 from ACPI_PM_BASE; one byte. */
uint8_t acpi_pm_read(struct acpi_pm *pm, unsigned off, uint64_t now_ns);
void acpi_pm_write(struct acpi_pm *pm, unsigned off, uint8_t val);
uint32_t acpi_pm_timer(uint64_t now_ns);

#endif
