/* The ACPI tables as a legacy OS finds them (guest/mb/mb.h): the RSDP by
 * search, then the RSDT; every checksum checked. */
#include "guest/mb/mb.h"
#include "lib/string.h"

uint8_t mb_acpi_sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

const uint8_t *mb_acpi_rsdp(void)
{
	for (uintptr_t p = 0xe0000; p < 0x100000; p += 16) {
		const uint8_t *r = (const uint8_t *)p;
		if (!memcmp(r, "RSD PTR ", 8) && !mb_acpi_sum(r, 20))
			return r;
	}
	return NULL;
}

const uint8_t *mb_acpi_table(const char sig[4], uint32_t *len)
{
	const uint8_t *r = mb_acpi_rsdp();
	uint32_t rsdt, tlen;

	if (!r)
		return NULL;
	memcpy(&rsdt, r + 16, 4);
	const uint8_t *t = (const uint8_t *)(uintptr_t)rsdt;
	memcpy(&tlen, t + 4, 4);
	if (memcmp(t, "RSDT", 4) || mb_acpi_sum(t, tlen))
		return NULL;
	for (uint32_t off = 36; off + 4 <= tlen; off += 4) {
		uint32_t at;
		memcpy(&at, t + off, 4);
		const uint8_t *m = (const uint8_t *)(uintptr_t)at;
		memcpy(len, m + 4, 4);
		if (!memcmp(m, sig, 4))
			return mb_acpi_sum(m, *len) ? NULL : m;
	}
	return NULL;
}

unsigned mb_madt_cpus(void)
{
	uint32_t mlen;
	const uint8_t *m = mb_acpi_madt(&mlen);
	unsigned cpus = 0;

	for (uint32_t e = 44; m && e + 2 <= mlen && m[e + 1] >= 2; e += m[e + 1])
		if (m[e] == 0 && (m[e + 4] & 1))
			cpus++;
	return cpus;
}

int mb_madt_gsi(unsigned irq)
{
	uint32_t mlen;
	const uint8_t *m = mb_acpi_madt(&mlen);

	if (!m)
		return -1;
	for (uint32_t e = 44; e + 2 <= mlen && m[e + 1] >= 2; e += m[e + 1])
		if (m[e] == 2 && m[e + 3] == irq) {
			uint32_t gsi;
			memcpy(&gsi, m + e + 4, 4);
			return (int)gsi;
		}
	return (int)irq;
}
