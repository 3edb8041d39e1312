/*
 * The MSR allow list and policy (hv/msr.c) and the intercepted
 * instructions (hv/intercept.c), through the fake backend: what a guest's
 * RDMSR/WRMSR/INVD/... does, and what its VMM sees.
 */
#include <string.h>
#include <sealvisor/errno.h>
#include "hv/cr_policy.h"
#include "hv/intercept.h"
#include "hv/msr.h"
#include "hv/run.h"
#include "hv/vm.h"
#include "mm/pmm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define RIP0 0x1000
#define NO_EXC 0xff

static struct vm *control, *vm;
static struct vcpu *v;

static void setup(void)
{
	unit_machine(32 * MB);
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vcpu_create(vm, 0, &(struct sv_vcpu_regs){ .rip = RIP0 }), 0);
	v = &vm->vcpus[0];
}

static void teardown(void)
{
	for (unsigned i = 0; i < SV_MAX_VMS; i++)
		if (vms[i].in_use)
			vm_destroy(&vms[i]);
	arena_unmap();
}

static uint64_t rip(void)
{
	return virt->get_rip(v);
}

/* One RDMSR/WRMSR as the guest would issue it; true if finished here. */
static bool wrmsr_(uint32_t index, uint64_t value)
{
	v->regs.rcx = index;
	v->regs.rax = (uint32_t)value;
	v->regs.rdx = value >> 32;
	fake_last_exception.vector = NO_EXC;
	return msr_emulate(v, true);
}

static bool rdmsr_(uint32_t index, uint64_t *value)
{
	v->regs.rcx = index;
	v->regs.rax = v->regs.rdx = 0xdead;
	fake_last_exception.vector = NO_EXC;
	bool done = msr_emulate(v, false);
	*value = (v->regs.rdx << 32) | (uint32_t)v->regs.rax;
	return done;
}

static void assert_gp(uint64_t rip_before)
{
	ck_assert_uint_eq(fake_last_exception.vector, X86_EXC_GP);
	ck_assert(fake_last_exception.has_error);
	ck_assert_uint_eq(fake_last_exception.error, 0);
	ck_assert_uint_eq(rip(), rip_before);      /* the fault points at the instruction */
}

static const struct { uint32_t index; uint64_t value; } round_trips[] = {
	{ MSR_IA32_STAR, 0x0023001000080000UL }, { MSR_IA32_LSTAR, 0xffffffff81000000UL },
	{ MSR_IA32_CSTAR, 0xffffffff81000100UL }, { MSR_IA32_SFMASK, 0x47700 },
	{ MSR_IA32_KERNEL_GS_BASE, 0xffff888000001000UL }, { MSR_IA32_FS_BASE, 0x7f0000001000UL },
	{ MSR_IA32_GS_BASE, 0xffff888000002000UL }, { MSR_IA32_SYSENTER_CS, 0x10 },
	{ MSR_IA32_SYSENTER_ESP, 0xffff888000003000UL }, { MSR_IA32_SYSENTER_EIP, 0xffffffff81000200UL },
	{ MSR_IA32_TSC_AUX, 0x12345678 }, { MSR_IA32_PAT, 0x0007010600070106UL },
};

START_TEST(every_allowed_msr_round_trips_and_moves_rip_past_the_instruction)
{
	for (unsigned i = 0; i < sizeof(round_trips) / sizeof(round_trips[0]); i++) {
		uint64_t got, before = rip();
		ck_assert(msr_allowed(round_trips[i].index));
		ck_assert(wrmsr_(round_trips[i].index, round_trips[i].value));
		ck_assert_uint_eq(fake_last_exception.vector, NO_EXC);
		ck_assert(rdmsr_(round_trips[i].index, &got));
		ck_assert_uint_eq(fake_last_exception.vector, NO_EXC);
		ck_assert_msg(got == round_trips[i].value, "MSR 0x%x: 0x%lx", round_trips[i].index, got);
		ck_assert_uint_eq(rip(), before + 4);
	}
}
END_TEST

/* Each vCPU has its own copy: another partition never reads it. */
START_TEST(a_guests_msr_values_are_not_another_partitions)
{
	struct vm *other;
	uint64_t got;

	ck_assert(wrmsr_(MSR_IA32_LSTAR, 0xffffffff81234000UL));
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vcpu_create(other, 0, &(struct sv_vcpu_regs){ .rip = RIP0 }), 0);
	v = &other->vcpus[0];
	ck_assert(rdmsr_(MSR_IA32_LSTAR, &got));
	ck_assert_uint_eq(got, 0);
}
END_TEST

START_TEST(efer_svme_is_hidden_and_cannot_be_written)
{
	uint64_t efer, before;

	ck_assert(rdmsr_(MSR_IA32_EFER, &efer));
	ck_assert_uint_eq(efer, EFER_LME_BIT | EFER_LMA_BIT | EFER_NXE_BIT);   /* fake holds SVME */
	before = rip();
	ck_assert(wrmsr_(MSR_IA32_EFER, efer | EFER_SVME_BIT));
	assert_gp(before);
	ck_assert(wrmsr_(MSR_IA32_EFER, efer & ~EFER_LME_BIT));                /* leave long mode */
	assert_gp(before);
	ck_assert(wrmsr_(MSR_IA32_EFER, efer | (1UL << 14)));                 /* reserved */
	assert_gp(before);
	/* SCE on, NXE off: allowed; LMA is the CPU's whatever was written. */
	ck_assert(wrmsr_(MSR_IA32_EFER, EFER_LME_BIT | EFER_SCE_BIT));
	ck_assert_uint_eq(fake_last_exception.vector, NO_EXC);
	ck_assert(rdmsr_(MSR_IA32_EFER, &efer));
	ck_assert_uint_eq(efer, EFER_LME_BIT | EFER_LMA_BIT | EFER_SCE_BIT);
}
END_TEST

/* EFER.LME follows the mode-switch rules (hv/cr_policy.c): it moves only
 * with paging off, which the backend's CR0 says. */
START_TEST(efer_lme_moves_only_with_paging_off)
{
	uint64_t efer, before = rip();

	fake_cr0 = 0x80000033;                       /* 32-bit paging */
	ck_assert(wrmsr_(MSR_IA32_EFER, 0));             /* (fake: LME LMA set) */
	assert_gp(before);
	fake_cr0 = 0x33;                                 /* paging off */
	ck_assert(wrmsr_(MSR_IA32_EFER, EFER_NXE_BIT));
	ck_assert_uint_eq(fake_last_exception.vector, NO_EXC);
	ck_assert(rdmsr_(MSR_IA32_EFER, &efer));
	ck_assert_uint_eq(efer, EFER_NXE_BIT | EFER_LMA_BIT);   /* LMA is the CPU's */
	ck_assert(wrmsr_(MSR_IA32_EFER, EFER_LME_BIT));
	ck_assert(rdmsr_(MSR_IA32_EFER, &efer));
	ck_assert_uint_eq(efer, EFER_LME_BIT | EFER_LMA_BIT);
	fake_cr0 = 0x80050033;
}
END_TEST

START_TEST(bad_values_of_allowed_msrs_are_gp_and_change_nothing)
{
	static const struct { uint32_t index; uint64_t value; } bad[] = {
		{ MSR_IA32_LSTAR, 0x0000800000000000UL }, { MSR_IA32_FS_BASE, 0x8000000000000000UL },
		{ MSR_IA32_KERNEL_GS_BASE, 0x00ff000000000000UL }, { MSR_IA32_TSC_AUX, 1UL << 32 },
		{ MSR_IA32_SFMASK, 1UL << 40 }, { MSR_IA32_PAT, 0x0000000000000002UL },
		{ MSR_IA32_PAT, 0x0800000000000000UL },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t before = rip(), got;
		ck_assert(wrmsr_(bad[i].index, bad[i].value));
		assert_gp(before);
		ck_assert(rdmsr_(bad[i].index, &got));
		ck_assert_msg(got == 0, "MSR 0x%x changed to 0x%lx", bad[i].index, got);
	}
}
END_TEST

/* An allowed MSR this CPU does not have (the fake has no SPEC_CTRL). */
START_TEST(an_allowed_msr_the_cpu_lacks_is_gp)
{
	uint64_t got, before = rip();

	ck_assert(msr_allowed(MSR_IA32_SPEC_CTRL));
	ck_assert(rdmsr_(MSR_IA32_SPEC_CTRL, &got));
	assert_gp(before);
	ck_assert(wrmsr_(MSR_IA32_SPEC_CTRL, 1));
	assert_gp(before);
}
END_TEST

/* The host writes the guest's SPEC_CTRL before each entry: a bit this
 * CPU does not enumerate (STIBP, SSBD on a CPU with IBRS only) must be
 * the guest's #GP, not the hypervisor's at its next entry. */
START_TEST(spec_ctrl_bits_the_cpu_lacks_are_gp)
{
	uint64_t got, before = rip();

	fake_has_spec_ctrl = true;
	msr_spec_ctrl_bits = 1;                     /* IBRS only */
	ck_assert(wrmsr_(MSR_IA32_SPEC_CTRL, 1));
	ck_assert_uint_eq(fake_last_exception.vector, NO_EXC);
	before = rip();
	ck_assert(wrmsr_(MSR_IA32_SPEC_CTRL, 2));  /* STIBP */
	assert_gp(before);
	ck_assert(wrmsr_(MSR_IA32_SPEC_CTRL, 5));  /* IBRS | SSBD */
	assert_gp(before);
	ck_assert(rdmsr_(MSR_IA32_SPEC_CTRL, &got));
	ck_assert_uint_eq(got, 1);
	msr_spec_ctrl_bits = 7;                     /* IBRS STIBP SSBD */
	ck_assert(wrmsr_(MSR_IA32_SPEC_CTRL, 6));
	ck_assert_uint_eq(fake_last_exception.vector, NO_EXC);
	before = rip();
	ck_assert(wrmsr_(MSR_IA32_SPEC_CTRL, 8));  /* PSFD and up: never */
	assert_gp(before);
	fake_has_spec_ctrl = false;
	msr_spec_ctrl_bits = 0;
}
END_TEST

START_TEST(other_msrs_are_gp_under_the_default_policy)
{
	static const uint32_t refused[] = { 0x10 /* TSC */, 0x1a0,
					    0xc0010114 /* VM_CR */, 0xc0010117 /* HSAVE */, 0x3a };
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		uint64_t got, before = rip();
		ck_assert(!msr_allowed(refused[i]));
		ck_assert(rdmsr_(refused[i], &got));
		assert_gp(before);
		ck_assert(wrmsr_(refused[i], 0));
		assert_gp(before);
	}
	ck_assert_uint_eq(msr_policy_word(vm), SV_MSR_POLICY_GP);
}
END_TEST

START_TEST(the_policy_is_set_before_finalize_only)
{
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_SET_MSR_POLICY, vm->id, 2, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_SET_MSR_POLICY, vm->id, 1UL << 32, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_SET_MSR_POLICY, 0, 1, 0, 0, 0), -ENOENT);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_SET_MSR_POLICY, vm->id + (1UL << 32), 1, 0, 0, 0),
			 -ENOENT);
	ck_assert_int_eq(unit_hc(vm, SV_HC_VM_SET_MSR_POLICY, vm->id, 1, 0, 0, 0), -EPERM);
	ck_assert_uint_eq(msr_policy_word(vm), SV_MSR_POLICY_GP);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_SET_MSR_POLICY, vm->id, SV_MSR_POLICY_EXIT, 0, 0, 0), 0);
	ck_assert_uint_eq(msr_policy_word(vm), SV_MSR_POLICY_EXIT);
	ck_assert_int_eq(vm_finalize(vm), 0);
	ck_assert_int_eq(unit_hc(control, SV_HC_VM_SET_MSR_POLICY, vm->id, SV_MSR_POLICY_GP, 0, 0, 0),
			 -EPERM);
	ck_assert_uint_eq(msr_policy_word(vm), SV_MSR_POLICY_EXIT);
}
END_TEST

static void exit_msr(bool write)
{
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_MSR, .write = write };
}

START_TEST(under_the_exit_policy_the_vmm_answers_other_msrs)
{
	struct sv_run run = { 0 };

	ck_assert_int_eq(msr_set_policy(vm, SV_MSR_POLICY_EXIT), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	/* A read: the VMM sees the index, fills the value; RIP moves on then. */
	v->regs.rcx = 0x1234;
	exit_msr(false);
	ck_assert_int_eq(vcpu_run_for_vmm(v, &run), 0);
	ck_assert_uint_eq(run.exit_reason, SV_EXIT_MSR);
	ck_assert_uint_eq(run.msr.index, 0x1234);
	ck_assert_uint_eq(run.msr.is_write, 0);
	ck_assert_uint_eq(rip(), RIP0);
	run.msr.value = 0x1122334455667788UL;
	exit_msr(true);      /* then a write of EDX:EAX, just as the read left them */
	ck_assert_int_eq(vcpu_run_for_vmm(v, &run), 0);
	ck_assert_uint_eq(v->regs.rdx, 0x11223344);
	ck_assert_uint_eq(rip(), RIP0 + 2);
	ck_assert_uint_eq(run.exit_reason, SV_EXIT_MSR);
	ck_assert_uint_eq(run.msr.is_write, 1);
	ck_assert_uint_eq(run.msr.value, 0x1122334455667788UL);
	/* The VMM refuses it: #GP at the WRMSR. */
	run.msr.error = 1;
	fake_last_exception.vector = NO_EXC;
	ck_assert_int_eq(vcpu_run_for_vmm(v, &run), 0);   /* then shutdown: no more exits */
	ck_assert_uint_eq(fake_last_exception.vector, X86_EXC_GP);
	ck_assert_uint_eq(rip(), RIP0 + 2);
	/* Allowed MSRs and a guest's x2APIC MSRs (its virtual APIC's)
	 * never reach the VMM; nor does APIC_BASE (the APIC's mode). */
	v->regs.rcx = MSR_IA32_LSTAR;
	ck_assert(msr_emulate(v, false));
	v->regs.rcx = 0x802;
	ck_assert(msr_emulate(v, false));
	v->regs.rcx = MSR_IA32_APIC_BASE;
	ck_assert(msr_emulate(v, false));
}
END_TEST

/* The read answer lands in EAX/EDX zero-extended, like a real RDMSR. */
START_TEST(a_read_answer_from_the_vmm_fills_eax_and_edx)
{
	struct sv_run run = { 0 };

	ck_assert_int_eq(msr_set_policy(vm, SV_MSR_POLICY_EXIT), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	v->regs.rcx = 0x1234;
	exit_msr(false);
	ck_assert_int_eq(vcpu_run_for_vmm(v, &run), 0);
	run.msr.value = 0xaabbccdd11223344UL;
	v->regs.rax = ~0UL;
	ck_assert_int_eq(vcpu_run_for_vmm(v, &run), 0);
	ck_assert_uint_eq(v->regs.rax, 0x11223344);
	ck_assert_uint_eq(v->regs.rdx, 0xaabbccdd);
}
END_TEST

/* The control partition has no VMM: always #GP for what is not allowed. */
START_TEST(the_control_partition_gets_gp_for_other_msrs)
{
	vm->msr_policy = SV_MSR_POLICY_EXIT;     /* a guest's policy is not the control's */
	v = &control->vcpus[0];
	ck_assert_int_eq(vcpu_create(control, 0, &(struct sv_vcpu_regs){ .rip = RIP0 }), 0);
	control->msr_policy = SV_MSR_POLICY_EXIT; /* even if something set it */
	uint64_t got;
	ck_assert(rdmsr_(0x1234, &got));
	assert_gp(RIP0);
}
END_TEST

START_TEST(the_intercept_table_covers_every_kind)
{
	static const enum insn_action want[INSN_COUNT] = {
		[INSN_INVD] = INSN_ACT_SKIP, [INSN_WBINVD] = INSN_ACT_SKIP,
		[INSN_MONITOR] = INSN_ACT_UD, [INSN_MWAIT] = INSN_ACT_UD, [INSN_RDPMC] = INSN_ACT_GP,
		[INSN_SVM] = INSN_ACT_UD, [INSN_VMX] = INSN_ACT_UD,
	};
	for (unsigned i = 0; i < INSN_COUNT; i++) {
		const struct insn_policy *p = insn_policy(i);
		ck_assert_msg(p, "kind %u has no policy", i);
		ck_assert_int_eq(p->action, want[i]);
	}
	ck_assert_ptr_null(insn_policy(INSN_COUNT));
}
END_TEST

/* Through the run loop: the guest gets the exception or moves on, its
 * VMM never hears of it, and the vCPU runs on. */
START_TEST(intercepted_instructions_fault_or_are_skipped_in_the_guest)
{
	static const struct { enum vm_insn insn; uint8_t vector; unsigned skipped; } cases[] = {
		{ INSN_INVD, NO_EXC, 2 }, { INSN_WBINVD, NO_EXC, 2 }, { INSN_MONITOR, X86_EXC_UD, 0 },
		{ INSN_MWAIT, X86_EXC_UD, 0 }, { INSN_RDPMC, X86_EXC_GP, 0 },
		{ INSN_SVM, X86_EXC_UD, 0 }, { INSN_VMX, X86_EXC_UD, 0 },
	};
	struct sv_run run = { 0 };

	ck_assert_int_eq(vm_finalize(vm), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t before = rip();
		fake_reset();
		fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_INSN, .insn = cases[i].insn };
		fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_HLT };
		ck_assert_int_eq(vcpu_run_for_vmm(v, &run), 0);
		ck_assert_uint_eq(run.exit_reason, SV_EXIT_HLT);    /* it ran on to its HLT */
		ck_assert_uint_eq(fake_last_exception.vector, cases[i].vector);
		if (cases[i].vector != NO_EXC)
			ck_assert(fake_last_exception.has_error == (cases[i].vector == X86_EXC_GP));
		ck_assert_uint_eq(rip(), before + cases[i].skipped + 1);   /* + the HLT */
	}
}
END_TEST

Suite *msr_suite(void)
{
	Suite *s = suite_create("msr");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_allowed_msr_round_trips_and_moves_rip_past_the_instruction);
	tcase_add_test(tc, a_guests_msr_values_are_not_another_partitions);
	tcase_add_test(tc, efer_svme_is_hidden_and_cannot_be_written);
	tcase_add_test(tc, efer_lme_moves_only_with_paging_off);
	tcase_add_test(tc, bad_values_of_allowed_msrs_are_gp_and_change_nothing);
	tcase_add_test(tc, an_allowed_msr_the_cpu_lacks_is_gp);
	tcase_add_test(tc, spec_ctrl_bits_the_cpu_lacks_are_gp);
	tcase_add_test(tc, other_msrs_are_gp_under_the_default_policy);
	tcase_add_test(tc, the_policy_is_set_before_finalize_only);
	tcase_add_test(tc, under_the_exit_policy_the_vmm_answers_other_msrs);
	tcase_add_test(tc, a_read_answer_from_the_vmm_fills_eax_and_edx);
	tcase_add_test(tc, the_control_partition_gets_gp_for_other_msrs);
	tcase_add_test(tc, the_intercept_table_covers_every_kind);
	tcase_add_test(tc, intercepted_instructions_fault_or_are_skipped_in_the_guest);
	suite_add_tcase(s, tc);
	return s;
}
