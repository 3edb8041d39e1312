/* Interrupt injection (hv/events.c) and VCPU_INTERRUPT, on the fake
 * backend: what is injected when, and when the window is asked for. */
#include <sealvisor/errno.h>
#include <sealvisor/hypercall.h>
#include "hv/clock.h"
#include "hv/events.h"
#include "hv/vlapic_msr.h"
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "mm/memobj.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define RUN_GPA 0x2000

static struct vm *control, *guest_vm;
static struct memobj *obj;
static struct sv_run *run;

static void setup(void)
{
	unit_machine(64 * MB);
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&guest_vm), 0);
	ck_assert_int_eq(vm_set_region(guest_vm, 0, 2 * MB, obj, 0), 0);
	fake_launch(guest_vm);
	run = vm_guest_ptr(control, RUN_GPA, sizeof(*run));
	memset(run, 0, sizeof(*run));
}

static void teardown(void)
{
	memobj_close(obj);
}

static int64_t raise_irq(struct vm *caller, uint64_t vm, uint64_t vcpu, uint64_t vector)
{
	return unit_hc(caller, SV_HC_VCPU_INTERRUPT, vm, vcpu, vector, 0, 0);
}

static int64_t run_guest(void)
{
	return unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0);
}

static void script(enum vm_exit_reason r)
{
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = r };
}

START_TEST(vcpu_interrupt_checks_every_argument_and_changes_nothing_on_error)
{
	struct vcpu *v = &guest_vm->vcpus[0];

	ck_assert_int_eq(raise_irq(guest_vm, guest_vm->id, 0, 0x40), -EPERM);   /* a guest */
	ck_assert_int_eq(raise_irq(control, 0, 0, 0x40), -ENOENT);               /* itself */
	ck_assert_int_eq(raise_irq(control, guest_vm->id + 1, 0, 0x40), -ENOENT);
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 1, 0x40), -EINVAL);    /* no vCPU 1 */
	ck_assert_int_eq(raise_irq(control, guest_vm->id, SV_MAX_VCPUS, 0x40), -EINVAL);
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 31), -EINVAL);      /* exceptions */
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 0), -EINVAL);
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 256), -EINVAL);
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 1UL << 32 | 0x40), -EINVAL);
	ck_assert_int_eq(vcpu_pending_interrupt(v), -1);
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 32), 0);
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 255), 0);
	ck_assert_int_eq(vcpu_pending_interrupt(v), 255);
	ck_assert_int_eq(fake_count(EV_ENTRY), 0);    /* queued, not run */
	ck_assert_int_eq(fake_count(EV_KICK), 0);     /* nobody to kick */
}
END_TEST

/* A vCPU running on CPU 1 is kicked out so it takes the interrupt now. */
START_TEST(an_interrupt_for_a_running_vcpu_kicks_the_cpus_in_its_vm)
{
	guest_vm->vcpus[0].running = true;
	__atomic_store_n(&cpu_state[1].in_guest, guest_vm, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cpu_state[2].in_guest, control, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 0x40), 0);
	ck_assert(fake_kicked[1]);
	ck_assert(!fake_kicked[2]);
	ck_assert_int_eq(fake_count(EV_KICK), 1);
	guest_vm->vcpus[0].running = false;
	cpu_state[1].in_guest = cpu_state[2].in_guest = NULL;
}
END_TEST

START_TEST(a_queued_interrupt_is_injected_before_the_entry_when_the_guest_can_take_it)
{
	fake_irq_allowed = true;
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 0x41), 0);
	script(VMEXIT_HLT);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_HLT);
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_injected[0], 0x41);
	ck_assert_int_eq(fake_count(EV_IRQ_WINDOW), 0);
	ck_assert_int_eq(vcpu_pending_interrupt(&guest_vm->vcpus[0]), -1);
}
END_TEST

/* The guest unmasks (sti) during its first entry: the fake's vcpu_run,
 * wrapped, opens fake_irq_allowed once that entry is over. */
static const struct virt_ops *real_virt;
static struct virt_ops unmasking;
static void run_then_unmask(struct vcpu *v, struct vm_exit *e)
{
	real_virt->vcpu_run(v, e);
	fake_irq_allowed = true;
}
static void unmask_after_first_entry(void)
{
	real_virt = virt;
	unmasking = *virt;
	unmasking.vcpu_run = run_then_unmask;
	virt = &unmasking;
}

static int event_index(int type, int nth)
{
	for (int i = 0; i < fake_nevents; i++)
		if (fake_events[i].type == type && nth-- == 0)
			return i;
	return -1;
}

START_TEST(a_guest_with_interrupts_masked_gets_a_window_and_the_interrupt_at_its_exit)
{
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 0x42), 0);
	script(VMEXIT_IRQ_WINDOW);
	script(VMEXIT_HLT);
	unmask_after_first_entry();
	ck_assert_int_eq(run_guest(), 0);
	virt = real_virt;
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_HLT);
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_injected[0], 0x42);
	ck_assert_int_eq(fake_count(EV_IRQ_WINDOW), 1);
	/* window armed, entry (masked), window exit, injection, entry */
	ck_assert_int_lt(event_index(EV_IRQ_WINDOW, 0), event_index(EV_ENTRY, 0));
	ck_assert_int_lt(event_index(EV_ENTRY, 0), event_index(EV_INJECT_IRQ, 0));
	ck_assert_int_lt(event_index(EV_INJECT_IRQ, 0), event_index(EV_ENTRY, 1));
	ck_assert_int_eq(vcpu_pending_interrupt(&guest_vm->vcpus[0]), -1);
}
END_TEST

START_TEST(a_masked_guest_never_gets_one_injected)
{
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 0x42), 0);
	script(VMEXIT_IRQ_WINDOW);
	script(VMEXIT_HLT);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_HLT);   /* halted masked: the VMM's problem */
	ck_assert_int_eq(fake_ninjected, 0);
	ck_assert_int_eq(fake_count(EV_IRQ_WINDOW), 2);     /* re-armed before each entry */
	ck_assert_int_eq(vcpu_pending_interrupt(&guest_vm->vcpus[0]), 0x42);
}
END_TEST

START_TEST(the_highest_vector_goes_first_and_the_rest_wait_for_the_window)
{
	fake_irq_allowed = true;
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 0x40), 0);
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 0x80), 0);
	script(VMEXIT_IRQ_WINDOW);
	script(VMEXIT_HLT);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_int_eq(fake_ninjected, 2);
	ck_assert_int_eq(fake_injected[0], 0x80);
	ck_assert_int_eq(fake_injected[1], 0x40);
	ck_assert_int_eq(fake_count(EV_IRQ_WINDOW), 1);   /* after the first only */
}
END_TEST

/* sti; hlt: the HLT exit finds the guest able to take the queued
 * interrupt, so it is injected and the guest goes on (HLT wakes). */
START_TEST(hlt_with_an_interrupt_the_guest_can_take_does_not_reach_the_vmm)
{
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 0x43), 0);
	script(VMEXIT_HLT);
	script(VMEXIT_HLT);
	unmask_after_first_entry();
	ck_assert_int_eq(run_guest(), 0);
	virt = real_virt;
	ck_assert_int_eq(fake_count(EV_ENTRY), 2);
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_injected[0], 0x43);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_HLT);   /* the second, with nothing queued */
}
END_TEST

START_TEST(the_vmm_window_exits_at_once_when_open_and_after_the_window_exit_when_not)
{
	run->request_irq_window = 1;
	fake_irq_allowed = true;
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_IRQ_WINDOW);
	ck_assert_int_eq(fake_count(EV_ENTRY), 0);       /* without entering */
	fake_irq_allowed = false;
	script(VMEXIT_IRQ_WINDOW);
	ck_assert_int_eq(run_guest(), 0);
	/* Masked: armed, entered, window exit, still masked: armed again,
	 * entered, the fake's default exit (shutdown). */
	ck_assert_int_eq(fake_count(EV_IRQ_WINDOW), 2);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);
	fake_next_exit = fake_nexits = 0;
	fake_irq_allowed = true;
	script(VMEXIT_IRQ_WINDOW);
	run->request_irq_window = 0;
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);   /* not asked: never reported */
	ck_assert_int_eq(fake_ninjected, 0);
}
END_TEST

/* ---- the guest's x2APIC through MSR exits (hv/vlapic_msr.c) ---- */

static void msr_exit(struct vcpu *v, uint32_t msr, bool write, uint64_t val)
{
	v->regs.rcx = msr;
	v->regs.rax = (uint32_t)val;
	v->regs.rdx = val >> 32;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_MSR, .write = write };
}

START_TEST(apic_msrs_are_emulated_and_the_rest_still_raise_gp)
{
	struct vcpu *v = &guest_vm->vcpus[0];

	msr_exit(v, 0x802, false, 0);                  /* xAPIC mode after reset: #GP */
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_int_eq(fake_count(EV_INJECT_GP), 1);
	fake_next_exit = fake_nexits = 0;
	msr_exit(v, 0x1b, false, 0);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(v->regs.rax, 0xfee00900);    /* EN, BSP */
	fake_next_exit = fake_nexits = 0;
	msr_exit(v, 0x1b, true, 0xfee00d00);           /* to x2APIC mode */
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(v->lapic.base, 0xfee00d00);
	fake_next_exit = fake_nexits = 0;
	msr_exit(v, 0x802, false, 0);                  /* read the ID */
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(v->regs.rax, 0);
	ck_assert_int_eq(fake_count(EV_INJECT_GP), 1);
	fake_next_exit = fake_nexits = 0;
	msr_exit(v, 0x80f, true, 0x1ff);               /* enable it */
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(v->lapic.svr, 0x1ff);
	fake_next_exit = fake_nexits = 0;
	msr_exit(v, 0x802, true, 7);                   /* the ID is read-only */
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_int_eq(fake_count(EV_INJECT_GP), 2);
	ck_assert_uint_eq(v->lapic.id, 0);
	fake_next_exit = fake_nexits = 0;
	msr_exit(v, 0x10, false, 0);                   /* not an APIC MSR */
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_int_eq(fake_count(EV_INJECT_GP), 3);
	uint64_t val = 1UL << 32 | 2u << 8 | 0x4000;   /* SMI: not integrated */
	ck_assert_int_eq(vlapic_msr_write(v, 0x830, &val), -EINVAL);   /* #GP in the guest */
}
END_TEST

START_TEST(a_fixed_ipi_is_posted_to_the_other_vcpu_and_merged_before_its_entry)
{
	struct vm *vm;
	struct memobj *o;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, o, 0), 0);
	ck_assert_int_eq(vcpu_create(vm, 1, &(struct sv_vcpu_regs){ 0 }), 0);
	fake_launch(vm);
	struct vcpu *v0 = &vm->vcpus[0], *v1 = &vm->vcpus[1];
	uint64_t icr = 1UL << 32 | 0x70, svr = 0x1ff, x2apic = 0xfee00c00;
	ck_assert_int_eq(vlapic_msr_write(v0, 0x1b, &x2apic), 0);
	ck_assert_int_eq(vlapic_msr_write(v1, 0x1b, &x2apic), 0);
	ck_assert_int_eq(vlapic_msr_write(v1, 0x80f, &svr), 0);
	ck_assert_int_eq(vlapic_msr_write(v0, 0x830, &icr), 0);
	ck_assert_int_eq(vlapic_pending(&v1->lapic), -1);       /* posted, not merged */
	ck_assert_uint_eq(v1->apic_posted[1], 1UL << (0x70 - 64));
	vlapic_sync(v1, 0);
	ck_assert_int_eq(vlapic_pending(&v1->lapic), 0x70);
	ck_assert_uint_eq(v1->apic_posted[1], 0);
	ck_assert_int_eq(vlapic_pending(&v0->lapic), -1);       /* not to the sender */
	icr = 0x71 | 3u << 18;                                  /* all but me */
	ck_assert_int_eq(vlapic_msr_write(v1, 0x830, &icr), 0);
	vlapic_sync(v0, 0);
	ck_assert_int_eq(vlapic_pending(&v0->lapic), -1);       /* v0's APIC is disabled */
	ck_assert(v0->lapic.irr[0x71 / 32] & 1u << (0x71 % 32));
	ck_assert(!(v1->lapic.irr[0x71 / 32] & 1u << (0x71 % 32)));
	icr = 0xffffffffUL << 32 | 0x72;                        /* x2APIC broadcast id */
	ck_assert_int_eq(vlapic_msr_write(v1, 0x830, &icr), 0);
	vlapic_sync(v0, 0);
	ck_assert(v0->lapic.irr[0x72 / 32] & 1u << (0x72 % 32));
	ck_assert_int_eq(vlapic_pending(&v1->lapic), 0x72);     /* the sender too */
	vm_destroy(vm);
	memobj_close(o);
}
END_TEST

/* Attacks on SV_IRQ_APIC_MESSAGE by a hostile VMM: the vector's edges
 * (0-31 refused, 32 and 255 posted), any other flag bit with it refused,
 * vCPU and VM ids out of range, the control partition itself, a
 * destroyed VM; a post reaches only the named VM's vCPU. */
START_TEST(apic_message_edges_and_other_vms_are_untouched)
{
	struct vcpu *v = &guest_vm->vcpus[0];
	uint64_t id = guest_vm->id;
	struct vm *other;
	struct memobj *o;

	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vm_set_region(other, 0, 2 * MB, o, 0), 0);
	fake_launch(other);
	uint64_t msg = SV_IRQ_APIC_MESSAGE;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 31, msg, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 15, msg, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0, msg, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, msg | 4, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, SV_IRQ_APIC_LEVEL, 0),
			 -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 31, msg | SV_IRQ_APIC_LEVEL,
				 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, ~0UL, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, SV_MAX_VCPUS, 0x50, msg, 0),
			 -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, ~0UL, 0x50, msg, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x50 + (1UL << 32), msg, 0),
			 -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, ~0UL, 0, 0x50, msg, 0), -ENOENT);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, control->id, 0, 0x50, msg, 0),
			 -ENOENT);
	ck_assert_int_eq(unit_hc(other, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, msg, 0), -EPERM);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(v->apic_posted[i], 0);
		ck_assert_uint_eq(v->apic_posted_level[i], 0);
		ck_assert_uint_eq(other->vcpus[0].apic_posted[i], 0);
	}
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 32, msg, 0), 0);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 255, msg, 0), 0);
	ck_assert_uint_eq(v->apic_posted[0], 1UL << 32);
	ck_assert_uint_eq(v->apic_posted[3], 1UL << 63);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(other->vcpus[0].apic_posted[i], 0);
	ck_assert_int_eq(vcpu_queued_interrupt(&other->vcpus[0]), -1);
	/* The other VM gone: its id is refused, the first VM's posts stand. */
	uint64_t gone = other->id;
	vm_destroy(other);
	memobj_close(o);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, gone, 0, 0x50, msg, 0), -ENOENT);
	ck_assert_uint_eq(v->apic_posted[3], 1UL << 63);
}
END_TEST

/* A hostile VMM posts an APIC message to a vCPU halted with its APIC off
 * (sleeping in the hypervisor for its VMM's deadline): it is not
 * delivered (held in the IRR), the vCPU stays asleep, and every call
 * still ends with the slice (SV_EXIT_PREEMPT). */
START_TEST(an_apic_message_to_a_vcpu_with_its_apic_off_still_ends_with_the_slice)
{
	struct vcpu *v = &guest_vm->vcpus[0];
	uint64_t id = guest_vm->id;

	run->exit_at_tsc = UINT64_MAX;
	fake_irq_allowed = true;
	script(VMEXIT_HLT);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);
	ck_assert(v->halted);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, SV_IRQ_APIC_MESSAGE, 0), 0);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);      /* back each slice */
	ck_assert(v->halted);
	ck_assert_int_eq(fake_ninjected, 0);                       /* the APIC is off */
	ck_assert(v->lapic.irr[0x50 / 32] & 1u << (0x50 % 32));    /* held in its IRR */
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);
}
END_TEST

/* VCPU_INTERRUPT with SV_IRQ_APIC_MESSAGE (an I/O APIC delivery): posted
 * like an IPI, so it is taken through the APIC (in service until the
 * guest's EOI), not the VMM's queue; bad flags change nothing. */
START_TEST(an_apic_message_lands_in_the_irr_and_needs_the_guests_eoi)
{
	struct vcpu *v = &guest_vm->vcpus[0];
	struct vlapic_ipi ipi;
	uint64_t id = guest_vm->id;

	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, 2, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, 1UL << 63, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 31, SV_IRQ_APIC_MESSAGE, 0),
			 -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 256, SV_IRQ_APIC_MESSAGE, 0),
			 -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 1, 0x50, SV_IRQ_APIC_MESSAGE, 0),
			 -EINVAL);
	ck_assert_int_eq(unit_hc(guest_vm, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, SV_IRQ_APIC_MESSAGE, 0),
			 -EPERM);
	ck_assert_uint_eq(v->apic_posted[1], 0);
	ck_assert_int_eq(vcpu_pending_interrupt(v), -1);

	ck_assert_int_eq(vlapic_write(&v->lapic, VLAPIC_SVR, 0x1ff, 0, &ipi), 0);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, SV_IRQ_APIC_MESSAGE, 0), 0);
	ck_assert_uint_eq(v->apic_posted[1], 1UL << (0x50 - 64));
	ck_assert_int_eq(vcpu_queued_interrupt(v), -1);          /* not the VMM's queue */
	fake_irq_allowed = true;
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_injected[0], 0x50);
	ck_assert(v->lapic.isr[0x50 / 32] & 1u << (0x50 % 32));   /* in service */
	ck_assert_int_eq(vlapic_write(&v->lapic, VLAPIC_EOI, 0, 0, &ipi), 0);
	ck_assert(!(v->lapic.isr[0x50 / 32] & 1u << (0x50 % 32)));
}
END_TEST

/* SV_IRQ_APIC_LEVEL: the message sets the vector's TMR; the guest's EOI
 * of it (an x2APIC MSR write here) ends the run with SV_EXIT_EOI and the
 * vector, once, before the guest enters again; an edge message's EOI
 * and an EOI with nothing in service end nothing. */
START_TEST(a_level_message_eoi_ends_the_run_with_an_eoi_exit)
{
	struct vcpu *v = &guest_vm->vcpus[0];
	uint64_t id = guest_vm->id, x2apic = 0xfee00c00, svr = 0x1ff;
	uint64_t level = SV_IRQ_APIC_MESSAGE | SV_IRQ_APIC_LEVEL;

	ck_assert_int_eq(vlapic_msr_write(v, 0x1b, &x2apic), 0);
	ck_assert_int_eq(vlapic_msr_write(v, 0x80f, &svr), 0);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x50, level, 0), 0);
	ck_assert_uint_eq(v->apic_posted_level[1], 1UL << (0x50 - 64));
	ck_assert_uint_eq(v->apic_posted[1], 0);
	fake_irq_allowed = true;
	msr_exit(v, 0x80b, true, 0);                          /* the guest's EOI */
	msr_exit(v, 0x80b, true, 0);                          /* another, nothing in service */
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_injected[0], 0x50);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_EOI);
	ck_assert_uint_eq(run->eoi.vector, 0x50);
	ck_assert_int_eq(fake_next_exit, 1);                  /* straight after the EOI */
	ck_assert_uint_eq(v->lapic.isr[0x50 / 32], 0);
	ck_assert_int_eq(run_guest(), 0);                     /* the second EOI: no exit */
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN); /* the script's end */
	ck_assert_int_eq(fake_next_exit, 2);

	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, id, 0, 0x51, SV_IRQ_APIC_MESSAGE,
				 0), 0);
	msr_exit(v, 0x80b, true, 0);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_int_eq(fake_ninjected, 2);
	ck_assert_int_eq(fake_injected[1], 0x51);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);  /* edge: its EOI is not reported */
}
END_TEST

/* The VMM's window is for its 8259's INTR: it stays shut while the
 * guest's LINT0 is masked (nothing armed for it; the guest runs on), and
 * opens once the guest unmasks LINT0 (an x2APIC MSR write here). */
START_TEST(the_vmm_window_waits_for_lint0)
{
	struct vcpu *v = &guest_vm->vcpus[0];
	uint64_t x2apic = 0xfee00c00, svr = 0x1ff, masked = 0x10700;

	ck_assert(vlapic_accepts_extint(&v->lapic));          /* the BSP after reset */
	ck_assert_int_eq(vlapic_msr_write(v, 0x1b, &x2apic), 0);
	ck_assert_int_eq(vlapic_msr_write(v, 0x80f, &svr), 0);
	ck_assert_int_eq(vlapic_msr_write(v, 0x835, &masked), 0);
	run->request_irq_window = 1;
	fake_irq_allowed = true;
	script(VMEXIT_CPUID);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);   /* the script's end, no window */
	ck_assert_int_eq(fake_count(EV_ENTRY), 2);
	ck_assert_int_eq(fake_count(EV_IRQ_WINDOW), 0);
	msr_exit(v, 0x835, true, 0x700);                          /* the guest unmasks LINT0 */
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_IRQ_WINDOW);
	ck_assert_int_eq(fake_count(EV_ENTRY), 3);                /* straight after that exit */
	ck_assert_int_eq(fake_ninjected, 0);
}
END_TEST

/* HLT with the APIC on and IF set: the vCPU sleeps in the hypervisor; a
 * VCPU_RUN that ends its slice there leaves it asleep; the timer's expiry
 * wakes it with the timer's vector. */
START_TEST(a_halted_vcpu_sleeps_until_its_timer_fires)
{
	struct vcpu *v = &guest_vm->vcpus[0];
	struct vlapic_ipi ipi;

	clock_fake_tsc = 1000;
	ck_assert_int_eq(vlapic_write(&v->lapic, VLAPIC_SVR, 0x1ff, 1000, &ipi), 0);
	ck_assert_int_eq(vlapic_write(&v->lapic, VLAPIC_LVT_TIMER, 0x66, 1000, &ipi), 0);
	ck_assert_int_eq(vlapic_write(&v->lapic, VLAPIC_TIMER_DCR, 0xb, 1000, &ipi), 0);
	ck_assert_int_eq(vlapic_write(&v->lapic, VLAPIC_TIMER_ICR, 500, 1000, &ipi), 0);
	fake_irq_allowed = true;
	script(VMEXIT_HLT);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);   /* slept its slice away */
	ck_assert(v->halted);
	ck_assert_int_eq(fake_count(EV_ENTRY), 1);
	ck_assert_int_eq(fake_ninjected, 0);
	clock_fake_tsc = 1000 + 500 * VLAPIC_TSC_PER_TICK;
	ck_assert_int_eq(run_guest(), 0);
	clock_fake_tsc = 0;
	ck_assert(!v->halted);
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_injected[0], 0x66);
	ck_assert(v->lapic.isr[0x66 / 32] & 1u << (0x66 % 32));   /* in service: EOI due */
}
END_TEST

/* A halted vCPU with IF set can take an interrupt: a VMM that asked for
 * the window gets it at once (and queues its interrupt), rather than a
 * slice slept away every VCPU_RUN for ever. It stays halted until then. */
START_TEST(a_halted_vcpu_reports_the_window_its_vmm_asked_for)
{
	struct vcpu *v = &guest_vm->vcpus[0];
	struct vlapic_ipi ipi;

	ck_assert_int_eq(vlapic_write(&v->lapic, VLAPIC_SVR, 0x1ff, 0, &ipi), 0);
	fake_irq_allowed = true;
	script(VMEXIT_HLT);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);   /* asleep, nothing asked */
	ck_assert(v->halted);
	run->request_irq_window = 1;
	ck_assert_int_eq(run_guest(), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_IRQ_WINDOW);
	ck_assert(v->halted);
	ck_assert_int_eq(fake_count(EV_ENTRY), 1);
	run->request_irq_window = 0;
	ck_assert_int_eq(raise_irq(control, guest_vm->id, 0, 0x45), 0);
	ck_assert_int_eq(run_guest(), 0);
	ck_assert(!v->halted);
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_injected[0], 0x45);
}
END_TEST

Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("events");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vcpu_interrupt_checks_every_argument_and_changes_nothing_on_error);
	tcase_add_test(tc, apic_message_edges_and_other_vms_are_untouched);
	tcase_add_test(tc, an_apic_message_to_a_vcpu_with_its_apic_off_still_ends_with_the_slice);
	tcase_add_test(tc, an_interrupt_for_a_running_vcpu_kicks_the_cpus_in_its_vm);
	tcase_add_test(tc, a_queued_interrupt_is_injected_before_the_entry_when_the_guest_can_take_it);
	tcase_add_test(tc, a_guest_with_interrupts_masked_gets_a_window_and_the_interrupt_at_its_exit);
	tcase_add_test(tc, a_masked_guest_never_gets_one_injected);
	tcase_add_test(tc, the_highest_vector_goes_first_and_the_rest_wait_for_the_window);
	tcase_add_test(tc, hlt_with_an_interrupt_the_guest_can_take_does_not_reach_the_vmm);
	tcase_add_test(tc, apic_msrs_are_emulated_and_the_rest_still_raise_gp);
	tcase_add_test(tc, a_fixed_ipi_is_posted_to_the_other_vcpu_and_merged_before_its_entry);
	tcase_add_test(tc, a_halted_vcpu_sleeps_until_its_timer_fires);
	tcase_add_test(tc, an_apic_message_lands_in_the_irr_and_needs_the_guests_eoi);
	tcase_add_test(tc, a_level_message_eoi_ends_the_run_with_an_eoi_exit);
	tcase_add_test(tc, the_vmm_window_waits_for_lint0);
	tcase_add_test(tc, a_halted_vcpu_reports_the_window_its_vmm_asked_for);
	tcase_add_test(tc, the_vmm_window_exits_at_once_when_open_and_after_the_window_exit_when_not);
	suite_add_tcase(s, tc);
	return s;
}
