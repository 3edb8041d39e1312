/* ACPI tables (guest/vmm/acpi_tables.h). Offsets are the ACPI 6.x
 * specification's (sections 5.2.5-5.2.12); the tables are written byte by
 * byte, little-endian, with no packed structs, so the layout is exactly
 * what is written here. */
#include <stdbool.h>
#include <sealvisor/errno.h>
#include "guest/vmm/acpi_tables.h"
#include "lib/string.h"

#define HDR 36u

struct out {
	uint8_t *buf;
	uint64_t len, used, gpa;
	bool full;
};

uint8_t acpi_sum(const void *p, uint64_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Reserves n zeroed bytes aligned to align; returns their offset, or
 * marks the output full (every later write is then skipped). */
static uint64_t take(struct out *o, uint64_t n, uint64_t align)
{
	uint64_t at = (o->used + align - 1) & ~(align - 1);

	if (o->full || at > o->len || n > o->len - at) {
		o->full = true;
		return 0;
	}
	memset(o->buf + o->used, 0, at + n - o->used);
	o->used = at + n;
	return at;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put(t + 4, len, 4);
	t[8] = rev;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, "SEALVISR", 8);          /* OEM table id */
	put(t + 24, 1, 4);                      /* OEM revision */
	memcpy(t + 28, "SVSR", 4);              /* creator id */
	put(t + 32, 1, 4);                      /* creator revision */
}

static void checksum(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)-acpi_sum(t, len);
}

/* Generic Address Structure: system I/O space. */
static void gas_io(uint8_t *p, unsigned bits, uint64_t port)
{
	p[0] = 1;
	p[1] = (uint8_t)bits;
	p[3] = bits == 8 ? 1 : bits == 16 ? 2 : 3;   /* access size: byte/word/dword */
	put(p + 4, port, 8);
}

/* Name (_S5, Package (4) { 5, 5, 0, 0 }) */
static const uint8_t s5_aml[] = {
	0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
	0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP, 0x00, 0x00,
};

static uint64_t build_dsdt(struct out *o)
{
	uint32_t len = HDR + sizeof(s5_aml);
	uint64_t at = take(o, len, 8);

	if (o->full)
		return 0;
	header(o->buf + at, "DSDT", len, 2);    /* revision 2: 64-bit AML integers */
	memcpy(o->buf + at + HDR, s5_aml, sizeof(s5_aml));
	checksum(o->buf + at, len);
	return at;
}

static uint64_t build_facs(struct out *o)
{
	uint64_t at = take(o, 64, 64);          /* 64-byte aligned, no checksum */

	if (o->full)
		return 0;
	memcpy(o->buf + at, "FACS", 4);
	put(o->buf + at + 4, 64, 4);
	o->buf[at + 32] = 1;                    /* version */
	return at;
}

static uint64_t build_fadt(struct out *o, uint64_t facs, uint64_t dsdt)
{
	const uint32_t len = 244;
	uint64_t at = take(o, len, 8);

	if (o->full)
		return 0;
	uint8_t *t = o->buf + at;
	header(t, "FACP", len, 3);
	put(t + 36, facs, 4);
	put(t + 40, dsdt, 4);
	put(t + 46, ACPI_SCI_IRQ, 2);
	put(t + 56, ACPI_PM1A_EVT, 4);
	put(t + 64, ACPI_PM1A_CNT, 4);
	put(t + 76, ACPI_PM_TMR, 4);
	t[88] = 4;                              /* PM1_EVT_LEN */
	t[89] = 2;                              /* PM1_CNT_LEN */
	t[91] = 4;                              /* PM_TMR_LEN */
	put(t + 96, 0x0fff, 2);                 /* P_LVL2_LAT: C2 not supported */
	put(t + 98, 0x0fff, 2);                 /* P_LVL3_LAT: C3 not supported */
	t[108] = 0x32;                          /* CENTURY: the RTC's century byte */
	put(t + 109, 0x0001, 2);                /* IAPC_BOOT_ARCH: LEGACY_DEVICES */
	/* WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON absent, RESET_REG_SUP,
	 * FORCE_APIC_PHYSICAL_DESTINATION_MODE: pc_irq.c routes I/O APIC
	 * messages by physical APIC id only (it cannot see the guest's LDRs),
	 * and Linux, told so, programs physical destinations (physflat). */
	put(t + 112, 1u << 0 | 1u << 2 | 1u << 4 | 1u << 5 | 1u << 10 | 1u << 19, 4);
	gas_io(t + 116, 8, 0xcf9);
	t[128] = 0x06;                          /* RESET_VALUE */
	put(t + 132, facs, 8);
	put(t + 140, dsdt, 8);
	gas_io(t + 148, 32, ACPI_PM1A_EVT);
	gas_io(t + 172, 16, ACPI_PM1A_CNT);
	gas_io(t + 208, 32, ACPI_PM_TMR);
	checksum(t, len);
	return at;
}

static uint64_t build_madt(struct out *o, unsigned ncpus)
{
	uint32_t len = HDR + 8 + 8 * ncpus + 12 + 2 * 10 + 6;
	uint64_t at = take(o, len, 8);

	if (o->full)
		return 0;
	uint8_t *t = o->buf + at, *e = t + HDR + 8;
	header(t, "APIC", len, 3);
	put(t + 36, ACPI_LAPIC_BASE, 4);
	put(t + 40, 1, 4);                      /* PCAT_COMPAT: 8259s present */
	for (unsigned i = 0; i < ncpus; i++, e += 8) {
		e[0] = 0;                       /* processor local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i;              /* ACPI processor id */
		e[3] = (uint8_t)i;              /* APIC id */
		put(e + 4, 1, 4);               /* enabled */
	}
	e[0] = 1;                               /* I/O APIC */
	e[1] = 12;
	e[2] = 0;                               /* id, as ioapic_init(.., 0) */
	put(e + 4, 0xfec00000u, 4);
	put(e + 8, 0, 4);                       /* GSI base */
	e += 12;
	const uint8_t iso[2][3] = { { 0, 2, 0x05 }, { ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x0d } };
	for (unsigned i = 0; i < 2; i++, e += 10) {
		e[0] = 2;                       /* interrupt source override */
		e[1] = 10;
		e[2] = 0;                       /* bus: ISA */
		e[3] = iso[i][0];
		put(e + 4, iso[i][1], 4);
		put(e + 8, iso[i][2], 2);       /* 0x05 edge high, 0x0d level high */
	}
	e[0] = 4;                               /* local APIC NMI */
	e[1] = 6;
	e[2] = 0xff;                            /* every processor */
	put(e + 3, 0, 2);
	e[5] = 1;                               /* LINT1 */
	checksum(t, len);
	return at;
}

/* XSDT (8-byte entries) or RSDT (4-byte entries) listing n tables. */
static uint64_t build_sdt(struct out *o, bool x, const uint64_t *tables, unsigned n)
{
	unsigned w = x ? 8 : 4;
	uint32_t len = HDR + w * n;
	uint64_t at = take(o, len, 8);

	if (o->full)
		return 0;
	header(o->buf + at, x ? "XSDT" : "RSDT", len, 1);
	for (unsigned i = 0; i < n; i++)
		put(o->buf + at + HDR + w * i, tables[i], w);
	checksum(o->buf + at, len);
	return at;
}

static void build_rsdp(uint8_t *p, uint64_t rsdt, uint64_t xsdt)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, ACPI_OEM_ID, 6);
	p[15] = 2;                              /* revision: ACPI 2.0+ */
	put(p + 16, rsdt, 4);
	put(p + 20, 36, 4);
	put(p + 24, xsdt, 8);
	p[8] = (uint8_t)-acpi_sum(p, 20);       /* the ACPI 1.0 part */
	p[32] = (uint8_t)-acpi_sum(p, 36);      /* the whole */
}

int64_t acpi_build(void *buf, uint64_t len, uint64_t gpa, unsigned ncpus)
{
	struct out o = { .buf = buf, .len = len, .gpa = gpa };

	if (!ncpus || ncpus > ACPI_MAX_CPUS || (gpa & 15) || gpa >= 0x100000000ull ||
	    len > 0x100000000ull - gpa)
		return -EINVAL;
	uint64_t rsdp = take(&o, 36, 16);
	uint64_t dsdt = build_dsdt(&o) + gpa, facs = build_facs(&o) + gpa;
	uint64_t tables[2];
	tables[0] = build_fadt(&o, facs, dsdt) + gpa;
	tables[1] = build_madt(&o, ncpus) + gpa;
	uint64_t xsdt = build_sdt(&o, true, tables, 2) + gpa;
	uint64_t rsdt = build_sdt(&o, false, tables, 2) + gpa;
	if (o.full)
		return -ENOSPC;
	build_rsdp(o.buf + rsdp, rsdt, xsdt);
	return (int64_t)o.used;
}
