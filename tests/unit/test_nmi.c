/* Guest NMIs (hv/nmi.c) and VCPU_NMI, on the fake backend, whose NMI
 * blocking is set by each injection and cleared by fake_nmi_iret: what is
 * injected when, what waits, what coalesces, and what a hostile VMM or
 * guest cannot make grow. */
#include <sealvisor/errno.h>
#include <sealvisor/hypercall.h>
#include "hv/events.h"
#include "hv/nmi.h"
#include "hv/vlapic_msr.h"
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "mm/memobj.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define RUN_GPA 0x2000
#define ICR 0x830
#define ICR_NMI (4u << 8)

static struct vm *control, *guest_vm;
static struct memobj *obj;
static struct sv_run *run;
static struct vcpu *v0, *v1;

static void setup(void)
{
	unit_machine(64 * MB);
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&guest_vm), 0);
	ck_assert_int_eq(vm_set_region(guest_vm, 0, 2 * MB, obj, 0), 0);
	ck_assert_int_eq(vcpu_create(guest_vm, 1, &(struct sv_vcpu_regs){ 0 }), 0);
	fake_launch(guest_vm);
	v0 = &guest_vm->vcpus[0];
	v1 = &guest_vm->vcpus[1];
	/* The tests speak x2APIC MSRs: EXTD on, as a guest would first. */
	ck_assert_int_eq(vlapic_set_base(&v0->lapic, v0->lapic.base | APIC_BASE_EXTD), 0);
	ck_assert_int_eq(vlapic_set_base(&v1->lapic, v1->lapic.base | APIC_BASE_EXTD), 0);
	run = vm_guest_ptr(control, RUN_GPA, sizeof(*run));
	memset(run, 0, sizeof(*run));
}

static void teardown(void)
{
	memobj_close(obj);
}

static int64_t nmi(struct vm *caller, uint64_t vm, uint64_t vcpu)
{
	return unit_hc(caller, SV_HC_VCPU_NMI, vm, vcpu, 0, 0, 0);
}

static int64_t run_vcpu(unsigned id)
{
	return unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, id, RUN_GPA, 0, 0);
}

/* Each run: one entry, then the guest stops (a triple fault, unscripted). */
static void run_once(void)
{
	fake_next_exit = fake_nexits = 0;
	ck_assert_int_eq(run_vcpu(0), 0);
}

START_TEST(vcpu_nmi_checks_every_argument_and_changes_nothing_on_error)
{
	ck_assert_int_eq(nmi(guest_vm, guest_vm->id, 0), -EPERM);            /* a guest */
	ck_assert_int_eq(nmi(control, 0, 0), -ENOENT);                        /* the control partition */
	ck_assert_int_eq(nmi(control, guest_vm->id + 1, 0), -ENOENT);
	ck_assert_int_eq(nmi(control, 1UL << 32 | guest_vm->id, 0), -ENOENT);
	ck_assert_int_eq(nmi(control, guest_vm->id, 2), -EINVAL);             /* no vCPU 2 */
	ck_assert_int_eq(nmi(control, guest_vm->id, SV_MAX_VCPUS), -EINVAL);
	ck_assert_int_eq(nmi(control, guest_vm->id, 1UL << 32), -EINVAL);
	ck_assert_uint_eq(v0->nmi_queued + v1->nmi_queued, 0);
	ck_assert_int_eq(nmi(control, guest_vm->id, 1), 0);
	ck_assert_uint_eq(v1->nmi_queued, 1);
	ck_assert_uint_eq(v0->nmi_queued, 0);
	ck_assert_int_eq(fake_count(EV_ENTRY), 0);
	ck_assert_int_eq(fake_count(EV_KICK), 0);      /* not running: nobody to kick */
}
END_TEST

START_TEST(an_nmi_for_a_running_vcpu_kicks_the_cpus_in_its_vm)
{
	v0->running = true;
	__atomic_store_n(&cpu_state[1].in_guest, guest_vm, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(nmi(control, guest_vm->id, 0), 0);
	ck_assert(fake_kicked[1]);
	v0->running = false;
	cpu_state[1].in_guest = NULL;
}
END_TEST

/* RFLAGS.IF clear: an interrupt would wait, an NMI goes in, and ahead of
 * an interrupt the guest could take (the slot holds one event). */
START_TEST(an_nmi_goes_in_with_interrupts_masked_and_before_an_interrupt)
{
	ck_assert_int_eq(nmi(control, guest_vm->id, 0), 0);
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 1);
	ck_assert(fake_nmi_masked);
	fake_nmi_iret();
	fake_irq_allowed = true;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, guest_vm->id, 0, 0x40, 0, 0), 0);
	ck_assert_int_eq(nmi(control, guest_vm->id, 0), 0);
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 2);
	ck_assert_int_eq(fake_ninjected, 0);           /* the interrupt waits for the window */
	ck_assert_int_eq(fake_count(EV_IRQ_WINDOW), 1);
	run_once();                                    /* IF still set: now it goes in */
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_nmis_injected, 2);
}
END_TEST

/* One waits while the handler runs, the rest coalesce into it; it goes in
 * only after the IRET: two deliveries in all. */
START_TEST(an_nmi_raised_in_the_handler_waits_for_its_iret_and_more_coalesce)
{
	ck_assert_int_eq(nmi(control, guest_vm->id, 0), 0);
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 1);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(nmi(control, guest_vm->id, 0), 0);
	int windows = fake_count(EV_NMI_WINDOW);
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 1);                   /* still in the handler */
	ck_assert_int_eq(fake_count(EV_NMI_WINDOW), windows + 1);  /* asks for its end */
	ck_assert_uint_eq(v0->nmi_pending, 1);
	fake_nmi_iret();
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 2);
	fake_nmi_iret();
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 2);
	ck_assert_uint_eq(v0->nmi_pending, 0);
}
END_TEST

/* Two raised while the guest was not in a handler: the first goes in, the
 * second is latched behind it, as a CPU does. */
START_TEST(two_nmis_raised_outside_a_handler_are_both_delivered)
{
	ck_assert_int_eq(nmi(control, guest_vm->id, 0), 0);
	ck_assert_int_eq(nmi(control, guest_vm->id, 0), 0);
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 1);
	ck_assert_int_eq(fake_count(EV_NMI_WINDOW), 1);
	fake_nmi_iret();
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 2);
	fake_nmi_iret();
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 2);
}
END_TEST

/* A hostile VMM raising 10^6 NMIs: nothing grows past two, the guest gets
 * at most two, and then none. */
START_TEST(a_million_nmis_from_a_hostile_vmm_are_at_most_two)
{
	for (int i = 0; i < 1000000; i++)
		if (nmi(control, guest_vm->id, 0) != 0)
			ck_abort_msg("VCPU_NMI failed at %d", i);
	ck_assert_uint_eq(v0->nmi_queued, NMI_QUEUE_MAX);
	for (int i = 0; i < 4; i++) {
		run_once();
		fake_nmi_iret();
	}
	ck_assert_int_eq(fake_nmis_injected, 2);
	ck_assert_uint_eq(v0->nmi_queued + v0->nmi_pending, 0);
}
END_TEST

START_TEST(the_interrupt_shadow_holds_an_nmi_back)
{
	fake_shadow = true;
	ck_assert_int_eq(nmi(control, guest_vm->id, 0), 0);
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 0);
	ck_assert_int_eq(fake_count(EV_NMI_WINDOW), 1);
	fake_shadow = false;
	run_once();
	ck_assert_int_eq(fake_nmis_injected, 1);
}
END_TEST

/* HLT with RFLAGS.IF clear and the APIC on: it sleeps in the hypervisor
 * (an NMI IPI can come), and an NMI wakes it. */
START_TEST(an_nmi_wakes_a_vcpu_halted_with_interrupts_masked)
{
	uint64_t svr = 0x1ff;
	ck_assert_int_eq(vlapic_msr_write(v0, 0x80f, &svr), 0);
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_HLT };
	ck_assert_int_eq(run_vcpu(0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);   /* slept its slice away */
	ck_assert(v0->halted);
	ck_assert_int_eq(fake_count(EV_ENTRY), 1);
	uint64_t icr = ICR_NMI;                                 /* vCPU 1 to vCPU 0 */
	ck_assert_int_eq(vlapic_msr_write(v1, ICR, &icr), 0);
	ck_assert_int_eq(run_vcpu(0), 0);
	ck_assert(!v0->halted);
	ck_assert_int_eq(fake_nmis_injected, 1);
	ck_assert_int_eq(fake_ninjected, 0);
}
END_TEST

/* Blocked by NMI, halted: a pending NMI does not wake it (it waits for the
 * IRET, which a halted vCPU cannot run). */
START_TEST(a_vcpu_halted_in_its_nmi_handler_is_not_woken_by_another)
{
	uint64_t svr = 0x1ff;
	ck_assert_int_eq(vlapic_msr_write(v0, 0x80f, &svr), 0);
	fake_nmi_masked = true;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_HLT };
	ck_assert_int_eq(nmi(control, guest_vm->id, 0), 0);
	ck_assert_int_eq(run_vcpu(0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);
	ck_assert(v0->halted);
	ck_assert_int_eq(fake_nmis_injected, 0);
}
END_TEST

/* Without the APIC on, HLT with IF clear still goes to the VMM. */
START_TEST(hlt_with_interrupts_masked_and_no_apic_goes_to_the_vmm)
{
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_HLT };
	ck_assert_int_eq(run_vcpu(0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_HLT);
	ck_assert(!v0->halted);
}
END_TEST

/* ICR delivery mode NMI: the vector is ignored, every shorthand and the
 * broadcast id reach the right vCPUs, an absent id reaches none; a
 * receiver's software-disabled APIC takes NMIs. */
START_TEST(nmi_ipis_reach_exactly_the_vcpus_they_name)
{
	uint64_t icr = 1UL << 32 | ICR_NMI;                       /* vCPU 1, vector 0 */
	ck_assert_int_eq(vlapic_msr_write(v0, ICR, &icr), 0);
	ck_assert_uint_eq(v1->nmi_queued, 1);
	ck_assert_uint_eq(v0->nmi_queued, 0);
	icr = ICR_NMI | 1u << 18 | 0xff;                          /* self */
	ck_assert_int_eq(vlapic_msr_write(v0, ICR, &icr), 0);
	ck_assert_uint_eq(v0->nmi_queued, 1);
	ck_assert_uint_eq(v1->nmi_queued, 1);
	icr = ICR_NMI | 3u << 18;                                 /* all but me */
	ck_assert_int_eq(vlapic_msr_write(v1, ICR, &icr), 0);
	ck_assert_uint_eq(v0->nmi_queued, 2);
	ck_assert_uint_eq(v1->nmi_queued, 1);
	v0->nmi_queued = v1->nmi_queued = 0;
	icr = 0xffffffffUL << 32 | ICR_NMI;                       /* broadcast id */
	ck_assert_int_eq(vlapic_msr_write(v1, ICR, &icr), 0);
	ck_assert_uint_eq(v0->nmi_queued, 1);
	ck_assert_uint_eq(v1->nmi_queued, 1);
	icr = ICR_NMI | 2u << 18;                                 /* all */
	ck_assert_int_eq(vlapic_msr_write(v0, ICR, &icr), 0);
	ck_assert_uint_eq(v0->nmi_queued, 2);
	ck_assert_uint_eq(v1->nmi_queued, 2);
	v0->nmi_queued = v1->nmi_queued = 0;
	icr = 5UL << 32 | ICR_NMI;                                /* no vCPU 5 */
	ck_assert_int_eq(vlapic_msr_write(v0, ICR, &icr), 0);
	ck_assert_uint_eq(v0->nmi_queued + v1->nmi_queued, 0);
	icr = 2UL << 32 | ICR_NMI | 1u << 11;                     /* logical: cluster 0, bit 1 */
	ck_assert_int_eq(vlapic_msr_write(v0, ICR, &icr), 0);
	ck_assert_uint_eq(v0->nmi_queued, 0);
	ck_assert_uint_eq(v1->nmi_queued, 1);
	v1->nmi_queued = 0;
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++)               /* no fixed vector posted */
		ck_assert_uint_eq(v1->apic_posted[i % 4], 0);
}
END_TEST

/* A guest flooding NMI IPIs at itself and its sibling (10^6 each): two
 * outstanding at most, as the VMM's. */
START_TEST(a_guest_flooding_nmi_ipis_leaves_at_most_two_outstanding)
{
	uint64_t to1 = 1UL << 32 | ICR_NMI, self = ICR_NMI | 1u << 18;
	for (int i = 0; i < 1000000; i++) {
		uint64_t a = to1, b = self;
		vlapic_msr_write(v0, ICR, &a);
		vlapic_msr_write(v0, ICR, &b);
	}
	ck_assert_uint_eq(v0->nmi_queued, NMI_QUEUE_MAX);
	ck_assert_uint_eq(v1->nmi_queued, NMI_QUEUE_MAX);
}
END_TEST

Suite *nmi_suite(void)
{
	Suite *s = suite_create("nmi");
	TCase *tc = tcase_create("nmi");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vcpu_nmi_checks_every_argument_and_changes_nothing_on_error);
	tcase_add_test(tc, an_nmi_for_a_running_vcpu_kicks_the_cpus_in_its_vm);
	tcase_add_test(tc, an_nmi_goes_in_with_interrupts_masked_and_before_an_interrupt);
	tcase_add_test(tc, an_nmi_raised_in_the_handler_waits_for_its_iret_and_more_coalesce);
	tcase_add_test(tc, two_nmis_raised_outside_a_handler_are_both_delivered);
	tcase_add_test(tc, a_million_nmis_from_a_hostile_vmm_are_at_most_two);
	tcase_add_test(tc, the_interrupt_shadow_holds_an_nmi_back);
	tcase_add_test(tc, an_nmi_wakes_a_vcpu_halted_with_interrupts_masked);
	tcase_add_test(tc, a_vcpu_halted_in_its_nmi_handler_is_not_woken_by_another);
	tcase_add_test(tc, hlt_with_interrupts_masked_and_no_apic_goes_to_the_vmm);
	tcase_add_test(tc, nmi_ipis_reach_exactly_the_vcpus_they_name);
	tcase_add_test(tc, a_guest_flooding_nmi_ipis_leaves_at_most_two_outstanding);
	suite_add_tcase(s, tc);
	return s;
}
