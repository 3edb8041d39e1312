/* The generic stage-2 walker, with both real entry formats (NPT and EPT). */
#include <stdlib.h>
#include <sealvisor/errno.h>
#include "arch/x86/svm/npt.h"
#include "arch/x86/vmx/ept.h"
#include "mm/pmm.h"
#include "mm/stage2.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
static const struct stage2_fmt *const fmts[] = { &npt_fmt, &ept_fmt };
static struct stage2 s;
static uint64_t free0, data;

static void setup(void)
{
	arena_pmm(0, 64 * MB);
	data = pmm_alloc(ORDER_2M + 1, OWNER_MEMOBJ, 1);   /* 4 MiB to map */
	free0 = pmm_free_pages();
}

static void teardown(void)
{
	stage2_destroy(&s);
	ck_assert_uint_eq(pmm_free_pages(), free0);   /* every table page came back */
	arena_unmap();
}

START_TEST(map_and_lookup_4k_and_2m)
{
	uint64_t hpa;
	unsigned level;
	ck_assert_int_eq(stage2_init(&s, fmts[_i], 7), 0);
	ck_assert_int_eq(stage2_map(&s, 0x5000, data, S2_LEVEL_4K, S2_RWX), 0);
	ck_assert_int_eq(stage2_map(&s, 0x40000000, data + 2 * MB, S2_LEVEL_2M, S2_READ | S2_WRITE), 0);
	ck_assert(stage2_lookup(&s, 0x5000, &hpa, &level));
	ck_assert_uint_eq(hpa, data);
	ck_assert_uint_eq(level, 0);
	ck_assert(stage2_lookup(&s, 0x40000000 + 0x3456, &hpa, &level));
	ck_assert_uint_eq(hpa, data + 2 * MB + 0x3000);
	ck_assert_uint_eq(level, 1);
	ck_assert(!stage2_lookup(&s, 0x6000, &hpa, &level));
	ck_assert_int_eq(stage2_map(&s, 0x5000, data, 0, S2_RWX), -EEXIST);
	ck_assert_int_eq(stage2_map(&s, 0x40001000, data, 0, S2_RWX), -EEXIST);  /* under a 2M leaf */
	ck_assert_int_eq(stage2_map(&s, 0x1000, data + 4096, 1, S2_RWX), -EINVAL); /* unaligned */
	ck_assert_int_eq(stage2_map(&s, S2_GPA_LIMIT, data, 0, S2_RWX), -EINVAL);
	ck_assert_uint_eq(pmm_meta(s.root)->owner_type, OWNER_STAGE2);
}
END_TEST

START_TEST(zap_removes_exactly_the_range_and_bumps_generation)
{
	uint64_t hpa;
	unsigned level;
	ck_assert_int_eq(stage2_init(&s, fmts[_i], 7), 0);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(stage2_map(&s, 0x10000 + i * PAGE_SIZE, data + i * PAGE_SIZE, 0, S2_RWX), 0);
	uint64_t gen = s.generation;
	ck_assert_int_eq(stage2_zap(&s, 0x12000, 3 * PAGE_SIZE), 3);
	ck_assert_uint_eq(s.generation, gen + 1);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(stage2_lookup(&s, 0x10000 + i * PAGE_SIZE, &hpa, &level), i < 2 || i > 4);
	ck_assert_int_eq(stage2_zap(&s, 0x12000, 3 * PAGE_SIZE), 0);   /* nothing left there */
	ck_assert_uint_eq(s.generation, gen + 1);
	ck_assert_int_eq(stage2_zap(&s, 0x1001, PAGE_SIZE), -EINVAL);
}
END_TEST

/* A zap never allocates (it must work with memory exhausted): a 2 MiB
 * leaf it only partly covers goes whole. */
START_TEST(partial_zap_drops_the_whole_2m_leaf_without_allocating)
{
	uint64_t hpa;
	unsigned level;
	ck_assert_int_eq(stage2_init(&s, fmts[_i], 7), 0);
	ck_assert_int_eq(stage2_map(&s, 2 * MB, data, S2_LEVEL_2M, S2_RWX), 0);
	ck_assert_int_eq(stage2_map(&s, 4 * MB, data + 2 * MB, S2_LEVEL_2M, S2_RWX), 0);
	uint64_t tables = s.tables, gen = s.generation;
	ck_assert_int_eq(stage2_zap(&s, 2 * MB + 16 * PAGE_SIZE, 4 * PAGE_SIZE), 1);
	ck_assert_uint_eq(s.generation, gen + 1);
	ck_assert(!stage2_lookup(&s, 2 * MB, &hpa, &level));
	ck_assert(!stage2_lookup(&s, 4 * MB - PAGE_SIZE, &hpa, &level));
	ck_assert(stage2_lookup(&s, 4 * MB, &hpa, &level));         /* the next leaf stays */
	ck_assert_uint_eq(s.tables, tables);
	ck_assert_uint_eq(s.leaves, 1);
}
END_TEST

/* Only a zap takes a table out of the tree (mm/stage2.h: a merge on the
 * fault path could retire a table another CPU caches mid-shootdown). */
START_TEST(a_full_page_table_stays_a_table)
{
	uint64_t hpa;
	unsigned level;
	ck_assert_int_eq(stage2_init(&s, fmts[_i], 7), 0);
	for (int i = 0; i < 512; i++)
		ck_assert_int_eq(stage2_map(&s, 4 * MB + i * PAGE_SIZE, data + i * PAGE_SIZE, 0, S2_RWX), 0);
	ck_assert(stage2_lookup(&s, 4 * MB + 5 * PAGE_SIZE, &hpa, &level));
	ck_assert_uint_eq(level, 0);
	ck_assert_uint_eq(hpa, data + 5 * PAGE_SIZE);
	ck_assert_uint_eq(s.leaves, 512);
	ck_assert_uint_eq(s.nr_retired, 0);
	ck_assert_uint_eq(s.tables, 4);       /* PML4, PDPT, PD, PT */
}
END_TEST

/* A map that runs out of memory half-way leaves an empty table in the
 * tree; a zap that retires it must move the generation (a CPU may cache
 * the path to it), or nobody would shoot down before it is freed. */
START_TEST(retiring_an_empty_table_moves_the_generation)
{
	uint64_t hoard = 0, pa;
	ck_assert_int_eq(stage2_init(&s, fmts[_i], 7), 0);
	while (pmm_free_pages() > 1 && (pa = pmm_alloc(0, OWNER_HV, 0))) {
		*(uint64_t *)phys_to_virt(pa) = hoard;
		hoard = pa;
	}
	ck_assert_int_eq(stage2_map(&s, 1UL << 40, data, 0, S2_READ), -ENOMEM);
	while (hoard) {
		uint64_t next = *(uint64_t *)phys_to_virt(hoard);
		*(uint64_t *)phys_to_virt(hoard) = 0;
		pmm_free(hoard, 0);
		hoard = next;
	}
	uint64_t gen = s.generation;
	ck_assert_int_eq(stage2_zap(&s, 1UL << 40, PAGE_SIZE), 0);   /* no leaf ... */
	ck_assert_uint_eq(s.nr_retired, 1);                          /* ... but a table */
	ck_assert_uint_eq(s.generation, gen + 1);
	stage2_free_retired(&s);
}
END_TEST

START_TEST(emptied_tables_are_retired_until_the_flush)
{
	ck_assert_int_eq(stage2_init(&s, fmts[_i], 7), 0);
	ck_assert_int_eq(stage2_map(&s, 0x7000, data, 0, S2_READ), 0);
	ck_assert_int_eq(stage2_map(&s, 1UL << 40, data, 1, S2_READ), 0);
	ck_assert_uint_eq(s.tables, 1 + 2 + 3);
	uint64_t free_before = pmm_free_pages();
	ck_assert_int_eq(stage2_zap(&s, 0, S2_GPA_LIMIT), 2);
	ck_assert_uint_eq(s.leaves, 0);
	/* Out of the tree, but not freed: a CPU may still cache them (a
	 * subtree wholly inside the zap retires with its entries as they
	 * are; its pages outlive the flush too, hv/invalidate.h). */
	ck_assert_uint_eq(s.nr_retired, 5);
	ck_assert_uint_eq(pmm_free_pages(), free_before);
	for (uint64_t pa = s.retired; pa; pa = ((uint64_t *)phys_to_virt(pa))[0])
		ck_assert_uint_eq(pmm_meta(pa)->owner_type, OWNER_STAGE2);
	stage2_free_retired(&s);
	ck_assert_uint_eq(s.tables, 1);
	ck_assert_uint_eq(pmm_free_pages(), free_before + 5);
}
END_TEST

static int count_leaf(void *ctx, uint64_t gpa, uint64_t hpa, unsigned level, unsigned prot)
{
	uint64_t *n = ctx;
	(void)gpa, (void)hpa, (void)prot;
	*n += level ? 512 : 1;
	return 0;
}

START_TEST(for_each_visits_every_leaf_with_its_protection)
{
	uint64_t n = 0;
	ck_assert_int_eq(stage2_init(&s, fmts[_i], 7), 0);
	ck_assert_int_eq(stage2_map(&s, 0x3000, data, 0, S2_READ | S2_EXEC), 0);
	ck_assert_int_eq(stage2_map(&s, 8 * MB, data + 2 * MB, 1, S2_RWX), 0);
	ck_assert_int_eq(stage2_for_each(&s, count_leaf, &n), 0);
	ck_assert_uint_eq(n, 513);
	uint64_t hpa;
	unsigned level;
	ck_assert(stage2_lookup(&s, 0x3000, &hpa, &level));
}
END_TEST

/*
 * Zaps against a model: leaves near the 2 MiB, 1 GiB and 512 GiB table
 * boundaries, zapped by ranges that start and end on both sides of them.
 * Fails if a zap (which reads only the entries its range overlaps and stops
 * at a table's last live entry) misses a leaf, removes one outside its
 * range, miscounts, or leaves an emptied table in the tree.
 */
#define NPOINTS 40
static const uint64_t bounds[] = { 0, 2 * MB, 1UL << 30, 1UL << 39, (3UL << 39) + (5UL << 30) };
static uint64_t point(unsigned k)
{
	uint64_t b = bounds[k % 5], off = (k / 5) * PAGE_SIZE;
	return b >= 4 * PAGE_SIZE * 2 ? b - 4 * PAGE_SIZE * 2 + off * 2 : b + off;
}

START_TEST(zaps_match_a_model_across_table_boundaries)
{
	struct { uint64_t gpa; unsigned level; bool mapped; } m[NPOINTS + 5];
	unsigned n = 0;
	uint64_t hpa;
	unsigned level;

	srand(14 + _i);
	ck_assert_int_eq(stage2_init(&s, fmts[_i], 7), 0);
	for (int round = 0; round < 200; round++) {
		n = 0;
		for (unsigned k = 0; k < NPOINTS; k++)
			if (rand() % 3)
				m[n++] = (typeof(m[0])){ point(k), 0, true };
		for (unsigned k = 1; k < 5; k++)          /* 2 MiB leaves beside the boundaries */
			if (rand() % 2)
				m[n++] = (typeof(m[0])){ bounds[k] + 2 * MB, 1, true };
		for (unsigned i = 0; i < n; i++)
			ck_assert_int_eq(stage2_map(&s, m[i].gpa, data + (m[i].level ? 2 * MB : i * PAGE_SIZE),
						    m[i].level, S2_RWX), 0);
		for (int z = 0; z < 6; z++) {
			static const uint64_t lens[] = { PAGE_SIZE, 3 * PAGE_SIZE, 2 * MB, (1UL << 30) + PAGE_SIZE,
							 1UL << 39, 1UL << 41 };
			uint64_t start = point(rand() % NPOINTS), len = lens[rand() % 6];
			if (start && rand() % 2)
				start -= PAGE_SIZE;
			if (len > S2_GPA_LIMIT - start)
				len = S2_GPA_LIMIT - start;
			uint64_t end = start + len;
			int64_t expect = 0;
			for (unsigned i = 0; i < n; i++) {
				uint64_t size = m[i].level ? 2 * MB : PAGE_SIZE;
				if (m[i].mapped && m[i].gpa < end && m[i].gpa + size > start) {
					m[i].mapped = false;
					expect++;
				}
			}
			ck_assert_int_eq(stage2_zap(&s, start, len), expect);
			for (unsigned i = 0; i < n; i++)
				ck_assert_int_eq(stage2_lookup(&s, m[i].gpa, &hpa, &level), m[i].mapped);
		}
		uint64_t left = 0;
		for (unsigned i = 0; i < n; i++)
			left += m[i].mapped;
		ck_assert_uint_eq(s.leaves, left);
		ck_assert_int_eq(stage2_zap(&s, 0, S2_GPA_LIMIT), left);
		stage2_free_retired(&s);
		ck_assert_uint_eq(s.tables, 1);             /* every emptied table left the tree */
	}
}
END_TEST

Suite *stage2_suite(void)
{
	Suite *su = suite_create("stage2");
	TCase *tc = tcase_create("walker");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, map_and_lookup_4k_and_2m, 0, 2);
	tcase_add_loop_test(tc, zap_removes_exactly_the_range_and_bumps_generation, 0, 2);
	tcase_add_loop_test(tc, partial_zap_drops_the_whole_2m_leaf_without_allocating, 0, 2);
	tcase_add_loop_test(tc, a_full_page_table_stays_a_table, 0, 2);
	tcase_add_loop_test(tc, retiring_an_empty_table_moves_the_generation, 0, 2);
	tcase_add_loop_test(tc, emptied_tables_are_retired_until_the_flush, 0, 2);
	tcase_add_loop_test(tc, for_each_visits_every_leaf_with_its_protection, 0, 2);
	tcase_add_loop_test(tc, zaps_match_a_model_across_table_boundaries, 0, 2);
	suite_add_tcase(su, tc);
	return su;
}
