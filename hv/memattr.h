/*
 * Memory attributes of one region's pages (issue 13): private or shared,
 * accepted or not, two bits per 4 KiB page in two bitmaps, plus the
 * region's optional shared backing. Like KVM's memory attributes xarray,
 * but per region (regions are fixed at finalize, so is this structure's
 * size). Every GUEST-sealed region of a guest has them from VM_FINALIZE
 * on (memattr_launch_alloc), whether or not any attribute call was made.
 *
 * Meaning of the bits:
 *   shared    the page is backed by the shared object (the VMM may read
 *             it), else by the region's GUEST-sealed object (private);
 *   accepted  the guest agreed to the page in its current attribute:
 *             every page at launch (the measurement says what they are),
 *             a private page the guest accepted (SV_HC_GUEST_ACCEPT), a
 *             shared page the guest asked for (SV_HC_GUEST_MAP_GPA). The
 *             VMM's removal of a private page (punch, truncation) or its
 *             change of a page's attribute clears it: the guest's next
 *             access raises #VE instead of finding a fresh page.
 *
 * Locking (docs/ARCHITECTURE.md, "Lock order"): shared bits change only
 * under hv_lock and the VM's attr_lock together, so either one is enough
 * to read them; accepted bits change atomically (the object callback
 * clears them under the object lock alone). The fault path holds
 * attr_lock from the decision to the installation.
 */
#ifndef HV_MEMATTR_H
#define HV_MEMATTR_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/memobj.h"

struct vm;
struct region;

struct memattr {
	uint64_t npages;
	uint64_t *shared, *accepted;     /* npages bits each */
	/* SV_HC_VM_SET_SHARED_MEMORY: the shared backing, a reference and a
	 * writable-mapping count held for the VM's life (so it can never be
	 * GUEST- or WRITE-sealed), its pages zapped from the VM through the
	 * mapper when the object drops them. */
	struct memobj *shared_obj;
	uint64_t shared_offset;
	struct memobj_mapper mapper;     /* ctx: this struct */
	struct vm *vm;
	uint64_t gpa;                    /* the region's */
};

/* What a guest access to a page of an attribute region gets. */
enum memattr_verdict {
	MEMATTR_MAP_PRIVATE,     /* the GUEST object's page */
	MEMATTR_MAP_SHARED,      /* the shared object's page */
	MEMATTR_VE,              /* not accepted: #VE in the guest */
	MEMATTR_EXIT,            /* shared but no shared backing: SV_EXIT_MEMORY_FAULT */
};

/* Allocates the bitmaps: every page private and accepted (the launch
 * state). -E2BIG past SV_MEMATTR_MAX_PAGES, -ENOMEM. */
int memattr_create(uint64_t npages, struct memattr **out);
void memattr_free(struct memattr *a);

bool memattr_is_shared(const struct memattr *a, uint64_t pg);
bool memattr_is_accepted(const struct memattr *a, uint64_t pg);
void memattr_set_shared(struct memattr *a, uint64_t pg, bool shared);
void memattr_set_accepted(struct memattr *a, uint64_t pg, bool accepted);
/* Do pages [pg, pg + n) all have this attribute / any accepted bit? */
bool memattr_all(const struct memattr *a, uint64_t pg, uint64_t n, bool shared);
bool memattr_any_accepted(const struct memattr *a, uint64_t pg, uint64_t n);
/* Pages [pg, pg + n) that are private lose their acceptance (shared pages
 * keep theirs), a word at a time, with no locked write where nothing is
 * accepted (the punch path: issue 14's unmapped-punch row). */
void memattr_withdraw_private(struct memattr *a, uint64_t pg, uint64_t n);
/* Are pages [pg, pg + n) all private and accepted (one 2 MiB leaf may
 * map them)? */
bool memattr_private_accepted(const struct memattr *a, uint64_t pg, uint64_t n);

enum memattr_verdict memattr_decide(const struct memattr *a, uint64_t pg);

/* Calls fn for each maximal run of shared pages (measurement record 9). */
void memattr_shared_runs(const struct memattr *a, void (*fn)(void *ctx, uint64_t pg,
							      uint64_t n), void *ctx);

#endif
