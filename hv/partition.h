/*
 * The partition data structures: VMs, their vCPUs, regions and the control
 * partition's object mappings. Types only, so that the code vm.c calls
 * (invalidation, measurement, shootdown) can read a VM without including
 * vm.c's interface; the operations are in hv/vm.h.
 */
#ifndef HV_PARTITION_H
#define HV_PARTITION_H

#include <stdbool.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>
#include "lib/sha256.h"
#include "hv/insn_decode.h"
#include "hv/memattr.h"
#include "hv/virt.h"
#include "hv/vlapic.h"
#include "mm/memobj.h"
#include "mm/spinlock.h"
#include "mm/stage2.h"

struct region {
	uint64_t gpa, size;          /* guest-physical range */
	struct memobj *obj;          /* a reference held by the VM */
	uint64_t offset;             /* byte offset of gpa in the object */
	/* Page attributes (hv/memattr.h), NULL until the first attribute
	 * call on the region: then every page is private and accepted. */
	struct memattr *attr;
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

enum vcpu_pending { PENDING_NONE, PENDING_IO_IN, PENDING_HYPERCALL, PENDING_MSR_READ,
		   PENDING_MSR_WRITE, PENDING_MMIO,
		   PENDING_MAP_GPA };

/* Guest state no control block holds: the backend loads it before each
 * entry and reads back what the guest can change without an exit
 * (arch/x86/guest_switch.c). Per vCPU, so no partition sees another's. */
struct vcpu_switched {
	uint64_t dr[4], dr6;             /* DR6: VMX only (the VMCB has it) */
	uint64_t tsc_aux, spec_ctrl;
	/* VMX only (SVM switches them with VMLOAD/VMSAVE from the VMCB). */
	uint64_t kernel_gs_base, star, lstar, cstar, sfmask;
	/* SVM only: the guest's EFER.LME while CR0.PG is clear, kept out of
	 * the VMCB (arch/x86/svm/svm_cr.c says why). */
	bool svm_lme;
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	bool created, running;
	bool entry_failed;           /* the CPU refused its state: it never runs again */
	struct guest_regs regs;
	void *arch;                  /* VMCB / VMCS */
	uint64_t arch_pa;
	/* SVM's VMCB clean-bit bookkeeping (arch/x86/svm/vmcb_clean.h): the
	 * CPU that last ran the VMCB (-1: none yet) and the groups written
	 * since. Owned by the vCPU's own run, like the VMCB. */
	int arch_cpu;
	uint32_t arch_dirty;
	enum vcpu_pending pending;   /* what the VMM must answer on the next run */
	uint64_t cr3;                /* control partition: its page tables */
	uint8_t pending_size;
	struct mmio_insn pending_mmio;   /* PENDING_MMIO: the decoded access */
	/* The state it starts in, as created and then set (VCPU_SET_*REGS):
	 * part of the launch measurement. */
	struct sv_regs init_regs;
	struct sv_sregs init_sregs;
	/* Its x87/SSE/AVX state and XCR0 (arch/x86/xstate.c): in the vCPU,
	 * not the CPU, so they follow it to any CPU and never leak. */
	void *xsave_area;
	uint64_t xsave_pa, xcr0;
	/* An emulated CR0/CR4 write changed how the guest translates: its TLB
	 * context is flushed before the next entry. */
	bool cr_flush;
	struct vcpu_switched sw;
	/* Interrupt vectors raised by VCPU_INTERRUPT, not yet injected
	 * (hv/events.c): set under hv_lock, taken by the vCPU's own run. */
	uint64_t irq_pending[4];
	/* Guests: its x2APIC (hv/vlapic_msr.c), owned by its own run;
	 * other vCPUs' IPIs land in apic_posted (atomically) and are
	 * merged into it before each entry. halted: it executed HLT and
	 * waits for an interrupt (hv/run.c). apic_posted_level: its VMM's
	 * level-triggered I/O APIC messages (SV_IRQ_APIC_LEVEL), merged
	 * with their TMR bit set. */
	struct vlapic lapic;
	uint64_t apic_posted[4];
	uint64_t apic_posted_level[4];
	bool halted;
	/* NMIs (hv/nmi.c): nmi_queued, raised by anyone (VCPU_NMI under
	 * hv_lock, other vCPUs' NMI IPIs without it), atomically, saturating
	 * at 2; nmi_pending, owned by the vCPU's own run, what it has still
	 * to inject (at most 1 while it is in its handler, 2 otherwise, as a
	 * CPU latches one NMI while it delivers another). */
	uint32_t nmi_queued;
	uint8_t nmi_pending;
	/* For a backend whose CPU does not track NMI blocking (SVM,
	 * arch/x86/svm/svm_nmi.c): in the handler (masked); its IRET seen
	 * at iret_rip but not yet executed; single-stepping that IRET. */
	struct vcpu_nmi_track {
		bool masked, awaiting_iret, stepping, guest_tf;
		uint64_t iret_rip, dr6;
	} nmi_track;
	/* SV_MP_STATE_* (hv/vcpu_mp.h): set by its VMM before finalize,
	 * then only by its own run, which consumes the INIT and SIPI other
	 * vCPUs post in mp_posted (atomically, like apic_posted). Read by
	 * GET_MP_STATE from any CPU: atomic loads and stores. */
	uint8_t mp_state;
	uint32_t mp_posted;
	/* Its own run only: the gpa of its last #VE until SV_HC_GUEST_VE_INFO
	 * reads it, and the MAP_GPA request its VMM is answering. */
	bool ve_pending;
	uint64_t ve_gpa;
	struct { uint64_t gpa, len; bool shared; } map_req;
};

struct vm {
	unsigned id;                 /* 0: control partition */
	uint64_t serial;             /* never reused, unlike id and ASID */
	bool in_use, is_control, finalized;
	uint8_t msr_policy;          /* SV_MSR_POLICY_*: set before finalize */
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
	/* VM_SET_CPUID's table (nr_cpuid 0: none, the default CPUID). */
	struct sv_cpuid_entry cpuid[SV_MAX_CPUID];
	unsigned nr_cpuid;
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
	/* Guards the regions' attributes (hv/memattr.h): taken by a guest
	 * fault from decision to install, by attribute changes and by the
	 * guest's ACCEPT. Lock order: hv_lock -> attr_lock -> object. */
	spinlock_t attr_lock;
	/* Runtime measurement registers (SV_HC_GUEST_EXTEND, hv/attest.h):
	 * zero at VM_CREATE, changed only by the guest itself, under hv_lock. */
	uint8_t rtmr[SV_NR_RTMR][32];
};

extern struct vm vms[SV_MAX_VMS];

/* Host tests only (NULL otherwise): runs between a guest fault's page
 * lookup and its installation (hv/vm.c, hv/memattr_vm.c), the window a
 * punch must not slip into. */
extern void (*vm_fault_race_hook)(struct vm *vm, uint64_t gpa);

#endif
