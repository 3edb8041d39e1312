#include <sealvisor/errno.h>
#include "lib/string.h"
#include "mm/memobj_index.h"
#include "mm/pmm.h"

#define L2_SHIFT (2 * IDX_SHIFT)      /* root slot: 2^18 pages */

static uint64_t *node_alloc(struct memobj_index *ix)
{
	uint64_t pa = pmm_alloc(0, OWNER_HV, ix->tag);

	if (!pa)
		return NULL;
	ix->nodes++;
	return phys_to_virt(pa);
}

static void node_free(struct memobj_index *ix, uint64_t *node)
{
	/* Node pages hold only physical addresses, but zero them anyway:
	 * docs/ARCHITECTURE.md, invariant 4, holds for every page that changes owner. */
	memset(node, 0, PAGE_SIZE);
	pmm_free_zeroed(virt_to_phys(node), 0);
	ix->nodes--;
}

static uint32_t *node_count(uint64_t *node)
{
	return &pmm_meta(virt_to_phys(node))->aux;
}

uint64_t *idx_leaf(uint64_t slot)
{
	return phys_to_virt(slot & IE_ADDR);
}

unsigned idx_leaf_count(uint64_t slot)
{
	return *node_count(idx_leaf(slot));
}

void idx_leaf_set(uint64_t slot, unsigned i, uint64_t entry)
{
	uint64_t *leaf = idx_leaf(slot);

	*node_count(leaf) += (entry != 0) - (leaf[i] != 0);
	leaf[i] = entry;
}

uint64_t idx_leaf_alloc(struct memobj_index *ix)
{
	uint64_t *leaf = node_alloc(ix);

	return leaf ? virt_to_phys(leaf) | IE_PRESENT | IE_TABLE : 0;
}

void idx_leaf_free(struct memobj_index *ix, uint64_t slot)
{
	node_free(ix, idx_leaf(slot));
}

uint64_t idx_leaf_detach(struct memobj_index *ix, uint64_t slot)
{
	ix->nodes--;
	return slot & IE_ADDR;
}

static bool root_empty(const struct memobj_index *ix)
{
	for (unsigned i = 0; i < IDX_FANOUT; i++)
		if (ix->root[i])
			return false;
	return true;
}

/* One root slot: the middle node covering pages [base, base + 2^18). */
static int walk_mid(struct memobj_index *ix, uint64_t *mid, uint64_t base,
		    uint64_t start, uint64_t end, bool create, idx_block_fn fn, void *ctx)
{
	unsigned first = (start - base) >> IDX_SHIFT, last = (end - 1 - base) >> IDX_SHIFT;

	for (unsigned i = first; i <= last; i++) {
		if (!mid[i] && !create)
			continue;
		uint64_t b = base + ((uint64_t)i << IDX_SHIFT), old = mid[i];
		uint64_t lo = start > b ? start : b;
		uint64_t hi = end < b + IDX_FANOUT ? end : b + IDX_FANOUT;
		int r = fn(ctx, ix, &mid[i], b, lo, hi);
		*node_count(mid) += (mid[i] != 0) - (old != 0);
		if (r < 0)
			return r;
	}
	return 0;
}

int idx_walk(struct memobj_index *ix, uint64_t start, uint64_t end, bool create,
	     idx_block_fn fn, void *ctx)
{
	if (end > IDX_MAX_PAGES || start >= end)
		return start == end ? 0 : -EINVAL;
	if (!ix->root) {
		if (!create)
			return 0;
		if (!(ix->root = node_alloc(ix)))
			return -ENOMEM;
	}
	int r = 0;
	for (uint64_t i = start >> L2_SHIFT; i <= (end - 1) >> L2_SHIFT && r >= 0; i++) {
		uint64_t base = i << L2_SHIFT;
		if (!ix->root[i]) {
			if (!create)
				continue;
			uint64_t *mid = node_alloc(ix);
			if (!mid) {
				r = -ENOMEM;
				break;
			}
			ix->root[i] = virt_to_phys(mid) | IE_PRESENT | IE_TABLE;
		}
		uint64_t *mid = phys_to_virt(ix->root[i] & IE_ADDR);
		r = walk_mid(ix, mid, base, start > base ? start : base,
			     end < base + (1UL << L2_SHIFT) ? end : base + (1UL << L2_SHIFT),
			     create, fn, ctx);
		if (*node_count(mid) == 0) {
			node_free(ix, mid);
			ix->root[i] = 0;
		}
	}
	/* A failed walk or a removing one (create false: punch, fallocate's
	 * undo) that leaves the root empty frees it (middle nodes go above):
	 * a refused call changes no page count, even a fallocate whose undo
	 * walk, not the failed one, empties the root it allocated. The root
	 * goes only with no middle node left: !root reads as all holes. */
	if ((r < 0 || !create) && root_empty(ix)) {
		node_free(ix, ix->root);
		ix->root = NULL;
	}
	return r;
}

uint64_t *idx_entry(struct memobj_index *ix, uint64_t pgoff)
{
	if (!ix->root || pgoff >= IDX_MAX_PAGES || !ix->root[pgoff >> L2_SHIFT])
		return NULL;
	uint64_t *mid = phys_to_virt(ix->root[pgoff >> L2_SHIFT] & IE_ADDR);
	uint64_t *slot = &mid[(pgoff >> IDX_SHIFT) & 511];
	if (!*slot || (*slot & IE_EXTENT))
		return *slot ? slot : NULL;
	uint64_t *leaf = idx_leaf(*slot);
	return leaf[pgoff & 511] ? &leaf[pgoff & 511] : NULL;
}

uint64_t idx_lookup(struct memobj_index *ix, uint64_t pgoff, unsigned *order)
{
	if (!ix->root || pgoff >= IDX_MAX_PAGES)
		return 0;
	uint64_t r = ix->root[pgoff >> L2_SHIFT];
	if (!r)
		return 0;
	uint64_t m = ((uint64_t *)phys_to_virt(r & IE_ADDR))[(pgoff >> IDX_SHIFT) & 511];
	if (!m)
		return 0;
	if (m & IE_EXTENT) {
		*order = IDX_SHIFT;
		return m + ((pgoff & 511) << PAGE_SHIFT);
	}
	*order = 0;
	return idx_leaf(m)[pgoff & 511];
}

void idx_destroy(struct memobj_index *ix)
{
	if (!ix->root)
		return;
	for (unsigned i = 0; i < IDX_FANOUT; i++) {
		if (!ix->root[i])
			continue;
		uint64_t *mid = phys_to_virt(ix->root[i] & IE_ADDR);
		for (unsigned j = 0; j < IDX_FANOUT; j++)
			if ((mid[j] & IE_TABLE))
				node_free(ix, idx_leaf(mid[j]));
		node_free(ix, mid);
	}
	node_free(ix, ix->root);
	ix->root = NULL;
}
