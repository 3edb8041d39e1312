/*
 * Pages that left their owner and wait to be zeroed and freed with no lock
 * held (issue 14 item 2). A punch of 1 GiB of written memory zeroes 1 GiB:
 * 20-25 ms under the object lock and the global hypercall lock made every
 * hypercall and every fault on the object wait that long. Now the object
 * only detaches its pages under its lock, after every mapping of them is
 * gone (the owner's invalidate_range: zap and shootdown), and they are
 * zeroed and freed once the locks are dropped.
 *
 * Why that is safe (docs/ARCHITECTURE.md, invariant 3): a page on a
 * reclaim list is in no object index, so no fault, read or write can find
 * it (each looks pages up under the object lock, and the detach happened
 * under it); it is in no stage-2 and no CPU's TLB holds it (the
 * invalidation finished before the detach); it is still allocated, so the
 * page allocator cannot hand it out. Nobody can reach it until
 * reclaim_run zeroes, fences and frees it, and only then can it be reused.
 *
 * The list is linked through the page metadata (page_meta.owner, which
 * names the owner only for the audit, and no audit looks at a page no
 * table maps), never through the pages themselves: linking 262,144 pages
 * of a 1 GiB punch by writing into each would miss the cache 262,144
 * times under the lock. A whole 2 MiB block of single pages goes as its
 * index leaf node: one link for 512 pages.
 */
#ifndef MM_RECLAIM_H
#define MM_RECLAIM_H

#include <stdbool.h>
#include <stdint.h>

struct reclaim {
	uint64_t head, tail;         /* physical addresses, 0: empty */
	uint64_t pages;              /* 4 KiB units, leaf nodes not counted */
};

#define RECLAIM_INIT ((struct reclaim){ 0, 0, 0 })

/* A block of 2^order pages (allocated, no longer reachable); dirty: it may
 * hold data and must be zeroed. */
void reclaim_block(struct reclaim *r, uint64_t pa, unsigned order, bool dirty);
/* A detached object index leaf node: its present entries (memobj_index.h
 * IE_* bits: IE_DIRTY ones are zeroed) and then the node page itself. */
void reclaim_leaf(struct reclaim *r, uint64_t node_pa, unsigned present);
/* Zeroes what must be, fences, frees everything; r is empty after. */
void reclaim_run(struct reclaim *r);
/* Moves everything on src to the end of dst. */
void reclaim_splice(struct reclaim *dst, struct reclaim *src);
/*
 * With every lock dropped: reclaim_run, unless the caller's context defers
 * (the hypervisor's hypercall dispatcher, which still holds its global
 * lock and runs the list after dropping it: reclaim_deferred_list).
 */
void reclaim_finish(struct reclaim *r);
/* Where this CPU's hypercall collects pages to free after its global lock
 * is dropped, or NULL (free at once). Defined by the hypervisor (hv/);
 * weak, so a host build of mm/ alone frees at once. */
struct reclaim *reclaim_deferred_list(void) __attribute__((weak));

#endif
