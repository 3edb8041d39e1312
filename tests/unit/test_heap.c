/* The small-object heap: sizes, zeroing, page return, bad frees. */
#include <string.h>
#include <sealvisor/errno.h>
#include "mm/heap.h"
#include "mm/pmm.h"
#include "tests/unit/unit.h"

static void setup(void)
{
	arena_pmm(0, 32UL << 20);
}

START_TEST(objects_are_zeroed_and_disjoint)
{
	static const size_t sizes[] = { 1, 16, 17, 100, 512, 1000, 1024, 1025, 5000, 70000 };
	void *p[10];
	uint64_t start = pmm_free_pages();

	for (int i = 0; i < 10; i++) {
		p[i] = kmalloc(sizes[i]);
		ck_assert_ptr_nonnull(p[i]);
		for (size_t b = 0; b < sizes[i]; b++)
			ck_assert_int_eq(((uint8_t *)p[i])[b], 0);
		memset(p[i], 0xa0 + i, sizes[i]);
	}
	for (int i = 0; i < 10; i++)
		for (size_t b = 0; b < sizes[i]; b++)
			ck_assert_int_eq(((uint8_t *)p[i])[b], 0xa0 + i);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(kfree(p[i]), 0);
	ck_assert_uint_eq(pmm_free_pages(), start);   /* every page went back */
}
END_TEST

START_TEST(many_small_objects_fill_and_release_pages)
{
	static void *p[5000];
	struct heap_stats st;
	uint64_t start = pmm_free_pages();

	for (int i = 0; i < 5000; i++)
		ck_assert_ptr_nonnull(p[i] = kmalloc(64));
	heap_get_stats(&st);
	ck_assert_uint_ge(st.slab_pages, 5000 / 63);
	for (int i = 0; i < 5000; i += 2)
		ck_assert_int_eq(kfree(p[i]), 0);
	for (int i = 1; i < 5000; i += 2)
		ck_assert_int_eq(kfree(p[i]), 0);
	heap_get_stats(&st);
	ck_assert_uint_eq(st.slab_pages, 0);
	ck_assert_uint_eq(st.objects, 0);
	ck_assert_uint_eq(pmm_free_pages(), start);
}
END_TEST

START_TEST(double_and_foreign_frees_are_refused)
{
	void *a = kmalloc(32), *keep = kmalloc(32), *big = kmalloc(3 * PAGE_SIZE);
	struct heap_stats st;

	ck_assert_int_eq(kfree(a), 0);
	ck_assert_int_eq(kfree(a), -EINVAL);
	ck_assert_int_eq(kfree((uint8_t *)keep + 8), -EINVAL);      /* inside an object */
	ck_assert_int_eq(kfree((uint8_t *)big + PAGE_SIZE), -EINVAL);
	uint64_t pa = pmm_alloc(0, OWNER_HV, 0);
	ck_assert_int_eq(kfree(phys_to_virt(pa)), -EINVAL);        /* not a heap page */
	ck_assert_int_eq(kfree(big), 0);
	ck_assert_int_eq(kfree(big), -EINVAL);
	heap_get_stats(&st);
	ck_assert_uint_eq(st.bad_frees, 5);
	ck_assert_int_eq(kfree(keep), 0);
	ck_assert_int_eq(kfree(NULL), 0);
	ck_assert_ptr_null(kmalloc(0));
}
END_TEST

Suite *heap_suite(void)
{
	Suite *s = suite_create("heap");
	TCase *tc = tcase_create("kmalloc");

	tcase_add_checked_fixture(tc, setup, arena_unmap);
	tcase_add_test(tc, objects_are_zeroed_and_disjoint);
	tcase_add_test(tc, many_small_objects_fill_and_release_pages);
	tcase_add_test(tc, double_and_foreign_frees_are_refused);
	suite_add_tcase(s, tc);
	return s;
}
