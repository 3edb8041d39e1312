/*
 * One test per rule of the seed (shared/seed/F_SEAL_GUEST.patch.txt) and of
 * memfd/shmem that it builds on, each asserting the exact errno.
 */
#include <string.h>
#include <sealvisor/errno.h>
#include "mm/memobj.h"
#include "mm/pmm.h"
#include "tests/unit/owner_log.h"
#include "tests/unit/unit.h"

#define KB 1024UL
#define MB (1024UL * KB)
#define IDX_END (1UL << 27)

static struct memobj *o;
static uint64_t free_at_start;
static struct owner_log log_a, log_b;

static void setup(void)
{
	arena_pmm(0, 96 * MB);
	free_at_start = pmm_free_pages();
	memset(&log_a, 0, sizeof(log_a));
	memset(&log_b, 0, sizeof(log_b));
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o), 0);
}

static void teardown(void)
{
	if (o)
		memobj_close(o);
	o = NULL;
	ck_assert_uint_eq(memobj_nr_objects(), 0);
	ck_assert_uint_eq(pmm_free_pages(), free_at_start);
	arena_unmap();
}

static struct memobj *guest_obj(uint64_t size)
{
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o, size), 0);
	return o;
}

static uint8_t page_byte(uint64_t pgoff, unsigned in)
{
	uint64_t pa;
	unsigned order;
	ck_assert_int_eq(memobj_get_page(o, pgoff, &pa, &order), 0);
	uint8_t b = ((uint8_t *)phys_to_virt(pa))[in];
	memobj_put_page(o, pa);
	return b;
}

/* ---- objects ---- */

START_TEST(create_rejects_unknown_flags)
{
	struct memobj *x;
	ck_assert_int_eq(memobj_create(0x4, &x), -EINVAL);
	ck_assert_int_eq(memobj_create(0x200, &x), -EINVAL);
	ck_assert_int_eq(memobj_create(0x80000000u, &x), -EINVAL);
}
END_TEST

START_TEST(create_without_allow_sealing_sets_seal_seal)
{
	struct memobj *x;
	ck_assert_int_eq(memobj_create(0, &x), 0);
	ck_assert_uint_eq(memobj_get_seals(x), MEMOBJ_SEAL_SEAL);
	ck_assert_int_eq(memobj_add_seals(x, MEMOBJ_SEAL_GUEST), -EPERM);
	memobj_close(x);
}
END_TEST

START_TEST(last_close_frees_every_page)
{
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 5 * MB + 12 * KB), 0);
	ck_assert_uint_eq(memobj_nr_pages(o), (5 * MB + 12 * KB) / PAGE_SIZE);
	memobj_get(o);
	memobj_close(o);                     /* one reference left */
	ck_assert_uint_eq(memobj_nr_pages(o), (5 * MB + 12 * KB) / PAGE_SIZE);
	ck_assert_int_eq(memobj_register_owner(o, &log_a, &owner_log_ops), 0);
	uint64_t before = pmm_free_pages();
	memobj_close(o);
	o = NULL;
	ck_assert_int_eq(log_a.n, 1);
	ck_assert_int_eq(log_a.rec[0].type, CB_INVALIDATE);
	ck_assert_uint_eq(log_a.rec[0].start, 0);
	ck_assert_uint_eq(log_a.rec[0].end, IDX_END);
	ck_assert_uint_eq(log_a.rec[0].free_pages_at_call, before);  /* nothing freed yet */
	ck_assert_uint_eq(pmm_free_pages(), free_at_start);          /* teardown re-checks */
}
END_TEST

/* ---- seals (memfd_add_seals) ---- */

START_TEST(add_seals_rejects_unknown_bits)
{
	ck_assert_int_eq(memobj_add_seals(o, 0x40), -EINVAL);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GROW | 0x100), -EINVAL);
	ck_assert_uint_eq(memobj_get_seals(o), 0);
}
END_TEST

START_TEST(add_seals_after_seal_seal_is_eperm)
{
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_SEAL | MEMOBJ_SEAL_GROW), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_SHRINK), -EPERM);
	ck_assert_uint_eq(memobj_get_seals(o), MEMOBJ_SEAL_SEAL | MEMOBJ_SEAL_GROW);
}
END_TEST

START_TEST(seal_write_with_writable_mapping_is_ebusy)
{
	ck_assert_int_eq(memobj_map(o, 1), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_WRITE), -EBUSY);
	ck_assert_int_eq(memobj_unmap(o, 1), 0);
	ck_assert_int_eq(memobj_map(o, 0), 0);          /* read-only mappings are fine */
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_WRITE), 0);
	ck_assert_int_eq(memobj_unmap(o, 0), 0);
}
END_TEST

START_TEST(seal_guest_on_nonempty_object_is_ebusy)
{
	ck_assert_int_eq(memobj_set_size(o, 1), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), -EBUSY);
	ck_assert_uint_eq(memobj_get_seals(o), 0);
}
END_TEST

START_TEST(seal_guest_on_mapped_object_is_ebusy)
{
	ck_assert_int_eq(memobj_map(o, 0), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), -EBUSY);
	ck_assert_int_eq(memobj_unmap(o, 0), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_uint_eq(memobj_get_seals(o), MEMOBJ_SEAL_GUEST);
}
END_TEST

START_TEST(failed_add_seals_changes_nothing)
{
	ck_assert_int_eq(memobj_set_size(o, PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GROW | MEMOBJ_SEAL_GUEST), -EBUSY);
	ck_assert_uint_eq(memobj_get_seals(o), 0);
	ck_assert_int_eq(memobj_set_size(o, 2 * PAGE_SIZE), 0);   /* GROW was not set */
}
END_TEST

/* ---- size (shmem_setattr) ---- */

START_TEST(shrink_when_sealed_is_eperm)
{
	ck_assert_int_eq(memobj_set_size(o, 3 * PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_SHRINK), 0);
	ck_assert_int_eq(memobj_set_size(o, PAGE_SIZE), -EPERM);
	ck_assert_int_eq(memobj_set_size(o, 4 * PAGE_SIZE), 0);
	ck_assert_uint_eq(memobj_get_size(o), 4 * PAGE_SIZE);
}
END_TEST

START_TEST(grow_when_sealed_is_eperm)
{
	ck_assert_int_eq(memobj_set_size(o, 3 * PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GROW), 0);
	ck_assert_int_eq(memobj_set_size(o, 3 * PAGE_SIZE + 1), -EPERM);
	ck_assert_int_eq(memobj_set_size(o, PAGE_SIZE), 0);
	ck_assert_uint_eq(memobj_get_size(o), PAGE_SIZE);
}
END_TEST

START_TEST(guest_size_must_be_page_multiple)
{
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o, PAGE_SIZE + 1), -EINVAL);
	ck_assert_uint_eq(memobj_get_size(o), 0);
	ck_assert_int_eq(memobj_set_size(o, 8 * PAGE_SIZE), 0);
}
END_TEST

START_TEST(size_beyond_maximum_is_efbig)
{
	ck_assert_int_eq(memobj_set_size(o, MEMOBJ_MAX_SIZE + 1), -EFBIG);
	ck_assert_int_eq(memobj_set_size(o, MEMOBJ_MAX_SIZE), 0);
}
END_TEST

START_TEST(shrink_invalidates_then_frees_pages_past_eof)
{
	uint8_t buf[16];
	ck_assert_int_eq(memobj_register_owner(o, &log_a, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 4 * MB), 0);
	/* KEEP_SIZE pages past EOF go too. */
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_KEEP_SIZE, 8 * MB, PAGE_SIZE), 0);
	memset(buf, 0xab, sizeof(buf));
	ck_assert_int_eq(memobj_write(o, 3 * PAGE_SIZE, buf, 16), 16);
	uint64_t before = pmm_free_pages();
	log_a.n = 0;
	ck_assert_int_eq(memobj_set_size(o, 3 * PAGE_SIZE + 8), 0);
	ck_assert_int_eq(log_a.n, 1);
	ck_assert_int_eq(log_a.rec[0].type, CB_INVALIDATE);
	ck_assert_uint_eq(log_a.rec[0].start, 4);
	ck_assert_uint_eq(log_a.rec[0].end, IDX_END);
	ck_assert_uint_eq(log_a.rec[0].free_pages_at_call, before);
	ck_assert_uint_eq(memobj_nr_pages(o), 4);
	/* The partial last page keeps its head, zeroed past the new EOF. */
	ck_assert_int_eq(page_byte(3, 7), 0xab);
	ck_assert_int_eq(page_byte(3, 8), 0);
	ck_assert_int_eq(memobj_set_size(o, 4 * PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_read(o, 3 * PAGE_SIZE, buf, 16), 16);
	ck_assert_int_eq(buf[7], 0xab);
	ck_assert_int_eq(buf[8], 0);
}
END_TEST

/* ---- access by the managing partition ---- */

START_TEST(read_of_guest_object_is_eperm)
{
	char buf[8];
	guest_obj(4 * PAGE_SIZE);
	ck_assert_int_eq(memobj_read(o, 0, buf, 8), -EPERM);
	ck_assert_int_eq(memobj_read(o, 64 * PAGE_SIZE, buf, 8), -EPERM);
}
END_TEST

START_TEST(write_of_guest_object_is_eperm)
{
	guest_obj(4 * PAGE_SIZE);
	ck_assert_int_eq(memobj_write(o, 0, "x", 1), -EPERM);
	ck_assert_uint_eq(memobj_nr_pages(o), 0);
}
END_TEST

START_TEST(write_when_write_sealed_is_eperm)
{
	ck_assert_int_eq(memobj_write(o, 0, "abc", 3), 3);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_WRITE), 0);
	ck_assert_int_eq(memobj_write(o, 0, "x", 1), -EPERM);
}
END_TEST

START_TEST(write_when_future_write_sealed_is_eperm)
{
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_FUTURE_WRITE), 0);
	ck_assert_int_eq(memobj_write(o, 0, "x", 1), -EPERM);
}
END_TEST

START_TEST(write_past_size_grows_unless_grow_sealed)
{
	char buf[4];
	ck_assert_int_eq(memobj_write(o, 10000, "abcd", 4), 4);
	ck_assert_uint_eq(memobj_get_size(o), 10004);
	ck_assert_int_eq(memobj_read(o, 9998, buf, 4), 4);
	ck_assert(memcmp(buf, "\0\0ab", 4) == 0);           /* hole reads as zeros */
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GROW), 0);
	ck_assert_int_eq(memobj_write(o, 10002, "xyz", 3), -EPERM);
	ck_assert_int_eq(memobj_write(o, 10001, "xyz", 3), 3);   /* within size: fine */
	ck_assert_uint_eq(memobj_get_size(o), 10004);
}
END_TEST

START_TEST(read_stops_at_eof)
{
	char buf[32];
	ck_assert_int_eq(memobj_write(o, 0, "hello", 5), 5);
	ck_assert_int_eq(memobj_read(o, 2, buf, 32), 3);
	ck_assert_int_eq(memobj_read(o, 5, buf, 32), 0);
	ck_assert_int_eq(memobj_read(o, 1 * MB, buf, 32), 0);
}
END_TEST

START_TEST(map_of_guest_object_is_eperm)
{
	guest_obj(PAGE_SIZE);
	ck_assert_int_eq(memobj_map(o, 0), -EPERM);
	ck_assert_int_eq(memobj_map(o, 1), -EPERM);
}
END_TEST

START_TEST(future_write_forbids_new_writable_maps)
{
	ck_assert_int_eq(memobj_map(o, 1), 0);          /* existing one survives */
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_FUTURE_WRITE), 0);
	ck_assert_int_eq(memobj_map(o, 1), -EPERM);
	ck_assert_int_eq(memobj_map(o, 0), 0);
	ck_assert_int_eq(memobj_unmap(o, 0), 0);
	ck_assert_int_eq(memobj_unmap(o, 1), 0);
}
END_TEST

START_TEST(write_seal_forbids_writable_maps)
{
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_WRITE), 0);
	ck_assert_int_eq(memobj_map(o, 1), -EPERM);
	ck_assert_int_eq(memobj_map(o, 0), 0);
	ck_assert_int_eq(memobj_unmap(o, 0), 0);
}
END_TEST

static int mapper_calls;
static uint64_t mapper_start, mapper_end, mapper_free;

static void on_mapper(struct memobj *obj, void *ctx, uint64_t start, uint64_t end)
{
	(void)obj;
	mapper_calls++;
	mapper_start = start;
	mapper_end = end;
	mapper_free = pmm_free_pages();
	ck_assert_int_eq(((struct owner_log *)ctx)->n, 1);   /* after the owner */
}

START_TEST(mappers_are_invalidated_after_the_owner_before_any_free)
{
	struct memobj_mapper m = { on_mapper, &log_a, NULL };
	ck_assert_int_eq(memobj_register_owner(o, &log_a, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 8 * PAGE_SIZE), 0);
	memobj_add_mapper(o, &m);
	log_a.n = 0;
	uint64_t before = pmm_free_pages();
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
					  2 * PAGE_SIZE, 3 * PAGE_SIZE), 0);
	ck_assert_int_eq(mapper_calls, 1);
	ck_assert_uint_eq(mapper_start, 2);
	ck_assert_uint_eq(mapper_end, 5);
	ck_assert_uint_eq(mapper_free, before);
	memobj_remove_mapper(o, &m);
	log_a.n = 0;
	ck_assert_int_eq(memobj_set_size(o, 0), 0);
	ck_assert_int_eq(mapper_calls, 1);
}
END_TEST

START_TEST(unmap_without_mapping_is_einval)
{
	ck_assert_int_eq(memobj_unmap(o, 0), -EINVAL);
	ck_assert_int_eq(memobj_map(o, 0), 0);
	ck_assert_int_eq(memobj_unmap(o, 1), -EINVAL);
	ck_assert_int_eq(memobj_unmap(o, 0), 0);
}
END_TEST

/* ---- fallocate ---- */

START_TEST(fallocate_gives_zeroed_pages_and_grows_size)
{
	char buf[64];
	ck_assert_int_eq(memobj_fallocate(o, 0, 100, 3 * PAGE_SIZE), 0);
	ck_assert_uint_eq(memobj_get_size(o), 100 + 3 * PAGE_SIZE);
	ck_assert_uint_eq(memobj_nr_pages(o), 4);
	ck_assert_int_eq(memobj_read(o, 0, buf, 64), 64);
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(buf[i], 0);
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_KEEP_SIZE, 0, 64 * PAGE_SIZE), 0);
	ck_assert_uint_eq(memobj_get_size(o), 100 + 3 * PAGE_SIZE);
	ck_assert_uint_eq(memobj_nr_pages(o), 64);
}
END_TEST

START_TEST(fallocate_uses_2m_extents_for_aligned_blocks)
{
	uint64_t pa;
	unsigned order;
	/* [1 MiB, 7 MiB): 4 KiB pages up to 2 MiB, two extents, pages after 6 MiB. */
	ck_assert_int_eq(memobj_fallocate(o, 0, 1 * MB, 6 * MB), 0);
	ck_assert_int_eq(memobj_get_page(o, (1 * MB) / PAGE_SIZE, &pa, &order), 0);
	memobj_put_page(o, pa);
	ck_assert_uint_eq(order, 0);
	ck_assert_int_eq(memobj_get_page(o, (2 * MB) / PAGE_SIZE + 3, &pa, &order), 0);
	memobj_put_page(o, pa);
	ck_assert_uint_eq(order, 9);
	ck_assert_uint_eq(pa & (2 * MB - 1), 3 * PAGE_SIZE);      /* physically aligned extent */
	ck_assert_int_eq(memobj_get_page(o, (6 * MB) / PAGE_SIZE, &pa, &order), 0);
	memobj_put_page(o, pa);
	ck_assert_uint_eq(order, 0);
	ck_assert_uint_eq(memobj_nr_pages(o), (6 * MB) / PAGE_SIZE);
}
END_TEST

START_TEST(small_pages_object_never_gets_extents)
{
	struct memobj *x;
	uint64_t pa;
	unsigned order;
	ck_assert_int_eq(memobj_create(MEMOBJ_4K_ONLY, &x), 0);
	ck_assert_int_eq(memobj_fallocate(x, 0, 0, 4 * MB), 0);
	ck_assert_int_eq(memobj_get_page(x, 600, &pa, &order), 0);
	memobj_put_page(x, pa);
	ck_assert_uint_eq(order, 0);
	ck_assert_uint_eq(memobj_nr_pages(x), 1024);
	memobj_close(x);
}
END_TEST

START_TEST(guest_fallocate_must_be_page_aligned)
{
	guest_obj(16 * PAGE_SIZE);
	ck_assert_int_eq(memobj_fallocate(o, 0, 1, PAGE_SIZE), -EINVAL);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, PAGE_SIZE + 1), -EINVAL);
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
					  PAGE_SIZE, 100), -EINVAL);
	ck_assert_uint_eq(memobj_nr_pages(o), 0);
	ck_assert_int_eq(memobj_fallocate(o, 0, PAGE_SIZE, PAGE_SIZE), 0);
}
END_TEST

START_TEST(fallocate_past_size_when_grow_sealed_is_eperm)
{
	ck_assert_int_eq(memobj_set_size(o, 4 * PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GROW), 0);
	/* shmem checks GROW even with KEEP_SIZE. */
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_KEEP_SIZE, 0, 5 * PAGE_SIZE), -EPERM);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 5 * PAGE_SIZE), -EPERM);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 4 * PAGE_SIZE), 0);
	ck_assert_uint_eq(memobj_nr_pages(o), 4);
}
END_TEST

START_TEST(fallocate_bad_mode_and_range)
{
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(memobj_fallocate(o, 0x4, 0, PAGE_SIZE), -EOPNOTSUPP);
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE, 0, PAGE_SIZE), -EOPNOTSUPP);
	ck_assert_int_eq(memobj_fallocate(o, 0, MEMOBJ_MAX_SIZE, PAGE_SIZE), -EFBIG);
	ck_assert_int_eq(memobj_fallocate(o, 0, PAGE_SIZE, ~0UL), -EFBIG);
	ck_assert_uint_eq(memobj_nr_pages(o), 0);
	ck_assert_uint_eq(memobj_get_size(o), 0);
}
END_TEST

START_TEST(fallocate_enospc_rolls_back_this_call_only)
{
	ck_assert_int_eq(memobj_register_owner(o, &log_a, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 8 * PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_write(o, 0, "keep", 4), 4);
	uint64_t size = memobj_get_size(o), pages = memobj_nr_pages(o), free = pmm_free_pages();
	log_a.n = 0;
	/* Far more than the arena holds. */
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 200 * MB), -ENOSPC);
	ck_assert_uint_eq(memobj_get_size(o), size);
	ck_assert_uint_eq(memobj_nr_pages(o), pages);
	ck_assert_uint_eq(pmm_free_pages(), free);
	ck_assert_int_eq(log_a.n, 1);                 /* no fallocate callback */
	ck_assert_int_eq(log_a.rec[0].type, CB_INVALIDATE);
	ck_assert_uint_eq(log_a.rec[0].end, (200 * MB) / PAGE_SIZE);
	char buf[4];
	ck_assert_int_eq(memobj_read(o, 0, buf, 4), 4);
	ck_assert(memcmp(buf, "keep", 4) == 0);
}
END_TEST

/* A page allocation that fails on an object with no page yet (its index
 * needs a root and a middle node first) leaves no node behind: with 0, 1
 * or 2 pages free, -ENOSPC and the free count as it was. */
START_TEST(get_page_enospc_leaves_no_index_node)
{
	static uint64_t held[96 * MB / PAGE_SIZE];
	unsigned n = 0;
	uint64_t pa;
	unsigned order;

	ck_assert_int_eq(memobj_set_size(o, 4 * PAGE_SIZE), 0);
	while ((held[n] = pmm_alloc(0, OWNER_HV, 0)))
		n++;
	for (unsigned left = 0; left < 3; left++) {
		if (left)
			ck_assert_int_eq(pmm_free(held[--n], 0), 0);
		ck_assert_uint_eq(pmm_free_pages(), left);
		ck_assert_int_eq(memobj_get_page(o, 1, &pa, &order), -ENOSPC);
		ck_assert_uint_eq(pmm_free_pages(), left);
		ck_assert_uint_eq(memobj_nr_pages(o), 0);
	}
	while (n)
		ck_assert_int_eq(pmm_free(held[--n], 0), 0);
}
END_TEST

/* review7: a fallocate on an object with no page yet that runs out part-way
 * (the root, middle and leaf nodes and some pages allocated) is undone by a
 * second walk; that walk must free the root too. With 0..8 pages free:
 * -ENOSPC and the free count as it was. */
START_TEST(fallocate_enospc_on_empty_object_leaves_no_index_node)
{
	static uint64_t held[96 * MB / PAGE_SIZE];
	unsigned n = 0;

	while ((held[n] = pmm_alloc(0, OWNER_HV, 0)))
		n++;
	for (unsigned left = 0; left < 9; left++) {
		if (left)
			ck_assert_int_eq(pmm_free(held[--n], 0), 0);
		ck_assert_uint_eq(pmm_free_pages(), left);
		ck_assert_int_eq(memobj_fallocate(o, 0, 0, 16 * PAGE_SIZE), -ENOSPC);
		ck_assert_uint_eq(pmm_free_pages(), left);
		ck_assert_uint_eq(memobj_nr_pages(o), 0);
		ck_assert_uint_eq(memobj_get_size(o), 0);
	}
	while (n)
		ck_assert_int_eq(pmm_free(held[--n], 0), 0);
}
END_TEST

/* review7: the same across two root slots (pages 2^18 - 2 .. 2^18 + 2: two
 * middle nodes, two leaves), out of memory at every step; then a punch on
 * the object whose root went, and a page after it. */
START_TEST(fallocate_enospc_across_root_slots_leaves_no_index_node)
{
	static uint64_t held[96 * MB / PAGE_SIZE];
	const uint64_t off = ((1UL << 18) - 2) * PAGE_SIZE;
	unsigned n = 0, order;
	uint64_t pa;

	while ((held[n] = pmm_alloc(0, OWNER_HV, 0)))
		n++;
	for (unsigned left = 0; left < 9; left++) {
		if (left)
			ck_assert_int_eq(pmm_free(held[--n], 0), 0);
		ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_KEEP_SIZE, off, 4 * PAGE_SIZE),
				 -ENOSPC);
		ck_assert_uint_eq(pmm_free_pages(), left);
		ck_assert_uint_eq(memobj_nr_pages(o), 0);
	}
	ck_assert_int_eq(pmm_free(held[--n], 0), 0);   /* 9: root, 2 x (mid, leaf), 4 pages */
	ck_assert_int_eq(memobj_fallocate(o, 0, off, 4 * PAGE_SIZE), 0);
	ck_assert_uint_eq(pmm_free_pages(), 0);
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
					  0, off + 4 * PAGE_SIZE), 0);
	ck_assert_uint_eq(pmm_free_pages(), 9);
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
					  0, off + 4 * PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_get_page(o, 1UL << 18, &pa, &order), 0);
	memobj_put_page(o, pa);
	ck_assert_uint_eq(pmm_free_pages(), 9 - 4);   /* root, mid, leaf, page */
	while (n)
		ck_assert_int_eq(pmm_free(held[--n], 0), 0);
}
END_TEST

START_TEST(fallocate_calls_owner_with_page_range)
{
	ck_assert_int_eq(memobj_register_owner(o, &log_a, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_fallocate(o, 0, PAGE_SIZE + 5, 2 * PAGE_SIZE), 0);
	ck_assert_int_eq(log_a.n, 1);
	ck_assert_int_eq(log_a.rec[0].type, CB_FALLOCATE);
	ck_assert_uint_eq(log_a.rec[0].start, 1);
	ck_assert_uint_eq(log_a.rec[0].end, 4);
}
END_TEST

/* ---- punch hole ---- */

START_TEST(punch_invalidates_before_freeing)
{
	guest_obj(4 * MB);
	ck_assert_int_eq(memobj_register_owner(o, &log_a, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 4 * MB), 0);
	uint64_t before = pmm_free_pages();
	log_a.n = 0;
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
					  2 * MB, 2 * MB), 0);
	ck_assert_int_eq(log_a.n, 1);
	ck_assert_int_eq(log_a.rec[0].type, CB_INVALIDATE);
	ck_assert_uint_eq(log_a.rec[0].start, 512);
	ck_assert_uint_eq(log_a.rec[0].end, 1024);
	ck_assert_uint_eq(log_a.rec[0].free_pages_at_call, before);
	ck_assert_uint_eq(pmm_free_pages(), before + 512);
	ck_assert_uint_eq(memobj_nr_pages(o), 512);
	ck_assert_uint_eq(memobj_get_size(o), 4 * MB);
}
END_TEST

START_TEST(punch_splits_a_2m_extent_and_frees_only_punched_pages)
{
	uint64_t pa, head;
	unsigned order;
	guest_obj(2 * MB);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 2 * MB), 0);
	ck_assert_int_eq(memobj_get_page(o, 0, &head, &order), 0);
	memobj_put_page(o, head);
	ck_assert_uint_eq(order, 9);
	uint64_t *probe = phys_to_virt(head + 20 * PAGE_SIZE);
	*probe = 0x5ec7e7;                        /* guest data in a punched page */
	uint64_t before = pmm_free_pages();
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
					  16 * PAGE_SIZE, 8 * PAGE_SIZE), 0);
	/* 8 pages back, one taken by the index leaf that replaces the extent */
	ck_assert_uint_eq(pmm_free_pages(), before + 8 - 1);
	ck_assert_uint_eq(memobj_nr_pages(o), 512 - 8);
	ck_assert_uint_eq(*probe, 0);             /* zeroed before going back */
	ck_assert_int_eq(pmm_meta(head + 20 * PAGE_SIZE)->state, PAGE_FREE);
	/* Unpunched pages stay where they were, now as 4 KiB pages. */
	ck_assert_int_eq(memobj_get_page(o, 30, &pa, &order), 0);
	memobj_put_page(o, pa);
	ck_assert_uint_eq(pa, head + 30 * PAGE_SIZE);
	ck_assert_uint_eq(order, 0);
	/* A punched page comes back fresh and zeroed on the next fault. */
	ck_assert_int_eq(memobj_get_page(o, 20, &pa, &order), 0);
	ck_assert_uint_eq(*(uint64_t *)phys_to_virt(pa), 0);
	memobj_put_page(o, pa);
}
END_TEST

START_TEST(punch_zeroes_partial_edge_pages_in_place)
{
	uint8_t buf[3 * 4096];
	memset(buf, 0x77, sizeof(buf));
	ck_assert_int_eq(memobj_write(o, 0, buf, sizeof(buf)), (int64_t)sizeof(buf));
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
					  100, PAGE_SIZE), 0);
	ck_assert_uint_eq(memobj_nr_pages(o), 3);   /* no whole page was covered... */
	ck_assert_int_eq(memobj_read(o, 0, buf, sizeof(buf)), (int64_t)sizeof(buf));
	for (unsigned i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], (i >= 100 && i < 100 + PAGE_SIZE) ? 0 : 0x77);
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
					  PAGE_SIZE - 1, PAGE_SIZE + 2), 0);
	ck_assert_uint_eq(memobj_nr_pages(o), 2);   /* ...this time page 1 was */
}
END_TEST

START_TEST(punch_when_write_sealed_is_eperm)
{
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_FUTURE_WRITE), 0);
	ck_assert_int_eq(memobj_fallocate(o, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
					  0, PAGE_SIZE), -EPERM);
	ck_assert_uint_eq(memobj_nr_pages(o), 1);
}
END_TEST

/* ---- owner (memfd_register_guest) and the fault path ---- */

START_TEST(register_null_owner_is_einval)
{
	ck_assert_int_eq(memobj_register_owner(o, NULL, &owner_log_ops), -EINVAL);
}
END_TEST

START_TEST(register_second_owner_is_eperm)
{
	ck_assert_int_eq(memobj_register_owner(o, &log_a, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_register_owner(o, &log_a, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_register_owner(o, &log_b, &owner_log_ops), -EPERM);
	ck_assert_int_eq(memobj_unregister_owner(o, &log_b), -EPERM);
	ck_assert_int_eq(memobj_unregister_owner(o, &log_a), 0);
	ck_assert_int_eq(memobj_register_owner(o, &log_b, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, PAGE_SIZE), 0);
	ck_assert_int_eq(log_a.n, 0);
	ck_assert_int_eq(log_b.n, 1);
}
END_TEST

START_TEST(get_page_allocates_on_demand_and_names_the_object)
{
	uint64_t pa;
	unsigned order;
	guest_obj(8 * PAGE_SIZE);
	ck_assert_int_eq(memobj_get_page(o, 5, &pa, &order), 0);
	ck_assert_uint_eq(order, 0);
	ck_assert_uint_eq(*(uint64_t *)phys_to_virt(pa), 0);
	struct page_meta *m = pmm_meta(pa);
	ck_assert_int_eq(m->owner_type, OWNER_MEMOBJ);
	ck_assert_uint_eq(m->owner, memobj_id(o));
	memobj_put_page(o, pa);
	uint64_t again;
	ck_assert_int_eq(memobj_get_page(o, 5, &again, &order), 0);
	memobj_put_page(o, again);
	ck_assert_uint_eq(again, pa);
	ck_assert_uint_eq(memobj_nr_pages(o), 1);
}
END_TEST

START_TEST(get_page_past_eof_is_einval)
{
	uint64_t pa;
	unsigned order;
	guest_obj(8 * PAGE_SIZE);
	ck_assert_int_eq(memobj_get_page(o, 8, &pa, &order), -EINVAL);
	ck_assert_uint_eq(memobj_nr_pages(o), 0);
}
END_TEST

START_TEST(owner_page_accounting)
{
	struct memobj *p;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &p), 0);
	ck_assert_int_eq(memobj_register_owner(o, &log_a, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_register_owner(p, &log_a, &owner_log_ops), 0);
	ck_assert_int_eq(memobj_fallocate(o, 0, 0, 3 * PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_fallocate(p, 0, 0, 2 * MB), 0);
	ck_assert_uint_eq(memobj_owner_pages(&log_a), 3 + 512);
	ck_assert_uint_eq(memobj_owner_pages(&log_b), 0);
	memobj_close(p);
	ck_assert_uint_eq(memobj_owner_pages(&log_a), 3);
}
END_TEST

Suite *memobj_suite(void)
{
	Suite *s = suite_create("memobj");
	TCase *tc = tcase_create("seed rules");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_rejects_unknown_flags);
	tcase_add_test(tc, create_without_allow_sealing_sets_seal_seal);
	tcase_add_test(tc, last_close_frees_every_page);
	tcase_add_test(tc, add_seals_rejects_unknown_bits);
	tcase_add_test(tc, add_seals_after_seal_seal_is_eperm);
	tcase_add_test(tc, seal_write_with_writable_mapping_is_ebusy);
	tcase_add_test(tc, seal_guest_on_nonempty_object_is_ebusy);
	tcase_add_test(tc, seal_guest_on_mapped_object_is_ebusy);
	tcase_add_test(tc, failed_add_seals_changes_nothing);
	tcase_add_test(tc, shrink_when_sealed_is_eperm);
	tcase_add_test(tc, grow_when_sealed_is_eperm);
	tcase_add_test(tc, guest_size_must_be_page_multiple);
	tcase_add_test(tc, size_beyond_maximum_is_efbig);
	tcase_add_test(tc, shrink_invalidates_then_frees_pages_past_eof);
	tcase_add_test(tc, read_of_guest_object_is_eperm);
	tcase_add_test(tc, write_of_guest_object_is_eperm);
	tcase_add_test(tc, write_when_write_sealed_is_eperm);
	tcase_add_test(tc, write_when_future_write_sealed_is_eperm);
	tcase_add_test(tc, write_past_size_grows_unless_grow_sealed);
	tcase_add_test(tc, read_stops_at_eof);
	tcase_add_test(tc, map_of_guest_object_is_eperm);
	tcase_add_test(tc, future_write_forbids_new_writable_maps);
	tcase_add_test(tc, write_seal_forbids_writable_maps);
	tcase_add_test(tc, unmap_without_mapping_is_einval);
	tcase_add_test(tc, mappers_are_invalidated_after_the_owner_before_any_free);
	tcase_add_test(tc, fallocate_gives_zeroed_pages_and_grows_size);
	tcase_add_test(tc, fallocate_uses_2m_extents_for_aligned_blocks);
	tcase_add_test(tc, small_pages_object_never_gets_extents);
	tcase_add_test(tc, guest_fallocate_must_be_page_aligned);
	tcase_add_test(tc, fallocate_past_size_when_grow_sealed_is_eperm);
	tcase_add_test(tc, fallocate_bad_mode_and_range);
	tcase_add_test(tc, fallocate_enospc_rolls_back_this_call_only);
	tcase_add_test(tc, get_page_enospc_leaves_no_index_node);
	tcase_add_test(tc, fallocate_enospc_on_empty_object_leaves_no_index_node);
	tcase_add_test(tc, fallocate_enospc_across_root_slots_leaves_no_index_node);
	tcase_add_test(tc, fallocate_calls_owner_with_page_range);
	tcase_add_test(tc, punch_invalidates_before_freeing);
	tcase_add_test(tc, punch_splits_a_2m_extent_and_frees_only_punched_pages);
	tcase_add_test(tc, punch_zeroes_partial_edge_pages_in_place);
	tcase_add_test(tc, punch_when_write_sealed_is_eperm);
	tcase_add_test(tc, register_null_owner_is_einval);
	tcase_add_test(tc, register_second_owner_is_eperm);
	tcase_add_test(tc, get_page_allocates_on_demand_and_names_the_object);
	tcase_add_test(tc, get_page_past_eof_is_einval);
	tcase_add_test(tc, owner_page_accounting);
	suite_add_tcase(s, tc);
	return s;
}
