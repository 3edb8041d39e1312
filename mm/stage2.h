/*
 * Stage-2 (guest-physical -> host-physical) tables, walked by generic code.
 * The backend supplies the entry format (NPT or EPT, struct stage2_fmt);
 * the shape is the x86 4-level one: 512 entries a table, leaves of 4 KiB
 * (level 0) or 2 MiB (level 1).
 *
 * Locking: one spinlock a table set, taken inside every call. Lock order
 * (docs/ARCHITECTURE.md, "Lock order"): memory object -> stage-2 -> page allocator.
 *
 * Every zap that removes a translation bumps `generation` before it
 * returns; a CPU must flush the VM's TLB entries (ASID / VPID / EPT
 * context) before it next enters the VM with an older generation.
 *
 * Table pages leave the tree only when a zap empties them (there is no
 * merging of a full page table into a 2 MiB leaf: a merge outside a zap
 * could retire a table that another CPU caches while a shootdown it
 * started after is already running, and that shootdown would then free
 * it). They are not freed at once: a CPU may still hold a cached pointer to them in
 * its paging-structure caches until the flush. They are kept on a retired
 * list that the owner frees with stage2_free_retired() once the flush is
 * done. A table a zap emptied is all zero; a subtree wholly inside a zap
 * retires as it is (its leaves are not cleared one by one), so until the
 * flush a stale walk may still find its translations, exactly as a stale
 * TLB entry would: the pages they name are freed only after the flush
 * too (hv/invalidate.h), and table pages are zeroed when freed.
 */
#ifndef MM_STAGE2_H
#define MM_STAGE2_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/spinlock.h"

#define S2_READ  1u
#define S2_WRITE 2u
#define S2_EXEC  4u
#define S2_RWX   (S2_READ | S2_WRITE | S2_EXEC)

#define S2_LEVEL_4K 0
#define S2_LEVEL_2M 1
#define S2_GPA_LIMIT (1UL << 48)

struct stage2_fmt {
	const char *name;
	uint64_t (*table)(uint64_t pa);                           /* non-leaf entry */
	uint64_t (*leaf)(uint64_t pa, unsigned level, unsigned prot);
	bool (*present)(uint64_t e);
	bool (*large)(uint64_t e);                                /* 2 MiB leaf */
	uint64_t (*addr)(uint64_t e);
	unsigned (*prot)(uint64_t e);
};

struct stage2 {
	spinlock_t lock;
	const struct stage2_fmt *fmt;
	uint64_t root;               /* physical address of the top table */
	uint32_t *root_live;         /* its live-entry count: the zap's empty test */
	uint64_t tag;                /* owner of table pages in page metadata */
	uint64_t tables;             /* table pages held, root included */
	uint64_t leaves;             /* translations, a 2 MiB leaf counting once */
	uint64_t generation;         /* bumped by every zap that removed one */
	uint64_t retired;            /* retired tables, linked through entry 0 */
	uint64_t nr_retired;
};

int stage2_init(struct stage2 *s, const struct stage2_fmt *fmt, uint64_t tag);

/* False when the tree holds nothing: no translation, no table a CPU could
 * cache a path to. Read without the lock, as stage2_zap's own test (which
 * says why that is safe); inline, for the callers' cheap early out. */
static inline bool stage2_may_hold(const struct stage2 *s)
{
	return __atomic_load_n(s->root_live, __ATOMIC_RELAXED) != 0;
}
void stage2_destroy(struct stage2 *s);

/*
 * Installs a translation. A 2 MiB leaf needs gpa and hpa 2 MiB-aligned and
 * an empty slot (no table below it). Returns 0, -EEXIST if something is
 * mapped there, -EINVAL for a bad address, -ENOMEM for a table page.
 */
int stage2_map(struct stage2 *s, uint64_t gpa, uint64_t hpa, unsigned level, unsigned prot);
/*
 * Removes every translation overlapping [gpa, gpa + len) (page-aligned): a
 * 2 MiB leaf only partly inside goes whole (never split: a zap allocates
 * nothing and cannot fail on a valid range). Returns the number of leaves
 * removed, or -EINVAL for a bad range. The generation moves if a leaf was
 * removed or a table retired (then the caller must shoot down). The caller
 * must hold a lock that every map into the range also holds (the object
 * lock, a VM's maps_lock: hv/invalidate.h): an empty tree is seen without
 * taking the stage-2 lock.
 */
int64_t stage2_zap(struct stage2 *s, uint64_t gpa, uint64_t len);
/* Frees the retired tables: only after no CPU can still use the VM's old
 * translations (vm_shootdown, hv/shootdown.h). */
void stage2_free_retired(struct stage2 *s);
/* Frees only the tables retired by zaps up to generation `upto` (read
 * before a shootdown began): zaps of one VM may run at once under
 * different object locks (a guest's ACCEPT without hv_lock, the VMM's
 * punch of the shared object), and a shootdown that began before another
 * zap retired a table does not cover it. Each table is stamped with its
 * zap's generation; the stamp is 32 bits, compared modulo 2^32. */
void stage2_free_retired_upto(struct stage2 *s, uint64_t upto);
/* The translation of gpa: hpa of its 4 KiB page and the leaf level. */
bool stage2_lookup(struct stage2 *s, uint64_t gpa, uint64_t *hpa, unsigned *level);
/* Calls fn for each leaf (for audits); stops at a non-zero return. */
int stage2_for_each(struct stage2 *s, int (*fn)(void *ctx, uint64_t gpa, uint64_t hpa,
						unsigned level, unsigned prot), void *ctx);

#endif
