/*
 * The page index of a memory object: a three-level radix tree keyed by page
 * offset, shaped like a page table (512 slots a node, one 4 KiB page a
 * node). A slot of the middle level covers 2 MiB and holds either a leaf
 * node of 512 page entries or, directly, a 2 MiB extent. Lookups are O(1):
 * three loads. Node pages come from the page allocator and go back to it
 * when they empty (their live-slot count is kept in the node page's
 * metadata `aux`), so an empty index holds at most its root.
 */
#ifndef MM_MEMOBJ_INDEX_H
#define MM_MEMOBJ_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#define IDX_FANOUT     512
#define IDX_SHIFT      9
#define IDX_MAX_PAGES  (1UL << 27)

/* Entry bits; the rest of an entry is a page-aligned physical address. */
#define IE_PRESENT 0x1UL
#define IE_TABLE   0x2UL    /* middle level: points to a leaf node */
#define IE_EXTENT  0x4UL    /* middle level: a 2 MiB extent */
#define IE_NEW     0x8UL    /* allocated by the fallocate in progress */
#define IE_DIRTY   0x10UL   /* handed out (get_page, write): may hold data */
#define IE_ADDR    (~0xfffUL)

struct memobj_index {
	uint64_t *root;         /* 512 slots of 1 GiB each, or NULL */
	uint64_t tag;           /* owner tag for node pages (the object id) */
	uint64_t nodes;         /* node pages held, root included */
};

/*
 * Visits each 2 MiB block overlapping [start, end) that has a middle-level
 * slot (with create, the path to it is built). fn gets the slot, the
 * block's first page index and the covered part [lo, hi) of the block. It
 * may change the slot (0, an extent, a leaf node): the walk keeps the node
 * counts and frees nodes that empty. A negative return stops the walk.
 */
typedef int (*idx_block_fn)(void *ctx, struct memobj_index *ix, uint64_t *slot,
			    uint64_t base, uint64_t lo, uint64_t hi);
int idx_walk(struct memobj_index *ix, uint64_t start, uint64_t end, bool create,
	     idx_block_fn fn, void *ctx);

/* Leaf node helpers for walk callbacks (they keep the node's count). */
uint64_t *idx_leaf(uint64_t slot);
void idx_leaf_set(uint64_t slot, unsigned i, uint64_t entry);
/* Allocates an empty leaf node, or 0 (returns the slot value to store). */
uint64_t idx_leaf_alloc(struct memobj_index *ix);
/* Frees a leaf node whose count reached 0. */
void idx_leaf_free(struct memobj_index *ix, uint64_t slot);
unsigned idx_leaf_count(uint64_t slot);
/* Takes a leaf node out of the index's count (the caller clears its slot)
 * and returns its page, which the caller now frees (mm/reclaim.h). */
uint64_t idx_leaf_detach(struct memobj_index *ix, uint64_t slot);

/* Where the entry for pgoff is kept: the leaf entry, or the 2 MiB slot
 * of an extent (flags set there cover the whole extent); NULL if absent. */
uint64_t *idx_entry(struct memobj_index *ix, uint64_t pgoff);
/* The page entry at pgoff (0 if none) and its order (0 or 9). */
uint64_t idx_lookup(struct memobj_index *ix, uint64_t pgoff, unsigned *order);
/* Frees every node, root included; the caller freed the pages. */
void idx_destroy(struct memobj_index *ix);

#endif
