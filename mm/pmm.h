/*
 * Physical page allocator: a binary buddy allocator over page frames, with a
 * metadata entry for every page in the managed span (docs/ARCHITECTURE.md, invariant 1:
 * every page has exactly one owner, recorded here).
 *
 * Blocks are aligned to their size in *physical* address terms, so an
 * order-9 block is a naturally aligned 2 MiB page usable as a stage-2 leaf.
 * Allocation and free are O(log n) in the number of orders; the per-page
 * owner record costs one metadata write per page of the block.
 *
 * Locking: one global spinlock, taken inside every call; callers may hold
 * object and stage-2 locks (it is always the innermost lock).
 */
#ifndef MM_PMM_H
#define MM_PMM_H

#include <stddef.h>
#include <stdint.h>
#include "mm/phys.h"

#define PMM_MAX_ORDER 18           /* 1 GiB blocks */
#define PMM_NR_ORDERS (PMM_MAX_ORDER + 1)
#define ORDER_2M 9

enum page_state {
	PAGE_RESERVED = 0,         /* not RAM we manage: holes, firmware, MMIO */
	PAGE_FREE,
	PAGE_USED,
};

enum page_owner {
	OWNER_NONE = 0,
	OWNER_HV,                  /* hypervisor image, metadata, its own tables */
	OWNER_HEAP,                /* mm/heap.c */
	OWNER_PARTITION,           /* a partition's own memory */
	OWNER_MEMOBJ,              /* a page of a memory object */
	OWNER_STAGE2,              /* a stage-2 (NPT/EPT) table page */
	OWNER_NR,
};

#define PAGE_HEAD  0x01            /* first page of a block; order is valid */
#define PAGE_FIXED 0x02            /* owned from boot; pmm_free refuses it */
#define PAGE_SLAB  0x04            /* heap page cut into small objects */
#define PAGE_FREEING 0x08          /* pmm_free is zeroing it: already not the owner's */
#define PAGE_PINNED  0x10          /* held for the hypervisor's life: a free panics */

struct page_meta {
	uint32_t next, prev;       /* free-list links (free block heads only) */
	uint8_t state;             /* enum page_state */
	uint8_t order;             /* block order (heads only) */
	uint8_t owner_type;        /* enum page_owner */
	uint8_t flags;
	uint32_t aux;              /* owner-private */
	uint64_t owner;            /* owner identity (object, partition id) */
};

struct pmm_stats {
	uint64_t span_pages;       /* pages covered by metadata */
	uint64_t managed_pages;    /* pages ever handed to the allocator or fixed */
	uint64_t free_pages;
	uint64_t bad_frees;        /* double/foreign frees refused */
	uint64_t by_owner[OWNER_NR];
	uint64_t free_blocks[PMM_NR_ORDERS];
};

size_t pmm_meta_bytes(uint64_t span_start, uint64_t span_end);
/* Starts over with every page of [span_start, span_end) RESERVED. */
int pmm_init(uint64_t span_start, uint64_t span_end, struct page_meta *meta);
/* Zeroes RESERVED pages and gives them to the allocator. -EINVAL outside
 * the span or unaligned, -EEXIST if a page is already managed (overlapping
 * map). */
int pmm_add_range(uint64_t base, uint64_t len);
/* Records RESERVED pages as permanently owned (image, metadata). */
int pmm_mark_fixed(uint64_t base, uint64_t len, uint8_t owner_type);

/*
 * Returns the physical address of a 2^order-page block, or 0 if none.
 * Free memory is always zero (zeroed when it is added, and by pmm_free when
 * it comes back), so the block is zero and nobody zeroes it twice: each
 * page is zeroed once per trip through the allocator, as it leaves its
 * owner.
 */
uint64_t pmm_alloc(unsigned order, uint8_t owner_type, uint64_t owner);
/*
 * Zeroes the block, then frees it (docs/ARCHITECTURE.md, invariant 4: a page is zeroed
 * before it changes owner). -EINVAL, and nothing touched, for a foreign or
 * fixed page or an order mismatch. A double free (the page is free, or
 * another pmm_free of it is zeroing it) panics with the page: two owners
 * thought they held it, and a later one would free a reallocated page
 * under its new owner.
 */
int pmm_free(uint64_t pa, unsigned order);
/* pmm_free for a block the caller zeroed already (and fenced, mm/zero.h). */
int pmm_free_zeroed(uint64_t pa, unsigned order);
/* Turns an allocated order-n block into 2^n order-0 blocks (same owner). */
int pmm_split(uint64_t pa, unsigned order);
/*
 * Marks an allocated block as never freed (a CPU's VM_HSAVE_PA page and
 * VMSAVE area, its VMXON region): a later free of it is a stale or wrong
 * address somewhere, and panics naming the page instead of zeroing a page
 * the CPU still uses. -EINVAL unless an allocated head of that order.
 */
int pmm_pin(uint64_t pa, unsigned order);
/* Hands an allocated block to a new owner. */
int pmm_set_owner(uint64_t pa, unsigned order, uint8_t owner_type, uint64_t owner);

struct page_meta *pmm_meta(uint64_t pa);   /* NULL outside the span */
void pmm_get_stats(struct pmm_stats *s);
uint64_t pmm_free_pages(void);
/* Full consistency walk; on failure returns -EINVAL and a reason in why. */
int pmm_check(const char **why);
/* Tests only: reads every free byte, which must be zero. */
int pmm_check_free_zero(const char **why);
/* Host tests only: called by pmm_free between its check and its free,
 * while it zeroes without the lock (the window another CPU can race). */
extern void (*pmm_free_race_hook)(uint64_t pa);

#endif
