/*
 * Partitions (VMs) and their vCPUs. The control partition is VM 0; guests
 * are created by it. Everything here is generic: the backend is behind
 * `virt` (hv/virt.h).
 */
#ifndef HV_VM_H
#define HV_VM_H

#include "hv/partition.h"

struct vm *vm_get(unsigned id);           /* a live VM, or NULL */
int vm_create_guest(struct vm **out);
int vm_create_control(uint64_t ram_size, struct vm **out);
void vm_destroy(struct vm *vm);
int vm_set_region(struct vm *vm, uint64_t gpa, uint64_t size, struct memobj *obj, uint64_t offset);
struct region *vm_find_region(struct vm *vm, uint64_t gpa);
/* Copies src into a GUEST-sealed region and measures the bytes that
 * landed (hv/measure.c has the format). -EPERM into an unsealed region. */
int vm_populate(struct vm *vm, uint64_t gpa, const void *src, uint64_t len);
/* Measures the layout and every vCPU, then seals the launch. */
int vm_finalize(struct vm *vm);
/* Creates vCPU id of vm with its initial registers (a guest's only before
 * finalize: they are measured). */
int vcpu_create(struct vm *vm, unsigned id, const struct sv_vcpu_regs *regs);
/* vcpu_state_check with this CPU's limits: 0 or -EINVAL (logged). */
int vcpu_state_valid(const struct vm *vm, unsigned id, const struct sv_regs *r,
		     const struct sv_sregs *s);
/* Checks and loads a whole state into v (not running) and records it as
 * its initial state: 0, or -EINVAL / -EOPNOTSUPP with v unchanged. */
int vcpu_set_state(struct vcpu *v, const struct sv_regs *r, const struct sv_sregs *s);
/* Resolves a stage-2 fault on a guest region: 0, -errno (unbacked), or
 * for a region with attributes VM_FAULT_VE / VM_FAULT_EXIT (hv/memattr_vm.h). */
int vm_handle_fault(struct vm *vm, uint64_t gpa);
/* Host tests only (NULL otherwise): run inside the windows they race,
 * between a populate's copy and its measurement, and (hv/partition.h:
 * vm_fault_race_hook) between a fault's lookup and its installation. */
extern void (*vm_populate_race_hook)(struct vm *vm, uint64_t gpa);
extern void (*vm_map_fault_race_hook)(struct vm *vm, uint64_t gpa);
uint64_t vm_memobj_pages(struct vm *vm);

/* The control partition's own memory: a host pointer to [gpa, gpa+len)
 * if all of it is its RAM, else NULL (the caller returns -EFAULT). */
void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len);

/* MEMOBJ_MAP / MEMOBJ_UNMAP for the control partition (hv/object_map.c),
 * its faults on mapped ranges, and the mapping covering a gpa. */
int vm_map_object(struct vm *vm, struct memobj *obj, uint64_t offset, uint64_t gpa,
		  uint64_t len, bool writable);
int vm_unmap_object(struct vm *vm, uint64_t gpa);
void vm_unmap_all(struct vm *vm);
int vm_map_fault(struct vm *vm, uint64_t gpa, bool write);
struct object_map *vm_find_map(struct vm *vm, uint64_t gpa);

/* docs/ARCHITECTURE.md, invariants 1-2, over every stage-2 table: 0, or -EINVAL after
 * logging the offending entry. */
int vm_audit(void);

#endif
