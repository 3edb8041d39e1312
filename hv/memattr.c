/* The attribute bitmaps (hv/memattr.h). Host-testable: no VM here. */
#include <sealvisor/errno.h>
#include <sealvisor/hypercall.h>
#include "hv/memattr.h"
#include "mm/heap.h"

static uint64_t words(uint64_t npages)
{
	return (npages + 63) / 64;
}

int memattr_create(uint64_t npages, struct memattr **out)
{
	if (!npages || npages > SV_MEMATTR_MAX_PAGES)
		return -E2BIG;
	struct memattr *a = kmalloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->npages = npages;
	a->shared = kmalloc(words(npages) * 8);
	a->accepted = kmalloc(words(npages) * 8);
	if (!a->shared || !a->accepted) {
		memattr_free(a);
		return -ENOMEM;
	}
	for (uint64_t w = 0; w < words(npages); w++)
		a->accepted[w] = ~0UL;   /* bits past npages are never read */
	*out = a;
	return 0;
}

void memattr_free(struct memattr *a)
{
	if (!a)
		return;
	if (a->shared)
		kfree(a->shared);
	if (a->accepted)
		kfree(a->accepted);
	kfree(a);
}

static bool test_bit(const uint64_t *map, uint64_t pg)
{
	return (__atomic_load_n(&map[pg / 64], __ATOMIC_ACQUIRE) >> (pg % 64)) & 1;
}

static void put_bit(uint64_t *map, uint64_t pg, bool on)
{
	uint64_t bit = 1UL << (pg % 64);

	if (on)
		__atomic_fetch_or(&map[pg / 64], bit, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&map[pg / 64], ~bit, __ATOMIC_SEQ_CST);
}

bool memattr_is_shared(const struct memattr *a, uint64_t pg)
{
	return test_bit(a->shared, pg);
}

bool memattr_is_accepted(const struct memattr *a, uint64_t pg)
{
	return test_bit(a->accepted, pg);
}

void memattr_set_shared(struct memattr *a, uint64_t pg, bool shared)
{
	put_bit(a->shared, pg, shared);
}

void memattr_set_accepted(struct memattr *a, uint64_t pg, bool accepted)
{
	put_bit(a->accepted, pg, accepted);
}

/* Whether bits [pg, pg + n) of map are all `want`, a word at a time: a
 * 2 MiB fault asks about 512 pages (bit by bit it was most of the fault's
 * cost on Bochs, make bench-guest's fault-2m row). */
static bool range_is(const uint64_t *map, uint64_t pg, uint64_t n, bool want)
{
	while (n) {
		unsigned off = pg % 64;
		uint64_t take = n < 64 - off ? n : 64 - off;
		uint64_t mask = (take == 64 ? ~0UL : (1UL << take) - 1) << off;
		uint64_t w = __atomic_load_n(&map[pg / 64], __ATOMIC_ACQUIRE) & mask;

		if (w != (want ? mask : 0))
			return false;
		pg += take;
		n -= take;
	}
	return true;
}

bool memattr_all(const struct memattr *a, uint64_t pg, uint64_t n, bool shared)
{
	return range_is(a->shared, pg, n, shared);
}

bool memattr_any_accepted(const struct memattr *a, uint64_t pg, uint64_t n)
{
	return !range_is(a->accepted, pg, n, false);
}

void memattr_withdraw_private(struct memattr *a, uint64_t pg, uint64_t n)
{
	while (n) {
		unsigned off = pg % 64;
		uint64_t take = n < 64 - off ? n : 64 - off;
		uint64_t mask = (take == 64 ? ~0UL : (1UL << take) - 1) << off;
		uint64_t private = ~__atomic_load_n(&a->shared[pg / 64], __ATOMIC_ACQUIRE) & mask;

		if (__atomic_load_n(&a->accepted[pg / 64], __ATOMIC_ACQUIRE) & private)
			__atomic_fetch_and(&a->accepted[pg / 64], ~private, __ATOMIC_SEQ_CST);
		pg += take;
		n -= take;
	}
}

bool memattr_private_accepted(const struct memattr *a, uint64_t pg, uint64_t n)
{
	return range_is(a->shared, pg, n, false) && range_is(a->accepted, pg, n, true);
}

enum memattr_verdict memattr_decide(const struct memattr *a, uint64_t pg)
{
	if (!memattr_is_accepted(a, pg))
		return MEMATTR_VE;
	if (!memattr_is_shared(a, pg))
		return MEMATTR_MAP_PRIVATE;
	return a->shared_obj ? MEMATTR_MAP_SHARED : MEMATTR_EXIT;
}

void memattr_shared_runs(const struct memattr *a, void (*fn)(void *, uint64_t, uint64_t),
			 void *ctx)
{
	for (uint64_t pg = 0; pg < a->npages;) {
		if (!memattr_is_shared(a, pg)) {
			pg++;
			continue;
		}
		uint64_t n = 1;
		while (pg + n < a->npages && memattr_is_shared(a, pg + n))
			n++;
		fn(ctx, pg, n);
		pg += n;
	}
}
