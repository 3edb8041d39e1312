/*
 * Threads standing in for CPUs hammer one object: faulting pages in through
 * memobj_get_page while others punch and re-fallocate. A page held between
 * get and put must stay the object's and keep what its holder wrote; at the
 * end no page is lost or freed twice.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sealvisor/errno.h>
#include "mm/memobj.h"
#include "mm/pmm.h"
#include "tests/unit/owner_log.h"
#include "tests/unit/unit.h"

#define OBJ_PAGES 2048             /* 8 MiB: four 2 MiB blocks */
#define ITERS 20000

static struct memobj *obj;
static volatile int failures;

struct worker {
	pthread_t t;
	unsigned seed;
	uint64_t id;
};

static void *faulter(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ITERS; i++) {
		uint64_t pa, pg = rand_r(&w->seed) % OBJ_PAGES;
		unsigned order;
		if (memobj_get_page(obj, pg, &pa, &order)) {
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
			continue;
		}
		struct page_meta *m = pmm_meta(pa);
		volatile uint64_t *p = phys_to_virt(pa);
		if (m->state != PAGE_USED || m->owner_type != OWNER_MEMOBJ ||
		    m->owner != memobj_id(obj))
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		*p = w->id;
		for (int spin = 0; spin < 50; spin++)
			__asm__ volatile("pause");
		if (*p != w->id)              /* someone freed or reused it under us */
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		memobj_put_page(obj, pa);
	}
	return NULL;
}

static void *puncher(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ITERS / 4; i++) {
		uint64_t start = rand_r(&w->seed) % OBJ_PAGES;
		uint64_t len = 1 + rand_r(&w->seed) % (OBJ_PAGES - start);
		unsigned mode = rand_r(&w->seed) % 3 ? MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE : 0;
		if (memobj_fallocate(obj, mode, start * PAGE_SIZE, len * PAGE_SIZE))
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

START_TEST(get_page_and_punch_race_without_losing_pages)
{
	struct worker w[4];
	struct pmm_stats st;
	const char *why;

	arena_pmm(0, 64UL << 20);
	uint64_t free_before = pmm_free_pages();
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, OBJ_PAGES * PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_fallocate(obj, 0, 0, OBJ_PAGES * PAGE_SIZE), 0);
	failures = 0;
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .seed = 17 + i, .id = 0x1000 + i };
		pthread_create(&w[i].t, NULL, i < 2 ? faulter : puncher, &w[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(w[i].t, NULL);
	ck_assert_int_eq(failures, 0);
	pmm_get_stats(&st);
	ck_assert_uint_eq(st.by_owner[OWNER_MEMOBJ], memobj_nr_pages(obj));
	ck_assert_msg(pmm_check(&why) == 0, "%s", why);
	memobj_close(obj);
	pmm_get_stats(&st);
	ck_assert_uint_eq(st.bad_frees, 0);
	ck_assert_uint_eq(pmm_free_pages(), free_before);
	ck_assert_msg(pmm_check(&why) == 0, "%s", why);
	arena_unmap();
}
END_TEST

Suite *memobj_smp_suite(void)
{
	Suite *s = suite_create("memobj smp");
	TCase *tc = tcase_create("threads");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, get_page_and_punch_race_without_losing_pages);
	suite_add_tcase(s, tc);
	return s;
}
