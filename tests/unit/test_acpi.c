/* guest/vmm/acpi_tables.c: the tables walked as a guest's ACPI code walks
 * them (RSDP -> XSDT/RSDT -> FADT -> DSDT/FACS, MADT), every length and
 * checksum; every buffer size too small refused; and, where Debian's
 * acpica-tools is installed, iasl disassembling each table cleanly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sealvisor/errno.h>
#include "guest/vmm/acpi_tables.h"
#include "tests/unit/unit.h"

#define GPA 0xe0000ull

static uint8_t buf[16384];

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The table at gpa a: in the buffer, its length in bounds and its sum 0. */
static const uint8_t *table(uint64_t a, int64_t used, const char *sig)
{
	ck_assert_uint_ge(a, GPA);
	ck_assert_uint_le(a - GPA + 36, (uint64_t)used);
	const uint8_t *t = buf + (a - GPA);
	uint32_t len = (uint32_t)le(t + 4, 4);
	ck_assert_uint_le(a - GPA + len, (uint64_t)used);
	ck_assert_mem_eq(t, sig, 4);
	ck_assert_uint_eq(acpi_sum(t, len), 0);
	ck_assert_mem_eq(t + 10, "SEALVS", 6);
	return t;
}

static void check_tables(unsigned ncpus, int64_t used)
{
	const uint8_t *rsdp = buf;

	ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
	ck_assert_uint_eq(acpi_sum(rsdp, 20), 0);
	ck_assert_uint_eq(acpi_sum(rsdp, 36), 0);
	ck_assert_uint_eq(rsdp[15], 2);
	ck_assert_uint_eq(le(rsdp + 20, 4), 36);
	ck_assert_mem_eq(rsdp + 9, "SEALVS", 6);
	const uint8_t *x = table(le(rsdp + 24, 8), used, "XSDT");
	const uint8_t *r = table(le(rsdp + 16, 4), used, "RSDT");
	ck_assert_uint_eq(le(x + 4, 4), 36 + 16);
	ck_assert_uint_eq(le(r + 4, 4), 36 + 8);
	for (unsigned i = 0; i < 2; i++)
		ck_assert_uint_eq(le(x + 36 + 8 * i, 8), le(r + 36 + 4 * i, 4));
	const uint8_t *f = table(le(x + 36, 8), used, "FACP");
	ck_assert_uint_eq(le(f + 4, 4), 244);
	ck_assert_uint_eq(f[8], 3);
	ck_assert_uint_eq(le(f + 40, 4), le(f + 140, 8));
	ck_assert_uint_eq(le(f + 36, 4), le(f + 132, 8));
	ck_assert_uint_eq(le(f + 46, 2), 9);
	ck_assert_uint_eq(le(f + 56, 4), 0x600);
	ck_assert_uint_eq(le(f + 64, 4), 0x604);
	ck_assert_uint_eq(le(f + 76, 4), 0x608);
	ck_assert_uint_eq(le(f + 152, 8), 0x600);
	ck_assert_uint_eq(le(f + 120, 8), 0xcf9);
	ck_assert_uint_eq(f[128], 0x06);
	ck_assert_uint_eq(le(f + 112, 4) >> 19 & 1, 1);   /* physical APIC destinations only */
	const uint8_t *d = table(le(f + 140, 8), used, "DSDT");
	ck_assert_uint_eq(le(d + 4, 4), 36 + 14);
	ck_assert_mem_eq(d + 36, "\x08_S5_\x12", 6);
	uint64_t facs = le(f + 132, 8);
	ck_assert_uint_eq(facs % 64, 0);
	ck_assert_mem_eq(buf + (facs - GPA), "FACS", 4);
	ck_assert_uint_eq(le(buf + (facs - GPA) + 4, 4), 64);
	const uint8_t *m = table(le(x + 44, 8), used, "APIC");
	uint32_t mlen = (uint32_t)le(m + 4, 4);
	ck_assert_uint_eq(le(m + 36, 4), 0xfee00000u);
	ck_assert_uint_eq(le(m + 40, 4), 1);
	unsigned cpus = 0, ioapics = 0, isos = 0, nmis = 0;
	for (uint32_t o = 44; o < mlen;) {
		const uint8_t *e = m + o;
		ck_assert_uint_ge(e[1], 2);
		ck_assert_uint_le(o + e[1], mlen);
		switch (e[0]) {
		case 0:
			ck_assert_uint_eq(e[1], 8);
			ck_assert_uint_eq(e[2], cpus);
			ck_assert_uint_eq(e[3], cpus);
			ck_assert_uint_eq(le(e + 4, 4), 1);
			cpus++;
			break;
		case 1:
			ck_assert_uint_eq(e[1], 12);
			ck_assert_uint_eq(le(e + 4, 4), 0xfec00000u);
			ck_assert_uint_eq(le(e + 8, 4), 0);
			ioapics++;
			break;
		case 2:
			ck_assert_uint_eq(e[1], 10);
			if (e[3] == 0) {
				ck_assert_uint_eq(le(e + 4, 4), 2);
				ck_assert_uint_eq(le(e + 8, 2), 0x05);
			} else {
				ck_assert_uint_eq(e[3], 9);
				ck_assert_uint_eq(le(e + 4, 4), 9);
				ck_assert_uint_eq(le(e + 8, 2), 0x0d);
			}
			isos++;
			break;
		case 4:
			ck_assert_uint_eq(e[1], 6);
			ck_assert_uint_eq(e[5], 1);
			nmis++;
			break;
		default:
			ck_abort_msg("MADT entry type %u", e[0]);
		}
		o += e[1];
	}
	ck_assert_uint_eq(cpus, ncpus);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(isos, 2);
	ck_assert_uint_eq(nmis, 1);
}

START_TEST(tables_walk)
{
	static const unsigned counts[] = { 1, 2, 4, 64, 254, 255 };

	for (unsigned i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		memset(buf, 0xcc, sizeof(buf));
		int64_t used = acpi_build(buf, sizeof(buf), GPA, counts[i]);
		ck_assert_int_gt(used, 0);
		check_tables(counts[i], used);
	}
}
END_TEST

START_TEST(bad_input)
{
	int64_t used = acpi_build(buf, sizeof(buf), GPA, 4);

	ck_assert_int_gt(used, 0);
	for (int64_t n = 0; n < used; n++)
		ck_assert_int_eq(acpi_build(buf, (uint64_t)n, GPA, 4), -ENOSPC);
	ck_assert_int_eq(acpi_build(buf, (uint64_t)used, GPA, 4), used);
	ck_assert_int_eq(acpi_build(buf, sizeof(buf), GPA, 0), -EINVAL);
	ck_assert_int_eq(acpi_build(buf, sizeof(buf), GPA, 256), -EINVAL);
	ck_assert_int_eq(acpi_build(buf, sizeof(buf), GPA + 8, 1), -EINVAL);
	ck_assert_int_eq(acpi_build(buf, sizeof(buf), 0xfffff000ull, 1), -EINVAL);
}
END_TEST

/* iasl -d on each table: a table ACPICA cannot parse fails the test. */
START_TEST(iasl_disassembles)
{
	if (system("command -v iasl >/dev/null 2>&1") != 0) {
		fprintf(stderr, "acpi: iasl not installed (acpica-tools): disassembly not checked\n");
		return;
	}
	int64_t used = acpi_build(buf, sizeof(buf), GPA, 4);
	ck_assert_int_gt(used, 0);
	char dir[] = "/tmp/sv-acpi-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	const uint8_t *x = buf + (le(buf + 24, 8) - GPA);
	const uint8_t *f = buf + (le(x + 36, 8) - GPA);
	const uint8_t *tabs[] = { x, buf + (le(buf + 16, 4) - GPA), f, buf + (le(x + 44, 8) - GPA),
				  buf + (le(f + 140, 8) - GPA) };
	for (unsigned i = 0; i < 5; i++) {
		char path[64], cmd[256], line[512];
		snprintf(path, sizeof(path), "%s/t%u.dat", dir, i);
		FILE *fp = fopen(path, "wb");
		ck_assert_ptr_nonnull(fp);
		fwrite(tabs[i], 1, le(tabs[i] + 4, 4), fp);
		fclose(fp);
		snprintf(cmd, sizeof(cmd), "cd %s && iasl -d t%u.dat 2>&1", dir, i);
		fp = popen(cmd, "r");
		ck_assert_ptr_nonnull(fp);
		unsigned bad = 0;
		while (fgets(line, sizeof(line), fp))
			if (strstr(line, "rror") || strstr(line, "arning") || strstr(line, "nvalid"))
				bad++, fprintf(stderr, "iasl t%u: %s", i, line);
		ck_assert_int_eq(pclose(fp), 0);
		ck_assert_uint_eq(bad, 0);
		snprintf(path, sizeof(path), "%s/t%u.dsl", dir, i);
		ck_assert_int_eq(access(path, R_OK), 0);
	}
	char rm[64];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	ck_assert_int_eq(system(rm), 0);
}
END_TEST

Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi_tables");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, tables_walk);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, iasl_disassembles);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
