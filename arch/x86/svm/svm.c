/* AMD SVM backend: VMCB set-up, VMRUN, exit decoding, ASIDs, TLB control. */
#include <sealvisor/errno.h>
#include "arch/x86/apic.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/guest_switch.h"
#include "arch/x86/percpu.h"
#include "arch/x86/svm/npt.h"
#include "arch/x86/svm/svm_cr.h"
#include "arch/x86/svm/svm_msr.h"
#include "arch/x86/svm/svm_nmi.h"
#include "arch/x86/svm/svm_tlb.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/svm/vmcb_clean.h"
#include "arch/x86/x86.h"
#include "arch/x86/xstate.h"
#include "hv/log.h"
#include "hv/msr.h"
#include "lib/string.h"
#include "hv/shootdown.h"
#include "hv/shutdown.h"
#include "hv/vcpu_state.h"
#include "hv/virt.h"
#include "hv/vm.h"
#include "mm/pmm.h"

#define EVENTINJ_VALID  (1UL << 31)
#define EVENTINJ_EXC    (3UL << 8)
#define EVENTINJ_ERR    (1UL << 11)

void svm_enter(uint64_t vmcb_pa, struct guest_regs *regs, uint64_t host_save_pa);

/* Shared by every CPU and VM (read-only once set up). */
static uint64_t iopm_pa, msrpm_pa;
static bool flush_by_asid;
/* Each CPU's VMSAVE area for the host state VMRUN does not switch, and
 * its VM_HSAVE_PA page, where VMRUN itself saves the host's. */
static uint64_t host_save_pa[HV_MAX_CPUS];
static uint64_t hsave_pa[HV_MAX_CPUS];
/* For the count line at shutdown: VMRUNs, and those with every clean bit
 * clear (a VMCB new, reset or moved to another CPU). */
static uint64_t svm_entries, svm_entries_all_dirty, svm_timer_arms;
/* The deadline each CPU's APIC timer counts to (0: none armed). */
static uint64_t armed_deadline[HV_MAX_CPUS];

void svm_log_counts(void)
{
	log_info("svm: %lu VMCB field writes in %lu entries (%lu with no clean bit set), "
		  "%lu timer arms\n", vmcb_field_writes_total(),
		  __atomic_load_n(&svm_entries, __ATOMIC_RELAXED),
		  __atomic_load_n(&svm_entries_all_dirty, __ATOMIC_RELAXED),
		  __atomic_load_n(&svm_timer_arms, __ATOMIC_RELAXED));
}

static int svm_hardware_enable(void)
{
	if (cpu_features.svm_disabled_by_bios) {
		log_err("svm: disabled by firmware (VM_CR.SVMDIS set)\n");
		return -EACCES;
	}
	xstate_cpu_init();
	uint64_t hsave = pmm_alloc(0, OWNER_HV, 0);
	host_save_pa[this_cpu()->id] = pmm_alloc(0, OWNER_HV, 0);
	if (!iopm_pa) {
		iopm_pa = pmm_alloc(2, OWNER_HV, 0);      /* 12 KiB used */
		msrpm_pa = pmm_alloc(1, OWNER_HV, 0);     /* 8 KiB */
		if (!iopm_pa || !msrpm_pa)
			return -ENOMEM;
		/* Every port and every MSR is intercepted: partitions own no
		 * device and no host MSR. */
		memset(phys_to_virt(iopm_pa), 0xff, 4 * PAGE_SIZE);
		memset(phys_to_virt(msrpm_pa), 0xff, 2 * PAGE_SIZE);
	}
	if (!hsave || !host_save_pa[this_cpu()->id])
		return -ENOMEM;
	/* Used by the CPU for ever: a stray free of either would let the
	 * page's next owner overwrite the host state a #VMEXIT or the VMLOAD
	 * after it restores (a VMCB sharing the VM_HSAVE_PA page, GS base 0). */
	pmm_pin(hsave, 0);
	pmm_pin(host_save_pa[this_cpu()->id], 0);
	flush_by_asid = !!(cpuid(0x8000000a, 0).edx & (1u << 6));
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	hsave_pa[this_cpu()->id] = hsave;
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	log_debug("svm: enabled, host save area at 0x%lx\n", hsave);
	return 0;
}

static int svm_vm_init(struct vm *vm)
{
	svm_assign_asid(vm, cpu_features.nr_asids);
	return 0;
}

/* The ABI's segment format is the VMCB's (struct sv_segment). */
static void put_seg(void *vmcb, unsigned off, const struct sv_segment *g)
{
	*(uint16_t *)vmcb8(vmcb, off) = g->selector;
	*(uint16_t *)vmcb8(vmcb, off + 2) = g->attr;
	*vmcb32(vmcb, off + 4) = g->limit;
	*vmcb64(vmcb, off + 8) = g->base;
}

static void put_dtable(void *vmcb, unsigned off, const struct sv_dtable *t)
{
	*vmcb32(vmcb, off + 4) = t->limit;
	*vmcb64(vmcb, off + 8) = t->base;
}

/* A state vcpu_state_check passed (hv/vcpu_state.h): VMRUN takes real
 * mode and paging off as they are (NPT translates either way). EFER.SVME
 * is required in a guest's VMCB and is not part of the guest's state. */
static int svm_vcpu_set_state(struct vcpu *v, const struct sv_regs *r, const struct sv_sregs *s)
{
	void *vmcb = v->arch;

	put_seg(vmcb, VMCB_CS, &s->cs);
	put_seg(vmcb, VMCB_DS, &s->ds);
	put_seg(vmcb, VMCB_ES, &s->es);
	put_seg(vmcb, VMCB_SS, &s->ss);
	put_seg(vmcb, VMCB_FS, &s->fs);
	put_seg(vmcb, VMCB_GS, &s->gs);
	put_seg(vmcb, VMCB_TR, &s->tr);
	put_seg(vmcb, VMCB_LDTR, &s->ldt);
	put_dtable(vmcb, VMCB_GDTR, &s->gdt);
	put_dtable(vmcb, VMCB_IDTR, &s->idt);
	*vmcb64(vmcb, VMCB_CR0) = s->cr0;
	*vmcb64(vmcb, VMCB_CR4) = s->cr4;
	*vmcb64(vmcb, VMCB_CR3) = s->cr3;
	svm_efer_set(v, s->efer);
	*vmcb64(vmcb, VMCB_RFLAGS) = r->rflags;
	*vmcb64(vmcb, VMCB_RIP) = r->rip;
	*vmcb64(vmcb, VMCB_RSP) = r->rsp;
	*vmcb8(vmcb, VMCB_CPL) = (uint8_t)SV_SEG_DPL(s->ss.attr);   /* as VMX: CPL = SS.DPL */
	/* A new state (also an INIT's, hv/vcpu_mp.c) has nothing queued
	 * for injection, no interrupt shadow, no NMI blocking and DR6 and
	 * DR7 at their reset values. */
	*vmcb64(vmcb, VMCB_EVENTINJ) = 0;
	*vmcb64(vmcb, VMCB_INT_STATE) = 0;
	svm_nmi_reset(v);
	*vmcb64(vmcb, VMCB_DR7) = 0x400;
	*vmcb64(vmcb, VMCB_DR6) = 0xffff0ff0;
	vmcb_all_dirty(v);   /* written above without vmcb_put: nothing cached is valid */
	v->regs = (struct guest_regs){ .rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
		.rsi = r->rsi, .rdi = r->rdi, .rbp = r->rbp, .r8 = r->r8, .r9 = r->r9,
		.r10 = r->r10, .r11 = r->r11, .r12 = r->r12, .r13 = r->r13, .r14 = r->r14,
		.r15 = r->r15 };
	return 0;
}

/*
 * The intercept table: everything a partition may not do natively, one
 * line each with why. What it gets instead is decided in generic code
 * (hv/intercept.c for VMEXIT_INSN, hv/msr.c, hv/run.c); the VMX backend
 * has the same table in its terms. (XSETBV belongs to the xstate work.)
 */
static void set_intercepts(void *vmcb)
{
	*vmcb32(vmcb, VMCB_INTERCEPT_VEC3) =
		INTERCEPT_INTR |        /* host interrupts: the host keeps its CPUs */
		INTERCEPT_NMI |         /* kicks (hv/shootdown.c) */
		INTERCEPT_RDPMC |       /* the host's performance counters: #GP */
		INTERCEPT_CPUID |       /* the partitions' CPUID (hv/cpuid.c) */
		INTERCEPT_INVD |        /* would discard the host's dirty lines: a no-op */
		INTERCEPT_HLT |         /* its VMM's business (SV_EXIT_HLT) */
		INTERCEPT_INVLPGA |     /* an SVM instruction: #UD */
		INTERCEPT_IOIO |        /* it owns no device (the IOPM intercepts every port) */
		INTERCEPT_MSR |         /* allow list and policy (hv/msr.c; MSRPM all ones) */
		INTERCEPT_SHUTDOWN;     /* a triple fault stops the vCPU, not the CPU */
	*vmcb32(vmcb, VMCB_INTERCEPT_VEC4) =
		INTERCEPT_VMRUN |       /* required by VMRUN itself; #UD */
		INTERCEPT_VMMCALL |     /* the hypercall */
		/* The rest of SVM: #UD. The guest's EFER.SVME is set (VMRUN
		 * requires it), so the CPU would run them natively. */
		INTERCEPT_VMLOAD | INTERCEPT_VMSAVE | INTERCEPT_STGI | INTERCEPT_CLGI |
		INTERCEPT_SKINIT |
		INTERCEPT_WBINVD |      /* a no-op (hv/intercept.c says why) */
		INTERCEPT_MONITOR |     /* #UD: CPUID shows no MONITOR */
		INTERCEPT_MWAIT | INTERCEPT_MWAIT_ARMED |
		INTERCEPT_XSETBV |      /* checked against the host's XCR0 (hv/xstate_policy.c) */
		INTERCEPT_ICEBP;        /* its #DB would point at the ICEBP itself (decode_exception) */
	/* #DB and #AC: reflected, but through the hypervisor, so that a
	 * delivery that raises them again cannot hold the CPU (decode_exception). */
	*vmcb32(vmcb, VMCB_INTERCEPT_EXC) = 1u << X86_EXC_DB | 1u << X86_EXC_AC;
	/* Bits the host cannot allow are refused (svm_cr.c). */
	*vmcb32(vmcb, VMCB_INTERCEPT_CR) = INTERCEPT_CR0_WRITE | INTERCEPT_CR4_WRITE;
}

static int svm_vcpu_init(struct vcpu *v)
{
	uint64_t pa = pmm_alloc(0, OWNER_HV, v->vm->id);

	if (!pa)
		return -ENOMEM;
	int err = xstate_vcpu_init(v);
	if (err) {
		pmm_free(pa, 0);
		return err;
	}
	/* The leak's other suspect, checked once: the VMCB's address never
	 * changes and the host areas are pinned for ever (svm_hardware_enable). */
	for (unsigned c = 0; c < HV_MAX_CPUS; c++)
		if (pa == hsave_pa[c] || pa == host_save_pa[c])
			panic("svm: VM %u vCPU %u VMCB 0x%lx is CPU %u's host area\n", v->vm->id,
			      v->id, pa, c);
	void *vmcb = phys_to_virt(pa);
	set_intercepts(vmcb);
	*vmcb64(vmcb, VMCB_IOPM_BASE) = iopm_pa;
	*vmcb64(vmcb, VMCB_MSRPM_BASE) = msrpm_pa;
	*vmcb64(vmcb, VMCB_VINTR) = V_INTR_MASKING;   /* guest IF never hides host IRQs */
	*vmcb64(vmcb, VMCB_NP_ENABLE) = 1;
	*vmcb64(vmcb, VMCB_NCR3) = v->vm->s2.root;
	*vmcb64(vmcb, VMCB_DR6) = 0xffff0ff0;
	*vmcb64(vmcb, VMCB_DR7) = 0x400;
	*vmcb64(vmcb, VMCB_GPAT) = 0x0007040600070406UL;
	v->arch = vmcb;
	v->arch_pa = pa;
	vmcb_all_dirty(v);   /* never run: the first VMRUN reads it all */
	return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
	xstate_vcpu_destroy(v);
	pmm_free(v->arch_pa, 0);
	v->arch = NULL;
}

/* #DB and #AC, intercepted so that a guest stuck delivering them keeps
 * exiting, are reflected by generic code. The CPU has already written the
 * guest's DR6 into the VMCB, as it would for a delivered #DB. ICEBP is
 * intercepted on its own: as a #DB intercept its RIP would be the ICEBP's
 * (a fault), so the reflected #DB would return to it for ever; this way
 * generic code steps over it and delivers the trap. */
static void decode_exception(uint32_t code, uint64_t i1, struct vm_exit *e)
{
	e->reason = VMEXIT_EXCEPTION;
	if (code == SVM_EXIT_ICEBP) {
		e->name = "ICEBP";
		e->vector = X86_EXC_DB;
		e->skip = 1;
		return;
	}
	e->vector = (uint8_t)(code - SVM_EXIT_EXCP_BASE);
	e->name = e->vector == X86_EXC_DB ? "#DB" : "#AC";
	e->has_error = e->vector == X86_EXC_AC;
	e->error = (uint32_t)i1;
}

/* An exit in the middle of delivering an event (the stage-2 fault of a
 * guest IDT or stack page not yet mapped, a host interrupt) must not lose
 * it: it goes back in EVENTINJ for the next entry, error code included.
 * Generic code injects only after instruction exits and intercepted
 * #DB/#AC, which never come during a delivery in long mode (the stack is
 * aligned, data breakpoints are traps), so nothing overwrites it. Software interrupts and
 * INT3/INTO are not re-injected but re-executed: RIP is still at the
 * instruction, and without next-RIP (QEMU's TCG has none) an injected
 * software interrupt would return to its own INT instruction. */
/* A re-injected NMI keeps the guest NMI-blocked (svm_nmi.c set it when
 * it first injected it). */
static void requeue_event(struct vcpu *v)
{
	void *vmcb = v->arch;
	uint64_t info = *vmcb64(vmcb, VMCB_EXITINTINFO);
	uint8_t vector = (uint8_t)info;

	if (!(info & EVENT_VALID) || EVENT_TYPE(info) == EVENT_TYPE_SOFT ||
	    (EVENT_TYPE(info) == EVENT_TYPE_EXC && (vector == 3 || vector == 4)))
		return;
	vmcb_put64(v, VMCB_EVENTINJ, info);
}

/* A VMCB is not tied to a CPU (no VMCB state is cached: clean bits 0). */
static void decode_exit(struct vcpu *v, struct vm_exit *e)
{
	void *vmcb = v->arch;
	uint64_t code = *vmcb64(vmcb, VMCB_EXITCODE);
	uint64_t i1 = *vmcb64(vmcb, VMCB_EXITINFO1), i2 = *vmcb64(vmcb, VMCB_EXITINFO2);

	*e = (struct vm_exit){ .reason = VMEXIT_UNKNOWN, .raw = code, .info1 = i1, .info2 = i2,
			       .name = "unnamed exit" };
	switch ((uint32_t)code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
		e->name = "interrupt";
		/* Handled on STGI in svm_enter; was it the preemption timer? */
		e->reason = VMEXIT_INTR;
		if (apic_timer_take()) {
			e->reason = VMEXIT_PREEMPT;
			armed_deadline[this_cpu()->id] = 0;   /* the one-shot is spent */
		}
		break;
	case SVM_EXIT_VINTR:
		/* The window svm_request_irq_window asked for: a virtual
		 * interrupt that is never delivered, only intercepted. */
		e->name = "VINTR";
		e->reason = VMEXIT_IRQ_WINDOW;
		vmcb_put64(v, VMCB_VINTR, *vmcb64(vmcb, VMCB_VINTR) & ~(V_IRQ | V_INTR_PRIO_MAX | V_IGN_TPR));
		vmcb_put32(v, VMCB_INTERCEPT_VEC3, *vmcb32(vmcb, VMCB_INTERCEPT_VEC3) & ~INTERCEPT_VINTR);
		break;
	case SVM_EXIT_CPUID:
		e->name = "CPUID";
		e->reason = VMEXIT_CPUID;
		break;
	case SVM_EXIT_HLT:
		e->name = "HLT";
		e->reason = VMEXIT_HLT;
		break;
	case SVM_EXIT_IOIO:
		e->name = "IOIO";
		e->reason = VMEXIT_IO;
		e->in = i1 & 1;
		e->string = !!(i1 & 4);
		e->size = (i1 & 0x10) ? 1 : (i1 & 0x20) ? 2 : 4;
		e->port = (uint16_t)(i1 >> 16);
		break;
	case SVM_EXIT_MSR:
		e->name = "MSR";
		e->reason = VMEXIT_MSR;
		e->write = i1 & 1;
		break;
	case SVM_EXIT_SHUTDOWN:
		e->name = "shutdown";
		e->reason = VMEXIT_SHUTDOWN;
		/* What was being delivered when delivery gave up, for the log. */
		e->info1 = *vmcb64(vmcb, VMCB_EXITINTINFO);
		break;
	case SVM_EXIT_VMMCALL:
		e->name = "VMMCALL";
		e->reason = VMEXIT_HYPERCALL;
		break;
	case SVM_EXIT_NPF:
		e->name = "nested page fault";
		e->reason = VMEXIT_NPF;
		e->gpa = i2;
		e->write = !!(i1 & 2);
		e->fetch = !!(i1 & 16);
		break;
	case SVM_EXIT_INVD:
		e->name = "INVD";
		e->reason = VMEXIT_INSN;
		e->insn = INSN_INVD;
		break;
	case SVM_EXIT_WBINVD:
		e->name = "WBINVD";
		e->reason = VMEXIT_INSN;
		e->insn = INSN_WBINVD;
		break;
	case SVM_EXIT_MONITOR:
		e->name = "MONITOR";
		e->reason = VMEXIT_INSN;
		e->insn = INSN_MONITOR;
		break;
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_MWAIT_ARMED:
		e->name = "MWAIT";
		e->reason = VMEXIT_INSN;
		e->insn = INSN_MWAIT;
		break;
	case SVM_EXIT_RDPMC:
		e->name = "RDPMC";
		e->reason = VMEXIT_INSN;
		e->insn = INSN_RDPMC;
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
		e->name = "SVM instruction";
		e->reason = VMEXIT_INSN;
		e->insn = INSN_SVM;
		break;
	case SVM_EXIT_EXCP_BASE + X86_EXC_DB:
	case SVM_EXIT_EXCP_BASE + X86_EXC_AC:
	case SVM_EXIT_ICEBP:
		decode_exception((uint32_t)code, i1, e);
		break;
	case SVM_EXIT_INVALID:
		e->name = "VMRUN failed: invalid guest state";
		e->reason = VMEXIT_FAILED;
		break;
	}
}

/* Tripwire for the QEMU/SVM host-state leak (a guest running with host
 * CR3 and RIP, host GS base 0 after VMLOAD): every signature fits a VMCB
 * that is also a CPU's VM_HSAVE_PA or VMSAVE page, or a CPU whose
 * VM_HSAVE_PA is not the page it set. The MSR is checked at every entry
 * and exit, the VMCB's address once when it is allocated (svm_vcpu_init);
 * a mismatch is a broken invariant. Only values the hypervisor owns are
 * judged: nothing in a VMCB's state save area, which the guest writes. */
static void check_hsave_msr(const char *when)
{
	unsigned id = this_cpu()->id;
	uint64_t msr = rdmsr(MSR_VM_HSAVE_PA);

	if (msr != hsave_pa[id])
		panic("svm: CPU %u VM_HSAVE_PA 0x%lx %s, set to 0x%lx\n", id, msr, when,
		      hsave_pa[id]);
}

/* A hint of the same leak, said a few times, never a panic: a VMCB's CR3
 * is the guest's own choice (under NPT a guest-physical address), and a
 * guest may load the number of the host's CR3 (tests/mb/mb-cr3.c). */
static void hint_host_cr3(const struct vcpu *v, void *vmcb)
{
	static unsigned said;
	uint64_t host_cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(host_cr3));
	if (*vmcb64(vmcb, VMCB_CR3) != host_cr3 || !(*vmcb64(vmcb, VMCB_EFER) & X86_EFER_LMA) ||
	    __atomic_fetch_add(&said, 1, __ATOMIC_RELAXED) >= 4)
		return;
	log_warn("svm: VM %u vCPU %u exits (0x%lx) with the host's CR3 0x%lx, RIP 0x%lx, RSP "
		 "0x%lx (the guest's choice, or host state in its VMCB 0x%lx; hsave 0x%lx rip "
		 "0x%lx)\n", v->vm->id, v->id, *vmcb64(vmcb, VMCB_EXITCODE), host_cr3,
		 *vmcb64(vmcb, VMCB_RIP), *vmcb64(vmcb, VMCB_RSP), v->arch_pa,
		 hsave_pa[this_cpu()->id], *vmcb64(phys_to_virt(hsave_pa[this_cpu()->id]), VMCB_RIP));
}

/*
 * Diagnostics for the open QEMU/SVM host-state leak (a guest VMCB found
 * holding the host's RIP, RSP and CR3): where the host state came from.
 * Before VMRUN: a VMCB whose RIP is already the host's resume address was
 * written while its vCPU was not running. After the exit: the VM_HSAVE_PA
 * page must still hold what this CPU's VMRUN saved (RAX = this VMCB, RSP
 * on this stack); anything else means another writer. Warnings only (a
 * guest may choose any RIP), at most 8 a boot. The VM_HSAVE_PA layout is
 * the implementation's (APM 15.30.4): QEMU's is a VMCB save area, which
 * is where this was seen; on other CPUs the after-check may only warn.
 */
static uint64_t host_resume_rip[HV_MAX_CPUS];

static void leak_warn(const struct vcpu *v, const char *what, uint64_t a, uint64_t b)
{
	static unsigned said;

	if (__atomic_fetch_add(&said, 1, __ATOMIC_RELAXED) >= 8)
		return;
	log_warn("svm: CPU %u, VM %u vCPU %u (VMCB 0x%lx, clean 0x%x, exit 0x%lx, intinfo 0x%lx): "
		 "%s (0x%lx, 0x%lx)\n", this_cpu()->id, v->vm->id, v->id, v->arch_pa,
		 *vmcb32(v->arch, VMCB_CLEAN), *vmcb64(v->arch, VMCB_EXITCODE),
		 *vmcb64(v->arch, VMCB_EXITINTINFO), what, a, b);
}

static void leak_check_before(const struct vcpu *v)
{
	uint64_t rip = *vmcb64(v->arch, VMCB_RIP), host = host_resume_rip[this_cpu()->id];

	if (host && rip == host)
		leak_warn(v, "its RIP is the host's resume address before VMRUN", rip,
			  *vmcb64(v->arch, VMCB_CR3));
}

static void leak_check_after(const struct vcpu *v)
{
	const void *hs = phys_to_virt(hsave_pa[this_cpu()->id]);
	uint64_t rax = *vmcb64((void *)hs, VMCB_RAX), rsp = *vmcb64((void *)hs, VMCB_RSP);
	uint64_t here = (uint64_t)__builtin_frame_address(0);

	host_resume_rip[this_cpu()->id] = *vmcb64((void *)hs, VMCB_RIP);
	if (rax != v->arch_pa)
		leak_warn(v, "VM_HSAVE_PA holds another VMRUN's RAX", rax, rsp);
	else if (rsp - here > 0x10000 && here - rsp > 0x10000)
		leak_warn(v, "VM_HSAVE_PA holds another stack's RSP", rsp, here);
}

/*
 * qemu_tcg_intr_quirk. QEMU's TCG (7.2, target/i386/tcg/sysemu/
 * svm_helper.c, helper_vmrun) delivers an EVENTINJ external interrupt
 * (type 0) at VMRUN but leaves its vector as the CPU's pending exception
 * index; if the emulator's own loop is asked to stop before the next
 * #VMEXIT (its round-robin kick, a timer), it delivers that vector a
 * second time (an interrupt handler entered twice for one IRR bit, the
 * second with its ISR bit clear: tests/mb/mb-lapic saw it). Any #VMEXIT
 * resets that index. A physical interrupt pending at VMRUN forces one as
 * soon as the injection is done, as on real hardware (with the interrupt
 * intercept, the CPU takes it at the first instruction of the guest's
 * handler, EXITINTINFO empty): so under TCG each injected interrupt costs
 * one more exit, and is delivered once.
 */
static void svm_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	void *vmcb = v->arch;

	vmcb_put64(v, VMCB_RAX, v->regs.rax);
	svm_tlb_prepare(v, vmcb, flush_by_asid);
	if (v->cr_flush)
		vmcb_put8(v, VMCB_TLB_CONTROL, flush_by_asid ? TLB_CONTROL_FLUSH_ASID
							  : TLB_CONTROL_FLUSH_ALL);
	v->cr_flush = false;
	uint32_t clean = vmcb_clean_for_entry(v, (int)this_cpu()->id);
	*vmcb32(vmcb, VMCB_CLEAN) = clean;
	__atomic_fetch_add(&svm_entries, 1, __ATOMIC_RELAXED);
	if (!clean)
		__atomic_fetch_add(&svm_entries_all_dirty, 1, __ATOMIC_RELAXED);
	guest_switch_enter(v, false);
	xstate_load_guest(v);
	uint64_t gs_base = rdmsr(MSR_IA32_GS_BASE);
	check_hsave_msr("before VMRUN");
	leak_check_before(v);
	uint64_t inj = *vmcb64(vmcb, VMCB_EVENTINJ);
	if (cpu_features.qemu_tcg && (inj & EVENT_VALID) && EVENT_TYPE(inj) == EVENT_TYPE_INTR)
		apic_send_kick_self();  /* qemu_tcg_intr_quirk, above */
	svm_enter(v->arch_pa, &v->regs, host_save_pa[this_cpu()->id]);
	if (rdmsr(MSR_IA32_GS_BASE) != gs_base) {
		uint64_t bad = rdmsr(MSR_IA32_GS_BASE);
		wrmsr(MSR_IA32_GS_BASE, gs_base);
		panic("svm: host GS base 0x%lx after VMRUN of VM %u vCPU %u (VMCB 0x%lx, exit "
		      "0x%lx), was 0x%lx; vmsave area 0x%lx holds GS base 0x%lx\n", bad,
		      v->vm->id, v->id, v->arch_pa, *vmcb64(vmcb, VMCB_EXITCODE), gs_base,
		      host_save_pa[this_cpu()->id],
		      *vmcb64(phys_to_virt(host_save_pa[this_cpu()->id]), VMCB_GS + 8));
	}
	check_hsave_msr("after VMRUN");
	leak_check_after(v);
	hint_host_cr3(v, vmcb);
	xstate_save_guest(v);
	guest_switch_exit(v, false);
	vcpu_exited(v);
	v->regs.rax = *vmcb64(vmcb, VMCB_RAX);
	/* Whatever EVENTINJ held was delivered, or is in EXITINTINFO. */
	vmcb_put64(v, VMCB_EVENTINJ, 0);
	requeue_event(v);
	decode_exit(v, e);
	svm_nmi_exit(v, e);
	e->in_delivery = *vmcb64(vmcb, VMCB_EXITINTINFO) & EVENT_VALID;
	if (svm_cr_xsetbv_exit(v, e))
		e->reason = VMEXIT_NONE;
}

/* IOIO leaves the next RIP in EXITINFO2; others use nRIP where the CPU has
 * it (QEMU's TCG does not), else the known instruction length. */
static void svm_skip_instruction(struct vcpu *v, unsigned len)
{
	void *vmcb = v->arch;
	uint64_t *rip = vmcb64(vmcb, VMCB_RIP);

	vmcb_put64(v, VMCB_INT_STATE, *vmcb64(vmcb, VMCB_INT_STATE) & ~1UL);   /* the shadow ends with the instruction */
	if ((uint32_t)*vmcb64(vmcb, VMCB_EXITCODE) == SVM_EXIT_IOIO)
		vmcb_put64(v, VMCB_RIP, *vmcb64(vmcb, VMCB_EXITINFO2));
	else if (cpu_features.nrips && *vmcb64(vmcb, VMCB_NRIP))
		vmcb_put64(v, VMCB_RIP, *vmcb64(vmcb, VMCB_NRIP));
	else
		vmcb_put64(v, VMCB_RIP, *rip + len);
}

/* Real mode pushes no error code: a guest started there (VCPU_SET_SREGS)
 * gets the exception without one. */
static void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	has_error &= !!(*vmcb64(v->arch, VMCB_CR0) & X86_CR0_PE);
	vmcb_put64(v, VMCB_EVENTINJ, vector | EVENTINJ_EXC | EVENTINJ_VALID |
		   (has_error ? EVENTINJ_ERR | (uint64_t)error << 32 : 0));
}

/* Where the guest's copy of an allowed MSR lives: the VMCB (svm_msr.c),
 * else switched by hand (guest_switch.c), else nowhere. */
static int svm_msr_get(struct vcpu *v, uint32_t index, uint64_t *value)
{
	if (index == MSR_IA32_EFER) {
		*value = svm_efer_get(v);
		return 0;
	}
	if (!svm_vmcb_msr_get(v, index, value))
		return 0;
	uint64_t *slot = guest_switch_msr(v, index);
	if (!slot)
		return -ENOENT;
	*value = *slot;
	return 0;
}

/* EFER.SVME stays set: VMRUN refuses a guest without it (svm_efer_set). */
static int svm_msr_set(struct vcpu *v, uint32_t index, uint64_t value)
{
	if (index == MSR_IA32_EFER) {
		svm_efer_set(v, value);
		return 0;
	}
	if (!svm_vmcb_msr_set(v, index, value))
		return 0;
	uint64_t *slot = guest_switch_msr(v, index);
	if (!slot)
		return -ENOENT;
	*slot = value;
	return 0;
}

static bool svm_interrupt_allowed(struct vcpu *v)
{
	return (*vmcb64(v->arch, VMCB_RFLAGS) & RFLAGS_IF) && !(*vmcb64(v->arch, VMCB_INT_STATE) & 1) &&
	       !(*vmcb64(v->arch, VMCB_EVENTINJ) & EVENT_VALID);
}

/* Type 0: an external interrupt. */
static void svm_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	vmcb_put64(v, VMCB_EVENTINJ, vector | EVENT_VALID);
}

/* A virtual interrupt, which the CPU takes when the guest could take an
 * interrupt (IF set, no shadow, nothing being injected), intercepted
 * before it is delivered: the window exit (decode_exit). */
static void svm_request_irq_window(struct vcpu *v)
{
	vmcb_put64(v, VMCB_VINTR, *vmcb64(v->arch, VMCB_VINTR) | V_IRQ | V_INTR_PRIO_MAX | V_IGN_TPR);
	vmcb_put32(v, VMCB_INTERCEPT_VEC3, *vmcb32(v->arch, VMCB_INTERCEPT_VEC3) | INTERCEPT_VINTR);
}

static uint64_t svm_get_rip(struct vcpu *v)
{
	return *vmcb64(v->arch, VMCB_RIP);
}

/* Segment attributes in the VMCB's packed format: L is bit 9, D/B bit 10. */
static void svm_get_code(struct vcpu *v, struct guest_code *c)
{
	void *vmcb = v->arch;
	uint16_t cs_attr = *(uint16_t *)((uint8_t *)vmcb + VMCB_CS + 2);

	*c = (struct guest_code){
		.rip = *vmcb64(vmcb, VMCB_RIP), .cs_base = *vmcb64(vmcb, VMCB_CS + 8),
		.cr0 = *vmcb64(vmcb, VMCB_CR0), .cr3 = *vmcb64(vmcb, VMCB_CR3),
		.cr4 = *vmcb64(vmcb, VMCB_CR4), .efer = *vmcb64(vmcb, VMCB_EFER),
		.cs_l = cs_attr >> 9 & 1, .cs_d = cs_attr >> 10 & 1,
	};
}

/* NRIP is not defined for a nested page fault: the decoder's length. */
static void svm_skip_decoded(struct vcpu *v, unsigned len)
{
	vmcb_put64(v, VMCB_INT_STATE, *vmcb64(v->arch, VMCB_INT_STATE) & ~1UL);
	vmcb_put64(v, VMCB_RIP, *vmcb64(v->arch, VMCB_RIP) + len);
}

/* A physical interrupt makes a CPU in guest mode exit (INTR intercept). */
static void svm_kick_cpu(unsigned cpu)
{
	apic_send_kick(cpus[cpu]->apic_id);
}

/* The local APIC's one-shot timer, counting to the TSC deadline. */
/*
 * The timer is armed only when the deadline changes: it keeps counting
 * across exits that the hypervisor handles without leaving VCPU_RUN.
 * Should it fire while the host handles an exit (interrupts off), the
 * interrupt waits and ends the next entry at once, as the deadline says.
 * A run's end (vcpu_put) disarms it, so a guest's deadline never
 * preempts its VMM.
 */
static void svm_preemption_arm(struct vcpu *v, uint64_t tsc_deadline)
{
	unsigned cpu = this_cpu()->id;

	(void)v;
	/* timer_fired: it went off in the host after a non-interrupt exit
	 * (taken at STGI): spent, and nobody has seen it yet. */
	if (armed_deadline[cpu] == tsc_deadline && !this_cpu()->timer_fired)
		return;
	armed_deadline[cpu] = tsc_deadline;
	apic_timer_arm_until(tsc_deadline);
	__atomic_fetch_add(&svm_timer_arms, 1, __ATOMIC_RELAXED);
}

static void svm_vcpu_put(struct vcpu *v)
{
	(void)v;
	apic_timer_disarm();
	armed_deadline[this_cpu()->id] = 0;
}

const struct virt_ops svm_ops = {
	.name = "SVM",
	.stage2_fmt = &npt_fmt,
	.vendor = SV_VENDOR_AMD,
	.hardware_enable = svm_hardware_enable,
	.vm_init = svm_vm_init,
	.vcpu_init = svm_vcpu_init,
	.vcpu_set_state = svm_vcpu_set_state,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_put = svm_vcpu_put,
	.vcpu_run = svm_vcpu_run,
	.skip_instruction = svm_skip_instruction,
	.inject_exception = svm_inject_exception,
	.interrupt_allowed = svm_interrupt_allowed,
	.inject_interrupt = svm_inject_interrupt,
	.request_irq_window = svm_request_irq_window,
	.nmi_blocked = svm_nmi_blocked,
	.nmi_allowed = svm_nmi_allowed,
	.inject_nmi = svm_inject_nmi,
	.request_nmi_window = svm_request_nmi_window,
	.get_rip = svm_get_rip,
	.get_code = svm_get_code,
	.skip_decoded = svm_skip_decoded,
	.kick_cpu = svm_kick_cpu,
	.preemption_arm = svm_preemption_arm,
	.get_cr4 = svm_get_cr4,
	.get_cr0 = svm_get_cr0,
	.msr_get = svm_msr_get,
	.msr_set = svm_msr_set,
};
