/*
 * Sealed memory objects: the F_SEAL_GUEST memfd of the seed patch
 * (shared/seed/F_SEAL_GUEST.patch.txt), as the hypervisor's allocator for
 * guest memory. Offsets and sizes are in bytes; callback ranges are in pages,
 * [start, end) with end exclusive.
 *
 * Locking. Each object has one spinlock. Lock order (docs/ARCHITECTURE.md):
 *
 *     memory object  ->  VM stage-2  ->  page allocator (innermost)
 *
 * The owner's callbacks run with the object lock held: invalidate_range
 * takes the VM's stage-2 lock, zaps and flushes, and only after it returns
 * are the pages zeroed and freed. memobj_get_page returns with the object
 * lock held (the page is "locked"): the caller installs its stage-2 entry
 * under its stage-2 lock and then calls memobj_put_page, which drops it. A
 * punch therefore can never run between a lookup and its installation, so a
 * freed page can never be installed.
 *
 * Where this differs from the seed, on purpose:
 *  - memobj_register_owner records the owner (the seed forgets to, so its
 *    "another owner -> -EPERM" check never fires), and callbacks run only
 *    when an owner is registered (the seed calls fallocate through NULL).
 *  - read of a GUEST object is -EPERM at any offset (the seed returns 0 for
 *    an offset past EOF before it reaches the GUEST check).
 *  - GUEST's page-alignment rule applies to allocation too, not only to
 *    punch-hole (docs/ARCHITECTURE.md: a guest object has no partial pages).
 *  - memobj_get_page refuses offsets at or past EOF (-EINVAL), like the
 *    shmem fault path; the seed's SGP_WRITE lookup would allocate there and
 *    undo a shrink.
 *  - add_seals checks everything before it changes anything (the seed can
 *    leave a failed SEAL_GUEST with the mapping marked unwritable).
 *  - One invalidate_range call covers a whole punch/shrink/close range,
 *    before any page of it is freed (the seed calls it page by page).
 *  - A GUEST object is bound to its owner for life, like a guest_memfd
 *    file to its VM: when the owner unregisters (its VM is destroyed),
 *    every page is removed, zeroed and freed at once, and registering any
 *    owner afterwards is -EPERM. The seed lets the object outlive its
 *    guest with the guest's data in it, ready to be bound to a new VM
 *    whose code the managing partition writes (issue 9).
 */
#ifndef MM_MEMOBJ_H
#define MM_MEMOBJ_H

#include <stddef.h>
#include <stdint.h>
#include <sealvisor/memobj.h>

struct memobj;

struct memobj_owner_ops {
	/* Pages [start, end) are about to be freed: remove every mapping of
	 * them (and flush) before returning. */
	void (*invalidate_range)(struct memobj *obj, void *owner, uint64_t start, uint64_t end);
	/* Pages [start, end) were allocated by fallocate. */
	void (*fallocate)(struct memobj *obj, void *owner, uint64_t start, uint64_t end);
	/* Optional: may punch-hole or truncation remove pages now? 0 or
	 * -errno, which the call returns before changing anything (a VM
	 * refuses while its launch is measured: the digest describes what
	 * was populated, and a punch would change it unmeasured). */
	int (*may_remove)(struct memobj *obj, void *owner);
};

/* Lifecycle. create returns -EINVAL for unknown flags, -ENOMEM. */
int memobj_create(unsigned flags, struct memobj **out);
void memobj_get(struct memobj *obj);              /* take a reference */
/* Drops a reference; the last one invalidates (owner) and frees every page. */
void memobj_close(struct memobj *obj);
uint64_t memobj_id(const struct memobj *obj);

/* Seals. */
int memobj_add_seals(struct memobj *obj, unsigned seals);
unsigned memobj_get_seals(struct memobj *obj);

/* Size (ftruncate). */
int memobj_set_size(struct memobj *obj, uint64_t size);
uint64_t memobj_get_size(struct memobj *obj);

/* Access by the managing partition. Return bytes copied or -errno. */
int64_t memobj_read(struct memobj *obj, uint64_t off, void *buf, uint64_t len);
int64_t memobj_write(struct memobj *obj, uint64_t off, const void *buf, uint64_t len);

/* Mapping accounting for mappings into the managing partition (the seal
 * rules of mmap: GUEST -EPERM, WRITE/FUTURE_WRITE forbid writable maps). */
int memobj_map(struct memobj *obj, int writable);
int memobj_unmap(struct memobj *obj, int writable);

/*
 * Who must drop translations when pages go (like the i_mmap tree): every
 * mapper's invalidate runs after the owner's and before any page is freed,
 * with the object lock held. The caller keeps the struct alive until
 * memobj_remove_mapper.
 */
struct memobj_mapper {
	void (*invalidate)(struct memobj *obj, void *ctx, uint64_t start, uint64_t end);
	void *ctx;
	struct memobj_mapper *next;
};
void memobj_add_mapper(struct memobj *obj, struct memobj_mapper *m);
void memobj_remove_mapper(struct memobj *obj, struct memobj_mapper *m);
/* Seals without the lock: only for audits that already hold a stage-2 lock
 * (taking the object lock there would invert the lock order). */
unsigned memobj_peek_seals(const struct memobj *obj);

/* fallocate(mode, offset, len): mode 0 / KEEP_SIZE allocate, PUNCH_HOLE|KEEP_SIZE punch. */
int memobj_fallocate(struct memobj *obj, unsigned mode, uint64_t off, uint64_t len);

/* Owner (memfd_register_guest): -EPERM if another owner holds it, or if
 * it is a GUEST object whose owner is gone. Unregistering a GUEST object
 * removes all its pages. */
int memobj_register_owner(struct memobj *obj, void *owner, const struct memobj_owner_ops *ops);
int memobj_unregister_owner(struct memobj *obj, void *owner);

/*
 * The stage-2 fault path (get_lock_pfn / put_unlock_pfn): the physical
 * address of the 4 KiB page at pgoff, allocated (zeroed) if absent, and its
 * order: 9 if it lies in a 2 MiB extent (whose head is pa & ~(2 MiB - 1)),
 * else 0. On success the object stays locked until memobj_put_page.
 */
int memobj_get_page(struct memobj *obj, uint64_t pgoff, uint64_t *pa, unsigned *order);
/* The same without allocating: -ENOENT (lock not held) for a page never
 * written, which reads as zeros. Its holder reads it and puts it. */
int memobj_get_page_if_present(struct memobj *obj, uint64_t pgoff, uint64_t *pa, unsigned *order);
void memobj_put_page(struct memobj *obj, uint64_t pa);

/* Accounting. */
uint64_t memobj_nr_pages(struct memobj *obj);        /* data pages held */
uint64_t memobj_owner_pages(void *owner);            /* over all objects */
uint64_t memobj_nr_objects(void);

#endif
