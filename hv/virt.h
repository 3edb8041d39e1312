/*
 * The virtualization backend interface, in the spirit of Linux's
 * kvm_x86_ops: generic hypervisor code calls through `virt` and never asks
 * which vendor it runs on. arch/x86/svm and arch/x86/vmx each provide one;
 * host tests provide a fake that records what generic code asked for.
 * Ops marked OPTIONAL may be NULL (nothing to do for that backend); generic
 * code calls them through the virt_*() helpers below, every other op
 * directly.
 */
#ifndef HV_VIRT_H
#define HV_VIRT_H

#include <stdbool.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>
#include "mm/stage2.h"

struct vm;
struct vcpu;

/* Why the guest stopped, decoded by the backend. */
enum vm_exit_reason {
	VMEXIT_NONE,        /* nothing for generic code: run again */
	VMEXIT_IO,
	VMEXIT_NPF,         /* stage-2 fault */
	VMEXIT_HYPERCALL,   /* VMMCALL / VMCALL */
	VMEXIT_CPUID,
	VMEXIT_MSR,
	VMEXIT_HLT,
	VMEXIT_SHUTDOWN,    /* triple fault */
	VMEXIT_INTR,        /* a host interrupt, handled: run again */
	VMEXIT_PREEMPT,     /* the preemption timer fired: the slice is over */
	VMEXIT_FAILED,      /* the CPU refused the guest state */
	VMEXIT_INSN,        /* an intercepted instruction: insn says which */
	VMEXIT_EXCEPTION,   /* an intercepted guest exception (#AC, #DB): reflect it */
	VMEXIT_IRQ_WINDOW,  /* the guest can take an interrupt now (window requested) */
	VMEXIT_UNKNOWN,
};

/* Instructions every backend intercepts and decodes into VMEXIT_INSN;
 * what a partition gets for each is decided once, in hv/intercept.c. */
enum vm_insn {
	INSN_INVD,
	INSN_WBINVD,
	INSN_MONITOR,
	INSN_MWAIT,
	INSN_RDPMC,
	INSN_SVM,           /* VMRUN VMLOAD VMSAVE STGI CLGI SKINIT INVLPGA */
	INSN_VMX,           /* VMXON VMXOFF VMCLEAR VMPTRLD VMPTRST VMREAD VMWRITE
			     * VMLAUNCH VMRESUME INVEPT INVVPID VMFUNC */
	INSN_COUNT,
};

struct vm_exit {
	enum vm_exit_reason reason;
	uint64_t gpa;                 /* NPF */
	bool write, fetch;            /* NPF, MSR (write) */
	/* The exit interrupted an event's delivery (it is re-injected): an
	 * NPF then is the delivery's access (IDT, stack), not the access of
	 * the instruction at RIP, which must not be decoded for it. */
	bool in_delivery;
	uint16_t port;                /* IO */
	uint8_t size;
	bool in, string;
	enum vm_insn insn;            /* INSN */
	/* EXCEPTION: what to deliver to the guest. skip: bytes of the
	 * instruction that raised it to step over first (ICEBP, a trap
	 * the CPU reports before the instruction completes). DR6 is
	 * already as the guest expects (the backend sets it). */
	uint8_t vector, skip;
	bool has_error;
	uint32_t error;
	uint64_t raw, info1, info2;   /* backend codes, for logs */
	const char *name;             /* the backend's name for raw */
};

/* Guest registers the entry stubs save (offsets in arch/x86/guest_regs.inc);
 * RSP, RIP and RFLAGS live in the backend's control block. */
struct guest_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* What fetching the guest's current instruction needs (hv/guest_fetch.c). */
struct guest_code {
	uint64_t rip, cs_base, cr0, cr3, cr4, efer;
	bool cs_l, cs_d;             /* CS.L (64-bit code only with EFER.LMA); 32-bit default size */
};

struct virt_ops {
	const char *name;                        /* "SVM" or "VMX" */
	const struct stage2_fmt *stage2_fmt;
	uint8_t vendor;                          /* SV_VENDOR_* */
	int (*hardware_enable)(void);            /* this CPU; 0 or -errno */
	int (*vm_init)(struct vm *vm);           /* ASID / VPID */
	void (*vm_destroy)(struct vm *vm);       /* OPTIONAL */
	/* Control block with the intercepts; its register state comes next
	 * from vcpu_set_state. */
	int (*vcpu_init)(struct vcpu *v);
	/* Loads a whole register state, which vcpu_state_check passed
	 * (hv/vcpu_state.h), into v's control block. -EOPNOTSUPP, changing
	 * nothing, for a state this CPU cannot run (VMX without unrestricted
	 * guest: CR0.PE or CR0.PG clear). Nothing stays queued for injection,
	 * no STI/MOV SS shadow, DR7 0x400. Not while v is in guest mode: its
	 * VMM before finalize, or v's own run between two entries (an INIT
	 * or SIPI, hv/vcpu_mp.c). */
	int (*vcpu_set_state)(struct vcpu *v, const struct sv_regs *r, const struct sv_sregs *s);
	void (*vcpu_destroy)(struct vcpu *v);
	/* OPTIONAL. This CPU is done with v for now (VCPU_RUN returns): v
	 * may run on another CPU next. Neither backend needs it today: VMX
	 * keeps the VMCS active on this CPU and moves it only when another
	 * CPU loads it (arch/x86/vmx/vmcs_cache.c); a backend's other ops
	 * must accept v on any CPU after it. */
	void (*vcpu_put)(struct vcpu *v);
	/* Enters the guest until it exits, between vcpu_enter and vcpu_exited
	 * (hv/shootdown.h), flushing the VM's TLB context first when
	 * vcpu_enter says so. */
	void (*vcpu_run)(struct vcpu *v, struct vm_exit *exit);
	/* Moves RIP past the instruction that exited (len bytes if the CPU
	 * does not say), ending any STI/MOV SS shadow it was in, as
	 * executing it would have. */
	void (*skip_instruction)(struct vcpu *v, unsigned len);
	/* Delivers a hardware exception to the guest on its next entry
	 * (through its IDT), with an error code if has_error. */
	void (*inject_exception)(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
	/* External interrupts (hv/events.c). interrupt_allowed: the next
	 * entry could deliver one: RFLAGS.IF set, no STI/MOV SS shadow, and
	 * no event already queued for injection (a re-injected or reflected
	 * one). inject_interrupt queues one (only when allowed).
	 * request_irq_window: the guest exits with VMEXIT_IRQ_WINDOW as soon
	 * as it could take one; the request ends with that exit. */
	bool (*interrupt_allowed)(struct vcpu *v);
	void (*inject_interrupt)(struct vcpu *v, uint8_t vector);
	void (*request_irq_window)(struct vcpu *v);
	/* NMIs (hv/nmi.c). nmi_blocked: the guest is in its NMI handler
	 * (an NMI was delivered or is being injected, and the IRET that
	 * ends it has not executed): the backend tracks it (VMX: virtual
	 * NMI blocking in the VMCS; SVM: by hand, with the IRET intercept).
	 * nmi_allowed: the next entry could deliver one: not blocked, no
	 * STI/MOV SS shadow, injection slot free. inject_nmi queues one
	 * (only when allowed) and makes the guest NMI-blocked.
	 * request_nmi_window: the guest exits (VMEXIT_IRQ_WINDOW, or
	 * handled inside the backend) once it could take one, at the
	 * latest at its next exit of any kind. */
	bool (*nmi_blocked)(struct vcpu *v);
	bool (*nmi_allowed)(struct vcpu *v);
	void (*inject_nmi)(struct vcpu *v);
	void (*request_nmi_window)(struct vcpu *v);
	uint64_t (*get_rip)(struct vcpu *v);
	void (*get_code)(struct vcpu *v, struct guest_code *c);
	/* Moves RIP len bytes on, past an instruction the hypervisor decoded
	 * and emulated itself (whatever length the CPU reported for the
	 * exit, if any), ending any STI/MOV SS shadow. */
	void (*skip_decoded)(struct vcpu *v, unsigned len);
	/* Sends the shootdown IPI to a CPU (hv/shootdown.h): if it is in
	 * guest mode, it exits. */
	void (*kick_cpu)(unsigned cpu);
	/* The next vcpu_run of v ends with VMEXIT_PREEMPT if the guest is
	 * still running when the TSC reaches tsc_deadline (hv/run.c picks
	 * the nearer of its slice's end and its APIC timer's next expiry).
	 * The backend converts to its timer's units (arch/x86/timer_units.h)
	 * and arms at least one tick for a deadline already past, so the
	 * exit comes at once but the guest still enters. */
	void (*preemption_arm)(struct vcpu *v, uint64_t tsc_deadline);
	/* CR0 as the guest sees it (hv/msr.c judges EFER.LME writes by CR0.PG). */
	uint64_t (*get_cr0)(struct vcpu *v);
	/* OPTIONAL. CR4 as the guest sees it (CPUID reports OSXSAVE from it). */
	uint64_t (*get_cr4)(struct vcpu *v);
	/* The guest's copy of an MSR on the allow list (hv/msr.c), wherever
	 * the backend keeps it (control block or switched by hand): 0, or
	 * -ENOENT if this backend or CPU does not switch that MSR (then the
	 * guest may not have it). msr_set gets values hv/msr.c checked. */
	int (*msr_get)(struct vcpu *v, uint32_t index, uint64_t *value);
	int (*msr_set)(struct vcpu *v, uint32_t index, uint64_t value);
};

/* Set by arch_virt_select (hv/arch.h). */
extern const struct virt_ops *virt;

#define X86_EXC_DE 0
#define X86_EXC_DB 1
#define X86_NMI_VECTOR 2
#define X86_EXC_UD 6
#define X86_EXC_GP 13
#define X86_EXC_PF 14
#define X86_EXC_AC 17

static inline void virt_inject_gp(struct vcpu *v)
{
	virt->inject_exception(v, X86_EXC_GP, true, 0);
}

static inline void virt_vm_destroy(struct vm *vm)
{
	if (virt->vm_destroy)
		virt->vm_destroy(vm);
}

static inline void virt_vcpu_put(struct vcpu *v)
{
	if (virt->vcpu_put)
		virt->vcpu_put(v);
}

static inline uint64_t virt_get_cr4(struct vcpu *v)
{
	return virt->get_cr4 ? virt->get_cr4(v) : 0;
}

#endif
