/*
 * The one path by which translations leave a stage-2 table: punch-hole,
 * truncation and close of an object (the owner and mapper callbacks),
 * MEMOBJ_UNMAP and VM destroy all go through this bracket, in the spirit
 * of guest_memfd's invalidate_begin/end:
 *
 *   vm_invalidate_begin(&inv, vm);
 *   vm_invalidate_range(&inv, gpa, len);   zap: entries gone, generation bumped
 *   ...                                    (more ranges of the same VM)
 *   vm_invalidate_end(&inv);               every CPU in the VM kicked out and
 *                                          waited for, then retired tables freed
 *
 * Only after vm_invalidate_end may the pages that were mapped be freed (the
 * memory object frees them after its callbacks return). Nothing here
 * allocates or can fail on a resource shortage: a 2 MiB leaf a range only
 * partly covers is dropped whole (mm/stage2.h), and the guest faults the
 * rest back in.
 *
 * No fault installs a translation after the zap that removed it: every
 * fault path holds, from page lookup to installation, a lock the
 * invalidation also holds (the object lock for guest regions and object
 * callbacks; the VM's maps lock for MEMOBJ_UNMAP), and VM destroy runs
 * only when no vCPU of the VM runs.
 */
#ifndef HV_INVALIDATE_H
#define HV_INVALIDATE_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

struct vm_invalidation {
	struct vm *vm;
	bool zapped;                  /* a translation went: shoot down at the end */
};

static inline void vm_invalidate_begin(struct vm_invalidation *inv, struct vm *vm)
{
	*inv = (struct vm_invalidation){ .vm = vm };
}
void vm_invalidate_range(struct vm_invalidation *inv, uint64_t gpa, uint64_t len);
void vm_invalidate_shootdown(struct vm_invalidation *inv);

/* Nothing zapped (a punch of unmapped memory): no CPU can cache what is
 * not there, so no shootdown; inline, as that is the common case. */
static inline void vm_invalidate_end(struct vm_invalidation *inv)
{
	if (inv->zapped)
		vm_invalidate_shootdown(inv);
}

#endif
