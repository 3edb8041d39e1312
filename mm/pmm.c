#include <stdbool.h>
#include <sealvisor/errno.h>
#include "mm/fatal.h"
#include "mm/pmm.h"
#include "mm/spinlock.h"
#include "mm/zero.h"
#include "lib/string.h"

#define NIL 0xffffffffu

static struct {
	spinlock_t lock;
	uint64_t base_pfn, nr_pages;
	struct page_meta *meta;
	uint32_t free_head[PMM_NR_ORDERS];
	struct pmm_stats st;
} pmm;

static inline struct page_meta *M(uint64_t idx)
{
	return &pmm.meta[idx];
}

static bool pa_to_idx(uint64_t pa, uint64_t *idx)
{
	uint64_t pfn = pa >> PAGE_SHIFT;

	if (pa & ~PAGE_MASK || pfn < pmm.base_pfn || pfn - pmm.base_pfn >= pmm.nr_pages)
		return false;
	*idx = pfn - pmm.base_pfn;
	return true;
}

static uint64_t idx_to_pa(uint64_t idx)
{
	return (idx + pmm.base_pfn) << PAGE_SHIFT;
}

/* Buddy alignment is by absolute pfn, not by index into the span. */
static uint64_t buddy_of(uint64_t idx, unsigned order)
{
	return ((idx + pmm.base_pfn) ^ (1UL << order)) - pmm.base_pfn;
}

static void list_push(uint64_t idx, unsigned order)
{
	struct page_meta *m = M(idx);

	m->prev = NIL;
	m->next = pmm.free_head[order];
	if (m->next != NIL)
		M(m->next)->prev = (uint32_t)idx;
	pmm.free_head[order] = (uint32_t)idx;
	pmm.st.free_blocks[order]++;
}

static void list_remove(uint64_t idx, unsigned order)
{
	struct page_meta *m = M(idx);

	if (m->prev != NIL)
		M(m->prev)->next = m->next;
	else
		pmm.free_head[order] = m->next;
	if (m->next != NIL)
		M(m->next)->prev = m->prev;
	pmm.st.free_blocks[order]--;
}

static void set_pages(uint64_t idx, unsigned order, uint8_t state,
		      uint8_t owner_type, uint64_t owner, uint8_t flags)
{
	for (uint64_t i = idx; i < idx + (1UL << order); i++) {
		struct page_meta *m = M(i);
		m->state = state;
		m->owner_type = owner_type;
		m->owner = owner;
		m->flags = flags;
		m->order = 0;
		m->aux = 0;
	}
	M(idx)->flags |= PAGE_HEAD;
	M(idx)->order = (uint8_t)order;
}

static bool is_free_head(uint64_t idx, unsigned order)
{
	struct page_meta *m = M(idx);

	return m->state == PAGE_FREE && (m->flags & PAGE_HEAD) && m->order == order;
}

/* Inserts a block whose pages are already marked FREE, merging upwards. */
static void insert_merge(uint64_t idx, unsigned order)
{
	while (order < PMM_MAX_ORDER) {
		uint64_t b = buddy_of(idx, order);
		if (b >= pmm.nr_pages || !is_free_head(b, order))
			break;
		list_remove(b, order);
		uint64_t hi = b > idx ? b : idx;
		M(hi)->flags &= ~PAGE_HEAD;
		idx = b < idx ? b : idx;
		order++;
	}
	M(idx)->flags |= PAGE_HEAD;
	M(idx)->order = (uint8_t)order;
	list_push(idx, order);
}

size_t pmm_meta_bytes(uint64_t span_start, uint64_t span_end)
{
	return ((span_end - span_start) >> PAGE_SHIFT) * sizeof(struct page_meta);
}

int pmm_init(uint64_t span_start, uint64_t span_end, struct page_meta *meta)
{
	if ((span_start | span_end) & ~PAGE_MASK || span_end <= span_start ||
	    ((span_end - span_start) >> PAGE_SHIFT) >= NIL || !meta)
		return -EINVAL;
	memset(&pmm, 0, sizeof(pmm));
	pmm.base_pfn = span_start >> PAGE_SHIFT;
	pmm.nr_pages = (span_end - span_start) >> PAGE_SHIFT;
	pmm.meta = meta;
	memset(meta, 0, pmm_meta_bytes(span_start, span_end));
	for (unsigned o = 0; o < PMM_NR_ORDERS; o++)
		pmm.free_head[o] = NIL;
	pmm.st.span_pages = pmm.nr_pages;
	return 0;
}

static int check_reserved_range(uint64_t base, uint64_t len, uint64_t *first)
{
	uint64_t last;

	if (!len || (base | len) & ~PAGE_MASK || !pa_to_idx(base, first) ||
	    !pa_to_idx(base + len - PAGE_SIZE, &last))
		return -EINVAL;
	for (uint64_t i = *first; i <= last; i++)
		if (M(i)->state != PAGE_RESERVED || M(i)->flags)
			return -EEXIST;
	return 0;
}

int pmm_add_range(uint64_t base, uint64_t len)
{
	uint64_t idx;

	spin_lock(&pmm.lock);
	int r = check_reserved_range(base, len, &idx);
	if (r == 0) {
		/* Free memory is always zero: this is the one time it is
		 * zeroed without having had an owner. */
		zero_nocache(phys_to_virt(base), len);
		zero_fence();
		uint64_t end = idx + (len >> PAGE_SHIFT);
		while (idx < end) {
			unsigned order = 0;
			uint64_t pfn = idx + pmm.base_pfn;
			while (order < PMM_MAX_ORDER && !(pfn & (1UL << order)) &&
			       idx + (2UL << order) <= end)
				order++;
			set_pages(idx, order, PAGE_FREE, OWNER_NONE, 0, 0);
			insert_merge(idx, order);
			idx += 1UL << order;
		}
		pmm.st.free_pages += len >> PAGE_SHIFT;
		pmm.st.managed_pages += len >> PAGE_SHIFT;
	}
	spin_unlock(&pmm.lock);
	return r;
}

int pmm_mark_fixed(uint64_t base, uint64_t len, uint8_t owner_type)
{
	uint64_t idx;

	spin_lock(&pmm.lock);
	int r = check_reserved_range(base, len, &idx);
	if (r == 0) {
		for (uint64_t i = idx; i < idx + (len >> PAGE_SHIFT); i++)
			set_pages(i, 0, PAGE_USED, owner_type, 0, PAGE_FIXED);
		pmm.st.by_owner[owner_type] += len >> PAGE_SHIFT;
		pmm.st.managed_pages += len >> PAGE_SHIFT;
	}
	spin_unlock(&pmm.lock);
	return r;
}

static void zero_block(uint64_t pa, unsigned order)
{
	zero_nocache(phys_to_virt(pa), PAGE_SIZE << order);
	zero_fence();
}

uint64_t pmm_alloc(unsigned order, uint8_t owner_type, uint64_t owner)
{
	unsigned o;
	uint64_t idx;

	if (order > PMM_MAX_ORDER || owner_type == OWNER_NONE || owner_type >= OWNER_NR)
		return 0;
	spin_lock(&pmm.lock);
	for (o = order; o < PMM_NR_ORDERS && pmm.free_head[o] == NIL; o++)
		;
	if (o == PMM_NR_ORDERS) {
		spin_unlock(&pmm.lock);
		return 0;
	}
	idx = pmm.free_head[o];
	list_remove(idx, o);
	while (o > order) {  /* give back the upper halves */
		o--;
		uint64_t hi = idx + (1UL << o);
		M(hi)->flags |= PAGE_HEAD;
		M(hi)->order = (uint8_t)o;
		list_push(hi, o);
	}
	set_pages(idx, order, PAGE_USED, owner_type, owner, 0);
	pmm.st.free_pages -= 1UL << order;
	pmm.st.by_owner[owner_type] += 1UL << order;
	spin_unlock(&pmm.lock);
	return idx_to_pa(idx);
}

/* Lock held. A free of a page that is free, or that another pmm_free is
 * zeroing, is a broken ownership invariant, not bad input. */
static void check_not_double_free(uint64_t pa, unsigned order)
{
	uint64_t idx;

	if (!pa_to_idx(pa, &idx))
		return;
	struct page_meta *m = M(idx);
	if (m->state == PAGE_FREE || (m->flags & PAGE_FREEING))
		panic("pmm: double free of page 0x%lx (order %u, %s)\n", pa, order,
		      m->state == PAGE_FREE ? "already free" : "being freed");
	if (m->flags & PAGE_PINNED)
		panic("pmm: free of pinned page 0x%lx (order %u): a CPU's own page\n", pa, order);
}

/* A block the caller may free or re-own: allocated head of this order,
 * not being freed. */
static int check_used_block(uint64_t pa, unsigned order, uint64_t *idx)
{
	if (order > PMM_MAX_ORDER || !pa_to_idx(pa, idx))
		return -EINVAL;
	struct page_meta *m = M(*idx);
	if (m->state != PAGE_USED || !(m->flags & PAGE_HEAD) ||
	    (m->flags & (PAGE_FIXED | PAGE_FREEING | PAGE_PINNED)) || m->order != order)
		return -EINVAL;
	return 0;
}

/* Lock held: the block leaves its owner for the free lists. */
static void release_block(uint64_t idx, unsigned order)
{
	pmm.st.by_owner[M(idx)->owner_type] -= 1UL << order;
	set_pages(idx, order, PAGE_FREE, OWNER_NONE, 0, 0);
	insert_merge(idx, order);
	pmm.st.free_pages += 1UL << order;
}

/* Lock held: the check every free makes; on success the block is claimed
 * (PAGE_FREEING) so that a second free of it panics, even while the first
 * zeroes it without the lock. */
static int claim_for_free(uint64_t pa, unsigned order, uint64_t *idx)
{
	check_not_double_free(pa, order);
	int r = check_used_block(pa, order, idx);
	if (r)
		pmm.st.bad_frees++;
	else
		M(*idx)->flags |= PAGE_FREEING;
	return r;
}

/* docs/ARCHITECTURE.md, invariant 4, in one place: a page is zeroed before it can change
 * owner, so every block freed here is zero when it reaches the free lists. */
void (*pmm_free_race_hook)(uint64_t pa);

int pmm_free(uint64_t pa, unsigned order)
{
	uint64_t idx;

	spin_lock(&pmm.lock);
	int r = claim_for_free(pa, order, &idx);
	spin_unlock(&pmm.lock);
	if (r)
		return r;
	if (pmm_free_race_hook)
		pmm_free_race_hook(pa);
	zero_block(pa, order);
	spin_lock(&pmm.lock);
	release_block(idx, order);
	spin_unlock(&pmm.lock);
	return 0;
}

int pmm_free_zeroed(uint64_t pa, unsigned order)
{
	uint64_t idx;

	spin_lock(&pmm.lock);
	int r = claim_for_free(pa, order, &idx);
	if (r == 0)
		release_block(idx, order);
	spin_unlock(&pmm.lock);
	return r;
}

int pmm_check_free_zero(const char **why)
{
	int r = 0;

	*why = "ok";
	spin_lock(&pmm.lock);
	for (unsigned o = 0; o < PMM_NR_ORDERS && !r; o++) {
		for (uint32_t i = pmm.free_head[o]; i != NIL && !r; i = M(i)->next) {
			const uint64_t *p = phys_to_virt(idx_to_pa(i));
			for (uint64_t w = 0; w < (PAGE_SIZE << o) / 8; w++) {
				if (p[w]) {
					*why = "a free block holds data";
					r = -EINVAL;
					break;
				}
			}
		}
	}
	spin_unlock(&pmm.lock);
	return r;
}

int pmm_pin(uint64_t pa, unsigned order)
{
	uint64_t idx;

	spin_lock(&pmm.lock);
	int r = check_used_block(pa, order, &idx);
	if (r == 0)
		M(idx)->flags |= PAGE_PINNED;
	spin_unlock(&pmm.lock);
	return r;
}

int pmm_split(uint64_t pa, unsigned order)
{
	uint64_t idx;

	spin_lock(&pmm.lock);
	int r = check_used_block(pa, order, &idx);
	if (r == 0) {
		for (uint64_t i = idx; i < idx + (1UL << order); i++) {
			M(i)->flags |= PAGE_HEAD;
			M(i)->order = 0;
		}
	}
	spin_unlock(&pmm.lock);
	return r;
}

int pmm_set_owner(uint64_t pa, unsigned order, uint8_t owner_type, uint64_t owner)
{
	uint64_t idx;

	if (owner_type == OWNER_NONE || owner_type >= OWNER_NR)
		return -EINVAL;
	spin_lock(&pmm.lock);
	int r = check_used_block(pa, order, &idx);
	if (r == 0) {
		pmm.st.by_owner[M(idx)->owner_type] -= 1UL << order;
		pmm.st.by_owner[owner_type] += 1UL << order;
		for (uint64_t i = idx; i < idx + (1UL << order); i++) {
			M(i)->owner_type = owner_type;
			M(i)->owner = owner;
		}
	}
	spin_unlock(&pmm.lock);
	return r;
}

struct page_meta *pmm_meta(uint64_t pa)
{
	uint64_t idx;

	return pa_to_idx(pa & PAGE_MASK, &idx) ? M(idx) : NULL;
}

void pmm_get_stats(struct pmm_stats *s)
{
	spin_lock(&pmm.lock);
	*s = pmm.st;
	spin_unlock(&pmm.lock);
}

uint64_t pmm_free_pages(void)
{
	return __atomic_load_n(&pmm.st.free_pages, __ATOMIC_RELAXED);
}

static int check_block(uint64_t idx, const char **why)
{
	struct page_meta *h = M(idx);
	uint64_t n = 1UL << h->order;

	if (h->order > PMM_MAX_ORDER || idx + n > pmm.nr_pages ||
	    ((idx + pmm.base_pfn) & (n - 1)))
		return *why = "block head with a bad order or alignment", -EINVAL;
	for (uint64_t i = idx + 1; i < idx + n; i++) {
		struct page_meta *t = M(i);
		if (t->state != h->state || (t->flags & PAGE_HEAD))
			return *why = "block tail disagrees with its head", -EINVAL;
		if (h->state == PAGE_USED && (t->owner_type != h->owner_type ||
					      t->owner != h->owner))
			return *why = "block tail has another owner", -EINVAL;
	}
	return 0;
}

/* Walks every page and every free list; O(span). For tests and self-check. */
int pmm_check(const char **why)
{
	uint64_t free = 0, listed = 0, owned[OWNER_NR] = { 0 };
	int r = 0;

	*why = "ok";
	spin_lock(&pmm.lock);
	for (uint64_t i = 0; i < pmm.nr_pages && !r;) {
		struct page_meta *m = M(i);
		if (m->state == PAGE_RESERVED) {
			i++;
			continue;
		}
		if (!(m->flags & PAGE_HEAD)) {
			*why = "managed page outside any block";
			r = -EINVAL;
			break;
		}
		r = check_block(i, why);
		if (m->state == PAGE_FREE)
			free += 1UL << m->order;
		else
			owned[m->owner_type] += 1UL << m->order;
		i += 1UL << m->order;
	}
	for (unsigned o = 0; o < PMM_NR_ORDERS && !r; o++) {
		uint64_t count = 0;
		for (uint32_t i = pmm.free_head[o]; i != NIL; i = M(i)->next) {
			if (!is_free_head(i, o)) {
				*why = "free list holds a block that is not a free head of its order";
				r = -EINVAL;
				break;
			}
			uint64_t b = buddy_of(i, o);
			if (o < PMM_MAX_ORDER && b < pmm.nr_pages && is_free_head(b, o)) {
				*why = "two free buddies were not merged";
				r = -EINVAL;
				break;
			}
			count++;
			listed += 1UL << o;
		}
		if (!r && count != pmm.st.free_blocks[o]) {
			*why = "free-block count disagrees with the lists";
			r = -EINVAL;
		}
	}
	if (!r && (free != pmm.st.free_pages || listed != free)) {
		*why = "free-page count disagrees with the metadata";
		r = -EINVAL;
	}
	for (unsigned t = 0; t < OWNER_NR && !r; t++) {
		if (owned[t] != pmm.st.by_owner[t]) {
			*why = "per-owner page count disagrees with the metadata";
			r = -EINVAL;
		}
	}
	spin_unlock(&pmm.lock);
	return r;
}
