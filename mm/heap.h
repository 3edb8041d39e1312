/*
 * Small-object heap over the page allocator. Sizes up to 1024 bytes come from
 * per-size-class slab pages (returned to the page allocator when empty);
 * larger ones are whole page blocks. Memory is zeroed (kzalloc semantics).
 */
#ifndef MM_HEAP_H
#define MM_HEAP_H

#include <stddef.h>
#include <stdint.h>

void heap_init(void);
void *kmalloc(size_t size);            /* zeroed; NULL if out of memory */
/* -EINVAL (and nothing freed) for a pointer the heap did not hand out or
 * already took back. */
int kfree(void *p);

struct heap_stats {
	uint64_t slab_pages, large_pages, objects, bad_frees;
};
void heap_get_stats(struct heap_stats *s);

#endif
