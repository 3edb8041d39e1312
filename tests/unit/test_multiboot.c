/* lib/multiboot.c: images built here byte by byte (ELF32, ELF64, a.out
 * kludge), each rule broken once with the field and value the error must
 * name, random corruptions of a good image, and the boot information's
 * layout read back as a kernel would. */
#include <stdlib.h>
#include <string.h>
#include <sealvisor/errno.h>
#include "guest/vmm/multiboot.h"
#include "guest/vmm/pc_ram.h"
#include "tests/unit/unit.h"

#define MiB (1024ull * 1024)
#define RAM_END (64 * MiB)

static uint8_t img[16384];

static void w16(uint64_t off, uint16_t v) { memcpy(img + off, &v, 2); }
static void w32(uint64_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void w64(uint64_t off, uint64_t v) { memcpy(img + off, &v, 8); }

static void header(uint64_t at, uint32_t flags)
{
	w32(at, MB_HEADER_MAGIC);
	w32(at + 4, flags);
	w32(at + 8, 0u - MB_HEADER_MAGIC - flags);
}

/* An ELF32 kernel: n PT_LOAD headers at 52, each 0x100 file bytes from
 * 0x1000 + i * 0x100, loaded at 1 MiB + i * 64 KiB with 4 KiB of bss. */
static void elf32(unsigned n)
{
	memset(img, 0, sizeof(img));
	memcpy(img, "\x7f" "ELF\x01\x01\x01", 7);
	w16(16, 2);
	w16(18, 3);
	w32(24, 1 * MiB + 0x10);
	w32(28, 52);
	w16(42, 32);
	w16(44, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t ph = 52 + 32 * i;
		w32(ph, 1);
		w32(ph + 4, 0x1000 + i * 0x100);
		w32(ph + 8, 1 * MiB + i * 0x10000);
		w32(ph + 12, 1 * MiB + i * 0x10000);
		w32(ph + 16, 0x100);
		w32(ph + 20, 0x1000);
	}
	header(0x800, MB_FLAG_PAGE_ALIGN_MODULES | MB_FLAG_MEMORY_INFO);
}

static int parse(uint64_t size, struct mb_image *m, struct mb_error *e)
{
	static const struct mb_range res[] = { { 0x9f000, 0x100000, "over the boot information" } };
	return mb_parse(img, size, RAM_END, res, 1, m, e);
}

static void refused(int want, const char *field, uint64_t value)
{
	struct mb_image m;
	struct mb_error e;
	ck_assert_int_eq(parse(sizeof(img), &m, &e), want);
	ck_assert_str_eq(e.field, field);
	ck_assert_uint_eq(e.value, value);
	ck_assert_ptr_nonnull(e.why);
}

START_TEST(elf32_accepted)
{
	struct mb_image m;
	struct mb_error e;

	elf32(2);
	ck_assert_int_eq(parse(sizeof(img), &m, &e), 0);
	ck_assert_int_eq(m.format, MB_FORMAT_ELF32);
	ck_assert_uint_eq(m.header_offset, 0x800);
	ck_assert_uint_eq(m.entry, 1 * MiB + 0x10);
	ck_assert_uint_eq(m.nseg, 2);
	ck_assert_uint_eq(m.seg[1].paddr, 1 * MiB + 0x10000);
	ck_assert_uint_eq(m.seg[1].offset, 0x1100);
	ck_assert_uint_eq(m.seg[1].filesz, 0x100);
	ck_assert_uint_eq(m.seg[1].memsz, 0x1000);
}
END_TEST

/* A higher-half ELF64: linked at 0xffffffff80100000, loaded at 1 MiB;
 * the entry moves with its segment. */
START_TEST(elf64_entry_moves_with_segment)
{
	struct mb_image m;
	struct mb_error e;

	memset(img, 0, sizeof(img));
	memcpy(img, "\x7f" "ELF\x02\x01\x01", 7);
	w16(16, 2);
	w16(18, 62);
	w64(24, 0xffffffff80100020ull);
	w64(32, 64);
	w16(54, 56);
	w16(56, 1);
	w32(64, 1);
	w64(64 + 8, 0x1000);
	w64(64 + 16, 0xffffffff80100000ull);
	w64(64 + 24, 1 * MiB);
	w64(64 + 32, 0x200);
	w64(64 + 40, 0x200);
	header(0x200, 0);
	ck_assert_int_eq(parse(sizeof(img), &m, &e), 0);
	ck_assert_int_eq(m.format, MB_FORMAT_ELF64);
	ck_assert_uint_eq(m.entry, 1 * MiB + 0x20);
	w16(18, 3);
	refused(-EINVAL, "e_machine", 3);
}
END_TEST

START_TEST(aout_kludge)
{
	struct mb_image m;
	struct mb_error e;

	/* The file is loaded from its start at 1 MiB; the header at 0x40. */
	memset(img, 0xcc, sizeof(img));
	header(0x40, MB_FLAG_AOUT_KLUDGE);
	w32(0x40 + 12, 1 * MiB + 0x40);
	w32(0x40 + 16, 1 * MiB);
	w32(0x40 + 20, 1 * MiB + 0x3000);
	w32(0x40 + 24, 1 * MiB + 0x8000);
	w32(0x40 + 28, 1 * MiB + 0x60);
	ck_assert_int_eq(parse(sizeof(img), &m, &e), 0);
	ck_assert_int_eq(m.format, MB_FORMAT_AOUT);
	ck_assert_uint_eq(m.nseg, 1);
	ck_assert_uint_eq(m.seg[0].offset, 0);
	ck_assert_uint_eq(m.seg[0].filesz, 0x3000);
	ck_assert_uint_eq(m.seg[0].memsz, 0x8000);
	ck_assert_uint_eq(m.entry, 1 * MiB + 0x60);

	w32(0x40 + 20, 1 * MiB + sizeof(img) + 1);
	refused(-EINVAL, "load_end_addr", 1 * MiB + sizeof(img) + 1);
	w32(0x40 + 20, 0);                       /* 0: the whole file */
	w32(0x40 + 24, 1 * MiB + 0x100);
	refused(-EINVAL, "bss_end_addr", 1 * MiB + 0x100);
	w32(0x40 + 24, 0);
	w32(0x40 + 16, 1 * MiB + 0x80);          /* load_addr above header_addr */
	refused(-EINVAL, "load_addr", 1 * MiB + 0x80);
	w32(0x40 + 16, 1 * MiB - 0x1000);        /* the header would sit before the file */
	refused(-EINVAL, "header_addr", 1 * MiB + 0x40);
}
END_TEST

START_TEST(header_rules)
{
	struct mb_image m;
	struct mb_error e;

	elf32(1);
	w32(0x808, 0);                           /* checksum */
	refused(-ENOEXEC, "header", sizeof(img));
	elf32(1);
	memset(img + 0x800, 0, 12);
	header(8192, 0);                         /* one word too far */
	refused(-ENOEXEC, "header", sizeof(img));
	elf32(1);
	header(0x800, MB_FLAG_VIDEO_MODE);
	refused(-EINVAL, "flags", MB_FLAG_VIDEO_MODE);
	elf32(1);
	header(0x800, 1u << 7);                  /* a requirement nobody defined */
	refused(-EINVAL, "flags", 1u << 7);
	elf32(1);                                /* truncated before the header */
	ck_assert_int_eq(parse(0x800, &m, &e), -ENOEXEC);
}
END_TEST

START_TEST(elf_rules)
{
	elf32(1);
	w16(44, 0);
	refused(-EINVAL, "e_phnum", 0);
	elf32(1);
	w32(52, 4);                              /* only a PT_NOTE */
	refused(-EINVAL, "e_phnum", 1);
	elf32(1);
	w32(28, sizeof(img) - 8);
	refused(-EINVAL, "e_phoff", sizeof(img) - 8);
	elf32(1);
	w32(52 + 16, sizeof(img));
	refused(-EINVAL, "phdr[0].p_filesz", sizeof(img));
	elf32(1);
	w32(52 + 16, 0x2000);
	w32(52 + 4, 0);
	refused(-EINVAL, "phdr[0].p_filesz", 0x2000);   /* above p_memsz */
	elf32(1);
	w16(16, 3);
	refused(-EINVAL, "e_type", 3);
	elf32(1);
	img[5] = 2;
	refused(-EINVAL, "e_ident[EI_DATA]", 2);
	elf32(1);
	w16(42, 56);
	refused(-EINVAL, "e_phentsize", 56);
	elf32(1);
	memcpy(img, "MZ", 2);
	refused(-ENOEXEC, "e_ident", sizeof(img));
}
END_TEST

START_TEST(placement_rules)
{
	elf32(2);
	w32(52 + 32 + 12, 1 * MiB + 0x800);      /* into segment 0's bss */
	refused(-EINVAL, "segment[1].paddr", 1 * MiB + 0x800);
	elf32(1);
	w32(52 + 12, 0x9f800);
	refused(-EINVAL, "segment[0].paddr", 0x9f800);
	elf32(1);
	w32(52 + 12, RAM_END - 0x800);
	refused(-EINVAL, "segment[0].end", RAM_END - 0x800 + 0x1000);
	elf32(1);
	w32(52 + 12, RAM_END);
	refused(-EINVAL, "segment[0].paddr", RAM_END);
	elf32(1);
	w32(24, 2 * MiB);
	refused(-EINVAL, "entry", 2 * MiB);
	elf32(MB_MAX_SEGMENTS + 1);
	refused(-E2BIG, "segments", MB_MAX_SEGMENTS + 1);
}
END_TEST

/* Whatever the corruption, an accepted image's plan stays inside RAM,
 * outside the reserved range and inside the file. */
START_TEST(random_corruption_keeps_plan_inside)
{
	struct mb_image m;
	struct mb_error e;
	unsigned accepted = 0;

	srand(1234);
	for (int round = 0; round < 100000; round++) {
		elf32(1 + round % 3);
		for (int k = 0; k < 1 + round % 4; k++)
			img[rand() % 128] = (uint8_t)rand();
		uint64_t size = 1024 + (uint64_t)rand() % (sizeof(img) - 1024);
		if (parse(size, &m, &e) != 0) {
			ck_assert_ptr_nonnull(e.why);
			continue;
		}
		accepted++;
		for (unsigned i = 0; i < m.nseg; i++) {
			ck_assert_uint_le(m.seg[i].paddr + m.seg[i].memsz, RAM_END);
			ck_assert(m.seg[i].paddr >= 0x100000 || m.seg[i].paddr + m.seg[i].memsz <= 0x9f000);
			ck_assert_uint_le(m.seg[i].offset + m.seg[i].filesz, size);
			ck_assert_uint_le(m.seg[i].filesz, m.seg[i].memsz);
		}
	}
	ck_assert_uint_gt(accepted, 0);
}
END_TEST

START_TEST(boot_information)
{
	static uint8_t buf[4096];
	const struct mb_mmap map[] = { { 0, 0x9fc00, MB_MMAP_RAM },
				       { 0x9fc00, 0x400, MB_MMAP_RESERVED },
				       { 0x100000, 63 * MiB, MB_MMAP_RAM } };
	const struct mb_module mods[] = { { 0x400000, 0x401000, "mod1 a=1" },
					  { 0x402000, 0x402010, NULL } };
	struct mb_boot b = { map, 3, "console=ttyS0 quiet", mods, 2, "sealvisor" };
	const uint64_t gpa = 0x9000;

	int64_t used = mb_build_info(buf, sizeof(buf), gpa, &b);
	ck_assert_int_gt(used, (int64_t)sizeof(struct mb_info));
	const struct mb_info *info = (const void *)buf;
	ck_assert_uint_eq(info->flags, MB_INFO_MEMORY | MB_INFO_MMAP | MB_INFO_LOADER_NAME |
			  MB_INFO_CMDLINE | MB_INFO_MODS);
	ck_assert_uint_eq(info->mem_lower, 639);
	ck_assert_uint_eq(info->mem_upper, 63 * 1024);
	ck_assert_str_eq((const char *)buf + info->cmdline - gpa, "console=ttyS0 quiet");
	ck_assert_str_eq((const char *)buf + info->boot_loader_name - gpa, "sealvisor");
	ck_assert_uint_eq(info->mmap_length, 3 * 24);
	const uint8_t *e = buf + info->mmap_addr - gpa;
	uint32_t size, type;
	uint64_t base, len;
	memcpy(&size, e + 48, 4);
	memcpy(&base, e + 52, 8);
	memcpy(&len, e + 60, 8);
	memcpy(&type, e + 68, 4);
	ck_assert_uint_eq(size, 20);
	ck_assert_uint_eq(base, 0x100000);
	ck_assert_uint_eq(len, 63 * MiB);
	ck_assert_uint_eq(type, MB_MMAP_RAM);
	ck_assert_uint_eq(info->mods_count, 2);
	const uint32_t *ml = (const void *)(buf + info->mods_addr - gpa);
	ck_assert_uint_eq(ml[0], 0x400000);
	ck_assert_uint_eq(ml[1], 0x401000);
	ck_assert_str_eq((const char *)buf + ml[2] - gpa, "mod1 a=1");
	ck_assert_str_eq((const char *)buf + ml[6] - gpa, "");
	ck_assert_uint_le((uint64_t)used, sizeof(buf));

	ck_assert_int_eq(mb_build_info(buf, (uint64_t)used - 1, gpa, &b), -ENOSPC);
	ck_assert_int_eq(mb_build_info(buf, sizeof(buf), 0, &b), -EINVAL);
	ck_assert_int_eq(mb_build_info(buf, sizeof(buf), 0xfffff001, &b), -EINVAL);
	b.mmap = map + 1;
	b.nmmap = 2;                             /* no RAM at 0 */
	ck_assert_int_eq(mb_build_info(buf, sizeof(buf), gpa, &b), -EINVAL);
}
END_TEST

/* Multiboot's mmap entry i (3.3: size, base, length, type) in buf. */
static void mmap_entry(const uint8_t *buf, const struct mb_info *info, uint64_t gpa, unsigned i,
		       uint64_t *base, uint64_t *len, uint32_t *type)
{
	const uint8_t *e = buf + info->mmap_addr - gpa + 24u * i;

	memcpy(base, e + 4, 8);
	memcpy(len, e + 12, 8);
	memcpy(type, e + 20, 4);
}

/* -m 4608M as QEMU's pc gives it: 3 GiB below the device hole, the
 * other 1.5 GiB from 4 GiB; mem_upper stays the low part (3.3: "the
 * first upper memory hole"), the map has the high part. */
START_TEST(ram_above_4g_in_the_map)
{
	static uint8_t buf[4096];
	struct pc_ram_range ram[PC_RAM_MAP_MAX];
	struct mb_mmap map[PC_RAM_MAP_MAX];
	const uint64_t gpa = 0x8000, total = 4608 * MiB;
	uint64_t base, len, sum = 0;
	uint32_t type;

	ck_assert_uint_eq(pc_ram_low(total), 3072 * MiB);
	ck_assert_uint_eq(pc_ram_high(total), 1536 * MiB);
	ck_assert_uint_eq(pc_ram_low(3072 * MiB), 3072 * MiB);
	ck_assert_uint_eq(pc_ram_high(3072 * MiB), 0);
	ck_assert_uint_eq(pc_ram_map(128 * MiB, ram), 4);
	ck_assert_uint_eq(ram[3].base + ram[3].length, 128 * MiB);
	ck_assert_uint_eq(pc_ram_map(3072 * MiB, ram), 4);
	unsigned n = pc_ram_map(total, ram);
	ck_assert_uint_eq(n, 5);
	for (unsigned i = 0; i < n; i++) {
		map[i] = (struct mb_mmap){ ram[i].base, ram[i].length, ram[i].type };
		if (i && ram[i - 1].base + ram[i - 1].length > ram[i].base)
			ck_abort_msg("map entries %u and %u overlap", i - 1, i);
		if (ram[i].type == PC_RAM_TYPE_RAM)
			sum += ram[i].length;
		/* nothing in the device hole */
		ck_assert(ram[i].base + ram[i].length <= PC_RAM_LOW_MAX || ram[i].base >= 1ull << 32);
	}
	ck_assert_uint_eq(sum, total - 0x100000 + 0x9fc00);   /* all but 640 KiB..1 MiB */
	struct mb_boot b = { map, n, "k", NULL, 0, "sealvisor" };
	ck_assert_int_gt(mb_build_info(buf, sizeof(buf), gpa, &b), 0);
	const struct mb_info *info = (const void *)buf;
	ck_assert_uint_eq(info->mem_lower, 639);
	ck_assert_uint_eq(info->mem_upper, 3072 * 1024 - 1024);
	ck_assert_uint_eq(info->mmap_length, 5 * 24);
	mmap_entry(buf, info, gpa, 4, &base, &len, &type);
	ck_assert_uint_eq(base, 1ull << 32);
	ck_assert_uint_eq(len, 1536 * MiB);
	ck_assert_uint_eq(type, MB_MMAP_RAM);
	mmap_entry(buf, info, gpa, 3, &base, &len, &type);
	ck_assert_uint_eq(base + len, 3072 * MiB);
}
END_TEST

Suite *multiboot_suite(void)
{
	Suite *s = suite_create("multiboot");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, elf32_accepted);
	tcase_add_test(t, ram_above_4g_in_the_map);
	tcase_add_test(t, elf64_entry_moves_with_segment);
	tcase_add_test(t, aout_kludge);
	tcase_add_test(t, header_rules);
	tcase_add_test(t, elf_rules);
	tcase_add_test(t, placement_rules);
	tcase_add_test(t, random_corruption_keeps_plan_inside);
	tcase_add_test(t, boot_information);
	suite_add_tcase(s, t);
	return s;
}
