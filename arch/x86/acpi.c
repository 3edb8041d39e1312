/* Just enough ACPI table walking for the reset register (and, later, the MADT). */
#include "arch/x86/acpi.h"
#include "hv/boot_info.h"
#include "lib/string.h"

struct __attribute__((packed)) acpi_rsdp {
	char sig[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum, reserved[3];
};

static int checksum_ok(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum += b[i];
	return sum == 0;
}

const struct acpi_header *acpi_find_table(uint64_t rsdp_pa, const char sig[4])
{
	const struct acpi_rsdp *rsdp = (const void *)rsdp_pa;

	if (!rsdp || memcmp(rsdp->sig, "RSD PTR ", 8) || !checksum_ok(rsdp, 20))
		return NULL;
	int wide = rsdp->revision >= 2 && rsdp->xsdt;
	const struct acpi_header *root =
		(const void *)(wide ? rsdp->xsdt : (uint64_t)rsdp->rsdt);
	if (!checksum_ok(root, root->length))
		return NULL;
	unsigned entry = wide ? 8 : 4;
	unsigned n = (root->length - sizeof(*root)) / entry;
	const uint8_t *ents = (const uint8_t *)(root + 1);

	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = 0;
		memcpy(&pa, ents + i * entry, entry);
		const struct acpi_header *t = (const void *)pa;
		if (t && !memcmp(t->sig, sig, 4) && checksum_ok(t, t->length))
			return t;
	}
	return NULL;
}

/* MADT entry types: 0 processor local APIC, 9 processor local x2APIC. */
int acpi_madt_cpus(uint64_t rsdp, struct boot_cpu *out, int max)
{
	const struct acpi_header *madt = acpi_find_table(rsdp, "APIC");
	int n = 0;

	if (!madt)
		return -1;
	const uint8_t *p = (const uint8_t *)madt + sizeof(*madt) + 8;   /* LAPIC addr, flags */
	const uint8_t *end = (const uint8_t *)madt + madt->length;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		uint32_t id = 0, flags = 0;
		if (p[0] == 0 && p[1] >= 8) {
			id = p[3];
			memcpy(&flags, p + 4, 4);
		} else if (p[0] == 9 && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
		}
		if ((p[0] == 0 || p[0] == 9) && n < max)
			out[n++] = (struct boot_cpu){ id, flags & 1, 0 };
		p += p[1];
	}
	return n;
}
