/* Intel VMX backend: controls from the capability MSRs, VMCS set-up,
 * VMLAUNCH/VMRESUME, exit decoding, EPT with INVEPT, VPID per VM. */
#include <sealvisor/errno.h>
#include "arch/x86/apic.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/desc.h"
#include "arch/x86/guest_switch.h"
#include "arch/x86/percpu.h"
#include "arch/x86/timer_units.h"
#include "arch/x86/trap.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmcs_cache.h"
#include "arch/x86/vmx/vmx_cr.h"
#include "arch/x86/vmx/vmx_nmi.h"
#include "arch/x86/vmx/vmx_tlb.h"
#include "arch/x86/x86.h"
#include "arch/x86/xstate.h"
#include "hv/log.h"
#include "hv/msr.h"
#include "lib/string.h"
#include "hv/shootdown.h"
#include "hv/vcpu_state.h"
#include "hv/virt.h"
#include "hv/vm.h"
#include "mm/heap.h"
#include "mm/pmm.h"

#define FC_LOCKED              (1UL << 0)
#define FC_VMXON_OUTSIDE_SMX   (1UL << 2)

#define PIN_EXTINT      (1u << 0)
#define PIN_NMI         (1u << 3)
#define RFLAGS_IF       (1UL << 9)
#define RFLAGS_TF       (1UL << 8)
#define PENDING_DBG_BS  (1UL << 14)
#define PIN_VIRTUAL_NMI (1u << 5)
#define PIN_PREEMPT     (1u << 6)
#define PROC_INTR_WINDOW (1u << 2)
#define PROC_HLT        (1u << 7)
#define PROC_MWAIT      (1u << 10)
#define PROC_RDPMC      (1u << 11)
#define PROC_IO         (1u << 24)
#define PROC_MONITOR    (1u << 29)
#define PROC_SECONDARY  (1u << 31)
#define PROC2_EPT       (1u << 1)
#define PROC2_RDTSCP    (1u << 3)
#define PROC2_VPID      (1u << 5)
#define PROC2_UNRESTRICTED (1u << 7)
#define PROC2_WBINVD    (1u << 6)
#define EXIT_SAVE_DEBUG (1u << 2)
#define EXIT_HOST_64    (1u << 9)
#define EXIT_SAVE_PAT   (1u << 18)
#define EXIT_LOAD_PAT   (1u << 19)
#define EXIT_SAVE_EFER  (1u << 20)
#define EXIT_LOAD_EFER  (1u << 21)
#define ENTRY_LOAD_DEBUG (1u << 2)
#define ENTRY_GUEST_64  (1u << 9)
#define ENTRY_LOAD_PAT  (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)
#define GUEST_PAT_RESET 0x0007040600070406UL

/*
 * The intercept table: everything a partition may not do natively, one
 * line each with why; what it gets instead is decided in generic code
 * (hv/intercept.c for VMEXIT_INSN, hv/msr.c, hv/run.c), as on SVM.
 * Exiting unconditionally, so in no table: CPUID (hv/cpuid.c), INVD (a
 * no-op: it would discard the host's dirty lines), every VMX instruction
 * (#UD: no nested VMX), triple fault. RDMSR/WRMSR exit too: no MSR bitmap
 * (allow list and policy in hv/msr.c). XSETBV belongs to the xstate work.
 */
#define PIN_WANT  (PIN_EXTINT |     /* host interrupts: the host keeps its CPUs */ \
		   PIN_NMI)         /* kicks (vmx_kick_cpu) */
#define PROC_WANT (PROC_HLT |       /* its VMM's business (SV_EXIT_HLT) */ \
		   PROC_MWAIT |     /* #UD: CPUID shows no MONITOR */ \
		   PROC_MONITOR |   /* likewise */ \
		   PROC_RDPMC |     /* the host's performance counters: #GP */ \
		   PROC_IO |        /* it owns no device: every port exits */ \
		   PROC_SECONDARY)
#define PROC2_WANT (PROC2_EPT |     /* stage 2 */ \
		    PROC2_WBINVD)   /* a no-op (hv/intercept.c says why) */
/* Not an intercept: without "enable RDTSCP" RDTSCP and RDPID are #UD in
 * the guest although CPUID shows them; with it they run natively and read
 * the guest's TSC_AUX (arch/x86/guest_switch.c). */

/* VMLAUNCH (launched 0) or VMRESUME; writes HOST_RSP first unless it
 * equals *host_rsp, which it updates (arch/x86/vmx/vmx_entry.asm). */
int vmx_enter(struct guest_regs *regs, int launched, uint64_t *host_rsp);

static struct {
	uint32_t pin, proc, proc2, exit, entry;
	uint32_t proc_may;          /* processor-based controls the CPU allows */
	bool preempt_timer;
	bool pat;                   /* the guest's PAT is in the VMCS */
	unsigned preempt_shift;     /* the timer ticks at TSC >> shift */
} vmx;

static void vmx_on_nmi(struct trap_frame *f);

/* One helper applies every control: bits the CPU forces to 1 are added,
 * bits it cannot set are an error naming the MSR. */
static int adjust(const char *what, uint32_t msr, uint32_t want, uint32_t optional, uint32_t *out)
{
	uint64_t cap = rdmsr(msr);
	uint32_t must = (uint32_t)cap, may = (uint32_t)(cap >> 32);

	if (want & ~may) {
		log_err("vmx: %s controls 0x%x not supported (MSR 0x%x allows 0x%x)\n", what,
			want & ~may, msr, may);
		return -ENODEV;
	}
	*out = (want | (optional & may) | must) & may;
	return 0;
}

static int setup_controls(void)
{
	bool t = cpu_features.vmx_true_ctls;
	int err = adjust("pin-based", t ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED,
			 PIN_WANT, PIN_PREEMPT | PIN_VIRTUAL_NMI, &vmx.pin);
	if (!err)
		err = adjust("processor-based", t ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED,
			     PROC_WANT, 0, &vmx.proc);
	if (!err)
		err = adjust("secondary", MSR_VMX_PROCBASED2, PROC2_WANT,
			     PROC2_VPID | PROC2_RDTSCP | PROC2_UNRESTRICTED, &vmx.proc2);
	if (!err)
		err = adjust("VM-exit", t ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT,
			     EXIT_HOST_64 | EXIT_LOAD_EFER | EXIT_SAVE_EFER | EXIT_SAVE_DEBUG,
			     EXIT_SAVE_PAT | EXIT_LOAD_PAT, &vmx.exit);
	if (!err)
		err = adjust("VM-entry", t ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY,
			     ENTRY_GUEST_64 | ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG, ENTRY_LOAD_PAT,
			     &vmx.entry);
	/* PAT is the guest's only if all three controls are there. */
	vmx.pat = (vmx.exit & EXIT_SAVE_PAT) && (vmx.exit & EXIT_LOAD_PAT) &&
		  (vmx.entry & ENTRY_LOAD_PAT);
	if (!vmx.pat) {
		vmx.exit &= ~(EXIT_SAVE_PAT | EXIT_LOAD_PAT);
		vmx.entry &= ~ENTRY_LOAD_PAT;
	}
	vmx.proc_may = (uint32_t)(rdmsr(t ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED) >> 32);
	vmx.preempt_timer = vmx.pin & PIN_PREEMPT;
	vmx_nmi_caps.vnmi = vmx.pin & PIN_VIRTUAL_NMI;
	vmx_nmi_caps.window = vmx_nmi_caps.vnmi && (vmx.proc_may & PROC_NMI_WINDOW);
	vmx.preempt_shift = rdmsr(MSR_VMX_MISC) & 0x1f;
	return err;
}

/* Firmware may leave IA32_FEATURE_CONTROL unlocked (Bochs does): lock it
 * with VMXON allowed; if it is locked without that bit, VMX is off for good. */
static int vmx_feature_control(void)
{
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);

	if (!(fc & FC_LOCKED)) {
		wrmsr(MSR_FEATURE_CONTROL, fc | FC_LOCKED | FC_VMXON_OUTSIDE_SMX);
		return 0;
	}
	if (!(fc & FC_VMXON_OUTSIDE_SMX)) {
		log_err("vmx: disabled by firmware (IA32_FEATURE_CONTROL 0x%lx)\n", fc);
		return -EACCES;
	}
	return 0;
}

static int vmx_hardware_enable(void)
{
	uint64_t cap = cpu_features.ept_vpid_cap;
	int err = vmx_feature_control();

	if (!err && (!(cap & (1UL << 6)) || !(cap & (1UL << 14)) || !(cap & (1UL << 20)) ||
		     !(cap & (1UL << 25)))) {
		log_err("vmx: EPT needs 4-level walks, WB, INVEPT single-context (caps 0x%lx)\n", cap);
		err = -ENODEV;
	}
	if (!err)
		err = setup_controls();
	if (err)
		return err;
	trap_set_handler(2, vmx_on_nmi);   /* kicks come as NMIs too */
	uint64_t region = pmm_alloc(0, OWNER_HV, 0);
	if (!region)
		return -ENOMEM;
	*(uint32_t *)phys_to_virt(region) = cpu_features.vmx_basic & 0x7fffffff;
	xstate_cpu_init();
	write_cr0((read_cr0() | rdmsr(MSR_VMX_CR0_FIXED0)) & rdmsr(MSR_VMX_CR0_FIXED1));
	write_cr4((read_cr4() | CR4_VMXE | rdmsr(MSR_VMX_CR4_FIXED0)) & rdmsr(MSR_VMX_CR4_FIXED1));
	uint8_t fail;
	__asm__ volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(region) : "cc", "memory");
	if (fail) {
		log_err("vmx: VMXON failed (region 0x%lx, cr0 0x%lx, cr4 0x%lx)\n", region,
			read_cr0(), read_cr4());
		pmm_free(region, 0);
		return -EIO;
	}
	pmm_pin(region, 0);   /* the CPU's VMXON region for ever (as svm.c's host pages) */
	log_debug("vmx: on; pin 0x%x proc 0x%x proc2 0x%x exit 0x%x entry 0x%x%s\n", vmx.pin,
		  vmx.proc, vmx.proc2, vmx.exit, vmx.entry,
		  vmx.preempt_timer ? ", preemption timer" : "");
	if (!vmx_nmi_caps.vnmi)
		log_warn("vmx: no virtual NMIs: guests get no NMIs (VCPU_NMI, NMI IPIs wait)\n");
	return 0;
}

static int vmx_vm_init(struct vm *vm)
{
	vmx_assign_vpid(vm, vmx.proc2 & PROC2_VPID);
	return 0;
}

void vmcs_hw_clear(uint64_t pa)
{
	vmx_count()->vmclears++;
	__asm__ volatile("vmclear %0" : : "m"(pa) : "cc", "memory");
}

void vmcs_hw_load(uint64_t pa)
{
	uint8_t fail;

	vmx_count()->vmptrlds++;
	__asm__ volatile("vmptrld %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	if (fail)
		log_err("vmx: VMPTRLD 0x%lx failed\n", pa);
}

int vmcs_hw_send_nmi(unsigned cpu)
{
	return apic_send_nmi(cpus[cpu]->apic_id);
}

static int vmx_vcpu_init(struct vcpu *v)
{
	uint64_t pa = pmm_alloc(0, OWNER_HV, v->vm->id);
	struct vmx_vcpu *x = kmalloc(sizeof(*x));
	uint8_t fail;

	int err = pa && x ? xstate_vcpu_init(v) : -ENOMEM;

	if (err) {
		if (pa)
			pmm_free(pa, 0);
		kfree(x);
		return err;
	}
	*(uint32_t *)phys_to_virt(pa) = cpu_features.vmx_basic & 0x7fffffff;
	vmx_count()->vmclears++;
	__asm__ volatile("vmclear %1; setna %0" : "=qm"(fail) : "m"(pa) : "cc", "memory");
	*x = (struct vmx_vcpu){ .cpu = -1 };   /* clear: active nowhere */
	x->preempt_ticks = 0xffffffff;   /* preemption_arm shortens it for guests */
	v->arch = x;
	v->arch_pa = pa;
	vmx_load(v);
	vmwrite(PIN_CONTROLS, vmx.pin);
	vmwrite(PROC_CONTROLS, vmx.proc);
	vmwrite(PROC2_CONTROLS, vmx.proc2);
	vmwrite(EXIT_CONTROLS, vmx.exit);
	vmwrite(ENTRY_CONTROLS, vmx.entry);
	vmwrite(EXCEPTION_BITMAP, 1u << X86_EXC_DB | 1u << X86_EXC_AC);   /* decode_exception */
	vmwrite(ENTRY_INTR_INFO, 0);   /* read by vmx_interrupt_allowed before the first entry */
	vmwrite(EPT_POINTER, vmx_eptp(v->vm));
	if (v->vm->asid)
		vmwrite(VPID, v->vm->asid);
	vmcs_write_guest_fixed();
	/* DR7 and DEBUGCTL are the guest's (saved at exit, loaded at entry);
	 * DR0-3 and DR6 are switched by hand (guest_switch.c). */
	vmwrite(GUEST_DEBUGCTL, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	if (vmx.pat)
		vmwrite(GUEST_PAT, GUEST_PAT_RESET);
	v->sw.dr6 = 0xffff0ff0;
	return fail ? -EIO : 0;
}

/* Real mode and paging off need unrestricted guest (secondary control 7):
 * without it the CPU refuses CR0.PE or CR0.PG clear. The "IA-32e mode
 * guest" entry control must equal the state's EFER.LMA; when the guest
 * switches modes itself the CR0 intercept keeps them in step (vmx_cr.c). */
static int vmx_vcpu_set_state(struct vcpu *v, const struct sv_regs *r, const struct sv_sregs *s)
{
	bool ug = vmx.proc2 & PROC2_UNRESTRICTED;

	if (!ug && (!(s->cr0 & X86_CR0_PE) || !(s->cr0 & X86_CR0_PG))) {
		log_info("vmx: no unrestricted guest on this CPU: a vCPU cannot start with "
			 "CR0.PE or CR0.PG clear (cr0 0x%lx)\n", s->cr0);
		return -EOPNOTSUPP;
	}
	vmx_load(v);
	vmcs_write_guest_state(r, s, ug);
	/* A new state (also an INIT's, hv/vcpu_mp.c) has nothing queued
	 * for injection, no interrupt shadow and DR6 and DR7 at their reset
	 * values (DR6 is switched by hand: guest_switch.c). */
	vmwrite(ENTRY_INTR_INFO, 0);
	vmwrite(GUEST_INTERRUPTIBILITY, 0);
	vmwrite(GUEST_DR7, 0x400);
	v->sw.dr6 = 0xffff0ff0;
	vmwrite(ENTRY_CONTROLS, (s->efer & X86_EFER_LMA) ? vmx.entry | ENTRY_GUEST_64
							 : vmx.entry & ~ENTRY_GUEST_64);
	v->regs = (struct guest_regs){ .rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx,
		.rsi = r->rsi, .rdi = r->rdi, .rbp = r->rbp, .r8 = r->r8, .r9 = r->r9,
		.r10 = r->r10, .r11 = r->r11, .r12 = r->r12, .r13 = r->r13, .r14 = r->r14,
		.r15 = r->r15 };
	return 0;
}

/* No vcpu_put: the VMCS stays active on this CPU after VCPU_RUN
 * returns, and moves only when v runs elsewhere (vmcs_cache.c). */
static void vmx_vcpu_destroy(struct vcpu *v)
{
	vmcs_evict(v);   /* its page must be active on no CPU when freed */
	xstate_vcpu_destroy(v);
	pmm_free(v->arch_pa, 0);
	kfree(v->arch);
	v->arch = NULL;
}

void vmx_invept_single(uint64_t eptp)
{
	struct { uint64_t eptp, zero; } desc = { eptp, 0 };

	__asm__ volatile("invept %0, %1" : : "m"(desc), "r"(1UL) : "cc", "memory");
}

/* VMX does not switch DR6 (guest_switch.c does: v->sw.dr6, saved at this
 * exit, loaded at the next entry) and a #DB exit leaves it alone,
 * reporting the bits in the qualification: B0-B3, BD, BS. Put them in the
 * guest's copy as delivery would have, so that its handler reads why it
 * was called. B0-B3 report only this #DB, the others stick. */
static void set_guest_dr6(struct vcpu *v, uint64_t q)
{
	v->sw.dr6 = (v->sw.dr6 & ~0xfUL) | (q & 0x600f);
}

/* A #DB exit in an STI or MOV SS shadow with RFLAGS.TF set (the guest
 * did `sti` or `mov ss` while single-stepping): VM entry requires the
 * pending-debug-exceptions BS bit whenever TF is set (DEBUGCTL.BTF is
 * never the guest's: 0) in such a shadow (SDM 26.3.1.5), and a #DB exit
 * does not set it as the CPU does for other exits, so without this the
 * reflecting entry fails and the guest has killed its own vCPU. KVM does
 * the same (handle_exception_nmi). */
static void keep_single_step_pending(void)
{
	if ((vmread(GUEST_RFLAGS) & RFLAGS_TF) &&
	    (vmread(GUEST_INTERRUPTIBILITY) & BLOCKED_BY_STI_MOVSS))
		vmwrite(GUEST_PENDING_DBG, vmread(GUEST_PENDING_DBG) | PENDING_DBG_BS);
}

/* #DB and #AC are intercepted so that a guest stuck delivering them keeps
 * exiting; generic code reflects them. ICEBP's #DB (type "privileged
 * software exception") is reported with RIP at the ICEBP: generic code
 * steps over it and delivers the #DB as a hardware exception, as SVM does;
 * ICEBP sets no DR6 bit. */
static void decode_exception(struct vcpu *v, uint32_t info, uint64_t q, struct vm_exit *e)
{
	e->reason = VMEXIT_EXCEPTION;
	e->vector = (uint8_t)info;
	e->name = e->vector == X86_EXC_DB ? "#DB" : "#AC";
	if (e->vector == X86_EXC_DB && INTR_INFO_TYPE(info) == INTR_TYPE_PRIV_SOFT) {
		e->name = "ICEBP";
		e->skip = (uint8_t)vmread(EXIT_INSTR_LEN);
		return;
	}
	if (e->vector == X86_EXC_DB) {
		set_guest_dr6(v, q);
		keep_single_step_pending();
	}
	e->has_error = !!(info & INTR_INFO_HAS_ERROR);
	e->error = e->has_error ? (uint32_t)vmread(EXIT_INTR_ERROR) : 0;
}

/* An exit in the middle of delivering an event (the EPT violation of a
 * guest IDT or stack page not yet mapped, a host interrupt) must not lose
 * it: it is injected again on the next entry, error code included, and a
 * software interrupt or exception with the length of its instruction (the
 * exit's), so that its return address is past it. Generic code injects
 * only after instruction exits and intercepted #DB/#AC, which never come
 * during a delivery in long mode, so nothing overwrites it. */
static void requeue_event(void)
{
	uint32_t info = (uint32_t)vmread(IDT_VECTORING_INFO);
	unsigned type = INTR_INFO_TYPE(info);

	if (!(info & INTR_INFO_VALID))
		return;
	/* An NMI whose delivery was cut off left the guest unblocked (SDM
	 * 27.7.1.2), and entry refuses to inject one into a blocked guest. */
	if (type == INTR_TYPE_NMI)
		vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~BLOCKED_BY_NMI);
	vmwrite(ENTRY_INTR_INFO, info & (INTR_INFO_VALID | INTR_INFO_HAS_ERROR | 0x7ff));
	if (info & INTR_INFO_HAS_ERROR)
		vmwrite(ENTRY_EXC_ERROR, vmread(IDT_VECTORING_ERROR));
	if (type == INTR_TYPE_SOFT_INT || type == INTR_TYPE_PRIV_SOFT || type == INTR_TYPE_SOFT_EXC)
		vmwrite(ENTRY_INSTR_LEN, vmread(EXIT_INSTR_LEN));
}

static void decode_exit(struct vcpu *v, struct vm_exit *e)
{
	uint64_t reason = vmread(EXIT_REASON), q = vmread(EXIT_QUALIFICATION);

	*e = (struct vm_exit){ .reason = VMEXIT_UNKNOWN, .raw = reason, .info1 = q,
			       .name = vmx_exit_reason_name(reason) };
	if (reason & EXIT_ENTRY_FAILED) {
		e->reason = VMEXIT_FAILED;
		return;
	}
	vmwrite(ENTRY_INTR_INFO, 0);   /* delivered, or in the IDT-vectoring info */
	vmx_nmi_recover_blocking(reason, q);
	e->in_delivery = vmread(IDT_VECTORING_INFO) & INTR_INFO_VALID;
	requeue_event();
	switch (reason & 0xffff) {
	case EXIT_EXCEPTION_NMI:
		if (INTR_INFO_TYPE(vmread(EXIT_INTR_INFO)) != INTR_TYPE_NMI) {
			decode_exception(v, (uint32_t)vmread(EXIT_INTR_INFO), q, e);
			break;
		}
		/* An NMI: a kick (vmx_kick_cpu), or one for the host. The exit
		 * consumed it, so the host's NMI handling runs now, as its
		 * delivery would have run it: every NMI exit, kick or not,
		 * reaches the host handler (trap_set_handler(2)), none is
		 * lost. It runs with NMIs still blocked, as delivered ones do
		 * (no nesting on the NMI stack). An NMI exit leaves them
		 * blocked until an IRET, so do one; and Bochs also saves the
		 * guest as blocked by NMI, which would stop the next kick from
		 * making it exit. With virtual NMIs that bit is the guest's own
		 * (its NMI handler runs) and physical NMIs exit whatever it
		 * says: it is left alone. */
		trap_dispatch_nmi();
		if (!vmx_nmi_caps.vnmi)
			vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~BLOCKED_BY_NMI);
		__asm__ volatile("mov %%ss, %%eax; push %%rax; lea 8(%%rsp), %%rax; push %%rax; pushfq; "
				 "mov %%cs, %%eax; push %%rax; lea 1f(%%rip), %%rax; push %%rax; iretq; 1:"
				 ::: "rax", "cc", "memory");
		/* The kick's fixed IPI is pending too. */
		/* fall through */
	case EXIT_EXTERNAL_INTR:
		/* Let the host take it now (IF is 0 everywhere else). */
		__asm__ volatile("sti; nop; cli" ::: "memory");
		e->reason = apic_timer_take() ? VMEXIT_PREEMPT : VMEXIT_INTR;
		break;
	case EXIT_PREEMPT_TIMER:
		e->reason = VMEXIT_PREEMPT;
		break;
	case EXIT_INTR_WINDOW:
	case EXIT_NMI_WINDOW:
		/* The window vmx_request_*_window asked for, now over (both
		 * end: generic code asks again for what it still needs). */
		vmwrite(PROC_CONTROLS, vmx.proc);
		e->reason = VMEXIT_IRQ_WINDOW;
		break;
	case EXIT_TRIPLE_FAULT:
		e->reason = VMEXIT_SHUTDOWN;
		break;
	case EXIT_CPUID:
		e->reason = VMEXIT_CPUID;
		break;
	case EXIT_HLT:
		e->reason = VMEXIT_HLT;
		break;
	case EXIT_VMCALL:
		e->reason = VMEXIT_HYPERCALL;
		break;
	case EXIT_IO:
		e->reason = VMEXIT_IO;
		e->size = (q & 7) + 1;
		e->in = !!(q & 8);
		e->string = !!(q & 16);
		e->port = (uint16_t)(q >> 16);
		break;
	case EXIT_RDMSR:
	case EXIT_WRMSR:
		e->reason = VMEXIT_MSR;
		e->write = (reason & 0xffff) == EXIT_WRMSR;
		break;
	case EXIT_INVD:
		e->reason = VMEXIT_INSN;
		e->insn = INSN_INVD;
		break;
	case EXIT_WBINVD:
		e->reason = VMEXIT_INSN;
		e->insn = INSN_WBINVD;
		break;
	case EXIT_MONITOR:
		e->reason = VMEXIT_INSN;
		e->insn = INSN_MONITOR;
		break;
	case EXIT_MWAIT:
		e->reason = VMEXIT_INSN;
		e->insn = INSN_MWAIT;
		break;
	case EXIT_RDPMC:
		e->reason = VMEXIT_INSN;
		e->insn = INSN_RDPMC;
		break;
	case EXIT_VMCLEAR ... EXIT_VMXON:
	case EXIT_INVEPT:
	case EXIT_INVVPID:
	case EXIT_VMFUNC:
		e->reason = VMEXIT_INSN;
		e->insn = INSN_VMX;
		break;
	case EXIT_EPT_VIOLATION:
		e->reason = VMEXIT_NPF;
		e->gpa = vmread(GUEST_PHYS_ADDR);
		e->info2 = e->gpa;
		e->write = !!(q & 2);
		e->fetch = !!(q & 4);
		break;
	}
}

static void vmx_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	struct vmx_vcpu *x = v->arch;

	vmx_load(v);
	/* Before vcpu_enter publishes in_guest: from then on vmx_on_nmi may
	 * zero it for this entry. */
	if (vmx.preempt_timer)
		vmwrite(PREEMPT_TIMER, x->preempt_ticks);
	vmx_tlb_prepare(v);
	vmx_check_long_mode(v);
	guest_switch_enter(v, true);
	xstate_load_guest(v);
	struct vmx_counts *n = vmx_count();
	n->entries++;
	n->launches += !x->launched;
	uint64_t host_rsp = x->host_rsp;
	int failed = vmx_enter(&v->regs, x->launched, &x->host_rsp);
	n->vmwrites += x->host_rsp != host_rsp;   /* the stub's HOST_RSP */
	xstate_save_guest(v);
	guest_switch_exit(v, true);
	vcpu_exited(v);
	if (failed) {
		uint64_t err = vmread(VM_INSTR_ERROR);
		log_err("vmx: VM entry of VM %u vCPU %u failed: error %lu (%s)\n", v->vm->id, v->id,
			err, vmx_instruction_error_name(err));
		*e = (struct vm_exit){ .reason = VMEXIT_FAILED, .raw = err };
		return;
	}
	x->launched = true;
	if (!vmx.preempt_timer)
		apic_timer_disarm();   /* only the fallback uses the LAPIC timer */
	decode_exit(v, e);
	if (vmx_cr_xsetbv_exit(v, e))
		e->reason = VMEXIT_NONE;
	if (e->reason == VMEXIT_FAILED)
		log_err("vmx: VM entry of VM %u vCPU %u failed: exit reason 0x%lx (%s), "
			"qualification 0x%lx\n", v->vm->id, v->id, e->raw, e->name, e->info1);
}

static void vmx_skip_instruction(struct vcpu *v, unsigned len)
{
	(void)len;   /* VMX always says how long the exiting instruction was */
	vmx_load(v);
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(EXIT_INSTR_LEN));
	vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~BLOCKED_BY_STI_MOVSS);
}

/* Type 3: a hardware exception (no instruction length needed). Real mode
 * pushes no error code, and VM entry refuses one with CR0.PE clear
 * (unrestricted guest: a guest started in real mode). */
static void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	vmx_load(v);
	has_error &= !!(vmread(GUEST_CR0) & X86_CR0_PE);
	vmwrite(ENTRY_INTR_INFO, vector | (3u << 8) | (has_error ? 1u << 11 : 0) | (1u << 31));
	if (has_error)
		vmwrite(ENTRY_EXC_ERROR, error);
}

static uint64_t vmx_get_cr4(struct vcpu *v)
{
	vmx_load(v);
	return vmread(CR4_SHADOW);
}

static uint64_t vmx_get_cr0(struct vcpu *v)
{
	vmx_load(v);
	return vmread(CR0_SHADOW);
}

/* The VMCS field of an allowed MSR, or 0 if the VMCS does not hold it. */
static unsigned msr_field(uint32_t index)
{
	switch (index) {
	case MSR_IA32_FS_BASE: return GUEST_FS_BASE;
	case MSR_IA32_GS_BASE: return GUEST_GS_BASE;
	case MSR_IA32_SYSENTER_CS: return GUEST_SYSENTER_CS;
	case MSR_IA32_SYSENTER_ESP: return GUEST_SYSENTER_ESP;
	case MSR_IA32_SYSENTER_EIP: return GUEST_SYSENTER_EIP;
	case MSR_IA32_EFER: return GUEST_EFER;
	case MSR_IA32_PAT: return vmx.pat ? GUEST_PAT : 0;
	}
	return 0;
}

/* The rest is switched by hand (arch/x86/guest_switch.c). */
static uint64_t *msr_slot(struct vcpu *v, uint32_t index)
{
	switch (index) {
	case MSR_IA32_KERNEL_GS_BASE: return &v->sw.kernel_gs_base;
	case MSR_IA32_STAR: return &v->sw.star;
	case MSR_IA32_LSTAR: return &v->sw.lstar;
	case MSR_IA32_CSTAR: return &v->sw.cstar;
	case MSR_IA32_SFMASK: return &v->sw.sfmask;
	case MSR_IA32_TSC_AUX:
		/* Without "enable RDTSCP" the guest has neither RDTSCP nor RDPID. */
		if (!(vmx.proc2 & PROC2_RDTSCP))
			return NULL;
	}
	return guest_switch_msr(v, index);
}

static int vmx_msr_get(struct vcpu *v, uint32_t index, uint64_t *value)
{
	unsigned field = msr_field(index);
	uint64_t *slot = msr_slot(v, index);

	vmx_load(v);
	if (field)
		*value = vmread(field);
	else if (slot)
		*value = *slot;
	else
		return -ENOENT;
	return 0;
}

static int vmx_msr_set(struct vcpu *v, uint32_t index, uint64_t value)
{
	unsigned field = msr_field(index);
	uint64_t *slot = msr_slot(v, index);

	vmx_load(v);
	if (field)
		return vmwrite(field, value) ? -EIO : 0;
	if (!slot)
		return -ENOENT;
	*slot = value;
	return 0;
}

static bool vmx_interrupt_allowed(struct vcpu *v)
{
	vmx_load(v);
	return (vmread(GUEST_RFLAGS) & RFLAGS_IF) &&
	       !(vmread(GUEST_INTERRUPTIBILITY) & BLOCKED_BY_STI_MOVSS) &&
	       !(vmread(ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

/* Type 0: an external interrupt. */
static void vmx_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	vmx_load(v);
	vmwrite(ENTRY_INTR_INFO, vector | INTR_INFO_VALID);
}

/* Interrupt-window exiting: an exit before the first instruction at which
 * the guest could take an interrupt (after any injected event). Every
 * VMX CPU has it; without it the queued interrupt would wait for an
 * exit of another kind, so say so once. */
static void vmx_request_irq_window(struct vcpu *v)
{
	static bool warned;

	vmx_load(v);
	if (vmx.proc_may & PROC_INTR_WINDOW)
		vmwrite(PROC_CONTROLS, vmread(PROC_CONTROLS) | PROC_INTR_WINDOW);
	else if (!warned)
		warned = true, log_warn("vmx: no interrupt-window exiting: interrupts wait\n");
}

static uint64_t vmx_get_rip(struct vcpu *v)
{
	vmx_load(v);
	return vmread(GUEST_RIP);
}

/* Access rights: L is bit 13, D/B bit 14. */
static void vmx_get_code(struct vcpu *v, struct guest_code *c)
{
	vmx_load(v);
	uint64_t ar = vmread(GUEST_CS_AR);
	*c = (struct guest_code){
		.rip = vmread(GUEST_RIP), .cs_base = vmread(GUEST_CS_BASE),
		.cr0 = vmread(GUEST_CR0), .cr3 = vmread(GUEST_CR3),
		.cr4 = vmread(GUEST_CR4), .efer = vmread(GUEST_EFER),
		.cs_l = ar >> 13 & 1, .cs_d = ar >> 14 & 1,
	};
}

/* The exit-instruction length is not defined for an EPT violation. */
static void vmx_skip_decoded(struct vcpu *v, unsigned len)
{
	vmx_load(v);
	vmwrite(GUEST_RIP, vmread(GUEST_RIP) + len);
	vmwrite(GUEST_INTERRUPTIBILITY, vmread(GUEST_INTERRUPTIBILITY) & ~BLOCKED_BY_STI_MOVSS);
}

/*
 * Kicking a CPU out of guest mode (hv/shootdown.c) and out of HLT.
 *
 * The fixed IPI alone is enough on hardware: with external-interrupt
 * exiting it makes a CPU in guest mode exit whatever the guest's
 * RFLAGS.IF, and one that arrives just before VM entry (the host runs with
 * IF=0) is still pending at entry and makes the guest exit at once.
 *
 * Bochs (2.7, and its master branch still) does not honour that for a
 * guest entered with RFLAGS.IF=0, as all of ours are: VM entry re-evaluates
 * interrupt masking (setEFlags, handleCpuContextChange ->
 * handleInterruptMaskChange) before it sets in_vmx_guest, so with IF=0 the
 * LAPIC interrupt stays masked as in the host, and nothing unmasks it
 * until the guest itself changes IF. The IPI waits in the IRR and the CPU
 * stays in the guest until its preemption timer expires (2^32 TSC cycles
 * for the control partition).
 *
 * So the kick also sends an NMI, which Bochs and hardware both turn into
 * an NMI exit (NMI exiting) whatever the guest's IF. An NMI that reaches
 * the target in the host is taken at once (NMIs ignore IF): if that CPU
 * is between publishing in_guest and VM entry, vmx_on_nmi zeroes the
 * preemption timer so the entry exits before any guest instruction.
 * The fixed IPI stays: it is what wakes a CPU from HLT without a lost
 * wake-up (cpu_idle's STI shadow does not hold off an NMI).
 */
static void vmx_kick_cpu(unsigned cpu)
{
	apic_send_kick(cpus[cpu]->apic_id);
	apic_send_nmi(cpus[cpu]->apic_id);
}

/* An NMI in the host, delivered or dispatched after an NMI exit
 * (decode_exit): a kick (or a stray one), nothing to do, except
 * between vcpu_enter and the VM exit, where the VMCS of the vCPU about to
 * run is current (vmx_vcpu_run). There it must still make that entry
 * exit: preemption timer 0 exits before the guest runs an instruction.
 * vmx_vcpu_run loads the real value before each entry, before in_guest
 * is set, so this never outlives the entry. (Without the preemption
 * timer the fixed IPI has to do: it does on hardware.) */
static void vmx_on_nmi(struct trap_frame *f)
{
	(void)f;
	if (vmx.preempt_timer && __atomic_load_n(&cpu_state[arch_cpu_id()].in_guest, __ATOMIC_RELAXED))
		vmwrite(PREEMPT_TIMER, 0);
	vmcs_serve_clear();   /* another CPU may be waiting to load a VMCS we hold */
}

/* The VMX preemption timer counts TSC >> shift (loaded at the entry,
 * vmx_vcpu_run); without it, the LAPIC's one-shot. */
static void vmx_preemption_arm(struct vcpu *v, uint64_t tsc_deadline)
{
	struct vmx_vcpu *x = v->arch;

	if (vmx.preempt_timer)
		x->preempt_ticks = timer_vmx_count(__builtin_ia32_rdtsc(), tsc_deadline,
						   vmx.preempt_shift);
	else
		apic_timer_arm_until(tsc_deadline);
}

const struct virt_ops vmx_ops = {
	.name = "VMX",
	.stage2_fmt = &ept_fmt,
	.vendor = SV_VENDOR_INTEL,
	.hardware_enable = vmx_hardware_enable,
	.vm_init = vmx_vm_init,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_set_state = vmx_vcpu_set_state,
	.vcpu_destroy = vmx_vcpu_destroy,
	.vcpu_run = vmx_vcpu_run,
	.skip_instruction = vmx_skip_instruction,
	.inject_exception = vmx_inject_exception,
	.interrupt_allowed = vmx_interrupt_allowed,
	.inject_interrupt = vmx_inject_interrupt,
	.request_irq_window = vmx_request_irq_window,
	.nmi_blocked = vmx_nmi_blocked,
	.nmi_allowed = vmx_nmi_allowed,
	.inject_nmi = vmx_inject_nmi,
	.request_nmi_window = vmx_request_nmi_window,
	.get_rip = vmx_get_rip,
	.get_code = vmx_get_code,
	.skip_decoded = vmx_skip_decoded,
	.kick_cpu = vmx_kick_cpu,
	.preemption_arm = vmx_preemption_arm,
	.get_cr4 = vmx_get_cr4,
	.get_cr0 = vmx_get_cr0,
	.msr_get = vmx_msr_get,
	.msr_set = vmx_msr_set,
};
