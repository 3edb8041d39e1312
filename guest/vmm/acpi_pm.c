/* ACPI PM1a and PM timer registers (guest/vmm/acpi_pm.h). */
#include "guest/vmm/acpi_pm.h"
#include "guest/vmm/acpi_tables.h"
#include "lib/string.h"

#define NS_PER_S 1000000000ull

void acpi_pm_init(struct acpi_pm *pm)
{
	memset(pm, 0, sizeof(*pm));
	pm->cnt = ACPI_PM1_SCI_EN;
}

uint32_t acpi_pm_timer(uint64_t ns)
{
	uint64_t t = (ns / NS_PER_S) * ACPI_PM_TIMER_HZ +
		     ((ns % NS_PER_S) * ACPI_PM_TIMER_HZ) / NS_PER_S;
	return (uint32_t)(t & 0xffffff);
}

uint8_t acpi_pm_read(struct acpi_pm *pm, unsigned off, uint64_t now_ns)
{
	switch (off) {
	case 0: case 1:
		return (uint8_t)(pm->sts >> (8 * (off & 1)));
	case 2: case 3:
		return (uint8_t)(pm->en >> (8 * (off & 1)));
	case 4: case 5:
		return (uint8_t)(pm->cnt >> (8 * (off & 1)));
	case 8: case 9: case 10: case 11:
		return (uint8_t)(acpi_pm_timer(now_ns) >> (8 * (off - 8)));
	default:
		return 0;
	}
}

void acpi_pm_write(struct acpi_pm *pm, unsigned off, uint8_t val)
{
	unsigned sh = 8 * (off & 1);

	switch (off) {
	case 0: case 1:
		pm->sts &= (uint16_t)~((unsigned)val << sh);
		break;
	case 2: case 3:
		pm->en = (uint16_t)((pm->en & ~(0xffu << sh)) | (unsigned)val << sh);
		break;
	case 4: case 5:
		pm->cnt = (uint16_t)((pm->cnt & ~(0xffu << sh)) | (unsigned)val << sh);
		pm->cnt |= ACPI_PM1_SCI_EN;
		if ((pm->cnt & ACPI_PM1_SLP_EN) && ((pm->cnt >> 10) & 7) == ACPI_S5_SLP_TYP)
			pm->poweroff_requested = true;
		pm->cnt &= (uint16_t)~ACPI_PM1_SLP_EN;   /* write-only, reads 0 */
		break;
	default:
		break;
	}
}
