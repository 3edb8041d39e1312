/* The run loops: a guest vCPU for its VMM (VCPU_RUN), and the control
 * partition itself. Exits the hypervisor can finish here never reach the
 * VMM; the rest are described in struct sv_run, like KVM_RUN. */
#include <sealvisor/errno.h>
#include "hv/clock.h"
#include "hv/events.h"
#include "hv/vlapic.h"
#include "hv/vlapic_msr.h"
#include "hv/vcpu_mp.h"
#include "hv/vlapic_mmio.h"
#include "hv/mmio.h"
#include "hv/memattr_vm.h"
#include "hv/hypercall.h"
#include "hv/intercept.h"
#include "hv/msr.h"
#include "hv/log.h"
#include "hv/cpu_work.h"
#include "hv/run.h"
#include "hv/shutdown.h"
#include "hv/trace.h"
#include "hv/watchdog.h"

#define LEN_VMMCALL 3
#define LEN_CPUID 2
#define LEN_HLT 1
#define LEN_MSR 2
#define VCPU_SLICE_MS 10
#define VCPU_SLICE_ENTRIES 4096
/* The slice's length in TSC cycles where the boot could not measure the
 * TSC (the entry count above bounds the call then). */
#define VCPU_SLICE_TSC_UNKNOWN_RATE 20000000UL

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0UL : (1UL << (8 * size)) - 1;
}

/* The RDMSR/WRMSR stayed where it was: the VMM's error makes it fault,
 * else a read gets the VMM's value and the guest moves on. */
static void apply_msr(struct vcpu *v, const struct sv_run *run)
{
	if (run->msr.error) {
		virt_inject_gp(v);
		return;
	}
	if (v->pending == PENDING_MSR_READ) {
		v->regs.rax = (uint32_t)run->msr.value;
		v->regs.rdx = run->msr.value >> 32;
	}
	virt->skip_instruction(v, LEN_MSR);
}

/* The VMM's answer to the previous exit goes into the guest's RAX. */
static void apply_pending(struct vcpu *v, const struct sv_run *run)
{
	uint64_t m = size_mask(v->pending_size);

	if (v->pending == PENDING_IO_IN)
		v->regs.rax = (v->regs.rax & ~m) | (run->io.data & m);
	else if (v->pending == PENDING_HYPERCALL)
		v->regs.rax = (uint64_t)run->hypercall.ret;
	else if (v->pending == PENDING_MSR_READ || v->pending == PENDING_MSR_WRITE)
		apply_msr(v, run);
	else if (v->pending == PENDING_MMIO)
		mmio_apply_answer(v, run);
	else if (v->pending == PENDING_MAP_GPA)
		v->regs.rax = (uint64_t)memattr_map_gpa_answer(v, run);
	v->pending = PENDING_NONE;
}

static int64_t exit_io(struct vcpu *v, const struct vm_exit *e, struct sv_run *run)
{
	virt->skip_instruction(v, 0);
	run->exit_reason = SV_EXIT_IO;
	run->io.port = e->port;
	run->io.size = e->size;
	run->io.is_write = !e->in;
	run->io.data = e->in ? 0 : (uint32_t)(v->regs.rax & size_mask(e->size));
	if (e->in) {
		v->pending = PENDING_IO_IN;
		v->pending_size = e->size;
	}
	return 0;
}

/* The RIP stays on the instruction until the VMM answers (apply_msr). */
static int64_t exit_msr(struct vcpu *v, const struct vm_exit *e, struct sv_run *run)
{
	run->exit_reason = SV_EXIT_MSR;
	run->msr.index = (uint32_t)v->regs.rcx;
	run->msr.is_write = e->write;
	run->msr.error = 0;
	run->msr.pad = 0;
	run->msr.value = e->write ? (v->regs.rdx << 32) | (uint32_t)v->regs.rax : 0;
	v->pending = e->write ? PENDING_MSR_WRITE : PENDING_MSR_READ;
	return 0;
}

static int64_t exit_hypercall(struct vcpu *v, struct sv_run *run)
{
	struct guest_regs *r = &v->regs;

	run->exit_reason = SV_EXIT_HYPERCALL;
	run->hypercall.nr = r->rax;
	run->hypercall.args[0] = r->rdi;
	run->hypercall.args[1] = r->rsi;
	run->hypercall.args[2] = r->rdx;
	run->hypercall.args[3] = r->r10;
	run->hypercall.args[4] = r->r8;
	run->hypercall.ret = -ENOSYS;
	v->pending = PENDING_HYPERCALL;
	return 0;
}

/*
 * Exits every partition kind handles alike: spurious and host-interrupt
 * exits, CPUID, MSRs on the allow list (and the rest, unless the VM's
 * policy sends them to its VMM), intercepted instructions, and calls of
 * the hypervisor's own ABI (whose rights hypercall_dispatch checks
 * against the caller: a guest gets -EPERM). True
 * if handled: the vCPU goes straight back in.
 */
static bool handle_common_exit(struct vcpu *v, const struct vm_exit *e)
{
	struct guest_regs *r = &v->regs;

	switch (e->reason) {
	case VMEXIT_NONE:
	case VMEXIT_INTR:
		return true;
	case VMEXIT_CPUID:
		cpuid_emulate_vcpu(v);
		virt->skip_instruction(v, LEN_CPUID);
		return true;
	case VMEXIT_MSR:
		return msr_emulate(v, e->write);   /* false: the VM's policy says its VMM */
	case VMEXIT_INSN:
		insn_emulate(v, e->insn);
		return true;
	case VMEXIT_EXCEPTION:
		/* #AC and #DB are intercepted only so that a guest whose
		 * delivery of one raises it again keeps exiting here, where
		 * its slice can end (the CVE-2015-5307/8104 class); the guest
		 * gets exactly what its CPU raised. */
		if (e->skip)
			virt->skip_instruction(v, e->skip);
		virt->inject_exception(v, e->vector, e->has_error, e->error);
		return true;
	case VMEXIT_HYPERCALL:
		if (!v->vm->is_control && (r->rax >= SV_HC_GUEST_BASE ||
					   memattr_is_guest_call(r->rax)))
			return false;          /* for its VMM, or about its own memory */
		virt->skip_instruction(v, LEN_VMMCALL);
		r->rax = hypercall_dispatch(v->vm, (uint64_t[7]){ r->rax, r->rdi, r->rsi, r->rdx,
								  r->r10, r->r8, r->r9 });
		return true;
	default:
		return false;
	}
}

/* The paging state goes in the line too: a triple fault on a fetch with
 * reserved bits set is what a long-mode CR3 walked without EFER.LME gives
 * (the open SVM bug in the session notes). */
static void log_shutdown(struct vcpu *v, const struct vm_exit *e)
{
	uint64_t efer = 0;

	virt->msr_get(v, MSR_IA32_EFER, &efer);
	log_info("VM %u vCPU %u: shut down (triple fault) at rip 0x%lx (exit 0x%lx %s, "
		 "info 0x%lx; cr0 0x%lx cr4 0x%lx efer 0x%lx)\n", v->vm->id, v->id,
		 virt->get_rip(v), e->raw, e->name ? e->name : "?", e->info1,
		 virt->get_cr0(v), virt_get_cr4(v), efer);
}

static void report_shutdown(struct vcpu *v, const struct vm_exit *e, struct sv_run *run)
{
	run->exit_reason = SV_EXIT_SHUTDOWN;
	run->shutdown.rip = virt->get_rip(v);
	run->shutdown.code = e->raw;
}

/*
 * One VCPU_RUN gets one time slice, however many exits the hypervisor
 * finishes by itself in it: the backend's timer is re-armed for each
 * entry, so without this a guest looping on CPUID (or faults, or refused
 * hypervisor calls) would keep its VMM's vCPU for ever, and VM_DESTROY
 * would answer -EBUSY for ever.
 */
static bool slice_over(uint64_t deadline_ms, uint64_t exit_at_tsc, unsigned *entries)
{
	/* The VMM's own deadline (sv_run.exit_at_tsc): its device models'
	 * next event, halted vCPU or not. */
	if (exit_at_tsc && clock_tsc() >= exit_at_tsc)
		return true;
	/* Without a calibrated clock, a count of entries bounds the call. */
	if (!clock_running())
		return ++*entries > VCPU_SLICE_ENTRIES;
	return clock_ms() >= deadline_ms;
}

/* The slice's end for the physical timer. clock_ms() is the TSC over the
 * same rate, rounded down, so when the timer fires at this TSC the
 * slice is over by slice_over's reckoning too. */
static uint64_t slice_end_tsc(void)
{
	uint64_t per_ms = clock_tsc_per_ms();

	return clock_tsc() + (per_ms ? per_ms * VCPU_SLICE_MS : VCPU_SLICE_TSC_UNKNOWN_RATE);
}

/* The VMM's interrupt window is for an external interrupt (its 8259's
 * INTR): it opens only while the vCPU's local APIC passes that pin
 * (vlapic_accepts_extint), re-checked every turn, since the guest may
 * unmask LINT0 mid-run. A masked LINT0 leaves the VMM's PIC unanswered,
 * its IRQ pending, as on QEMU. */
static bool window_open(const struct vcpu *v, bool wanted)
{
	return wanted && vlapic_accepts_extint(&v->lapic);
}

int64_t vcpu_run_for_vmm(struct vcpu *v, struct sv_run *run)
{
	uint64_t deadline = clock_ms() + VCPU_SLICE_MS, slice_end = slice_end_tsc();
	unsigned entries = 0;
	struct vm_exit e;

	if (!v->vm->finalized)
		return -EPERM;
	/* Read once: the VMM may change its sv_run while we run. */
	bool wants_window = __atomic_load_n(&run->request_irq_window, __ATOMIC_RELAXED);
	uint64_t exit_at = __atomic_load_n(&run->exit_at_tsc, __ATOMIC_RELAXED);
	if (exit_at && exit_at < slice_end)
		slice_end = exit_at;    /* the physical timer ends the entry there */
	apply_pending(v, run);
	run->exit_reason = SV_EXIT_NONE;
	for (;;) {
		/* First: an EOI of a level-triggered vector, made by the
		 * exit just handled, before anything (an INIT) resets its
		 * APIC; its I/O APIC's Remote IRR waits for it. */
		int eoi = vlapic_eoi_exit(v);
		if (eoi >= 0) {
			run->exit_reason = SV_EXIT_EOI;
			run->eoi.vector = (uint32_t)eoi;
			break;
		}
		if (slice_over(deadline, exit_at, &entries)) {
			run->exit_reason = SV_EXIT_PREEMPT;
			break;
		}
		vlapic_sync(v, clock_tsc());
		/* Waiting for a SIPI (an AP after INIT): like a halted vCPU
		 * it spins within its slice, then SV_EXIT_PREEMPT. */
		if (!vcpu_mp_sync(v)) {
			__builtin_ia32_pause();
			continue;
		}
		if (v->halted) {
			/* HLT with its APIC on: it sleeps here until an
			 * interrupt it can take or an NMI (hv/nmi.c, whatever
			 * its RFLAGS.IF) wakes it, or its VMM, waiting for a
			 * window to inject one, hears that it can take one
			 * (it stays halted). Spinning, within its slice:
			 * every turn ticks its timer against the TSC and
			 * merges posted IPIs (vlapic_sync), so it wakes at
			 * its deadline or an IPI within a turn, and the
			 * VMM's VCPU_INTERRUPT is seen at once too. */
			if (!events_wake_from_hlt(v)) {
				if (window_open(v, wants_window) && virt->interrupt_allowed(v)) {
					run->exit_reason = SV_EXIT_IRQ_WINDOW;
					break;
				}
				__builtin_ia32_pause();
				continue;
			}
			v->halted = false;
		}
		if (events_before_entry(v, window_open(v, wants_window))) {
			run->exit_reason = SV_EXIT_IRQ_WINDOW;
			break;
		}
		/* A failed entry may leave anything in the control block (QEMU
		 * leaves the hypervisor's own RIP): report what the vCPU had. */
		uint64_t rip = virt->get_rip(v);
		virt->preemption_arm(v, vlapic_entry_deadline(v, slice_end));
		virt->vcpu_run(v, &e);
		trace_exit(v, &e);
		if (handle_common_exit(v, &e))
			continue;
		switch (e.reason) {
		case VMEXIT_PREEMPT:
			/* The slice's end (the loop's first test) or the
			 * guest's own timer (vlapic_sync raises it, and the
			 * guest goes straight back in to take it). */
			continue;
		case VMEXIT_NPF: {
			int f = vm_handle_fault(v->vm, e.gpa);
			if (f == VM_FAULT_VE) {
				memattr_raise_ve(v, e.gpa);
				continue;
			}
			if (f == VM_FAULT_EXIT) {
				memattr_exit_fault(v, e.gpa, run);
				break;
			}
			if (f == 0 || (!e.in_delivery && !e.fetch && vlapic_mmio_exit(v, e.gpa, e.write)))
				continue;
			mmio_exit_for_vmm(v, &e, run);
			break;
		}
		case VMEXIT_IO:
			if (e.string) {   /* INS/OUTS: not emulated */
				virt_inject_gp(v);
				continue;
			}
			exit_io(v, &e, run);
			break;
		case VMEXIT_HYPERCALL:
			virt->skip_instruction(v, LEN_VMMCALL);
			if (!memattr_is_guest_call(v->regs.rax))
				exit_hypercall(v, run);
			else if (!memattr_guest_call(v, run))
				continue;
			break;
		case VMEXIT_MSR:
			exit_msr(v, &e, run);
			break;
		case VMEXIT_IRQ_WINDOW:
			continue;               /* events_before_entry acts on it */
		case VMEXIT_HLT:
			virt->skip_instruction(v, LEN_HLT);
			if (events_wake_from_hlt(v))
				continue;
			/* With its APIC off, its VMM's devices (which set a
			 * deadline, exit_at) can still wake it if it takes
			 * interrupts: it sleeps here too, each VCPU_RUN up to
			 * that deadline. */
			if (vlapic_can_wake(v) || (exit_at && virt->interrupt_allowed(v))) {
				v->halted = true;
				continue;
			}
			run->exit_reason = SV_EXIT_HLT;
			break;
		case VMEXIT_FAILED:
			log_warn("VM %u vCPU %u: entry at rip 0x%lx refused (0x%lx %s): it will "
				 "not run again\n", v->vm->id, v->id, rip, e.raw, e.name ? e.name : "?");
			v->entry_failed = true;
			run->exit_reason = SV_EXIT_SHUTDOWN;
			run->shutdown.rip = rip;
			run->shutdown.code = e.raw;
			break;
		default:
			log_warn("VM %u vCPU %u: exit 0x%lx (%s, info 0x%lx 0x%lx) at rip 0x%lx: "
				 "stopping it\n", v->vm->id, v->id, e.raw, e.name ? e.name : "?",
				 e.info1, e.info2, virt->get_rip(v));
			report_shutdown(v, &e, run);
			break;
		case VMEXIT_SHUTDOWN:
			log_shutdown(v, &e);
			report_shutdown(v, &e, run);
			break;
		}
		break;
	}
	virt_vcpu_put(v);
	return 0;
}

__attribute__((noreturn)) static void control_fatal(struct vcpu *v, const char *what,
						   const struct vm_exit *e)
{
	struct guest_code c;

	virt->get_code(v, &c);
	log_err("control partition: %s (vCPU %u, exit 0x%lx %s, gpa 0x%lx, info 0x%lx, rip 0x%lx, "
		"cr0 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%lx)\n", what, v->id, e->raw,
		e->name ? e->name : "?", e->gpa, e->info1, c.rip, c.cr0, c.cr3, c.cr4, c.efer);
	arch_shutdown(SV_EXIT_FAIL);
}

void control_run(struct vm *control, unsigned id)
{
	struct vcpu *v = &control->vcpus[id];
	struct vm_exit e;

	for (;;) {
		watchdog_before_entry(v);
		virt->vcpu_run(v, &e);
		trace_exit(v, &e);
		if (handle_common_exit(v, &e))
			continue;
		switch (e.reason) {
		case VMEXIT_PREEMPT:
			break;
		case VMEXIT_IO:
			/* It owns no devices: reads float high, writes vanish. */
			if (e.in)
				v->regs.rax |= size_mask(e.size);
			virt->skip_instruction(v, 0);
			break;
		case VMEXIT_NPF: {
			int err = vm_map_fault(control, e.gpa, e.write);
			/* Out of memory is not its fault alone (guests fault their
			 * memory in too): the access is retried until memory
			 * comes back, and the watchdog, if set, bounds the wait. */
			if (err == 0 || err == -ENOSPC || err == -ENOMEM)
				break;
			control_fatal(v, err == -EFAULT ? "access outside its memory and its mappings"
				      : err == -EACCES ? "write to a read-only mapping"
				      : "access to a mapped page past its object's end", &e);
		}
		case VMEXIT_HLT:
			/* Its secondary vCPUs wait for work in HLT; vCPU 0 has
			 * nobody to wake it. */
			if (id == 0)
				control_fatal(v, "vCPU 0 halted", &e);
			virt->skip_instruction(v, LEN_HLT);
			hv_control_vcpu_halt(id);
			break;
		case VMEXIT_SHUTDOWN:
			control_fatal(v, "triple fault", &e);
		default:
			control_fatal(v, "unexpected exit", &e);
		}
	}
}
