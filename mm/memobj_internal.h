/* Shared by mm/memobj*.c only. */
#ifndef MM_MEMOBJ_INTERNAL_H
#define MM_MEMOBJ_INTERNAL_H

#include "mm/memobj.h"
#include "mm/memobj_index.h"
#include "mm/reclaim.h"
#include <stdbool.h>
#include "mm/spinlock.h"

struct memobj {
	spinlock_t lock;                /* everything below */
	uint64_t id;                    /* never reused; names pages in metadata */
	unsigned refs;                  /* guarded by objects_lock, not lock */
	unsigned seals;
	bool small_pages;               /* MEMOBJ_4K_ONLY */
	uint64_t size;                  /* bytes */
	uint64_t nr_pages;              /* data pages held (4 KiB units) */
	unsigned maps, writable_maps;   /* mappings into the managing partition */
	void *owner;
	const struct memobj_owner_ops *owner_ops;
	bool orphaned;                  /* a GUEST object whose VM is gone */
	struct memobj_mapper *mappers;
	struct memobj_index index;
	struct memobj *next, *prev;     /* all objects, under objects_lock */
};

#define PAGES_2M 512UL

/*
 * Object data pages are zero when they join the object and are zeroed when
 * they leave it (docs/ARCHITECTURE.md, invariant 4), so no object ever sees another
 * owner's bytes. memobj_alloc_data returns a zero page (free memory is
 * always zero: see pmm_alloc). A page leaves with memobj_drop_data (or as
 * a whole index leaf, memobj_falloc.c): out of the object's count, onto a
 * reclaim list (mm/reclaim.h) that zeroes it if it was ever handed out
 * (IE_DIRTY: get_page, write), fences and frees it once no lock is held; a
 * page nobody could have written is still zero and goes back as it is.
 */
uint64_t memobj_alloc_data(struct memobj *obj, unsigned order);
/* entry: the index entry (address and IE_* bits) of a 2^order block. */
void memobj_drop_data(struct memobj *obj, uint64_t entry, unsigned order, struct reclaim *r);

/* The owner's may_remove verdict (0 without an owner or the op). */
int memobj_may_remove(struct memobj *obj);
/* Removes every page in [start, end) (pages), calling the owner's
 * invalidate_range first; the pages go on r. Object lock held; the caller
 * calls reclaim_finish(r) once it has dropped it. */
void memobj_remove_range(struct memobj *obj, uint64_t start, uint64_t end, struct reclaim *r);
/* Zeroes bytes [off, off + len) of one page if present (no allocation). */
void memobj_zero_partial(struct memobj *obj, uint64_t off, uint64_t len);

#endif
