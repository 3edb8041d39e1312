/* The physical timer backing guest LAPIC timers: which TSC deadline the
 * run loop arms (hv/vlapic_msr.c: vlapic_entry_deadline, hv/run.c), the
 * backends' unit conversions (arch/x86/timer_units.c), and what a timer
 * expiry exit does to the VMM's slice. */
#include <sealvisor/errno.h>
#include <sealvisor/hypercall.h>
#include "arch/x86/timer_units.h"
#include "hv/clock.h"
#include "hv/vlapic_msr.h"
#include "hv/vm.h"
#include "mm/memobj.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define RUN_GPA 0x2000
#define SLICE_END 1000000UL

static struct vm *control, *guest_vm;
static struct memobj *obj;
static struct sv_run *run;
static struct vlapic_ipi ipi;

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
	clock_fake_tsc = 0;
}

static void teardown(void)
{
	clock_fake_tsc = 0;
	memobj_close(obj);
}

static void apic(struct vcpu *v, uint32_t reg, uint64_t val, uint64_t now)
{
	ck_assert_int_eq(vlapic_write(&v->lapic, reg, val, now, &ipi), 0);
}

/* ---- the deadline the run loop arms ---- */

START_TEST(the_deadline_is_the_nearer_of_slice_end_and_the_guests_timer)
{
	struct vcpu *v = &guest_vm->vcpus[0];

	/* No timer (the APIC is software-disabled, its LVTs masked). */
	ck_assert_uint_eq(vlapic_entry_deadline(v, SLICE_END), SLICE_END);
	apic(v, VLAPIC_SVR, 0x1ff, 0);
	apic(v, VLAPIC_TIMER_DCR, 0xb, 0);
	apic(v, VLAPIC_LVT_TIMER, 0x40, 0);                  /* one-shot */
	apic(v, VLAPIC_TIMER_ICR, 1000, 500);
	ck_assert_uint_eq(vlapic_entry_deadline(v, SLICE_END), 1500);
	apic(v, VLAPIC_TIMER_ICR, 5000000, 500);             /* past the slice */
	ck_assert_uint_eq(vlapic_entry_deadline(v, SLICE_END), SLICE_END);
	apic(v, VLAPIC_LVT_TIMER, 2u << 17 | 0x40, 0);       /* TSC deadline */
	ck_assert_int_eq(vlapic_write_deadline(&v->lapic, 7777), 0);
	ck_assert_uint_eq(vlapic_entry_deadline(v, SLICE_END), 7777);
	apic(v, VLAPIC_LVT_TIMER, 1u << 16 | 2u << 17 | 0x40, 0);   /* masked: nothing to deliver */
	ck_assert_uint_eq(vlapic_entry_deadline(v, SLICE_END), SLICE_END);
	/* The control partition has no APIC path: always its slice. */
	struct vcpu c = { .vm = control, .lapic = v->lapic };
	apic(v, VLAPIC_LVT_TIMER, 0x40, 0);
	apic(v, VLAPIC_TIMER_ICR, 1000, 500);
	c.lapic = v->lapic;
	ck_assert_uint_eq(vlapic_entry_deadline(v, SLICE_END), 1500);
	ck_assert_uint_eq(vlapic_entry_deadline(&c, SLICE_END), SLICE_END);
}
END_TEST

/* A guest that never exits by itself: its one-shot expires mid-slice.
 * The entry is armed for the expiry, the expiry exit does not end the
 * VCPU_RUN, and the guest re-enters with the timer's vector injected. */
START_TEST(a_timer_expiry_exit_injects_the_vector_and_does_not_end_the_slice)
{
	struct vcpu *v = &guest_vm->vcpus[0];

	clock_fake_tsc = 100;
	apic(v, VLAPIC_SVR, 0x1ff, 100);
	apic(v, VLAPIC_TIMER_DCR, 0xb, 100);
	apic(v, VLAPIC_LVT_TIMER, 0x41, 100);
	apic(v, VLAPIC_TIMER_ICR, 400, 100);                 /* expires at 500 */
	fake_irq_allowed = true;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_PREEMPT };
	/* Then the fake's default exit, a shutdown, ends the call. */
	clock_fake_tsc = 100;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);   /* not SV_EXIT_PREEMPT */
	ck_assert_int_eq(fake_count(EV_ENTRY), 2);
	/* The first entry was armed for the timer (the clock stood still:
	 * the second one too, the timer being due; it was injected there
	 * only once the TSC reached it: not here). */
	ck_assert_int_eq(fake_narmed, 2);
	ck_assert_uint_eq(fake_armed_deadline, 500);
	ck_assert_int_eq(fake_ninjected, 0);
	fake_reset();
	fake_irq_allowed = true;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_PREEMPT };
	clock_fake_tsc = 500;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_injected[0], 0x41);
	ck_assert_uint_ne(fake_armed_deadline, 500);         /* a one-shot: gone */
}
END_TEST

/* The VMM's deadline (sv_run.exit_at_tsc): the entry is armed for it
 * when it is nearer than the slice's end, and once the TSC reaches it
 * the call returns SV_EXIT_PREEMPT without entering, halted vCPU or not. */
START_TEST(the_vmms_exit_at_tsc_bounds_the_run_and_a_halted_wait)
{
	struct vcpu *v = &guest_vm->vcpus[0];

	clock_fake_tsc = 100;
	run->exit_at_tsc = 300;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_PREEMPT };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);   /* the fake's default */
	ck_assert_uint_eq(fake_armed_deadline, 300);
	fake_reset();
	clock_fake_tsc = 300;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);
	ck_assert_int_eq(fake_count(EV_ENTRY), 0);
	/* Halted with its APIC on (it waits in the hypervisor): the same. */
	apic(v, VLAPIC_SVR, 0x1ff, 300);
	v->halted = true;
	run->exit_at_tsc = 400;
	clock_fake_tsc = 400;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);
	ck_assert_int_eq(fake_count(EV_ENTRY), 0);
	ck_assert(v->halted);
	/* 0: no deadline of the VMM's; the slice's end is armed. */
	v->halted = false;
	run->exit_at_tsc = 0;
	fake_reset();
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);
	ck_assert_uint_gt(fake_armed_deadline, 400);
}
END_TEST

/* HLT with the APIC off: with a VMM deadline and IF set, its VMM's
 * devices can still wake it, so it sleeps in the hypervisor (up to the
 * deadline) and its VMM's interrupt wakes it; with IF clear nothing can,
 * and the VMM hears SV_EXIT_HLT. */
START_TEST(hlt_with_the_apic_off_sleeps_for_the_vmms_devices_only_if_it_takes_interrupts)
{
	struct vcpu *v = &guest_vm->vcpus[0];

	clock_fake_tsc = 1000;
	run->exit_at_tsc = 1000;
	fake_irq_allowed = false;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_HLT };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);    /* the deadline had passed */
	clock_fake_tsc = 100;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_HLT);
	ck_assert(!v->halted);
	fake_reset();
	fake_irq_allowed = true;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_HLT };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);    /* slept to the end */
	ck_assert(v->halted);
	ck_assert_int_eq(fake_count(EV_ENTRY), 1);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_INTERRUPT, guest_vm->id, 0, 0x20, 0, 0), 0);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert(!v->halted);
	ck_assert_int_eq(fake_ninjected, 1);
	ck_assert_int_eq(fake_injected[0], 0x20);
}
END_TEST

/* Attacks on exit_at_tsc by a hostile VMM: ~0 (never) does not stretch
 * the entry past the slice's end, and a vCPU halted with its APIC off
 * that nothing ever wakes still comes back each slice, with no further
 * entry; a deadline already passed (1) returns at once, armed nothing. */
START_TEST(exit_at_tsc_of_all_ones_or_the_past_bounds_nothing_beyond_the_slice)
{
	struct vcpu *v = &guest_vm->vcpus[0];

	clock_fake_tsc = 100;
	run->exit_at_tsc = UINT64_MAX;
	fake_irq_allowed = true;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_HLT };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);      /* slept to the slice's end */
	ck_assert(v->halted);
	ck_assert_int_eq(fake_count(EV_ENTRY), 1);
	ck_assert_uint_lt(fake_armed_deadline, UINT64_MAX);
	ck_assert_uint_eq(fake_armed_deadline, 100 + 20000000UL);  /* run.c: the slice, uncalibrated */
	for (int i = 0; i < 3; i++) {                              /* never woken: every slice */
		ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
		ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);
		ck_assert(v->halted);
	}
	ck_assert_int_eq(fake_count(EV_ENTRY), 1);
	/* Its VMM drops the deadline: halted with the APIC off, it still
	 * returns (PREEMPT each slice; it is not entered again). */
	run->exit_at_tsc = 0;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);
	ck_assert_int_eq(fake_count(EV_ENTRY), 1);
	/* A deadline in the past: back at once, nothing entered or armed. */
	v->halted = false;
	fake_reset();
	run->exit_at_tsc = 1;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_PREEMPT };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, guest_vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);
	ck_assert_int_eq(fake_count(EV_ENTRY), 0);
	ck_assert_int_eq(fake_narmed, 0);
}
END_TEST

/* ---- units ---- */

START_TEST(apic_counts_round_up_and_clamp)
{
	uint64_t half = timer_ratio_q32(1, 2);                /* a tick per 2 TSC cycles */

	ck_assert_uint_eq(half, 1UL << 31);
	ck_assert_uint_eq(timer_apic_count(1000, 3000, half), 1000);
	ck_assert_uint_eq(timer_apic_count(1000, 3001, half), 1001);   /* never early */
	ck_assert_uint_eq(timer_apic_count(1000, 1000, half), 1);      /* due: a minimal count */
	ck_assert_uint_eq(timer_apic_count(5000, 1000, half), 1);      /* past */
	ck_assert_uint_eq(timer_apic_count(0, UINT64_MAX, half), UINT32_MAX);
	/* QEMU's 62.5 MHz (1 GHz / 16) against a 2.6 GHz TSC, 1 ms. */
	uint64_t q = timer_ratio_q32(62500, 2600000);
	uint32_t c = timer_apic_count(0, 2600000, q);
	ck_assert_msg(c >= 62500 && c <= 62501, "%u", c);
	/* A timer faster than the TSC (Bochs-like rates). */
	ck_assert_uint_eq(timer_apic_count(0, 10, timer_ratio_q32(3, 1)), 30);
	/* Not calibrated: the old fixed period. */
	ck_assert_uint_eq(timer_apic_count(0, 10, 0), TIMER_APIC_UNCALIBRATED);
}
END_TEST

START_TEST(ratios_that_cannot_be_expressed_are_zero)
{
	ck_assert_uint_eq(timer_ratio_q32(0, 100), 0);
	ck_assert_uint_eq(timer_ratio_q32(100, 0), 0);
	ck_assert_uint_eq(timer_ratio_q32(1UL << 32, 1), 0);       /* ticks above 32 bits */
	ck_assert_uint_eq(timer_ratio_q32(0xffffffffUL, 1), 0xffffffffUL << 32);
}
END_TEST

START_TEST(vmx_preemption_counts_are_tsc_shifted_rounded_up)
{
	ck_assert_uint_eq(timer_vmx_count(0, 64, 5), 2);
	ck_assert_uint_eq(timer_vmx_count(0, 65, 5), 3);            /* never early */
	ck_assert_uint_eq(timer_vmx_count(100, 100, 5), 1);         /* due: minimal */
	ck_assert_uint_eq(timer_vmx_count(100, 50, 0), 1);          /* past */
	ck_assert_uint_eq(timer_vmx_count(0, 1UL << 40, 0), UINT32_MAX);
	ck_assert_uint_eq(timer_vmx_count(0, UINT64_MAX, 31), UINT32_MAX);
}
END_TEST

Suite *timer_suite(void)
{
	Suite *s = suite_create("timer");
	TCase *tc = tcase_create("deadline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_deadline_is_the_nearer_of_slice_end_and_the_guests_timer);
	tcase_add_test(tc, a_timer_expiry_exit_injects_the_vector_and_does_not_end_the_slice);
	tcase_add_test(tc, the_vmms_exit_at_tsc_bounds_the_run_and_a_halted_wait);
	tcase_add_test(tc, hlt_with_the_apic_off_sleeps_for_the_vmms_devices_only_if_it_takes_interrupts);
	tcase_add_test(tc, exit_at_tsc_of_all_ones_or_the_past_bounds_nothing_beyond_the_slice);
	suite_add_tcase(s, tc);
	tc = tcase_create("units");
	tcase_add_test(tc, apic_counts_round_up_and_clamp);
	tcase_add_test(tc, ratios_that_cannot_be_expressed_are_zero);
	tcase_add_test(tc, vmx_preemption_counts_are_tsc_shifted_rounded_up);
	suite_add_tcase(s, tc);
	return s;
}
