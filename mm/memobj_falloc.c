/* fallocate, punch-hole and truncation of memory objects (shmem_fallocate,
 * shmem_undo_range). Every function here but memobj_fallocate runs with the
 * object lock held; pages that leave go on a reclaim list that is zeroed
 * and freed after the lock is dropped (mm/reclaim.h). */
#include <stdbool.h>
#include <sealvisor/errno.h>
#include "lib/string.h"
#include "mm/memobj_internal.h"
#include "mm/pmm.h"
#include "mm/reclaim.h"

static bool whole_block(uint64_t base, uint64_t lo, uint64_t hi)
{
	return lo == base && hi == base + PAGES_2M;
}

/* Detaches the pages of leaf entries [lo, hi) selected by `mask` onto r
 * (they are zeroed and freed once the locks are dropped, mm/reclaim.h). A
 * whole leaf of removed pages goes as one node. */
static void drop_leaf_entries(struct memobj *obj, struct memobj_index *ix, uint64_t *slot,
			      uint64_t base, uint64_t lo, uint64_t hi, uint64_t mask,
			      struct reclaim *r)
{
	uint64_t *leaf = idx_leaf(*slot);

	if (mask == IE_PRESENT && whole_block(base, lo, hi)) {
		unsigned n = idx_leaf_count(*slot);
		obj->nr_pages -= n;
		reclaim_leaf(r, idx_leaf_detach(ix, *slot), n);
		*slot = 0;
		return;
	}
	for (uint64_t i = lo - base; i < hi - base; i++) {
		if ((leaf[i] & mask) != mask)
			continue;
		memobj_drop_data(obj, leaf[i], 0, r);
		idx_leaf_set(*slot, i, 0);
	}
	if (!idx_leaf_count(*slot)) {
		idx_leaf_free(ix, *slot);
		*slot = 0;
	}
}

static void drop_extent(struct memobj *obj, uint64_t *slot, struct reclaim *r)
{
	memobj_drop_data(obj, *slot, ORDER_2M, r);
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

struct drop_ctx {
	struct memobj *obj;
	struct reclaim *r;
};

static int remove_block(void *c, struct memobj_index *ix, uint64_t *slot,
			uint64_t base, uint64_t lo, uint64_t hi)
{
	struct drop_ctx *ctx = c;

	if (*slot & IE_EXTENT) {
		if (whole_block(base, lo, hi)) {
			drop_extent(ctx->obj, slot, ctx->r);
			return 0;
		}
		if (!split_extent(ix, slot)) {
			uint64_t pa = (*slot & IE_ADDR) + ((lo - base) << PAGE_SHIFT);
			memset(phys_to_virt(pa), 0, (hi - lo) << PAGE_SHIFT);
			return 0;
		}
	}
	drop_leaf_entries(ctx->obj, ix, slot, base, lo, hi, IE_PRESENT, ctx->r);
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

void memobj_remove_range(struct memobj *obj, uint64_t start, uint64_t end, struct reclaim *r)
{
	if (start >= end)
		return;
	/* Every mapping goes before any page leaves the index
	 * (docs/ARCHITECTURE.md, invariant 3): what leaves is unreachable. */
	memobj_invalidate_only(obj, start, end);
	idx_walk(&obj->index, start, end, false, remove_block, &(struct drop_ctx){ obj, r });
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
	struct drop_ctx *ctx = c;

	if (*slot & IE_EXTENT) {
		if (*slot & IE_NEW)
			drop_extent(ctx->obj, slot, ctx->r);
		return 0;
	}
	drop_leaf_entries(ctx->obj, ix, slot, base, lo, hi, IE_PRESENT | IE_NEW, ctx->r);
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

static int falloc_alloc(struct memobj *obj, unsigned mode, uint64_t off, uint64_t len,
			struct reclaim *rc)
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
		idx_walk(&obj->index, start, end, false, undo_block, &(struct drop_ctx){ obj, rc });
		return r == -ENOMEM ? -ENOSPC : r;
	}
	idx_walk(&obj->index, start, end, false, commit_block, NULL);
	if (!(mode & MEMOBJ_FALLOC_KEEP_SIZE) && off + len > obj->size)
		obj->size = off + len;
	if (obj->owner && obj->owner_ops->fallocate)
		obj->owner_ops->fallocate(obj, obj->owner, start, end);
	return 0;
}

static int falloc_punch(struct memobj *obj, uint64_t off, uint64_t len, struct reclaim *r)
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
	memobj_remove_range(obj, first, last, r);
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
	struct reclaim gone = RECLAIM_INIT;
	spin_lock(&obj->lock);
	int r = (mode & MEMOBJ_FALLOC_PUNCH_HOLE) ? falloc_punch(obj, off, len, &gone)
						  : falloc_alloc(obj, mode, off, len, &gone);
	spin_unlock(&obj->lock);
	reclaim_finish(&gone);          /* zeroing and freeing, with no lock held */
	return r;
}
