/* Memory-object data: page allocation, read/write, the stage-2 fault path. */
#include <sealvisor/errno.h>
#include "lib/string.h"
#include "mm/memobj_internal.h"
#include "mm/pmm.h"

uint64_t memobj_alloc_data(struct memobj *obj, unsigned order)
{
	uint64_t pa = pmm_alloc(order, OWNER_MEMOBJ, obj->id);

	if (pa)
		obj->nr_pages += 1UL << order;
	return pa;
}

void memobj_drop_data(struct memobj *obj, uint64_t entry, unsigned order, struct reclaim *r)
{
	reclaim_block(r, entry & IE_ADDR, order, entry & IE_DIRTY);
	obj->nr_pages -= 1UL << order;
}

struct insert_ctx {
	struct memobj *obj;
	uint64_t pa;
};

static int insert_page(void *c, struct memobj_index *ix, uint64_t *slot,
		       uint64_t base, uint64_t lo, uint64_t hi)
{
	struct insert_ctx *ctx = c;

	(void)hi;
	if (!*slot) {
		*slot = idx_leaf_alloc(ix);
		if (!*slot)
			return -ENOMEM;
	}
	ctx->pa = memobj_alloc_data(ctx->obj, 0);
	if (!ctx->pa) {
		if (!idx_leaf_count(*slot)) {
			idx_leaf_free(ix, *slot);
			*slot = 0;
		}
		return -ENOSPC;
	}
	idx_leaf_set(*slot, lo - base, ctx->pa | IE_PRESENT);
	return 0;
}

/* The page at pgoff, allocating a 4 KiB page if absent, marked dirty: it
 * is about to be written or mapped, so it must be zeroed when it goes.
 * Lock held. */
static int lookup_or_alloc(struct memobj *obj, uint64_t pgoff, uint64_t *pa, unsigned *order)
{
	uint64_t e = idx_lookup(&obj->index, pgoff, order);
	struct insert_ctx ctx = { obj, 0 };

	if (e) {
		*pa = e & IE_ADDR;
	} else {
		int r = idx_walk(&obj->index, pgoff, pgoff + 1, true, insert_page, &ctx);
		if (r)
			return r == -ENOMEM ? -ENOSPC : r;
		*pa = ctx.pa;
		*order = 0;
	}
	*idx_entry(&obj->index, pgoff) |= IE_DIRTY;
	return 0;
}

int64_t memobj_read(struct memobj *obj, uint64_t off, void *buf, uint64_t len)
{
	uint64_t done = 0;
	unsigned order;

	spin_lock(&obj->lock);
	if (obj->seals & MEMOBJ_SEAL_GUEST) {
		spin_unlock(&obj->lock);
		return -EPERM;
	}
	if (off < obj->size && len > obj->size - off)
		len = obj->size - off;
	while (off < obj->size && done < len) {
		uint64_t in = off & ~PAGE_MASK, n = PAGE_SIZE - in;
		if (n > len - done)
			n = len - done;
		uint64_t e = idx_lookup(&obj->index, off >> PAGE_SHIFT, &order);
		if (e)
			memcpy((uint8_t *)buf + done, (uint8_t *)phys_to_virt(e & IE_ADDR) + in, n);
		else
			memset((uint8_t *)buf + done, 0, n);   /* a hole reads as zeros */
		done += n;
		off += n;
	}
	spin_unlock(&obj->lock);
	return (int64_t)done;
}

/* shmem_write_begin's seal checks, then copy-in allocating 4 KiB pages. A
 * write that runs out of memory part-way returns what it wrote, like
 * write(2); with nothing written, -ENOSPC. */
int64_t memobj_write(struct memobj *obj, uint64_t off, const void *buf, uint64_t len)
{
	uint64_t done = 0, pa;
	unsigned order;
	int err = 0;

	if (off > MEMOBJ_MAX_SIZE || len > MEMOBJ_MAX_SIZE - off)
		return -EFBIG;
	spin_lock(&obj->lock);
	if (obj->seals & (MEMOBJ_SEAL_WRITE | MEMOBJ_SEAL_FUTURE_WRITE))
		err = -EPERM;
	else if ((obj->seals & MEMOBJ_SEAL_GROW) && off + len > obj->size)
		err = -EPERM;
	else if (obj->seals & MEMOBJ_SEAL_GUEST)
		err = -EPERM;
	while (!err && done < len) {
		uint64_t in = off & ~PAGE_MASK, n = PAGE_SIZE - in;
		if (n > len - done)
			n = len - done;
		err = lookup_or_alloc(obj, off >> PAGE_SHIFT, &pa, &order);
		if (err)
			break;
		memcpy((uint8_t *)phys_to_virt(pa) + in, (const uint8_t *)buf + done, n);
		done += n;
		off += n;
	}
	if (done && off > obj->size)
		obj->size = off;
	spin_unlock(&obj->lock);
	return done ? (int64_t)done : err;
}

/* Both getters: the page at pgoff with the object lock held (0), or an
 * error with it dropped; allocate says whether a hole gets a page. */
static int get_page(struct memobj *obj, uint64_t pgoff, uint64_t *pa, unsigned *order, bool allocate)
{
	int r = -EINVAL;

	spin_lock(&obj->lock);
	if (pgoff < (obj->size + PAGE_SIZE - 1) >> PAGE_SHIFT) {
		uint64_t e = allocate ? 0 : idx_lookup(&obj->index, pgoff, order);
		r = allocate ? lookup_or_alloc(obj, pgoff, pa, order) : e ? 0 : -ENOENT;
		if (e)
			*pa = e & IE_ADDR;
	}
	if (r)
		spin_unlock(&obj->lock);
	return r;
}

int memobj_get_page(struct memobj *obj, uint64_t pgoff, uint64_t *pa, unsigned *order)
{
	return get_page(obj, pgoff, pa, order, true);
}

int memobj_get_page_if_present(struct memobj *obj, uint64_t pgoff, uint64_t *pa, unsigned *order)
{
	return get_page(obj, pgoff, pa, order, false);
}

void memobj_put_page(struct memobj *obj, uint64_t pa)
{
	(void)pa;
	spin_unlock(&obj->lock);
}
