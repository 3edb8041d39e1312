/*
 * The sealvisor hypercall ABI, shared by the hypervisor and partition code.
 *
 * VMMCALL (AMD) or VMCALL (Intel): RAX = number; RDI, RSI, RDX, R10, R8, R9
 * = arguments; RAX returns a value >= 0 or -errno (include/sealvisor/errno.h).
 * Pointers are guest-physical addresses in the caller's own space.
 * CPUID leaf 0x40000000 returns EAX = highest leaf (0x40000001), EBX:ECX:EDX
 * = "sealvisor\0\0\0"; leaf 0x40000001 returns EAX = the ABI version.
 */
#ifndef SEALVISOR_HYPERCALL_H
#define SEALVISOR_HYPERCALL_H

#include <stdint.h>
#include <sealvisor/errno.h>
#include <sealvisor/memobj.h>

#define SV_CPUID_LEAF      0x40000000u
#define SV_CPUID_SIG_EBX   0x6c616573u   /* "seal" */
#define SV_CPUID_SIG_ECX   0x6f736976u   /* "viso" */
#define SV_CPUID_SIG_EDX   0x00000072u   /* "r\0\0\0" */
#define SV_CPUID_ABI_LEAF  0x40000001u   /* EAX = SV_ABI_VERSION, the rest 0 */
/* Timing information (the leaf VMware and others use): EAX = the TSC's
 * rate in kHz, EBX = the virtual local APIC timer's (divide by 1) in kHz,
 * the same; 0 where the hypervisor could not measure it. */
#define SV_CPUID_TIMING_LEAF 0x40000010u

/*
 * The ABI version: major << 16 | minor. The major number changes when a
 * call, structure or constant here changes meaning; the minor one when
 * something is only added. A partition runs on a hypervisor with its major
 * number and at least its minor one (sv_abi_compatible).
 */
#define SV_ABI_MAJOR 2u
#define SV_ABI_MINOR 0u
#define SV_ABI_VERSION ((SV_ABI_MAJOR << 16) | SV_ABI_MINOR)

static inline int sv_abi_compatible(uint32_t hv_version)
{
	/* + 1 on both sides: "minor >= 0" would be a warning while it is 0. */
	return (hv_version >> 16) == SV_ABI_MAJOR && (hv_version & 0xffff) + 1 > SV_ABI_MINOR;
}

enum sv_hypercall {
	/* Any partition. */
	SV_HC_CONSOLE_WRITE = 1,      /* (gpa, len): one or more lines, tagged with the caller */
	SV_HC_SYSTEM_SHUTDOWN = 2,    /* (status): control partition only */
	SV_HC_STATS = 3,              /* (gpa of struct sv_stats) */

	/* Memory objects (control partition). Handles are per partition. */
	SV_HC_MEMOBJ_CREATE = 10,     /* (flags) -> handle */
	SV_HC_MEMOBJ_CLOSE = 11,      /* (handle) */
	SV_HC_MEMOBJ_SET_SIZE = 12,   /* (handle, size) */
	SV_HC_MEMOBJ_GET_SIZE = 13,   /* (handle) -> size */
	SV_HC_MEMOBJ_ADD_SEALS = 14,  /* (handle, seals) */
	SV_HC_MEMOBJ_GET_SEALS = 15,  /* (handle) -> seals */
	SV_HC_MEMOBJ_READ = 16,       /* (handle, offset, buf gpa, len) -> bytes */
	SV_HC_MEMOBJ_WRITE = 17,      /* (handle, offset, buf gpa, len) -> bytes */
	SV_HC_MEMOBJ_MAP = 18,        /* (handle, offset, gpa, len, writable): map into my space */
	SV_HC_MEMOBJ_UNMAP = 19,      /* (gpa): the mapping that starts at gpa, like munmap */
	SV_HC_MEMOBJ_FALLOCATE = 20,  /* (handle, mode, offset, len) */

	/* VMs (control partition). */
	SV_HC_VM_CREATE = 30,         /* () -> vm id */
	SV_HC_VM_DESTROY = 31,        /* (vm) */
	/* Binds [offset, +size) of an object at gpa. -EEXIST if the gpa range
	 * or the object range overlaps a region of the VM; -EPERM if another
	 * VM owns the object, or it is a GUEST object whose VM was destroyed
	 * (its pages went with that VM). */
	SV_HC_VM_SET_REGION = 32,     /* (vm, gpa, size, handle, offset) */
	/* Before finalize, into a GUEST-sealed region only (else -EPERM):
	 * copies and measures the bytes that landed. Until finalize, pages of
	 * a GUEST object bound to the VM cannot be punched (-EBUSY). */
	SV_HC_VM_POPULATE = 33,       /* (vm, gpa, src gpa, len) */
	/* Measures the layout and every vCPU; -EINVAL without a vCPU. */
	SV_HC_VM_FINALIZE = 34,       /* (vm) */
	SV_HC_VM_GET_MEASUREMENT = 35,/* (vm, out gpa: 32 bytes) */
	/* Before finalize (after: -EPERM): its initial state is measured. */
	SV_HC_VCPU_CREATE = 36,       /* (vm, vcpu id, gpa of struct sv_vcpu_regs) */
	/* -EIO for a vCPU whose entry the CPU refused (it never runs again). */
	SV_HC_VCPU_RUN = 37,          /* (vm, vcpu id, gpa of struct sv_run) */
	/* Starts control-partition vCPU n (1 .. nr_cpus-1) on physical CPU n
	 * at rip with rsp, RDI = n. */
	SV_HC_CONTROL_VCPU_START = 38,/* (n, rip, rsp) */
	/* Wakes control-partition vCPU n if it is in HLT (it sleeps on its CPU
	 * until then; a wake-up sent before its HLT is not lost). */
	SV_HC_CONTROL_VCPU_WAKE = 39, /* (n) */
	/* A guest vCPU's full register state, like KVM's GET/SET_(S)REGS.
	 * Before VM_FINALIZE only (after: -EPERM, every VM is confidential):
	 * SET changes the initial, measured state. -EINVAL for a vCPU that
	 * does not exist or a state the CPU would refuse (sv_regs/sv_sregs). */
	SV_HC_VCPU_GET_REGS = 40,     /* (vm, vcpu id, gpa of struct sv_regs) */
	SV_HC_VCPU_SET_REGS = 41,     /* (vm, vcpu id, gpa of struct sv_regs) */
	SV_HC_VCPU_GET_SREGS = 42,    /* (vm, vcpu id, gpa of struct sv_sregs) */
	SV_HC_VCPU_SET_SREGS = 43,    /* (vm, vcpu id, gpa of struct sv_sregs) */
	/* The CPUID table the guest sees (struct sv_cpuid_entry[nr]), before
	 * VM_FINALIZE (after: -EPERM); measured. -E2BIG past SV_MAX_CPUID;
	 * -EINVAL for a feature the hypervisor cannot give (logged); nr 0
	 * drops the table (the default CPUID again). */
	SV_HC_VM_SET_CPUID = 44,      /* (vm, gpa of the table, nr entries) */

	/* What a guest's access to an MSR outside the hypervisor's allow
	 * list (README "MSRs") does: SV_MSR_POLICY_GP (the default) or
	 * SV_MSR_POLICY_EXIT (an SV_EXIT_MSR for the VMM). Before finalize
	 * only (after: -EPERM); part of the launch measurement. */
	SV_HC_VM_SET_MSR_POLICY = 45, /* (vm, policy) */
	/* Raises interrupt vector 32-255 at a guest vCPU, like KVM_INTERRUPT:
	 * queued, delivered as an external interrupt when the guest can take
	 * it (RFLAGS.IF set, no STI/MOV SS shadow), highest vector first. A
	 * vCPU running on another CPU is kicked out to take it (at the latest
	 * it takes it at its next exit, within its time slice).
	 * flags (the 4th argument) bit 0, SV_IRQ_APIC_MESSAGE: posted to the
	 * vCPU's local APIC instead, like an IPI or an I/O APIC message, so it
	 * waits in the APIC's IRR under its TPR/ISR rules and the guest ends
	 * it with an EOI (a fixed, edge-triggered message).
	 * flags bit 1, SV_IRQ_APIC_LEVEL (with SV_IRQ_APIC_MESSAGE only): a
	 * level-triggered message (an I/O APIC entry in level mode): it sets
	 * the vector's TMR bit, and the guest's EOI of it ends that vCPU's
	 * VCPU_RUN with SV_EXIT_EOI so the VMM can clear the entry's Remote
	 * IRR and send again while the line is still asserted. Other flag
	 * bits, or LEVEL without MESSAGE: -EINVAL. */
	SV_HC_VCPU_INTERRUPT = 46,    /* (vm, vcpu id, vector, flags) */
	/* Raises an NMI at a guest vCPU, like KVM_NMI: delivered through
	 * vector 2 when the guest is not NMI-blocked (in its NMI handler, up
	 * to its IRET) and has no STI/MOV SS shadow, whatever its RFLAGS.IF,
	 * ahead of interrupts; it wakes a vCPU halted in the hypervisor. As on
	 * a CPU, one NMI waits while another is handled and more coalesce
	 * (at most two outstanding). A running vCPU is kicked out to take it.
	 * -ENOENT: no such guest VM; -EINVAL: no such vCPU. */
	SV_HC_VCPU_NMI = 47,          /* (vm, vcpu id) */
	/* A guest vCPU's MP state (SV_MP_STATE_*), like KVM_SET_MP_STATE.
	 * SET before VM_FINALIZE only (after: -EPERM; from then on only the
	 * guest's own INIT and SIPI IPIs change it); measured (record 8).
	 * SV_MP_STATE_WAIT_SIPI also loads the architectural INIT state
	 * (README "MP state"), which SET_(S)REGS then refuse (-EBUSY) until
	 * the vCPU is RUNNABLE again. GET any time, also after finalize: it
	 * says only whether the vCPU was started, which VCPU_RUN shows anyway. */
	SV_HC_VCPU_SET_MP_STATE = 48, /* (vm, vcpu id, state) */
	SV_HC_VCPU_GET_MP_STATE = 49, /* (vm, vcpu id) -> state */

	/* Memory attributes (README "Private and shared memory"), like
	 * KVM_SET_MEMORY_ATTRIBUTES: [gpa, +len) (pages, inside one GUEST-
	 * sealed region) becomes private (attrs 0) or SV_MEMATTR_SHARED.
	 * After finalize a page whose attribute changes loses the guest's
	 * acceptance (its next access raises #VE unless it asked, MAP_GPA),
	 * and private -> shared destroys its private contents (punched).
	 * Before finalize: measured (record 9). -EINVAL bad range or attrs;
	 * -EPERM a region that is not GUEST-sealed; -E2BIG a region of more
	 * than SV_MEMATTR_MAX_PAGES pages. */
	SV_HC_VM_SET_MEMORY_ATTRIBUTES = 50, /* (vm, gpa, len, attrs) */
	/* Binds [offset, +region size) of an ordinary (never GUEST) object as
	 * the shared backing of the region that starts at gpa: shared pages
	 * of that region are that object's pages, which the VMM may map and
	 * read. Once per region (-EEXIST), for the VM's life; -EPERM for a
	 * GUEST object. */
	SV_HC_VM_SET_SHARED_MEMORY = 51,     /* (vm, region gpa, handle, offset) */

	/* A guest's own calls about its memory (any guest VM; the control
	 * partition gets -EPERM); 60 and 61, attestation, are below. */
	/* Accepts the private page(s) at gpa, size 4 KiB or 2 MiB (aligned):
	 * they read as zeros from now on. -EINVAL: bad size, alignment, not
	 * all private, outside a region; -EEXIST: a page is already
	 * accepted (nothing changed), like TDX's PAGE_ALREADY_ACCEPTED. */
	SV_HC_GUEST_ACCEPT = 62,             /* (gpa, size) */
	/* Asks the VMM to convert [gpa, +len) to shared (1) or private (0),
	 * like TDX's MapGPA: the run ends with SV_EXIT_MAP_GPA; the guest's
	 * RAX gets the VMM's answer, or -EIO if it answered 0 without making
	 * the conversion. -EINVAL (no exit) for a range that is not the
	 * guest's own memory. */
	SV_HC_GUEST_MAP_GPA = 63,            /* (gpa, len, shared) */
	/* The gpa of this vCPU's last #VE (vector 20), once: -ENOENT if none
	 * was raised since the last call. */
	SV_HC_GUEST_VE_INFO = 64,            /* () -> gpa */
	/* The attestation public key (README "Attestation"): the
	 * uncompressed P-256 point, SV_ATTEST_PUBKEY_SIZE bytes (0x04, X, Y).
	 * -ENODEV if the hypervisor found no RDSEED/RDRAND at boot (no key). */
	SV_HC_ATTEST_PUBLIC_KEY = 52, /* (out gpa: 65 bytes) */

	/* Called by a guest VM about itself (any partition may call them;
	 * the control partition gets -EPERM: it is not measured, and it can
	 * never ask on a guest's behalf). README "Attestation". */
	/* Writes a signed struct sv_report over the 64 bytes at data gpa:
	 * -> SV_REPORT_SIZE. -ENOSPC if len < SV_REPORT_SIZE, -EFAULT if
	 * either buffer is not all in the guest's memory, -ENODEV without a
	 * key; nothing is written on any error. */
	SV_HC_GUEST_GET_REPORT = 60,  /* (data gpa: 64 bytes, out gpa, len) */
	/* rtmr[index] = SHA-256(rtmr[index] || the 32 bytes at gpa).
	 * -EINVAL: index >= SV_NR_RTMR; -EFAULT: gpa not in its memory. */
	SV_HC_GUEST_EXTEND = 61,      /* (index, gpa of 32 bytes) */

	SV_HC_MAX = 65,
	/* Numbers from here up, called by a guest, go to its VMM
	 * (SV_EXIT_HYPERCALL); the hypervisor does not interpret them. */
	SV_HC_GUEST_BASE = 0x100,
};

/* SV_HC_VCPU_INTERRUPT's flags. */
#define SV_IRQ_APIC_MESSAGE 1u
#define SV_IRQ_APIC_LEVEL   2u

/* Guest-to-VMM calls the demo VMM understands. */
#define SV_GUEST_PUNCH   (SV_HC_GUEST_BASE + 1)   /* (gpa, len): punch my memory */
#define SV_GUEST_STATS   (SV_HC_GUEST_BASE + 2)   /* () -> memory-object pages of my VM */
/* "I will never exit: stop me after some preemptions and count it a pass." */
#define SV_GUEST_EXPECT_PREEMPT (SV_HC_GUEST_BASE + 3)
/* (gpa, len): punch my memory, then run the "marker" guest to completion
 * (it fills fresh memory, likely the pages just punched, with its mark). */
#define SV_GUEST_HANDOFF (SV_HC_GUEST_BASE + 4)
/* () -> how many times the VMM saw this guest's vCPU 0 preempted so far. */
#define SV_GUEST_PREEMPTIONS (SV_HC_GUEST_BASE + 5)
/* () -> 0 once the VMM runs the rest of this vCPU 0 from its control vCPU 1
 * (another CPU), -1 if it cannot (one CPU, or a guest with more vCPUs). */
#define SV_GUEST_MIGRATE (SV_HC_GUEST_BASE + 6)
/* (vector): raise this interrupt at me (VCPU_INTERRUPT); returns its result. */
#define SV_GUEST_INTERRUPT (SV_HC_GUEST_BASE + 7)
/* (vector): ask for an interrupt window (sv_run.request_irq_window) and
 * raise this vector at me when it opens. */
#define SV_GUEST_IRQ_WINDOW (SV_HC_GUEST_BASE + 8)
/* (): raise an NMI at me (VCPU_NMI); returns its result. */
#define SV_GUEST_NMI (SV_HC_GUEST_BASE + 9)

/* MP states (SV_HC_VCPU_SET/GET_MP_STATE). A vCPU waiting for SIPI does
 * not enter the guest: VCPU_RUN waits within its time slice and returns
 * SV_EXIT_PREEMPT until a SIPI from another vCPU of the VM starts it. */
#define SV_MP_STATE_RUNNABLE  0u
#define SV_MP_STATE_WAIT_SIPI 1u

struct sv_vcpu_regs {
	uint64_t rip, rsp, rdi, rsi, rdx, rcx;
	uint64_t cr3;                 /* guest-physical root of its page tables */
};

/* General-purpose registers (SV_HC_VCPU_GET/SET_REGS). RFLAGS: bit 1 set,
 * reserved bits and VM (virtual-8086 mode: not supported) clear. */
struct sv_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

/*
 * A segment register's hidden state. attr is the AMD VMCB's 12-bit packed
 * format (APM vol. 2, 15.5.1): descriptor bits 40-47 in attr bits 0-7
 * (type 0-3, S 4, DPL 5-6, P 7) and descriptor bits 52-55 in attr bits
 * 8-11 (AVL 8, L 9, D/B 10, G 11); bits 12-15 zero. P = 0 means the
 * segment is unusable (VMX's "unusable" bit). limit is the expanded byte
 * limit (G applied), as a VMCB or VMCS holds it.
 */
struct sv_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint16_t attr;
};

#define SV_SEG_TYPE(a)  ((a) & 0xf)
#define SV_SEG_S        (1u << 4)
#define SV_SEG_DPL(a)   (((a) >> 5) & 3)
#define SV_SEG_P        (1u << 7)
#define SV_SEG_L        (1u << 9)
#define SV_SEG_DB       (1u << 10)
#define SV_SEG_G        (1u << 11)

struct sv_dtable {
	uint64_t base;
	uint32_t limit;               /* at most 0xffff */
	uint32_t pad;                 /* 0 */
};

/* System registers (SV_HC_VCPU_GET/SET_SREGS). The checks SET makes are
 * listed in README "vCPU register state". cr2 and cr8 must be 0 (not
 * switched on every backend yet). */
struct sv_sregs {
	struct sv_segment cs, ds, es, fs, gs, ss, tr, ldt;
	struct sv_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
};

/* One CPUID answer (SV_HC_VM_SET_CPUID), like KVM's kvm_cpuid_entry2. */
struct sv_cpuid_entry {
	uint32_t function, index;
	uint32_t flags;               /* SV_CPUID_FLAG_INDEX: index is significant */
	uint32_t eax, ebx, ecx, edx;
	uint32_t pad;                 /* 0 */
};

#define SV_CPUID_FLAG_INDEX 1u
#define SV_MAX_CPUID 64

enum sv_exit_reason {
	SV_EXIT_NONE = 0,
	SV_EXIT_IO = 1,               /* port I/O: io */
	SV_EXIT_MMIO = 2,             /* access to unbacked guest-physical memory: mmio */
	SV_EXIT_HYPERCALL = 3,        /* a guest call for the VMM: hypercall */
	SV_EXIT_HLT = 4,
	SV_EXIT_SHUTDOWN = 5,         /* triple fault or an unrecoverable guest state */
	SV_EXIT_PREEMPT = 6,          /* the time slice ran out */
	SV_EXIT_MSR = 7,              /* RDMSR/WRMSR of an MSR the VM's policy sends to the VMM: msr */
	/* The VMM set request_irq_window and the guest can take an external
	 * interrupt now (RFLAGS.IF set, no shadow, and its local APIC passes
	 * the INTR pin: globally disabled, or LVT LINT0 unmasked in ExtINT
	 * mode, as the BSP's is after reset) with none of VCPU_INTERRUPT's
	 * queued. */
	SV_EXIT_IRQ_WINDOW = 8,
	/* The guest touched a page whose attribute's backing is missing (a
	 * shared page without a shared backing, or past its object's end),
	 * like KVM_EXIT_MEMORY_FAULT: memory (gpa, size, attributes wanted).
	 * The access is retried on the next VCPU_RUN. */
	SV_EXIT_MEMORY_FAULT = 10,
	/* The guest asked (SV_HC_GUEST_MAP_GPA) to convert memory (gpa, size,
	 * attributes): the VMM decides (SET_MEMORY_ATTRIBUTES or not) and
	 * puts 0 or -errno in memory.ret for the guest. */
	SV_EXIT_MAP_GPA = 11,
	/* The guest's local APIC took an EOI for a level-triggered vector
	 * (one VCPU_INTERRUPT posted with SV_IRQ_APIC_LEVEL): eoi. The EOI
	 * itself is done; the next VCPU_RUN goes on after it. */
	SV_EXIT_EOI = 12,
};

/* Memory attributes (SV_HC_VM_SET_MEMORY_ATTRIBUTES, the exits). */
#define SV_MEMATTR_PRIVATE 0u
#define SV_MEMATTR_SHARED  1u
/* The largest region whose pages can carry attributes (4 GiB). */
#define SV_MEMATTR_MAX_PAGES (1UL << 20)
/* The virtualization exception a guest gets for a private page it has
 * not accepted (or a page the VMM converted without being asked). */
#define SV_VE_VECTOR 20

/* SV_HC_VM_SET_MSR_POLICY values. */
#define SV_MSR_POLICY_GP   0u         /* #GP in the guest */
#define SV_MSR_POLICY_EXIT 1u         /* SV_EXIT_MSR to the VMM */

struct sv_run {
	uint32_t exit_reason;         /* enum sv_exit_reason */
	/* Set by the VMM (read once per VCPU_RUN): end the run with
	 * SV_EXIT_IRQ_WINDOW as soon as the guest can take an external
	 * interrupt (its 8259's INTR: LINT0 masked keeps it shut). */
	uint8_t request_irq_window;
	uint8_t pad[3];
	union {
		struct {
			uint16_t port;
			uint8_t size;         /* 1, 2 or 4 */
			uint8_t is_write;
			uint32_t data;        /* written value; for a read, the VMM fills it */
		} io;
		struct {
			uint64_t gpa;
			uint32_t is_write;
			/* 1, 2, 4 or 8 when the hypervisor decoded the
			 * instruction: data is the written value, or the VMM
			 * puts the read's answer there and the next VCPU_RUN
			 * completes it. 0: not decoded, RIP stays on it. */
			uint8_t size;
			uint8_t pad[3];
			uint64_t data;
		} mmio;
		struct {
			uint64_t nr, args[5];
			int64_t ret;          /* the VMM fills it: the guest's RAX */
		} hypercall;
		struct {
			uint64_t rip, code;
		} shutdown;
		struct {
			uint32_t index;       /* ECX */
			uint8_t is_write;
			uint8_t error;        /* the VMM sets it: the guest gets #GP instead */
			uint16_t pad;
			uint64_t value;       /* EDX:EAX written; for a read, the VMM fills it */
		} msr;
		struct {
			uint64_t gpa, size;
			uint32_t attributes;  /* SV_MEMATTR_*: what the guest wants */
			uint32_t pad;
			int64_t ret;          /* MAP_GPA: the VMM's answer for the guest */
		} memory;
		struct {
			uint32_t vector;      /* 16-255 */
		} eoi;
	};
	/* Set by the VMM (read once per VCPU_RUN): a TSC value by which the
	 * run returns (SV_EXIT_PREEMPT), halted or not; 0 = none (the slice
	 * alone bounds it). Its device models' next event, for example. */
	uint64_t exit_at_tsc;
};

struct sv_stats {
	uint64_t total_pages, free_pages;
	uint64_t hv_pages, heap_pages, partition_pages, memobj_pages, stage2_pages;
	uint64_t memobjs, vms;
	uint64_t vm_memobj_pages;     /* of the VM named in the call, if any */
};

#define SV_MAX_VMS 16
#define SV_MAX_VCPUS 8
#define SV_MAX_REGIONS 8
#define SV_MAX_HANDLES 64
#define SV_MAX_MAPS 16
#define SV_MAP_GPA_LIMIT (1ULL << 30)   /* mappings live above RAM, below 1 GiB */
#define SV_MEASUREMENT_SIZE 32

/*
 * An attestation report (SV_HC_GUEST_GET_REPORT), format 1. Every integer
 * little-endian; byte offsets in the comments. The signature is ECDSA
 * P-256 with the hypervisor's attestation key over SHA-256 of the first
 * SV_REPORT_BODY_SIZE bytes, r then s, each 32 bytes big-endian (the raw
 * form, as in SEV-SNP reports, not DER). README "Attestation".
 */
#define SV_REPORT_MAGIC "SVREPORT"
#define SV_REPORT_VERSION 1u
#define SV_NR_RTMR 4
#define SV_REPORT_DATA_SIZE 64
#define SV_ATTEST_PUBKEY_SIZE 65
/* sv_report.policy bits. */
#define SV_REPORT_POLICY_MSR_EXIT 1u  /* MSR policy SV_MSR_POLICY_EXIT (else GP) */
#define SV_REPORT_POLICY_DEBUG    2u  /* never set: no call reads or writes a guest's state after finalize */

struct sv_report {
	char magic[8];                /*   0: "SVREPORT", no NUL */
	uint32_t version;             /*   8: SV_REPORT_VERSION */
	uint32_t nr_vcpus;            /*  12: vCPUs created before finalize */
	uint64_t policy;              /*  16: SV_REPORT_POLICY_* */
	uint8_t launch_measurement[SV_MEASUREMENT_SIZE];  /*  24: hv/measure.h */
	uint8_t rtmr[SV_NR_RTMR][32]; /*  56: extended by SV_HC_GUEST_EXTEND, zero at launch */
	uint8_t hv_digest[32];        /* 184: SHA-256(.text || .rodata) of the hypervisor */
	uint8_t report_data[SV_REPORT_DATA_SIZE];         /* 216: the guest's 64 bytes */
	uint8_t signature[64];        /* 280: r || s over SHA-256(bytes 0..279) */
};                                    /* 344 bytes */

#define SV_REPORT_BODY_SIZE 280u
#define SV_REPORT_SIZE 344u

/* Boot parameters the hypervisor gives the control partition (RDI). */
#define SV_BOOT_MAGIC 0x7376626f6f74ULL   /* "svboot", first letter in the high byte */
#define SV_MAX_MODULES 16

struct sv_module {
	char name[64];
	uint64_t gpa, size;
};

/* sv_boot_params.module_kind[i] (ABI 2.0), what modules[i] is for. */
#define SV_MODULE_GUEST 0             /* a "guest =" image: the VMM launches it */
#define SV_MODULE_DATA 1              /* a "module =" file: a guest's kernel, initrd, ... */

struct sv_boot_params {
	uint64_t magic;
	uint64_t mem_size;            /* control partition RAM: [0, mem_size) */
	uint64_t free_start;          /* first gpa not used by image, tables or modules */
	uint32_t nr_modules;
	uint32_t vendor;              /* 1 = AMD (use VMMCALL), 2 = Intel (VMCALL) */
	uint32_t nr_cpus;             /* its vCPUs: one per physical CPU online */
	uint32_t pad;
	struct sv_module modules[SV_MAX_MODULES];
	/* Since ABI 2.0 (placed after everything 1.1 had). */
	uint64_t tsc_per_ms;          /* the TSC's rate (0: not measured), for device clocks */
	uint32_t module_kind[SV_MAX_MODULES];
};

#define SV_VENDOR_AMD 1
#define SV_VENDOR_INTEL 2

#endif
