#include <stdbool.h>
#include <sealvisor/errno.h>
#include "mm/heap.h"
#include "mm/pmm.h"
#include "mm/spinlock.h"
#include "lib/string.h"

#define NR_CLASSES 7            /* 16 .. 1024 bytes */
#define MIN_SHIFT 4

/* Kept at the end of each slab page; objects fill the page from offset 0. */
struct slab {
	struct slab *next, *prev;  /* partial list of its class */
	void *free;                /* free objects, linked through their first word */
	uint16_t inuse, total, cls;
};

static struct {
	spinlock_t lock;
	struct slab *partial[NR_CLASSES];
	struct heap_stats st;
} heap;

void heap_init(void)
{
	memset(&heap, 0, sizeof(heap));
}

static struct slab *slab_of(void *page)
{
	return (struct slab *)((uint8_t *)page + PAGE_SIZE - sizeof(struct slab));
}

static void partial_add(struct slab *s)
{
	s->prev = NULL;
	s->next = heap.partial[s->cls];
	if (s->next)
		s->next->prev = s;
	heap.partial[s->cls] = s;
}

static void partial_del(struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		heap.partial[s->cls] = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

static struct slab *slab_new(unsigned cls)
{
	uint64_t pa = pmm_alloc(0, OWNER_HEAP, 0);
	if (!pa)
		return NULL;
	pmm_meta(pa)->flags |= PAGE_SLAB;
	uint8_t *page = phys_to_virt(pa);
	struct slab *s = slab_of(page);
	size_t size = 1UL << (cls + MIN_SHIFT);

	memset(s, 0, sizeof(*s));
	s->cls = (uint16_t)cls;
	s->total = (uint16_t)((PAGE_SIZE - sizeof(*s)) / size);
	for (int i = s->total - 1; i >= 0; i--) {
		void **obj = (void **)(page + i * size);
		*obj = s->free;
		s->free = obj;
	}
	heap.st.slab_pages++;
	partial_add(s);
	return s;
}

static unsigned large_order(size_t size)
{
	unsigned order = 0;

	while ((PAGE_SIZE << order) < size)
		order++;
	return order;
}

void *kmalloc(size_t size)
{
	if (size == 0 || size > (PAGE_SIZE << PMM_MAX_ORDER))
		return NULL;
	if (size > (1UL << (MIN_SHIFT + NR_CLASSES - 1))) {
		unsigned order = large_order(size);
		uint64_t pa = pmm_alloc(order, OWNER_HEAP, 0);
		if (!pa)
			return NULL;
		spin_lock(&heap.lock);
		heap.st.large_pages += 1UL << order;
		heap.st.objects++;
		spin_unlock(&heap.lock);
		return phys_to_virt(pa);   /* pmm memory comes zeroed */
	}
	unsigned cls = 0;
	while ((1UL << (cls + MIN_SHIFT)) < size)
		cls++;
	spin_lock(&heap.lock);
	struct slab *s = heap.partial[cls] ? heap.partial[cls] : slab_new(cls);
	if (!s) {
		spin_unlock(&heap.lock);
		return NULL;
	}
	void **obj = s->free;
	s->free = *obj;
	if (++s->inuse == s->total)
		partial_del(s);
	heap.st.objects++;
	spin_unlock(&heap.lock);
	memset(obj, 0, 1UL << (cls + MIN_SHIFT));
	return obj;
}

static bool slab_holds_free(struct slab *s, void *p)
{
	for (void **o = s->free; o; o = *o)
		if (o == p)
			return true;
	return false;
}

static int slab_free(void *page, void *p)
{
	struct slab *s = slab_of(page);
	size_t size = 1UL << (s->cls + MIN_SHIFT);
	size_t off = (uint8_t *)p - (uint8_t *)page;

	if (off % size || off / size >= s->total || slab_holds_free(s, p))
		return -EINVAL;
	if (s->inuse-- == s->total)
		partial_add(s);
	*(void **)p = s->free;
	s->free = p;
	if (s->inuse == 0) {
		partial_del(s);
		pmm_meta(virt_to_phys(page))->flags &= ~PAGE_SLAB;
		pmm_free(virt_to_phys(page), 0);
		heap.st.slab_pages--;
	}
	return 0;
}

int kfree(void *p)
{
	int r = -EINVAL;

	if (!p)
		return 0;
	uint64_t pa = virt_to_phys(p);
	struct page_meta *m = pmm_meta(pa);

	spin_lock(&heap.lock);
	if (m && m->state == PAGE_USED && m->owner_type == OWNER_HEAP) {
		if (m->flags & PAGE_SLAB) {
			r = slab_free(phys_to_virt(pa & PAGE_MASK), p);
		} else if ((pa & ~PAGE_MASK) == 0 && (m->flags & PAGE_HEAD)) {
			unsigned order = m->order;
			r = pmm_free(pa, order);
			if (r == 0)
				heap.st.large_pages -= 1UL << order;
		}
	}
	if (r == 0)
		heap.st.objects--;
	else
		heap.st.bad_frees++;
	spin_unlock(&heap.lock);
	return r;
}

void heap_get_stats(struct heap_stats *s)
{
	spin_lock(&heap.lock);
	*s = heap.st;
	spin_unlock(&heap.lock);
}
