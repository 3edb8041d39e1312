/* The allocator built from a firmware memory map never hands out pages it
 * must not: firmware, ACPI, MMIO, the image, or boot memory before reclaim. */
#include <stdlib.h>
#include <sealvisor/errno.h>
#include "mm/mem_map.h"
#include "mm/pmm.h"
#include "tests/unit/unit.h"

#define MB(x) ((uint64_t)(x) << 20)
#define PG(x) ((x) >> PAGE_SHIFT)

static const struct mem_region map[] = {
	{ 0, PG(MB(1)) - 96, MEM_USABLE },               /* low memory, page 0 in it */
	{ MB(1) - 96 * PAGE_SIZE, 96, MEM_RESERVED },
	{ MB(1), PG(MB(7)), MEM_USABLE },
	{ MB(8), PG(MB(2)), MEM_LOADER },                /* image + loaded files */
	{ MB(10), PG(MB(4)), MEM_BOOT_RECLAIM },
	{ MB(14), PG(MB(1)), MEM_ACPI },
	{ MB(15), PG(MB(1)), MEM_RUNTIME_CODE },
	{ MB(16), PG(MB(1)), MEM_RUNTIME_DATA },
	{ MB(17), PG(MB(15)), MEM_USABLE },
	{ MB(32), PG(MB(16)), MEM_MMIO },                /* never RAM */
};
#define N (sizeof(map) / sizeof(map[0]))

static struct mem_summary sum;

static void setup(void)
{
	arena_map(0, MB(48));
	ck_assert_int_eq(mem_map_init(map, N, &sum), 0);
}

static int forbidden(uint64_t pa)
{
	if (pa == 0 || (pa >= sum.meta_base && pa < sum.meta_base + (sum.meta_pages << PAGE_SHIFT)))
		return 1;
	for (size_t i = 0; i < N; i++) {
		uint64_t end = map[i].base + (map[i].pages << PAGE_SHIFT);
		if (pa >= map[i].base && pa < end)
			return map[i].type != MEM_USABLE && map[i].type != MEM_BOOT_RECLAIM;
	}
	return 1;
}

static uint64_t drain_checking(int allow_boot)
{
	uint64_t n = 0, pa;

	while ((pa = pmm_alloc(0, OWNER_HV, 0))) {
		ck_assert_msg(!forbidden(pa), "handed out forbidden page 0x%lx", pa);
		if (!allow_boot)
			ck_assert_msg(pa < MB(10) || pa >= MB(14),
				      "boot-services page 0x%lx handed out before reclaim", pa);
		n++;
	}
	return n;
}

START_TEST(only_free_ram_is_handed_out)
{
	uint64_t usable = PG(MB(1)) - 96 - 1 + PG(MB(7)) + PG(MB(15)) - sum.meta_pages;
	ck_assert_uint_eq(sum.usable_pages, usable);
	ck_assert_uint_eq(drain_checking(0), usable);
}
END_TEST

START_TEST(boot_memory_comes_after_reclaim)
{
	ck_assert_int_eq(mem_map_reclaim_boot(map, N, &sum), 0);
	ck_assert_uint_eq(drain_checking(1), sum.usable_pages);
}
END_TEST

START_TEST(loader_and_metadata_pages_belong_to_the_hypervisor)
{
	struct page_meta *m = pmm_meta(MB(9));
	ck_assert_int_eq(m->state, PAGE_USED);
	ck_assert_int_eq(m->owner_type, OWNER_HV);
	ck_assert(m->flags & PAGE_FIXED);
	m = pmm_meta(sum.meta_base);
	ck_assert_int_eq(m->owner_type, OWNER_HV);
	ck_assert_int_eq(pmm_free(MB(9), 0), -EINVAL);
	/* ACPI and runtime pages are inside the span but never managed. */
	ck_assert_int_eq(pmm_meta(MB(14))->state, PAGE_RESERVED);
	ck_assert_int_eq(pmm_meta(MB(15) + PAGE_SIZE)->state, PAGE_RESERVED);
	ck_assert_ptr_null(pmm_meta(MB(33)));
	/* The metadata goes in the largest free region. */
	ck_assert_uint_eq(sum.meta_base, MB(17));
}
END_TEST

START_TEST(overlapping_map_is_refused)
{
	static const struct mem_region bad[] = {
		{ MB(1), PG(MB(4)), MEM_USABLE },
		{ MB(4), PG(MB(4)), MEM_USABLE },
	};
	ck_assert_int_eq(mem_map_init(bad, 2, &sum), -EEXIST);
}
END_TEST

START_TEST(map_without_ram_is_refused)
{
	static const struct mem_region none[] = { { MB(1), 16, MEM_MMIO } };
	ck_assert_int_eq(mem_map_init(none, 1, &sum), -ENOMEM);
}
END_TEST

Suite *mem_map_suite(void)
{
	Suite *s = suite_create("mem_map");
	TCase *tc = tcase_create("firmware map");

	tcase_add_checked_fixture(tc, setup, arena_unmap);
	tcase_add_test(tc, only_free_ram_is_handed_out);
	tcase_add_test(tc, boot_memory_comes_after_reclaim);
	tcase_add_test(tc, loader_and_metadata_pages_belong_to_the_hypervisor);
	tcase_add_test(tc, overlapping_map_is_refused);
	tcase_add_test(tc, map_without_ram_is_refused);
	suite_add_tcase(s, tc);
	return s;
}
