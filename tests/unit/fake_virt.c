#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sealvisor/errno.h>
#include "arch/x86/svm/npt.h"
#include "hv/log.h"
#include "hv/shutdown.h"
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "mm/pmm.h"
#include "tests/unit/fake_virt.h"

struct fake_event fake_events[256];
int fake_nevents;
volatile int fake_kicked[64];
static __thread unsigned fake_cpu;

void fake_set_cpu(unsigned id)
{
	fake_cpu = id;
}

unsigned arch_cpu_id(void)
{
	return fake_cpu;
}
/* The guest's interruptibility is what the test says (fake_irq_allowed);
 * an injection fills the slot until the next entry. */
bool fake_irq_allowed;
int fake_injected[16], fake_ninjected;
static bool slot_busy;
struct vm_exit fake_exits[16];
int fake_nexits, fake_next_exit;

static void record(int type, unsigned vm);

/* The VMX backend's INVEPT (arch/x86/vmx/vmx_tlb.c), recorded. */
uint64_t fake_last_invept;
void vmx_invept_single(uint64_t eptp)
{
	fake_last_invept = eptp;
	record(EV_INVEPT, 0);
}

static void record(int type, unsigned vm)
{
	int i = __atomic_fetch_add(&fake_nevents, 1, __ATOMIC_SEQ_CST);
	if (i < 256)
		fake_events[i] = (struct fake_event){ type, vm, pmm_free_pages() };
}

void fake_launch(struct vm *vm)
{
	if (!vm->vcpus[0].created && vcpu_create(vm, 0, &(struct sv_vcpu_regs){ 0 }))
		abort();
	if (vm_finalize(vm))
		abort();
}

void fake_reset(void)
{
	fake_nevents = fake_nexits = fake_next_exit = fake_nmsrs = 0;
	fake_last_exception = (struct fake_exception){ 0xff, false, 0 };
	fake_code = (struct guest_code){ .cs_l = true, .efer = 1UL << 10 | 1UL << 8 };
	fake_ninjected = 0;
	fake_armed_deadline = 0;
	fake_narmed = 0;
	fake_irq_allowed = slot_busy = false;
	fake_nmi_masked = fake_shadow = false;
	fake_nmis_injected = 0;
	fake_set_state_err = 0;
	fake_nset_state = 0;
	memset((void *)fake_kicked, 0, sizeof(fake_kicked));
}

int fake_count(int type)
{
	int n = 0;
	for (int i = 0; i < fake_nevents; i++)
		n += fake_events[i].type == type;
	return n;
}

unsigned fake_nr_tags = SV_MAX_VMS + 1;
struct fake_exception fake_last_exception;

/* Like SVM with nr_tags ASIDs: slots past them share tag 1. */
static int fake_vm_init(struct vm *vm)
{
	vm->asid = vm->tlb_tag = vm->id + 1 < fake_nr_tags ? vm->id + 1 : 1;
	return 0;
}
static void fake_msrs_forget(struct vcpu *v);
static int fake_vcpu_init(struct vcpu *v)
{
	fake_msrs_forget(v);
	return 0;
}
int fake_set_state_err;
int fake_nset_state;
struct sv_regs fake_last_regs;
struct sv_sregs fake_last_sregs;
static int fake_vcpu_set_state(struct vcpu *v, const struct sv_regs *r, const struct sv_sregs *s)
{
	if (fake_set_state_err)
		return fake_set_state_err;
	v->arch_pa = r->rip;   /* the fake keeps RIP here */
	fake_last_regs = *r;
	fake_last_sregs = *s;
	fake_nset_state++;
	return 0;
}
static void fake_vcpu_destroy(struct vcpu *v) { (void)v; }

static void fake_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	if (vcpu_enter(v))
		record(EV_ENTRY_FLUSH, v->vm->id);
	record(EV_ENTRY, v->vm->id);
	slot_busy = false;
	vcpu_exited(v);
	if (fake_next_exit < fake_nexits)
		*e = fake_exits[fake_next_exit++];
	else
		*e = (struct vm_exit){ .reason = VMEXIT_SHUTDOWN };
	/* Like QEMU's failed VMRUN: the control block holds a host address. */
	if (e->reason == VMEXIT_FAILED)
		v->arch_pa = (uint64_t)(uintptr_t)&fake_vcpu_run;
}

static void fake_skip(struct vcpu *v, unsigned len) { v->arch_pa += len; }
static void fake_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	fake_last_exception = (struct fake_exception){ vector, has_error, error };
	record(vector == X86_EXC_GP ? EV_INJECT_GP : EV_INJECT_OTHER, v->vm->id);
}
static uint64_t fake_get_rip(struct vcpu *v) { return v->arch_pa; }
struct guest_code fake_code;
static void fake_get_code(struct vcpu *v, struct guest_code *c)
{
	*c = fake_code;
	c->rip = v->arch_pa;
}
static void fake_skip_decoded(struct vcpu *v, unsigned len) { v->arch_pa += len; }

static bool fake_interrupt_allowed(struct vcpu *v) { (void)v; return fake_irq_allowed && !slot_busy; }
static void fake_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	if (!fake_interrupt_allowed(v))
		abort();            /* generic code must ask first */
	slot_busy = true;
	if (fake_ninjected < 16)
		fake_injected[fake_ninjected++] = vector;
	record(EV_INJECT_IRQ, v->vm->id);
}
static void fake_request_irq_window(struct vcpu *v) { record(EV_IRQ_WINDOW, v->vm->id); }
/* NMI blocking as a CPU with virtual NMIs keeps it: set by an injected
 * NMI, cleared when the test says the guest's IRET ran (fake_nmi_iret). */
bool fake_nmi_masked, fake_shadow;
int fake_nmis_injected;
void fake_nmi_iret(void) { fake_nmi_masked = false; }
static bool fake_nmi_blocked(struct vcpu *v) { (void)v; return fake_nmi_masked; }
static bool fake_nmi_allowed(struct vcpu *v)
{
	(void)v;
	return !fake_nmi_masked && !fake_shadow && !slot_busy;
}
static void fake_inject_nmi(struct vcpu *v)
{
	if (!fake_nmi_allowed(v))
		abort();            /* generic code must ask first */
	slot_busy = fake_nmi_masked = true;
	fake_nmis_injected++;
	record(EV_INJECT_NMI, v->vm->id);
}
static void fake_request_nmi_window(struct vcpu *v) { record(EV_NMI_WINDOW, v->vm->id); }
static void fake_kick_cpu(unsigned cpu)
{
	record(EV_KICK, cpu);
	__atomic_store_n(&fake_kicked[cpu], 1, __ATOMIC_SEQ_CST);
}
uint64_t fake_armed_deadline;
int fake_narmed;
static void fake_preemption_arm(struct vcpu *v, uint64_t tsc_deadline)
{
	(void)v;
	fake_armed_deadline = tsc_deadline;
	fake_narmed++;
}

/* Long mode, paging on, unless a test says otherwise. */
uint64_t fake_cr0 = 0x80050033;
static uint64_t fake_get_cr0(struct vcpu *v)
{
	(void)v;
	return fake_cr0;
}

uint64_t fake_cr4;
static uint64_t fake_get_cr4(struct vcpu *v)
{
	(void)v;
	return fake_cr4;
}

/* Like SVM: EFER starts with SVME set (hv/msr.c hides it). Like a CPU
 * without IBRS, unless a test says otherwise: no SPEC_CTRL. */
struct fake_msr fake_msrs[FAKE_MAX_MSRS];
int fake_nmsrs;
bool fake_has_spec_ctrl;

/* A new vCPU starts with no MSR copies (its slot may have been used). */
static void fake_msrs_forget(struct vcpu *v)
{
	int n = 0;
	for (int i = 0; i < fake_nmsrs; i++)
		if (fake_msrs[i].v != v)
			fake_msrs[n++] = fake_msrs[i];
	fake_nmsrs = n;
}

static uint64_t *fake_msr_slot(struct vcpu *v, uint32_t index)
{
	if (index == 0x48 && !fake_has_spec_ctrl)
		return NULL;
	for (int i = 0; i < fake_nmsrs; i++)
		if (fake_msrs[i].v == v && fake_msrs[i].index == index)
			return &fake_msrs[i].value;
	if (fake_nmsrs == FAKE_MAX_MSRS)
		abort();       /* more than every vCPU's allow list: a bug */
	fake_msrs[fake_nmsrs] = (struct fake_msr){ v, index,
		index == 0xc0000080 ? 0x1d00 : 0 };   /* SVME LMA LME NXE */
	return &fake_msrs[fake_nmsrs++].value;
}
static int fake_msr_get(struct vcpu *v, uint32_t index, uint64_t *value)
{
	uint64_t *slot = fake_msr_slot(v, index);
	if (!slot)
		return -ENOENT;
	*value = *slot;
	return 0;
}
static int fake_msr_set(struct vcpu *v, uint32_t index, uint64_t value)
{
	uint64_t *slot = fake_msr_slot(v, index);
	if (!slot)
		return -ENOENT;
	*slot = value;
	return 0;
}

static const struct virt_ops fake_ops = {
	.name = "FAKE", .stage2_fmt = &npt_fmt, .vendor = SV_VENDOR_AMD,
	.vm_init = fake_vm_init,
	.vcpu_init = fake_vcpu_init, .vcpu_set_state = fake_vcpu_set_state,
	.vcpu_destroy = fake_vcpu_destroy,
	.vcpu_run = fake_vcpu_run, .skip_instruction = fake_skip,
	.inject_exception = fake_inject_exception, .get_rip = fake_get_rip,
	.get_code = fake_get_code, .skip_decoded = fake_skip_decoded, .kick_cpu = fake_kick_cpu,
	.preemption_arm = fake_preemption_arm, .get_cr4 = fake_get_cr4,
	.get_cr0 = fake_get_cr0,
	.msr_get = fake_msr_get, .msr_set = fake_msr_set,
	.interrupt_allowed = fake_interrupt_allowed, .inject_interrupt = fake_inject_interrupt,
	.request_irq_window = fake_request_irq_window,
	.nmi_blocked = fake_nmi_blocked, .nmi_allowed = fake_nmi_allowed,
	.inject_nmi = fake_inject_nmi, .request_nmi_window = fake_request_nmi_window,
};
const struct virt_ops *virt = &fake_ops;

/* The hypervisor's console and stop paths, for host builds of hv/. */
void log_printf(int level, const char *fmt, ...)
{
	(void)level, (void)fmt;
}

int log_enabled(int level)
{
	(void)level;
	return 0;
}

void console_printf(const char *fmt, ...)
{
	(void)fmt;
}

void panic(const char *fmt, ...)
{
	fprintf(stderr, "panic: %s\n", fmt);
	abort();
}

void arch_shutdown(int status)
{
	fprintf(stderr, "arch_shutdown(%d)\n", status);
	exit(100 + status);
}

/* hv/control.c is not part of host builds. */
unsigned hv_nr_cpus = 2;
void hv_start_cpu_work(unsigned cpu)
{
	(void)cpu;
}

void hv_wake_control_vcpu(unsigned cpu)
{
	(void)cpu;
}

void hv_control_vcpu_halt(unsigned cpu)
{
	(void)cpu;
}
