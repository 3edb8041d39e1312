/* Shared by mm/memobj*.c only. */
#ifndef MM_MEMOBJ_INTERNAL_H
#define MM_MEMOBJ_INTERNAL_H

#include "mm/memobj.h"
#include "mm/memobj_index.h"
#include "mm/spinlock.h"

struct memobj {
	spinlock_t lock;                /* everything below */
	uint64_t id;                    /* never reused; names pages in metadata */
	unsigned refs;                  /* guarded by objects_lock, not lock */
	unsigned seals;
	uint64_t size;                  /* bytes */
	uint64_t nr_pages;              /* data pages held (4 KiB units) */
	unsigned maps, writable_maps;   /* mappings into the managing partition */
	void *owner;
	const struct memobj_owner_ops *owner_ops;
	struct memobj_index index;
	struct memobj *next, *prev;     /* all objects, under objects_lock */
};

#define PAGES_2M 512UL

/* Page allocation and release for object data; both zero the memory. */
uint64_t memobj_alloc_data(struct memobj *obj, unsigned order);
void memobj_free_data(struct memobj *obj, uint64_t pa, unsigned order);

/* Removes every page in [start, end) (pages), calling the owner's
 * invalidate_range first. Object lock held. */
void memobj_remove_range(struct memobj *obj, uint64_t start, uint64_t end);
/* Zeroes bytes [off, off + len) of one page if present (no allocation). */
void memobj_zero_partial(struct memobj *obj, uint64_t off, uint64_t len);

#endif
