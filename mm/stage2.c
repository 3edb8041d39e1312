#include <sealvisor/errno.h>
#include "mm/pmm.h"
#include "mm/stage2.h"

#define TOP_LEVEL 3
#define ENTRIES 512

static unsigned index_at(uint64_t gpa, unsigned level)
{
	return (gpa >> (PAGE_SHIFT + 9 * level)) & 511;
}

static uint64_t level_size(unsigned level)
{
	return PAGE_SIZE << (9 * level);
}

static uint64_t *table_va(uint64_t pa)
{
	return phys_to_virt(pa);
}

/* Live entries of a table, kept in its page's metadata. */
static uint32_t *live(uint64_t table_pa)
{
	return &pmm_meta(table_pa)->aux;
}

static uint64_t new_table(struct stage2 *s)
{
	uint64_t pa = pmm_alloc(0, OWNER_STAGE2, s->tag);   /* zero */

	if (pa)
		s->tables++;
	return pa;
}

static void free_table(struct stage2 *s, uint64_t pa)
{
	pmm_free(pa, 0);
	s->tables--;
}

/* Out of the tree, but maybe still in a paging-structure cache: keep it
 * until stage2_free_retired, which runs only after the shootdown. Its
 * entries may still hold translations (a subtree wholly inside a zap
 * retires without clearing its leaves one by one): a CPU that cached a
 * path to it may load them until the flush, exactly like a stale TLB
 * entry, and the pages they name are freed only after the flush too
 * (hv/invalidate.h). The table page is zeroed when it is freed
 * (pmm_free). A link in entry 0 is a bare address, not present in either
 * format. */
static void retire_table(struct stage2 *s, uint64_t pa)
{
	uint64_t *t = table_va(pa);

	__atomic_store_n(&t[0], s->retired, __ATOMIC_RELAXED);
	/* The generation this zap moves to (stage2_zap bumps it once, under
	 * the lock held here): the live count is no longer needed. */
	*live(pa) = (uint32_t)(s->generation + 1);
	s->retired = pa;
	s->nr_retired++;
}

/* Lock held: frees the list from `pa` on (its link already cut). */
static void free_retired_list(struct stage2 *s, uint64_t pa)
{
	while (pa) {
		uint64_t next = table_va(pa)[0];
		table_va(pa)[0] = 0;
		*live(pa) = 0;
		free_table(s, pa);
		s->nr_retired--;
		pa = next;
	}
}

void stage2_free_retired(struct stage2 *s)
{
	spin_lock(&s->lock);
	free_retired_list(s, s->retired);
	s->retired = 0;
	spin_unlock(&s->lock);
}

/* The list is newest first and zaps are serialised by the lock, so the
 * tables retired at generations after `upto` are a prefix: keep it. */
void stage2_free_retired_upto(struct stage2 *s, uint64_t upto)
{
	uint64_t *link = &s->retired;

	spin_lock(&s->lock);
	while (*link && (int32_t)(*live(*link) - (uint32_t)upto) > 0)
		link = &table_va(*link)[0];
	uint64_t old = *link;
	*link = 0;
	free_retired_list(s, old);
	spin_unlock(&s->lock);
}

static void set_entry(uint64_t table_pa, unsigned i, uint64_t e, const struct stage2_fmt *f)
{
	uint64_t *t = table_va(table_pa);

	/* Atomic: stage2_zap reads the root's count without the lock. */
	__atomic_store_n(live(table_pa), *live(table_pa) + f->present(e) - f->present(t[i]),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&t[i], e, __ATOMIC_RELEASE);   /* the CPU walks it concurrently */
}

int stage2_init(struct stage2 *s, const struct stage2_fmt *fmt, uint64_t tag)
{
	*s = (struct stage2){ .fmt = fmt, .tag = tag };
	s->root = new_table(s);
	if (!s->root)
		return -ENOMEM;
	s->root_live = live(s->root);
	return 0;
}

static void destroy_level(struct stage2 *s, uint64_t table, unsigned level)
{
	uint64_t *t = table_va(table);

	for (unsigned i = 0; level > 0 && i < ENTRIES; i++)
		if (s->fmt->present(t[i]) && !(level == 1 && s->fmt->large(t[i])))
			destroy_level(s, s->fmt->addr(t[i]), level - 1);
	free_table(s, table);
}

void stage2_destroy(struct stage2 *s)
{
	stage2_free_retired(s);
	if (s->root)
		destroy_level(s, s->root, TOP_LEVEL);
	s->root = 0;
	s->root_live = NULL;
	s->leaves = 0;
}

/* The table at `level` covering gpa (level 0 = the page table), creating
 * tables on the way if `create`. 0 if absent (or a 2 MiB leaf is in the
 * way of a level-0 request). */
static uint64_t walk_to(struct stage2 *s, uint64_t gpa, unsigned level, bool create, int *err)
{
	uint64_t table = s->root;

	for (unsigned l = TOP_LEVEL; l > level; l--) {
		uint64_t *t = table_va(table), e = t[index_at(gpa, l)];
		if (!s->fmt->present(e)) {
			if (!create)
				return 0;
			uint64_t next = new_table(s);
			if (!next) {
				*err = -ENOMEM;
				return 0;
			}
			set_entry(table, index_at(gpa, l), s->fmt->table(next), s->fmt);
			table = next;
			continue;
		}
		if (l == 1 && s->fmt->large(e)) {
			*err = -EEXIST;
			return 0;
		}
		table = s->fmt->addr(e);
	}
	return table;
}

int stage2_map(struct stage2 *s, uint64_t gpa, uint64_t hpa, unsigned level, unsigned prot)
{
	uint64_t align = level_size(level) - 1;
	int err = 0;

	if (level > 1 || (gpa & align) || (hpa & align) || gpa >= S2_GPA_LIMIT || !prot)
		return -EINVAL;
	spin_lock(&s->lock);
	uint64_t table = walk_to(s, gpa, level, true, &err);
	if (table) {
		uint64_t *t = table_va(table);
		if (s->fmt->present(t[index_at(gpa, level)])) {
			err = -EEXIST;
		} else {
			set_entry(table, index_at(gpa, level), s->fmt->leaf(hpa, level, prot), s->fmt);
			s->leaves++;
		}
	}
	spin_unlock(&s->lock);
	return err;
}

struct zap {
	uint64_t start, end;
	int64_t removed;
	bool retired;                /* a table left the tree */
};

/*
 * A subtree wholly inside the zap: every table in it retires with its
 * entries as they are, and its leaves are counted from the tables' live
 * counts. Only table levels are read, never the 512 leaves of a page
 * table: 1 GiB of 4 KiB mappings costs 512 entries, not 262,144.
 */
static void retire_subtree(struct stage2 *s, uint64_t table, unsigned level, struct zap *z)
{
	uint64_t *t = table_va(table);

	if (level == 0) {
		z->removed += *live(table);
		s->leaves -= *live(table);
	}
	for (unsigned i = 0, seen = 0; level > 0 && seen < *live(table) && i < ENTRIES; i++) {
		if (!t[i] || !s->fmt->present(t[i]))
			continue;
		seen++;
		if (level == 1 && s->fmt->large(t[i])) {
			z->removed++;
			s->leaves--;
		} else {
			retire_subtree(s, s->fmt->addr(t[i]), level - 1, z);
		}
	}
	retire_table(s, table);
}

/*
 * Zaps every translation overlapping [z->start, z->end) inside `table` at
 * `level` covering `base`. Only the entries the range overlaps are read
 * (like KVM's TDP iterator), a subtree with no live entry is not entered,
 * and the scan of a table stops once its last live entry is gone: the cost
 * follows what is mapped, not the size of the range. A 2 MiB leaf only
 * partly covered goes whole: splitting it would need a table page, and a
 * zap must never allocate (it runs when memory may be exhausted, and cannot
 * fail halfway). The guest faults the rest of the 2 MiB back in, 4 KiB at a
 * time where the object split its extent. Returns true if the table became
 * empty.
 */
static bool zap_level(struct stage2 *s, uint64_t table, unsigned level, uint64_t base,
		      struct zap *z)
{
	uint64_t size = level_size(level), *t = table_va(table);
	uint64_t lo = z->start > base ? z->start : base;
	uint64_t hi = z->end - base < ENTRIES * size ? z->end : base + ENTRIES * size;
	unsigned first = (lo - base) / size, last = (hi - 1 - base) / size;

	for (unsigned i = first; i <= last && *live(table); i++) {
		if (!s->fmt->present(t[i]))
			continue;
		if (level == 0 || (level == 1 && s->fmt->large(t[i]))) {
			set_entry(table, i, 0, s->fmt);
			s->leaves--;
			z->removed++;
			continue;
		}
		uint64_t child = s->fmt->addr(t[i]), lo_i = base + i * size;
		if (z->start <= lo_i && lo_i + size <= z->end) {
			set_entry(table, i, 0, s->fmt);
			retire_subtree(s, child, level - 1, z);
			z->retired = true;
			continue;
		}
		if (!*live(child) || zap_level(s, child, level - 1, lo_i, z)) {
			set_entry(table, i, 0, s->fmt);
			retire_table(s, child);
			z->retired = true;
		}
	}
	return *live(table) == 0 && table != s->root;
}

int64_t stage2_zap(struct stage2 *s, uint64_t gpa, uint64_t len)
{
	struct zap z = { gpa, gpa + len, 0, false };

	if ((gpa | len) & ~PAGE_MASK || gpa >= S2_GPA_LIMIT || len > S2_GPA_LIMIT - gpa)
		return -EINVAL;
	/* An empty tree holds nothing to zap, and no path a CPU could cache.
	 * Safe without the lock: a translation inside the range can only be
	 * installed under a lock the caller holds (hv/invalidate.h), so any
	 * that matters is visible here; a map elsewhere racing this read
	 * does not matter. Saves the lock on punches of unmapped memory. */
	if (!stage2_may_hold(s))
		return 0;
	spin_lock(&s->lock);
	zap_level(s, s->root, TOP_LEVEL, 0, &z);
	/* A retired table alone moves it too: a CPU may cache the path to a
	 * table that held nothing (one a failed map left empty). */
	if (z.removed || z.retired)
		__atomic_add_fetch(&s->generation, 1, __ATOMIC_SEQ_CST);
	spin_unlock(&s->lock);
	return z.removed;
}

bool stage2_lookup(struct stage2 *s, uint64_t gpa, uint64_t *hpa, unsigned *level)
{
	bool found = false;

	spin_lock(&s->lock);
	uint64_t table = s->root;
	for (unsigned l = TOP_LEVEL; gpa < S2_GPA_LIMIT; l--) {
		uint64_t e = table_va(table)[index_at(gpa, l)];
		if (!s->fmt->present(e))
			break;
		if (l == 0 || (l == 1 && s->fmt->large(e))) {
			*hpa = s->fmt->addr(e) + (gpa & (level_size(l) - 1) & PAGE_MASK);
			*level = l;
			found = true;
			break;
		}
		table = s->fmt->addr(e);
	}
	spin_unlock(&s->lock);
	return found;
}

static bool zero8(const uint64_t *t)
{
	return !(t[0] | t[1] | t[2] | t[3] | t[4] | t[5] | t[6] | t[7]);
}

static int for_each_level(struct stage2 *s, uint64_t table, unsigned level, uint64_t base,
			  int (*fn)(void *, uint64_t, uint64_t, unsigned, unsigned), void *ctx)
{
	uint64_t *t = table_va(table);

	for (unsigned i = 0; i < ENTRIES; i++) {
		/* Most tables are nearly empty, and a zero entry is present in
		 * no format: skip runs of 8 zero entries at a time (the audit
		 * walks every table after every hypercall in test builds). */
		if (i % 8 == 0 && zero8(&t[i])) {
			i += 7;
			continue;
		}
		if (!t[i] || !s->fmt->present(t[i]))
			continue;
		uint64_t gpa = base + i * level_size(level);
		int r;
		if (level == 0 || (level == 1 && s->fmt->large(t[i])))
			r = fn(ctx, gpa, s->fmt->addr(t[i]), level, s->fmt->prot(t[i]));
		else
			r = for_each_level(s, s->fmt->addr(t[i]), level - 1, gpa, fn, ctx);
		if (r)
			return r;
	}
	return 0;
}

int stage2_for_each(struct stage2 *s, int (*fn)(void *, uint64_t, uint64_t, unsigned, unsigned),
		    void *ctx)
{
	spin_lock(&s->lock);
	int r = for_each_level(s, s->root, TOP_LEVEL, 0, fn, ctx);
	spin_unlock(&s->lock);
	return r;
}
