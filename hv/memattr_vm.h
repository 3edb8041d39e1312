/*
 * Private and shared memory of a guest VM (issue 13; README "Private and
 * shared memory"): the VMM's attribute calls, the guest's own calls
 * (ACCEPT, MAP_GPA, VE_INFO), and the stage-2 fault decision of a region
 * with attributes (hv/memattr.h has the bits and their meaning).
 */
#ifndef HV_MEMATTR_VM_H
#define HV_MEMATTR_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>

struct vm;
struct vcpu;
struct region;
struct memobj;

/* vm_handle_fault's answers besides 0 and -errno. */
#define VM_FAULT_VE   1      /* raise #VE in the guest (memattr_raise_ve) */
#define VM_FAULT_EXIT 2      /* SV_EXIT_MEMORY_FAULT (memattr_exit_fault) */

/* hv_lock held. SV_HC_VM_SET_MEMORY_ATTRIBUTES / SV_HC_VM_SET_SHARED_MEMORY. */
int vm_set_memory_attributes(struct vm *vm, uint64_t gpa, uint64_t len, uint64_t attrs);
int vm_set_shared_memory(struct vm *vm, uint64_t gpa, struct memobj *obj, uint64_t offset);

/* attr_lock held: r gets its attributes (all private, accepted) if it
 * has none yet. -EPERM for a region that is not GUEST-sealed. */
int memattr_region_enable(struct vm *vm, struct region *r);

/* VM_FINALIZE: attributes for every GUEST-sealed region without them
 * (all private and accepted). Alloc before the digest (-ENOMEM, -E2BIG,
 * nothing changed), install after it. */
struct memattr;
int memattr_launch_alloc(struct vm *vm, struct memattr *fresh[SV_MAX_REGIONS]);
void memattr_launch_install(struct vm *vm, struct memattr *fresh[SV_MAX_REGIONS]);

/* The fault on gpa in r, which has attributes; attr_lock held. */
int memattr_fault(struct vm *vm, struct region *r, uint64_t gpa);
/* Tests only: runs in memattr_fault between its decision and the page. */
extern void (*memattr_fault_race_hook)(struct vm *vm, uint64_t gpa);
/* attr_lock held: the object and offset a guest access to gpa in r (which
 * has attributes) would reach, or NULL if it would raise #VE or exit
 * (the hypervisor's own reads of guest memory see what the guest sees). */
struct memobj *memattr_backing(struct region *r, uint64_t gpa, uint64_t *off);
/* attr_lock held: the page memattr_backing names for gpa, held as
 * memobj_get_page holds it (memobj_put_page(*obj, *pa) after use): the
 * hypervisor's own reads of guest memory. -EFAULT where the guest's own
 * access would not reach memory, else memobj_get_page's error. */
int memattr_get_backing_page(struct region *r, uint64_t gpa, struct memobj **obj,
			     uint64_t *off, uint64_t *pa);
void memattr_raise_ve(struct vcpu *v, uint64_t gpa);
void memattr_exit_fault(struct vcpu *v, uint64_t gpa, struct sv_run *run);

/* The VM's object dropped pages backing [gpa, +len) of r (zapped
 * already): private pages there are no longer accepted. Object lock held. */
void memattr_private_removed(struct vm *vm, struct region *r, uint64_t gpa, uint64_t len);

/* Guest calls 62-64: is nr one, and run it for v. True if the run ends
 * for the VMM (MAP_GPA); else RAX has the result. */
bool memattr_is_guest_call(uint64_t nr);
bool memattr_guest_call(struct vcpu *v, struct sv_run *run);
/* The VMM's answer to a MAP_GPA exit, for the guest's RAX. */
int64_t memattr_map_gpa_answer(struct vcpu *v, const struct sv_run *run);

/* VM destroy, after every translation went: shared bindings and bitmaps. */
void memattr_destroy(struct vm *vm);

#endif
