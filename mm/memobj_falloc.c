/* fallocate, punch-hole and truncation of memory objects (shmem_fallocate,
 * shmem_undo_range). Every function here runs with the object lock held. */
#include <stdbool.h>
#include <sealvisor/errno.h>
#include "lib/string.h"
#include "mm/memobj_internal.h"
#include "mm/pmm.h"
#include "mm/zero.h"

static bool whole_block(uint64_t base, uint64_t lo, uint64_t hi)
{
	return lo == base && hi == base + PAGES_2M;
}

/* Frees the pages of leaf entries [lo, hi) selected by `mask`: all are
 * zeroed, one fence, then all are released. */
static void free_leaf_entries(struct memobj *obj, struct memobj_index *ix, uint64_t *slot,
			      uint64_t base, uint64_t lo, uint64_t hi, uint64_t mask)
{
	uint64_t *leaf = idx_leaf(*slot);

	for (uint64_t i = lo - base; i < hi - base; i++)
		if ((leaf[i] & mask) == mask && (leaf[i] & IE_DIRTY))
			memobj_zero_data(leaf[i] & IE_ADDR, 0);
	zero_fence();
	for (uint64_t i = lo - base; i < hi - base; i++) {
		if ((leaf[i] & mask) != mask)
			continue;
		memobj_release_data(obj, leaf[i] & IE_ADDR, 0);
		idx_leaf_set(*slot, i, 0);
	}
	if (!idx_leaf_count(*slot)) {
		idx_leaf_free(ix, *slot);
		*slot = 0;
	}
}

static void free_extent(struct memobj *obj, uint64_t *slot)
{
	if (*slot & IE_DIRTY)
		memobj_zero_data(*slot & IE_ADDR, ORDER_2M);
	zero_fence();
	memobj_release_data(obj, *slot & IE_ADDR, ORDER_2M);
	*slot = 0;
}

/* A 2 MiB extent becomes a leaf of 512 single pages, so part of it can be
 * freed. Without memory for the leaf, the part is zeroed in place instead:
 * the data is gone either way, only the memory is not returned. */
static bool split_extent(struct memobj_index *ix, uint64_t *slot)
{
	uint64_t pa = *slot & IE_ADDR, leaf = idx_leaf_alloc(ix);

	if (!leaf)
		return false;
	pmm_split(pa, ORDER_2M);
	for (unsigned i = 0; i < PAGES_2M; i++)
		idx_leaf_set(leaf, i, (pa + i * PAGE_SIZE) | IE_PRESENT | (*slot & (IE_NEW | IE_DIRTY)));
	*slot = leaf;
	return true;
}

static int remove_block(void *c, struct memobj_index *ix, uint64_t *slot,
			uint64_t base, uint64_t lo, uint64_t hi)
{
	struct memobj *obj = c;

	if (*slot & IE_EXTENT) {
		if (whole_block(base, lo, hi)) {
			free_extent(obj, slot);
			return 0;
		}
		if (!split_extent(ix, slot)) {
			uint64_t pa = (*slot & IE_ADDR) + ((lo - base) << PAGE_SHIFT);
			memset(phys_to_virt(pa), 0, (hi - lo) << PAGE_SHIFT);
			return 0;
		}
	}
	free_leaf_entries(obj, ix, slot, base, lo, hi, IE_PRESENT);
	return 0;
}

int memobj_may_remove(struct memobj *obj)
{
	if (!obj->owner || !obj->owner_ops->may_remove)
		return 0;
	return obj->owner_ops->may_remove(obj, obj->owner);
}

/* Owner first, then every mapper: all translations of [start, end) go. */
static void memobj_invalidate_only(struct memobj *obj, uint64_t start, uint64_t end)
{
	if (obj->owner)
		obj->owner_ops->invalidate_range(obj, obj->owner, start, end);
	for (struct memobj_mapper *m = obj->mappers; m; m = m->next)
		m->invalidate(obj, m->ctx, start, end);
}

void memobj_remove_range(struct memobj *obj, uint64_t start, uint64_t end)
{
	if (start >= end)
		return;
	/* Every mapping goes before any page does (docs/ARCHITECTURE.md, invariant 3). */
	memobj_invalidate_only(obj, start, end);
	idx_walk(&obj->index, start, end, false, remove_block, obj);
}

void memobj_zero_partial(struct memobj *obj, uint64_t off, uint64_t len)
{
	unsigned order;
	uint64_t e = idx_lookup(&obj->index, off >> PAGE_SHIFT, &order);

	if (e)
		memset((uint8_t *)phys_to_virt(e & IE_ADDR) + (off & ~PAGE_MASK), 0, len);
}

struct falloc_ctx {
	struct memobj *obj;
	bool allocated;        /* this call added at least one page */
};

/* A whole empty 2 MiB block gets an extent if memory allows; everything
 * else gets 4 KiB pages where none is present. New entries carry IE_NEW
 * until the call succeeds, so a failure can undo exactly them. */
static int falloc_block(void *c, struct memobj_index *ix, uint64_t *slot,
			uint64_t base, uint64_t lo, uint64_t hi)
{
	struct falloc_ctx *ctx = c;

	if (*slot & IE_EXTENT)
		return 0;
	if (!*slot && whole_block(base, lo, hi) && !ctx->obj->small_pages) {
		uint64_t pa = memobj_alloc_data(ctx->obj, ORDER_2M);
		if (pa) {
			*slot = pa | IE_PRESENT | IE_EXTENT | IE_NEW;
			ctx->allocated = true;
			return 0;
		}
	}
	if (!*slot && !(*slot = idx_leaf_alloc(ix)))
		return -ENOSPC;
	uint64_t *leaf = idx_leaf(*slot);
	for (uint64_t i = lo - base; i < hi - base; i++) {
		if (leaf[i])
			continue;
		uint64_t pa = memobj_alloc_data(ctx->obj, 0);
		if (!pa) {
			if (!idx_leaf_count(*slot)) {
				idx_leaf_free(ix, *slot);
				*slot = 0;
			}
			return -ENOSPC;
		}
		idx_leaf_set(*slot, i, pa | IE_PRESENT | IE_NEW);
		ctx->allocated = true;
	}
	return 0;
}

static int undo_block(void *c, struct memobj_index *ix, uint64_t *slot,
		      uint64_t base, uint64_t lo, uint64_t hi)
{
	struct memobj *obj = c;

	if (*slot & IE_EXTENT) {
		if (*slot & IE_NEW)
			free_extent(obj, slot);
		return 0;
	}
	free_leaf_entries(obj, ix, slot, base, lo, hi, IE_PRESENT | IE_NEW);
	return 0;
}

static int commit_block(void *c, struct memobj_index *ix, uint64_t *slot,
			uint64_t base, uint64_t lo, uint64_t hi)
{
	(void)c, (void)ix;
	if (*slot & IE_EXTENT) {
		*slot &= ~IE_NEW;
		return 0;
	}
	uint64_t *leaf = idx_leaf(*slot);
	for (uint64_t i = lo - base; i < hi - base; i++)
		leaf[i] &= ~IE_NEW;
	return 0;
}

static int falloc_alloc(struct memobj *obj, unsigned mode, uint64_t off, uint64_t len)
{
	uint64_t start = off >> PAGE_SHIFT, end = (off + len + PAGE_SIZE - 1) >> PAGE_SHIFT;
	struct falloc_ctx ctx = { obj, false };

	/* shmem checks GROW even with KEEP_SIZE. */
	if ((obj->seals & MEMOBJ_SEAL_GROW) && off + len > obj->size)
		return -EPERM;
	if ((obj->seals & MEMOBJ_SEAL_GUEST) && ((off | len) & ~PAGE_MASK))
		return -EINVAL;
	int r = idx_walk(&obj->index, start, end, true, falloc_block, &ctx);
	if (r) {
		/* Like shmem's unfalloc: drop only what this call added. */
		if (ctx.allocated)
			memobj_invalidate_only(obj, start, end);
		idx_walk(&obj->index, start, end, false, undo_block, obj);
		return r == -ENOMEM ? -ENOSPC : r;
	}
	idx_walk(&obj->index, start, end, false, commit_block, NULL);
	if (!(mode & MEMOBJ_FALLOC_KEEP_SIZE) && off + len > obj->size)
		obj->size = off + len;
	if (obj->owner && obj->owner_ops->fallocate)
		obj->owner_ops->fallocate(obj, obj->owner, start, end);
	return 0;
}

static int falloc_punch(struct memobj *obj, uint64_t off, uint64_t len)
{
	uint64_t first = (off + PAGE_SIZE - 1) >> PAGE_SHIFT, last = (off + len) >> PAGE_SHIFT;

	if (obj->seals & (MEMOBJ_SEAL_WRITE | MEMOBJ_SEAL_FUTURE_WRITE))
		return -EPERM;
	if ((obj->seals & MEMOBJ_SEAL_GUEST) && ((off | len) & ~PAGE_MASK))
		return -EINVAL;
	int err = memobj_may_remove(obj);
	if (err)
		return err;
	if (first > last) {            /* inside one page */
		memobj_zero_partial(obj, off, len);
		return 0;
	}
	if (off & ~PAGE_MASK)
		memobj_zero_partial(obj, off, PAGE_SIZE - (off & ~PAGE_MASK));
	if ((off + len) & ~PAGE_MASK)
		memobj_zero_partial(obj, last << PAGE_SHIFT, (off + len) & ~PAGE_MASK);
	memobj_remove_range(obj, first, last);
	return 0;
}

int memobj_fallocate(struct memobj *obj, unsigned mode, uint64_t off, uint64_t len)
{
	const unsigned known = MEMOBJ_FALLOC_KEEP_SIZE | MEMOBJ_FALLOC_PUNCH_HOLE;

	/* vfs_fallocate's order of checks. */
	if (len == 0)
		return -EINVAL;
	if (mode & ~known)
		return -EOPNOTSUPP;
	if ((mode & MEMOBJ_FALLOC_PUNCH_HOLE) && !(mode & MEMOBJ_FALLOC_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (off > MEMOBJ_MAX_SIZE || len > MEMOBJ_MAX_SIZE - off)
		return -EFBIG;
	spin_lock(&obj->lock);
	int r = (mode & MEMOBJ_FALLOC_PUNCH_HOLE) ? falloc_punch(obj, off, len)
						  : falloc_alloc(obj, mode, off, len);
	spin_unlock(&obj->lock);
	return r;
}
