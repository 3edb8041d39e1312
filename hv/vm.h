/*
 * Partitions (VMs) and their vCPUs. The control partition is VM 0; guests
 * are created by it. Everything here is generic: the backend is behind
 * `virt` (hv/virt.h).
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>
#include "lib/sha256.h"
#include "hv/virt.h"
#include "mm/memobj.h"
#include "mm/spinlock.h"
#include "mm/stage2.h"

struct region {
	uint64_t gpa, size;          /* guest-physical range */
	struct memobj *obj;          /* a reference held by the VM */
	uint64_t offset;             /* byte offset of gpa in the object */
};

/* An object range the control partition mapped into its own space
 * (MEMOBJ_MAP), above its RAM. Never a GUEST object. */
struct object_map {
	bool used, writable;
	uint64_t gpa, len, offset;
	struct memobj *obj;          /* a reference held by the mapping */
	struct memobj_mapper mapper; /* ctx: this struct */
	struct vm *vm;
};

enum vcpu_pending { PENDING_NONE, PENDING_IO_IN, PENDING_HYPERCALL };

struct vcpu {
	struct vm *vm;
	unsigned id;
	bool created, running;
	bool entry_failed;           /* the CPU refused its state: it never runs again */
	struct guest_regs regs;
	void *arch;                  /* VMCB / VMCS */
	uint64_t arch_pa;
	enum vcpu_pending pending;   /* what the VMM must answer on the next run */
	uint64_t cr3;                /* control partition: its page tables */
	uint8_t pending_size;
	struct sv_vcpu_regs initial; /* as created: part of the launch measurement */
};

struct vm {
	unsigned id;                 /* 0: control partition */
	uint64_t serial;             /* never reused, unlike id and ASID */
	bool in_use, is_control, finalized;
	char name[16];
	struct stage2 s2;
	unsigned asid;               /* or VPID; 0: none of its own */
	/* What TLB entries of this VM are tagged with on a CPU (backend's
	 * choice, at most SV_MAX_VMS): VMs that share a tag share TLB
	 * entries, so every change of hands on a CPU flushes (vcpu_enter). */
	unsigned tlb_tag;
	struct region regions[SV_MAX_REGIONS];
	unsigned nr_regions;
	struct vcpu vcpus[SV_MAX_VCPUS];
	struct sha256 launch;        /* the measurement in progress */
	uint8_t measurement[SV_MEASUREMENT_SIZE];
	/* Control partition only: its RAM, one contiguous block at gpa 0. */
	uint64_t ram_hpa, ram_size;
	struct memobj *handles[SV_MAX_HANDLES];
	/* Guards maps[]: taken by MEMOBJ_MAP/UNMAP and by the control
	 * partition's faults on its mappings, from slot lookup to stage-2
	 * install. Lock order: hv_lock -> maps_lock -> object -> stage-2. */
	spinlock_t maps_lock;
	struct object_map maps[SV_MAX_MAPS];
};

extern struct vm vms[SV_MAX_VMS];

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
/* Resolves a stage-2 fault on a guest region: 0, or -errno (unbacked). */
int vm_handle_fault(struct vm *vm, uint64_t gpa);
/* Host tests only (NULL otherwise): run inside the windows they race,
 * between a fault's lookup and its installation, and between a
 * populate's copy and its measurement. */
extern void (*vm_fault_race_hook)(struct vm *vm, uint64_t gpa);
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
