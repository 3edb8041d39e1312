/* guest/vmm/linux_boot.c: a bzImage's setup header built here byte by
 * byte (as Debian 12's kernel has it), each rule broken once with the
 * field the error must name, and the low block read back as the kernel's
 * 64-bit entry reads it: GDT selectors, a page walk, boot_params fields. */
#include <string.h>
#include <sealvisor/errno.h>
#include "guest/vmm/linux_boot.h"
#include "guest/vmm/pc_ram.h"
#include "tests/unit/unit.h"

#define MiB (1024ull * 1024)
#define RAM (256 * MiB)
#define SETUP_SECTS 39u
#define SIZE (64 * 1024u)

static uint8_t img[SIZE];
static uint8_t low[LX_LOW_SIZE];

static void w(uint64_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t r(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The fields Debian 12's 6.1 bzImage has (protocol 2.15). */
static void bzimage(void)
{
	memset(img, 0xcc, sizeof(img));
	w(0x1f1, SETUP_SECTS, 1);
	w(0x1fe, 0xaa55, 2);
	w(0x200, 0x6aeb, 2);                 /* jmp +0x6a: header to 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	w(0x206, 0x020f, 2);
	w(0x210, 0, 1);
	w(0x211, LX_LOADED_HIGH, 1);
	w(0x214, 0x100000, 4);
	w(0x218, 0, 8);
	w(0x22c, 0x7fffffff, 4);
	w(0x230, 0x200000, 4);
	w(0x234, 1, 1);
	w(0x236, 0x7f, 2);
	w(0x238, 0x7ff, 4);
	w(0x258, 0x1000000, 8);
	w(0x260, 0x3f98000, 4);
}

static int parse(uint64_t ram, uint64_t isize, struct lx_image *li, struct lx_error *e)
{
	return lx_parse(img, SIZE, ram, isize, li, e);
}

static void refused(int want, const char *field, uint64_t value)
{
	struct lx_image li;
	struct lx_error e = { 0 };

	ck_assert_int_eq(parse(RAM, 2 * MiB, &li, &e), want);
	ck_assert_str_eq(e.field, field);
	ck_assert_uint_eq(e.value, value);
	ck_assert_ptr_nonnull(e.why);
}

START_TEST(debian_kernel_is_planned)
{
	struct lx_image li;
	struct lx_error e;

	bzimage();
	ck_assert(lx_is_bzimage(img, SIZE));
	ck_assert_int_eq(parse(RAM, 2 * MiB + 5, &li, &e), 0);
	ck_assert_uint_eq(li.version, 0x020f);
	ck_assert_uint_eq(li.kernel_offset, (SETUP_SECTS + 1) * 512);
	ck_assert_uint_eq(li.kernel_size, SIZE - (SETUP_SECTS + 1) * 512);
	ck_assert_uint_eq(li.load_gpa, 16 * MiB);
	ck_assert_uint_eq(li.entry, 16 * MiB + 0x200);
	/* the initrd at the top, page aligned, its end inside RAM */
	ck_assert_uint_eq(li.initrd_gpa % 4096, 0);
	ck_assert_uint_le(li.initrd_gpa + 2 * MiB + 5, RAM);
	ck_assert_uint_gt(li.initrd_gpa + 2 * MiB + 5, RAM - 4096);
	/* no initrd: none placed */
	ck_assert_int_eq(parse(RAM, 0, &li, &e), 0);
	ck_assert_uint_eq(li.initrd_gpa, 0);
	/* initrd_addr_max below the top of RAM bounds it */
	w(0x22c, 0x7ffffff, 4);
	ck_assert_int_eq(parse(RAM, MiB, &li, &e), 0);
	ck_assert_uint_le(li.initrd_gpa + MiB, 0x8000000);
	/* a misaligned pref_address of a relocatable kernel moves up to 16 MiB */
	bzimage();
	w(0x258, 0x1234000, 8);
	ck_assert_int_eq(parse(RAM, 0, &li, &e), 0);
	ck_assert_uint_eq(li.load_gpa, 16 * MiB);
	/* setup_sects 0 means 4 */
	bzimage();
	w(0x1f1, 0, 1);
	ck_assert_int_eq(parse(RAM, 0, &li, &e), 0);
	ck_assert_uint_eq(li.kernel_offset, 5 * 512);
}
END_TEST

START_TEST(each_broken_rule_is_named)
{
	bzimage();
	memcpy(img + 0x202, "HdrZ", 4);
	ck_assert(!lx_is_bzimage(img, SIZE));
	refused(-ENOEXEC, "header", SIZE);
	bzimage();
	w(0x1fe, 0x1234, 2);
	refused(-EINVAL, "boot_flag", 0x1234);
	bzimage();
	w(0x206, 0x020b, 2);
	refused(-EINVAL, "version", 0x020b);
	bzimage();
	w(0x236, 0x7e, 2);
	refused(-EINVAL, "xloadflags", 0x7e);
	bzimage();
	w(0x211, 0, 1);
	refused(-EINVAL, "loadflags", 0);
	bzimage();
	w(0x201, 0xff, 1);                   /* a header running past boot_params' copy */
	refused(-EINVAL, "header length", 0x202 + 0xff);
	bzimage();
	w(0x1f1, 200, 1);                    /* setup larger than the file */
	refused(-EINVAL, "setup_sects", 200);
	bzimage();
	w(0x230, 0x300000, 4);
	refused(-EINVAL, "kernel_alignment", 0x300000);
	bzimage();
	w(0x260, RAM, 4);                    /* needs more than RAM past 16 MiB */
	refused(-ENOSPC, "init_size", RAM);
	bzimage();
	struct lx_image li;
	struct lx_error e;
	/* an initrd that would land on the kernel's working area */
	ck_assert_int_eq(parse(RAM, RAM - 64 * MiB, &li, &e), -ENOSPC);
	ck_assert_str_eq(e.field, "initrd size");
	/* too short for a 2.12 header */
	ck_assert_int_eq(lx_parse(img, 0x250, RAM, 0, &li, &e), -EINVAL);
	ck_assert_str_eq(e.field, "size");
}
END_TEST

/* Walks the block's page tables for a linear address. */
static uint64_t translate(uint64_t va)
{
	uint64_t t = LX_PT_GPA;
	for (int level = 3; level >= 1; level--) {
		uint64_t e = r(low + (t - LX_GDT_GPA) + 8 * ((va >> (12 + 9 * level)) & 511), 8);
		ck_assert(e & 1);
		if (level == 1) {
			ck_assert(e & 0x80);         /* a 2 MiB page */
			return (e & ~0x1fffffull & 0xffffffffffull) | (va & 0x1fffff);
		}
		t = e & ~0xfffull;
		ck_assert_uint_ge(t, LX_PT_GPA);
		ck_assert_uint_lt(t, LX_ZERO_PAGE_GPA);
	}
	return ~0ull;
}

START_TEST(low_block_is_what_the_entry_reads)
{
	struct lx_image li;
	struct lx_error e;
	const struct lx_e820 map[] = {
		{ 0, 0x9fc00, LX_E820_RAM }, { 0x100000, RAM - 0x100000, LX_E820_RAM },
	};
	const uint8_t *bp = low + (LX_ZERO_PAGE_GPA - LX_GDT_GPA);

	bzimage();
	ck_assert_int_eq(parse(RAM, 3 * MiB, &li, &e), 0);
	ck_assert_int_eq(lx_build_low(low, img, &li, "console=ttyS0", 3 * MiB, map, 2, 0xe0000), 0);
	/* GDT: 0x10 long-mode code, 0x18 writable data, both present */
	uint64_t cs = r(low + LX_BOOT_CS, 8), ds = r(low + LX_BOOT_DS, 8);
	ck_assert_uint_eq(cs >> 40 & 0xff, 0x9b);
	ck_assert_uint_eq(cs >> 53 & 1, 1);          /* L */
	ck_assert_uint_eq(ds >> 40 & 0xff, 0x93);
	/* identity: the kernel, boot_params, the initrd's end, 4 GiB - 1 */
	uint64_t probes[] = { li.entry, LX_ZERO_PAGE_GPA, li.initrd_gpa + 3 * MiB - 1, 0xffffffffull };
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(translate(probes[i]), probes[i]);
	/* boot_params: the header copied, the loader's fields set */
	ck_assert_mem_eq(bp + 0x202, "HdrS", 4);
	ck_assert_uint_eq(r(bp + 0x206, 2), 0x020f);
	ck_assert_uint_eq(bp[0x210], 0xff);
	ck_assert_uint_eq(bp[0x211] & LX_LOADED_HIGH, LX_LOADED_HIGH);
	ck_assert_uint_eq(r(bp + 0x228, 4), LX_CMDLINE_GPA);
	ck_assert_str_eq((const char *)low + (LX_CMDLINE_GPA - LX_GDT_GPA), "console=ttyS0");
	ck_assert_uint_eq(r(bp + 0x218, 4), li.initrd_gpa);
	ck_assert_uint_eq(r(bp + 0x21c, 4), 3 * MiB);
	ck_assert_uint_eq(r(bp + 0x070, 8), 0xe0000);
	ck_assert_uint_eq(bp[0x1e8], 2);
	ck_assert_uint_eq(r(bp + 0x2d0 + 20, 8), 0x100000);
	ck_assert_uint_eq(r(bp + 0x2d0 + 28, 8), RAM - 0x100000);
	ck_assert_uint_eq(r(bp + 0x2d0 + 36, 4), LX_E820_RAM);
	/* nothing past the copied header (0x26c) but what the loader sets */
	for (unsigned off = 0x26c; off < 0x290; off++)
		ck_assert_uint_eq(bp[off], 0);
}
END_TEST

/* -m 4608M: the kernel and the initrd stay in the low 3 GiB (planned
 * with pc_ram_low), e820 gets the 1.5 GiB from 4 GiB as a fifth entry. */
START_TEST(ram_above_4g_in_e820)
{
	struct lx_image li;
	struct lx_error e;
	struct pc_ram_range ram[PC_RAM_MAP_MAX];
	struct lx_e820 map[PC_RAM_MAP_MAX];
	const uint64_t total = 4608 * MiB;
	const uint8_t *bp = low + (LX_ZERO_PAGE_GPA - LX_GDT_GPA);
	unsigned n = pc_ram_map(total, ram);

	for (unsigned i = 0; i < n; i++)
		map[i] = (struct lx_e820){ ram[i].base, ram[i].length, ram[i].type };
	bzimage();
	ck_assert_int_eq(parse(pc_ram_low(total), 3 * MiB, &li, &e), 0);
	ck_assert_uint_le(li.initrd_gpa + 3 * MiB, PC_RAM_LOW_MAX);
	ck_assert_int_eq(lx_build_low(low, img, &li, "", 3 * MiB, map, n, 0xe0000), 0);
	ck_assert_uint_eq(bp[0x1e8], 5);
	ck_assert_uint_eq(r(bp + 0x2d0 + 4 * 20, 8), 1ull << 32);
	ck_assert_uint_eq(r(bp + 0x2d0 + 4 * 20 + 8, 8), 1536 * MiB);
	ck_assert_uint_eq(r(bp + 0x2d0 + 4 * 20 + 16, 4), LX_E820_RAM);
	ck_assert_uint_eq(r(bp + 0x2d0 + 3 * 20 + 8, 8), PC_RAM_LOW_MAX - 0x100000);
}
END_TEST

START_TEST(low_block_refusals)
{
	static char cmd[LX_CMDLINE_MAX + 1];
	struct lx_image li;
	struct lx_error e;
	struct lx_e820 map[LX_E820_MAX + 1] = { 0 };

	bzimage();
	ck_assert_int_eq(parse(RAM, 0, &li, &e), 0);
	ck_assert_int_eq(lx_build_low(low, img, &li, "", 0, map, LX_E820_MAX + 1, 0), -EINVAL);
	memset(cmd, 'a', sizeof(cmd) - 1);
	ck_assert_int_eq(lx_build_low(low, img, &li, cmd, 0, map, 1, 0), -E2BIG);
	li.cmdline_size = 10;                        /* the kernel's own limit */
	ck_assert_int_eq(lx_build_low(low, img, &li, "0123456789", 0, map, 1, 0), 0);
	ck_assert_int_eq(lx_build_low(low, img, &li, "0123456789a", 0, map, 1, 0), -E2BIG);
}
END_TEST

Suite *linux_boot_suite(void)
{
	Suite *s = suite_create("linux boot protocol");
	TCase *tc = tcase_create("checks");

	tcase_add_test(tc, debian_kernel_is_planned);
	tcase_add_test(tc, each_broken_rule_is_named);
	tcase_add_test(tc, low_block_is_what_the_entry_reads);
	tcase_add_test(tc, low_block_refusals);
	tcase_add_test(tc, ram_above_4g_in_e820);
	suite_add_tcase(s, tc);
	return s;
}
