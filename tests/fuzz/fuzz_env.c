/*
 * The fuzzer's environment: fake RAM, a heap ASan can see, and the
 * invariant checks run after every step.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "mm/heap.h"
#include "mm/pmm.h"
#include "tests/fuzz/fuzz.h"

void fuzz_arena_init(uint64_t bytes)
{
	void *arena = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	void *meta = calloc(1, pmm_meta_bytes(0, bytes));

	if (arena == MAP_FAILED || !meta)
		fuzz_fail("cannot set up a %lu-byte arena", bytes);
	phys_virt_offset = (uintptr_t)arena;
	/* Page 0 stays reserved, like on the real machine (pa 0 means "none"). */
	if (pmm_init(0, bytes, meta) || pmm_add_range(PAGE_SIZE, bytes - PAGE_SIZE))
		fuzz_fail("pmm_init of the arena failed");
}

/*
 * mm/heap.c is replaced by malloc in this build, on purpose: its only host
 * user is struct memobj, and with malloc AddressSanitizer sees every
 * object's lifetime, so a use after the last memobj_close is reported at
 * the access instead of landing silently in a reused slab slot.
 */
void heap_init(void)
{
}

void *kmalloc(size_t size)
{
	return size ? calloc(1, size) : NULL;
}

int kfree(void *p)
{
	free(p);
	return 0;
}

void heap_get_stats(struct heap_stats *s)
{
	*s = (struct heap_stats){ 0 };
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n==== fuzz_hypercalls: invariant violated: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fuzz_trace_dump();
	abort();
}

/* Every live memory object, found through what holds a reference: the
 * control partition's handles and mappings and every guest's regions. */
struct objset {
	struct memobj *obj[SV_MAX_HANDLES + SV_MAX_MAPS + SV_MAX_VMS * SV_MAX_REGIONS];
	unsigned n;
};

static void objset_add(struct objset *s, struct memobj *o)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->obj[i] == o)
			return;
	s->obj[s->n++] = o;
}

static void collect_objects(struct vm *control, struct objset *s)
{
	s->n = 0;
	for (unsigned h = 0; h < SV_MAX_HANDLES; h++)
		if (control->handles[h])
			objset_add(s, control->handles[h]);
	for (unsigned m = 0; m < SV_MAX_MAPS; m++)
		if (control->maps[m].used)
			objset_add(s, control->maps[m].obj);
	for (unsigned i = 1; i < SV_MAX_VMS; i++)
		for (unsigned r = 0; vms[i].in_use && r < vms[i].nr_regions; r++) {
			objset_add(s, vms[i].regions[r].obj);
			/* A region's shared memory (SET_SHARED_MEMORY). */
			if (vms[i].regions[r].attr && vms[i].regions[r].attr->shared_obj)
				objset_add(s, vms[i].regions[r].attr->shared_obj);
		}
}

/* Every page is free or has one owner, and the owners' counts add up. */
static void check_pmm_totals(struct vm *control, const struct pmm_stats *st, const char *what)
{
	uint64_t sum = st->free_pages;

	for (unsigned t = 0; t < OWNER_NR; t++)
		sum += st->by_owner[t];
	if (sum != st->managed_pages)
		fuzz_fail("after %s: free %lu + owned pages = %lu, but %lu pages are managed", what,
			  st->free_pages, sum, st->managed_pages);
	if (st->by_owner[OWNER_PARTITION] != control->ram_size >> PAGE_SHIFT)
		fuzz_fail("after %s: %lu partition pages, the control partition has %lu", what,
			  st->by_owner[OWNER_PARTITION], control->ram_size >> PAGE_SHIFT);
	if (st->bad_frees)
		fuzz_fail("after %s: the page allocator refused %lu double/foreign frees", what,
			  st->bad_frees);
}

/* Stage-2 table pages are all held by some live VM, in its tree: a table
 * a zap retired is freed by the end of the same invalidation. */
static void check_stage2_pages(const struct pmm_stats *st, const char *what)
{
	uint64_t tables = 0;

	for (unsigned i = 0; i < SV_MAX_VMS; i++) {
		if (!vms[i].in_use)
			continue;
		tables += vms[i].s2.tables;
		if (vms[i].s2.nr_retired)
			fuzz_fail("after %s: VM %u still holds %lu retired tables", what, i,
				  vms[i].s2.nr_retired);
	}
	if (tables != st->by_owner[OWNER_STAGE2])
		fuzz_fail("after %s: %lu stage-2 pages allocated, live VMs' tables hold %lu", what,
			  st->by_owner[OWNER_STAGE2], tables);
}

/* Memory-object pages: exactly the reachable objects' pages, and split by
 * owner (no owner, or a live guest) they add up to the same. */
static void check_memobj_pages(struct vm *control, const struct pmm_stats *st, const char *what)
{
	static struct objset s;
	uint64_t pages = 0, by_owner = memobj_owner_pages(NULL);

	collect_objects(control, &s);
	if (s.n != memobj_nr_objects())
		fuzz_fail("after %s: %lu memory objects exist, %u are reachable", what,
			  memobj_nr_objects(), s.n);
	for (unsigned i = 0; i < s.n; i++)
		pages += memobj_nr_pages(s.obj[i]);
	if (pages != st->by_owner[OWNER_MEMOBJ])
		fuzz_fail("after %s: %lu memobj pages allocated, objects hold %lu", what,
			  st->by_owner[OWNER_MEMOBJ], pages);
	for (unsigned i = 1; i < SV_MAX_VMS; i++)
		if (vms[i].in_use)
			by_owner += memobj_owner_pages(&vms[i]);
	if (by_owner != pages)
		fuzz_fail("after %s: objects hold %lu pages, by owner (none or a live VM) %lu", what,
			  pages, by_owner);
}

/* A control-partition leaf above its RAM grants write only through a
 * writable mapping (vm_audit checks owners, not rights). */
static int check_map_rights(void *ctx, uint64_t gpa, uint64_t hpa, unsigned level, unsigned prot)
{
	struct vm *control = ctx;
	struct object_map *m = vm_find_map(control, gpa);

	(void)hpa, (void)level;
	if (gpa >= control->ram_size && (prot & S2_WRITE) && (!m || !m->writable))
		return -1;
	return 0;
}

void fuzz_check_step(struct vm *control, const char *what)
{
	struct pmm_stats st;

	if (vm_audit())
		fuzz_fail("ownership audit (vm_audit) failed after %s", what);
	if (stage2_for_each(&control->s2, check_map_rights, control))
		fuzz_fail("after %s: the control partition can write through a read-only mapping",
			  what);
	pmm_get_stats(&st);
	check_pmm_totals(control, &st, what);
	check_stage2_pages(&st, what);
	check_memobj_pages(control, &st, what);
}

void fuzz_check_empty(struct vm *control, uint64_t free_baseline)
{
	const char *why;

	fuzz_check_step(control, "teardown");
	for (unsigned i = 1; i < SV_MAX_VMS; i++)
		if (vms[i].in_use)
			fuzz_fail("teardown: VM %u still exists", i);
	if (memobj_nr_objects())
		fuzz_fail("teardown: %lu memory objects left", memobj_nr_objects());
	if (pmm_free_pages() != free_baseline)
		fuzz_fail("teardown: %lu pages free, %lu at start: %ld pages leaked", pmm_free_pages(),
			  free_baseline, (long)(free_baseline - pmm_free_pages()));
	if (pmm_check(&why))
		fuzz_fail("teardown: pmm_check: %s", why);
}
