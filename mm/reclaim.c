/* Zeroing and freeing detached pages outside every lock (mm/reclaim.h). */
#include "lib/string.h"
#include "mm/memobj_index.h"
#include "mm/pmm.h"
#include "mm/reclaim.h"
#include "mm/zero.h"

/* page_meta.owner of a list element: the next element's address, and in
 * the low bits what this element is. */
#define RC_DIRTY 1UL
#define RC_LEAF  2UL
#define RC_KIND  0xfffUL

static void push(struct reclaim *r, uint64_t pa, uint64_t kind)
{
	pmm_meta(pa)->owner = kind;               /* the new tail: no next */
	if (r->tail)
		pmm_meta(r->tail)->owner |= pa;
	else
		r->head = pa;
	r->tail = pa;
}

void reclaim_block(struct reclaim *r, uint64_t pa, unsigned order, bool dirty)
{
	push(r, pa, dirty ? RC_DIRTY : 0);
	r->pages += 1UL << order;
}

void reclaim_leaf(struct reclaim *r, uint64_t node_pa, unsigned present)
{
	push(r, node_pa, RC_LEAF);
	r->pages += present;
}

void reclaim_splice(struct reclaim *dst, struct reclaim *src)
{
	if (!src->head)
		return;
	if (dst->tail)
		pmm_meta(dst->tail)->owner |= src->head;
	else
		dst->head = src->head;
	dst->tail = src->tail;
	dst->pages += src->pages;
	*src = RECLAIM_INIT;
}

/* A leaf node's pages: all dirty ones zeroed, one fence, all freed; then
 * the node page, zeroed like every page that changes owner. */
static void run_leaf(uint64_t node_pa)
{
	uint64_t *e = phys_to_virt(node_pa);

	for (unsigned i = 0; i < IDX_FANOUT; i++)
		if ((e[i] & (IE_PRESENT | IE_DIRTY)) == (IE_PRESENT | IE_DIRTY))
			zero_nocache(phys_to_virt(e[i] & IE_ADDR), PAGE_SIZE);
	zero_fence();
	for (unsigned i = 0; i < IDX_FANOUT; i++)
		if (e[i] & IE_PRESENT)
			pmm_free_zeroed(e[i] & IE_ADDR, 0);
	memset(e, 0, PAGE_SIZE);
	pmm_free_zeroed(node_pa, 0);
}

void reclaim_run(struct reclaim *r)
{
	uint64_t pa = r->head;

	while (pa) {
		struct page_meta *m = pmm_meta(pa);
		uint64_t link = m->owner, next = link & ~RC_KIND;
		if (link & RC_LEAF) {
			run_leaf(pa);
		} else {
			if (link & RC_DIRTY)
				zero_nocache(phys_to_virt(pa), PAGE_SIZE << m->order);
			zero_fence();
			pmm_free_zeroed(pa, m->order);
		}
		pa = next;
	}
	*r = RECLAIM_INIT;
}

void reclaim_finish(struct reclaim *r)
{
	struct reclaim *later = reclaim_deferred_list ? reclaim_deferred_list() : NULL;

	if (later)
		reclaim_splice(later, r);
	else
		reclaim_run(r);
}
