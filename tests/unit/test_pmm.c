/* The buddy allocator and its page metadata, over a host arena. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sealvisor/errno.h>
#include "mm/pmm.h"
#include "tests/unit/unit.h"

#define ARENA (64UL << 20)     /* 16384 pages */

static void setup(void)
{
	arena_pmm(0, ARENA);
}

static void check_ok(void)
{
	const char *why;
	ck_assert_msg(pmm_check(&why) == 0, "pmm_check: %s", why);
}

START_TEST(free_count_after_init)
{
	ck_assert_uint_eq(pmm_free_pages(), ARENA / PAGE_SIZE - 1);
	check_ok();
}
END_TEST

START_TEST(split_then_merge_back_to_one_block)
{
	struct pmm_stats before, after;
	uint64_t pages[512];

	pmm_get_stats(&before);
	/* Take 512 single pages (splitting big blocks)... */
	for (int i = 0; i < 512; i++) {
		pages[i] = pmm_alloc(0, OWNER_HV, 2);
		ck_assert_uint_ne(pages[i], 0);
	}
	check_ok();
	/* ...and give them back in a scrambled order: every buddy pair must
	 * merge again, leaving exactly the free blocks we started with. */
	for (int i = 0; i < 512; i++)
		ck_assert_int_eq(pmm_free(pages[(i * 7) % 512], 0), 0);
	check_ok();
	pmm_get_stats(&after);
	for (unsigned o = 0; o < PMM_NR_ORDERS; o++)
		ck_assert_msg(after.free_blocks[o] == before.free_blocks[o],
			      "order %u: %lu free blocks, %lu before", o,
			      after.free_blocks[o], before.free_blocks[o]);
	ck_assert_uint_ge(before.free_blocks[ORDER_2M + 1] + before.free_blocks[12], 1);
}
END_TEST

START_TEST(freeing_buddies_merges_them)
{
	struct pmm_stats st;
	uint64_t a = pmm_alloc(1, OWNER_HV, 0);
	ck_assert_int_eq(pmm_split(a, 1), 0);
	ck_assert_int_eq(pmm_free(a, 0), 0);
	pmm_get_stats(&st);
	uint64_t order0 = st.free_blocks[0];
	ck_assert_uint_ge(order0, 1);
	ck_assert_int_eq(pmm_free(a + PAGE_SIZE, 0), 0);
	pmm_get_stats(&st);
	ck_assert_uint_eq(st.free_blocks[0], order0 - 1);
	check_ok();
}
END_TEST

START_TEST(exhaustion_returns_zero_and_recovers)
{
	uint64_t n = pmm_free_pages(), got = 0;
	uint64_t *pages = malloc(n * sizeof(*pages));

	for (;;) {
		uint64_t pa = pmm_alloc(0, OWNER_HV, 0);
		if (!pa)
			break;
		pages[got++] = pa;
	}
	ck_assert_uint_eq(got, n);
	ck_assert_uint_eq(pmm_free_pages(), 0);
	ck_assert_uint_eq(pmm_alloc(0, OWNER_HV, 0), 0);
	ck_assert_uint_eq(pmm_alloc(PMM_MAX_ORDER, OWNER_HV, 0), 0);
	check_ok();
	for (uint64_t i = 0; i < got; i++)
		ck_assert_int_eq(pmm_free(pages[i], 0), 0);
	ck_assert_uint_eq(pmm_free_pages(), n);
	check_ok();
	free(pages);
}
END_TEST

START_TEST(blocks_are_aligned_to_their_size)
{
	for (unsigned o = 0; o <= 12; o++) {
		uint64_t pa = pmm_alloc(o, OWNER_HV, 0);
		ck_assert_uint_ne(pa, 0);
		ck_assert_msg((pa & ((PAGE_SIZE << o) - 1)) == 0,
			      "order %u block at 0x%lx", o, pa);
	}
	check_ok();
}
END_TEST

START_TEST(alignment_is_physical_when_the_span_is_not_aligned)
{
	arena_unmap();
	/* Span starts at pfn 0x201 (not 2 MiB aligned). */
	arena_pmm(0x200000 + PAGE_SIZE, ARENA);
	uint64_t pa = pmm_alloc(ORDER_2M, OWNER_HV, 0);
	ck_assert_uint_ne(pa, 0);
	ck_assert_uint_eq(pa & ((PAGE_SIZE << ORDER_2M) - 1), 0);
	check_ok();
}
END_TEST

/* A double free is a broken invariant (two owners thought they held the
 * block): the allocator stops with the page rather than return an error
 * nobody checks. */
START_TEST(double_free_panics)
{
	uint64_t a = pmm_alloc(3, OWNER_HV, 0);

	ck_assert_int_eq(pmm_free(a, 3), 0);
	pmm_free(a, 3);
	ck_abort_msg("a double free of 0x%lx returned", a);
}
END_TEST

START_TEST(double_free_after_merge_panics)
{
	uint64_t a = pmm_alloc(0, OWNER_HV, 0);
	ck_assert_int_eq(pmm_free(a, 0), 0);
	/* a is now inside a larger free block: still a double free. */
	pmm_free(a, 0);
	ck_abort_msg("a double free of 0x%lx returned", a);
}
END_TEST

/*
 * pmm_free checks, drops the lock to zero, then frees. A second free of
 * the same block on another CPU inside that window (here: the hook) passes
 * the same check; if it completes and the page is reallocated before the
 * first free retakes the lock, the first free zeroes nothing more but frees
 * the new owner's page while it is in use. The second free must be caught.
 */
static uint64_t race_pa, race_new_owner;
static int race_depth;

static void free_again_and_reallocate(uint64_t pa)
{
	if (pa != race_pa || race_depth++)
		return;
	pmm_free(pa, 0);                          /* the racing double free */
	race_new_owner = pmm_alloc(0, OWNER_PARTITION, 7);
	memset(phys_to_virt(race_new_owner), 0xee, PAGE_SIZE);
}

START_TEST(double_free_racing_the_first_frees_zeroing_panics)
{
	race_pa = pmm_alloc(0, OWNER_HV, 0);
	race_depth = 0;
	pmm_free_race_hook = free_again_and_reallocate;
	pmm_free(race_pa, 0);
	pmm_free_race_hook = NULL;
	ck_assert_uint_eq(race_new_owner, race_pa);
	struct page_meta *m = pmm_meta(race_new_owner);
	ck_assert_msg(m->state == PAGE_USED && m->owner_type == OWNER_PARTITION,
		      "the new owner's page 0x%lx was freed under it (state %u)",
		      race_new_owner, m->state);
	ck_abort_msg("the racing double free of 0x%lx was not caught", race_pa);
}
END_TEST

/* A CPU's own SVM/VMX pages are pinned: a stray free of one (how a host
 * save area could hold GS base 0, issue "hostcrash") names the page. */
START_TEST(free_of_a_pinned_page_panics)
{
	uint64_t a = pmm_alloc(0, OWNER_HV, 0);

	ck_assert_int_eq(pmm_pin(a, 0), 0);
	ck_assert_int_eq(pmm_set_owner(a, 0, OWNER_PARTITION, 1), -EINVAL);
	ck_assert_int_eq(pmm_split(a, 0), -EINVAL);
	pmm_free(a, 0);
	ck_abort_msg("the free of pinned page 0x%lx returned", a);
}
END_TEST

START_TEST(only_an_allocated_block_is_pinned)
{
	uint64_t a = pmm_alloc(1, OWNER_HV, 0);

	ck_assert_int_eq(pmm_pin(a, 0), -EINVAL);                 /* wrong order */
	ck_assert_int_eq(pmm_pin(a + PAGE_SIZE, 0), -EINVAL);     /* tail page */
	ck_assert_int_eq(pmm_free(a, 1), 0);
	ck_assert_int_eq(pmm_pin(a, 1), -EINVAL);                 /* free */
	check_ok();
}
END_TEST

START_TEST(foreign_frees_are_refused)
{
	uint64_t a = pmm_alloc(2, OWNER_HV, 0);
	uint64_t before = pmm_free_pages();

	ck_assert_int_eq(pmm_free(a + PAGE_SIZE, 0), -EINVAL);     /* tail page */
	ck_assert_int_eq(pmm_free(a + 8, 2), -EINVAL);             /* unaligned */
	ck_assert_int_eq(pmm_free(a, 1), -EINVAL);                 /* wrong order */
	ck_assert_int_eq(pmm_free(ARENA + PAGE_SIZE, 0), -EINVAL); /* outside span */
	ck_assert_int_eq(pmm_free(0, 0), -EINVAL);                 /* reserved page */
	ck_assert_uint_eq(pmm_free_pages(), before);
	check_ok();
}
END_TEST

START_TEST(fixed_pages_cannot_be_freed)
{
	arena_unmap();
	arena_map(0, ARENA);
	static struct page_meta meta[ARENA / PAGE_SIZE];
	ck_assert_int_eq(pmm_init(0, ARENA, meta), 0);
	ck_assert_int_eq(pmm_add_range(PAGE_SIZE, ARENA / 2), 0);
	ck_assert_int_eq(pmm_mark_fixed(ARENA / 2 + PAGE_SIZE, 4 * PAGE_SIZE, OWNER_HV), 0);
	ck_assert_int_eq(pmm_free(ARENA / 2 + PAGE_SIZE, 0), -EINVAL);
	/* Overlapping ranges (a broken memory map) are refused too. */
	ck_assert_int_eq(pmm_add_range(ARENA / 2, 2 * PAGE_SIZE), -EEXIST);
	ck_assert_int_eq(pmm_add_range(PAGE_SIZE, PAGE_SIZE), -EEXIST);
	check_ok();
}
END_TEST

START_TEST(metadata_records_owner_of_every_page)
{
	struct pmm_stats st;
	uint64_t a = pmm_alloc(4, OWNER_MEMOBJ, 0xabc);

	for (int i = 0; i < 16; i++) {
		struct page_meta *m = pmm_meta(a + i * PAGE_SIZE);
		ck_assert_int_eq(m->state, PAGE_USED);
		ck_assert_int_eq(m->owner_type, OWNER_MEMOBJ);
		ck_assert_uint_eq(m->owner, 0xabc);
	}
	pmm_get_stats(&st);
	ck_assert_uint_eq(st.by_owner[OWNER_MEMOBJ], 16);
	ck_assert_int_eq(pmm_set_owner(a, 4, OWNER_PARTITION, 7), 0);
	ck_assert_uint_eq(pmm_meta(a + 15 * PAGE_SIZE)->owner, 7);
	pmm_get_stats(&st);
	ck_assert_uint_eq(st.by_owner[OWNER_MEMOBJ], 0);
	ck_assert_uint_eq(st.by_owner[OWNER_PARTITION], 16);
	check_ok();
	ck_assert_int_eq(pmm_free(a, 4), 0);
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(pmm_meta(a + i * PAGE_SIZE)->state, PAGE_FREE);
		ck_assert_int_eq(pmm_meta(a + i * PAGE_SIZE)->owner_type, OWNER_NONE);
	}
	ck_assert_ptr_null(pmm_meta(ARENA));
	check_ok();
}
END_TEST

START_TEST(split_block_pages_free_one_by_one)
{
	uint64_t a = pmm_alloc(ORDER_2M, OWNER_MEMOBJ, 1), before;

	ck_assert_int_eq(pmm_split(a, ORDER_2M), 0);
	ck_assert_int_eq(pmm_free(a, ORDER_2M), -EINVAL);  /* no longer one block */
	before = pmm_free_pages();
	ck_assert_int_eq(pmm_free(a + 5 * PAGE_SIZE, 0), 0);
	ck_assert_uint_eq(pmm_free_pages(), before + 1);
	check_ok();
	for (int i = 0; i < 512; i++)
		if (i != 5)
			ck_assert_int_eq(pmm_free(a + i * PAGE_SIZE, 0), 0);
	check_ok();
}
END_TEST

START_TEST(added_memory_is_zeroed)
{
	arena_unmap();
	arena_map(0, ARENA);
	memset(phys_to_virt(0), 0x5a, ARENA);            /* firmware leftovers */
	static struct page_meta meta[ARENA / PAGE_SIZE];
	ck_assert_int_eq(pmm_init(0, ARENA, meta), 0);
	ck_assert_int_eq(pmm_add_range(PAGE_SIZE, ARENA - PAGE_SIZE), 0);
	const char *why;
	ck_assert_msg(pmm_check_free_zero(&why) == 0, "%s", why);
	ck_assert_int_eq(*(uint8_t *)phys_to_virt(0), 0x5a); /* reserved page untouched */
}
END_TEST

START_TEST(freed_memory_is_zeroed_before_reuse)
{
	const char *why;
	uint64_t a = pmm_alloc(3, OWNER_PARTITION, 1);
	memset(phys_to_virt(a), 0xee, 8 * PAGE_SIZE);
	ck_assert_int_eq(pmm_free(a, 3), 0);
	ck_assert_msg(pmm_check_free_zero(&why) == 0, "%s", why);
	uint64_t b = pmm_alloc(3, OWNER_PARTITION, 2);
	ck_assert_uint_eq(b, a);
	for (unsigned i = 0; i < 8 * PAGE_SIZE; i++)
		ck_assert_int_eq(((uint8_t *)phys_to_virt(b))[i], 0);
	/* A refused free touches nothing. */
	memset(phys_to_virt(b), 0xee, PAGE_SIZE);
	ck_assert_int_eq(pmm_free(b, 2), -EINVAL);
	ck_assert_int_eq(*(uint8_t *)phys_to_virt(b), 0xee);
}
END_TEST

START_TEST(random_alloc_free_keeps_metadata_consistent)
{
	uint64_t live[256] = { 0 };
	unsigned orders[256];
	uint64_t start = pmm_free_pages();

	srand(1234);
	for (int step = 0; step < 20000; step++) {
		int i = rand() % 256;
		if (live[i]) {
			ck_assert_int_eq(pmm_free(live[i], orders[i]), 0);
			live[i] = 0;
		} else {
			orders[i] = rand() % 8;
			live[i] = pmm_alloc(orders[i], OWNER_HV, i);
			if (live[i])   /* dirty it, so a free that skips zeroing shows */
				memset(phys_to_virt(live[i]), 0xd1, PAGE_SIZE << orders[i]);
		}
		if (step % 2000 == 0)
			check_ok();
	}
	for (int i = 0; i < 256; i++)
		if (live[i])
			ck_assert_int_eq(pmm_free(live[i], orders[i]), 0);
	ck_assert_uint_eq(pmm_free_pages(), start);
	check_ok();
	const char *why;
	ck_assert_msg(pmm_check_free_zero(&why) == 0, "%s", why);
}
END_TEST

Suite *pmm_suite(void)
{
	Suite *s = suite_create("pmm");
	TCase *tc = tcase_create("buddy");

	tcase_add_checked_fixture(tc, setup, arena_unmap);
	tcase_add_test(tc, free_count_after_init);
	tcase_add_test(tc, split_then_merge_back_to_one_block);
	tcase_add_test(tc, freeing_buddies_merges_them);
	tcase_add_test(tc, exhaustion_returns_zero_and_recovers);
	tcase_add_test(tc, blocks_are_aligned_to_their_size);
	tcase_add_test(tc, alignment_is_physical_when_the_span_is_not_aligned);
	tcase_add_test_raise_signal(tc, double_free_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, double_free_after_merge_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, double_free_racing_the_first_frees_zeroing_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, free_of_a_pinned_page_panics, SIGABRT);
	tcase_add_test(tc, only_an_allocated_block_is_pinned);
	tcase_add_test(tc, foreign_frees_are_refused);
	tcase_add_test(tc, fixed_pages_cannot_be_freed);
	tcase_add_test(tc, metadata_records_owner_of_every_page);
	tcase_add_test(tc, split_block_pages_free_one_by_one);
	tcase_add_test(tc, added_memory_is_zeroed);
	tcase_add_test(tc, freed_memory_is_zeroed_before_reuse);
	tcase_add_test(tc, random_alloc_free_keeps_metadata_consistent);
	suite_add_tcase(s, tc);
	return s;
}
