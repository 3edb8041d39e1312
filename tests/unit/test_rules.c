/*
 * Rules whose breaking no boot test would notice (the emulators flush
 * TLBs on every world switch, every region in the demo is bound at object
 * offset 0, ...), each checked where it is kept: region offsets in the
 * zap, the shootdown for the control partition's own mappings, the rights
 * of guests for every hypercall number, the audit after each hypercall,
 * read-only mappings, the publish-then-read order of vcpu_enter, and each
 * backend's flush on entry.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sealvisor/errno.h>
#include "arch/x86/svm/svm_tlb.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/vmx/vmx_tlb.h"
#include "hv/hypercall.h"
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "mm/pmm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)
#define MAP_GPA (64 * MB)

static uint64_t free0;

static void setup(void)
{
	unit_machine(64 * MB);
	free0 = pmm_free_pages();
}

static void teardown(void)
{
	vcpu_enter_race_hook = NULL;
	hypercall_audit = false;
	hypercall_audit_every = 0;
	for (unsigned i = 0; i < SV_MAX_VMS; i++)
		if (vms[i].in_use)
			vm_destroy(&vms[i]);
	ck_assert_uint_eq(memobj_nr_objects(), 0);
	ck_assert_uint_eq(pmm_free_pages(), free0);
	arena_unmap();
}

static struct memobj *object(uint64_t size, unsigned seals)
{
	struct memobj *o;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o), 0);
	ck_assert_int_eq(memobj_add_seals(o, seals), 0);
	ck_assert_int_eq(memobj_set_size(o, size), 0);
	return o;
}

static bool mapped(struct vm *vm, uint64_t gpa)
{
	uint64_t hpa;
	unsigned level;
	return stage2_lookup(&vm->s2, gpa, &hpa, &level);
}

/* A region bound at object offset 4 MiB: punching object page 4 MiB + 3
 * pages must unmap gpa + 3 pages, and nothing else. */
START_TEST(the_zap_of_a_punch_honours_the_region_object_offset)
{
	struct memobj *g = object(8 * MB, MEMOBJ_SEAL_GUEST);
	struct vm *vm;

	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 1 * MB, 2 * MB, g, 4 * MB), 0);
	fake_launch(vm);
	for (uint64_t p = 0; p < 8; p++)
		ck_assert_int_eq(vm_handle_fault(vm, 1 * MB + p * PAGE_SIZE), 0);
	ck_assert_int_eq(memobj_fallocate(g, PUNCH, 4 * MB + 3 * PAGE_SIZE, PAGE_SIZE), 0);
	for (uint64_t p = 0; p < 8; p++)
		ck_assert_msg(mapped(vm, 1 * MB + p * PAGE_SIZE) == (p != 3), "page %lu", p);
	/* Object pages outside the region are no business of this VM's. */
	ck_assert_int_eq(memobj_fallocate(g, PUNCH, 0, PAGE_SIZE), 0);
	ck_assert(mapped(vm, 1 * MB));
	ck_assert_int_eq(vm_audit(), 0);
	memobj_close(g);
}
END_TEST

/* CPU 1 runs the control partition until it is kicked. */
static bool cpu1_inside, cpu1_stop;

static void *control_on_cpu1(void *arg)
{
	struct vcpu *v = arg;

	fake_set_cpu(1);
	vcpu_enter(v);
	__atomic_store_n(&cpu1_inside, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&fake_kicked[1], __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&cpu1_stop, __ATOMIC_ACQUIRE))
		;
	vcpu_exited(v);
	return NULL;
}

START_TEST(a_punch_of_a_control_mapping_shoots_down_the_other_cpus)
{
	struct memobj *o = object(2 * PAGE_SIZE, 0);
	struct vm *control;
	pthread_t t;

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vcpu_create(control, 1, &(struct sv_vcpu_regs){ 0 }), 0);
	ck_assert_int_eq(vm_map_object(control, o, 0, MAP_GPA, 2 * PAGE_SIZE, true), 0);
	ck_assert_int_eq(vm_map_fault(control, MAP_GPA, true), 0);
	cpu1_inside = cpu1_stop = false;
	pthread_create(&t, NULL, control_on_cpu1, &control->vcpus[1]);
	while (!__atomic_load_n(&cpu1_inside, __ATOMIC_ACQUIRE))
		;
	ck_assert_int_eq(memobj_fallocate(o, PUNCH, 0, PAGE_SIZE), 0);
	__atomic_store_n(&cpu1_stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	ck_assert_int_eq(fake_count(EV_KICK), 1);
	ck_assert(!mapped(control, MAP_GPA));
	/* MEMOBJ_UNMAP takes the same path. */
	ck_assert_int_eq(vm_map_fault(control, MAP_GPA + PAGE_SIZE, false), 0);
	fake_reset();
	cpu1_inside = cpu1_stop = false;
	pthread_create(&t, NULL, control_on_cpu1, &control->vcpus[1]);
	while (!__atomic_load_n(&cpu1_inside, __ATOMIC_ACQUIRE))
		;
	ck_assert_int_eq(vm_unmap_object(control, MAP_GPA), 0);
	__atomic_store_n(&cpu1_stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	ck_assert_int_eq(fake_count(EV_KICK), 1);
	memobj_close(o);
}
END_TEST

static bool any_partition(uint64_t nr)
{
	return nr == SV_HC_CONSOLE_WRITE || nr == SV_HC_STATS;
}

static bool defined(uint64_t nr)
{
	return (nr >= 1 && nr <= 3) || (nr >= SV_HC_MEMOBJ_CREATE && nr <= SV_HC_MEMOBJ_FALLOCATE) ||
	       (nr >= SV_HC_VM_CREATE && nr <= SV_HC_VM_SET_MSR_POLICY) || nr == SV_HC_VCPU_INTERRUPT ||
	       nr == SV_HC_VCPU_NMI || nr == SV_HC_VCPU_SET_MP_STATE || nr == SV_HC_VCPU_GET_MP_STATE ||
	       nr == SV_HC_VM_SET_MEMORY_ATTRIBUTES || nr == SV_HC_VM_SET_SHARED_MEMORY ||
	       /* a guest's own memory calls run on its vCPU (hv/run.c), never here */
	       nr == SV_HC_GUEST_ACCEPT || nr == SV_HC_GUEST_MAP_GPA || nr == SV_HC_GUEST_VE_INFO ||
	       nr == SV_HC_ATTEST_PUBLIC_KEY;
}

/* Every number a guest could try, with arguments that would succeed for
 * the control partition (SYSTEM_SHUTDOWN(0) would end this process). */
START_TEST(a_guest_gets_eperm_or_enosys_for_every_hypervisor_call)
{
	struct memobj *g = object(2 * MB, MEMOBJ_SEAL_GUEST);
	struct vm *control, *vm;

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, g, 0), 0);
	control->handles[0] = g;              /* handle 0 of the control partition */
	for (uint64_t nr = 0; nr < SV_HC_GUEST_BASE; nr++) {
		int64_t r = unit_hc(vm, nr, nr == SV_HC_VM_DESTROY ? vm->id : 0, 0, 0, 0, 0);
		if (any_partition(nr))
			ck_assert_msg(r == -EFAULT, "call %lu: %ld", nr, r);   /* no RAM of its own */
		else if (nr == SV_HC_GUEST_GET_REPORT)  /* a guest's own call: its (bad) length */
			ck_assert_msg(r == -ENOSPC, "call %lu: %ld", nr, r);
		else if (nr == SV_HC_GUEST_EXTEND)      /* RTMR 0 from its gpa 0: allowed */
			ck_assert_msg(r == 0, "call %lu: %ld", nr, r);
		else if (defined(nr))
			ck_assert_msg(r == -EPERM, "call %lu: %ld", nr, r);
		else
			ck_assert_msg(r == -ENOSYS, "call %lu: %ld", nr, r);
	}
	ck_assert(vm->in_use);
	ck_assert_uint_eq(vm->nr_regions, 1);
}
END_TEST

/* A translation to a page nobody owns, planted behind the hypervisor's
 * back: the audit after the next hypercall must stop the machine. */
START_TEST(the_audit_after_each_hypercall_stops_a_broken_invariant)
{
	struct vm *control, *vm;
	uint64_t free_page = pmm_alloc(0, OWNER_HV, 0);

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	pmm_free(free_page, 0);
	ck_assert_int_eq(stage2_map(&vm->s2, 0x5000, free_page, S2_LEVEL_4K, S2_RWX), 0);
	hypercall_audit = true;
	unit_hc(control, SV_HC_STATS, 0x1000, 0, 0, 0, 0);     /* panic() aborts */
}
END_TEST

/* debug.audit_every = 3: the audit runs after the third hypercall, not
 * the first two (a translation to an unowned page planted meanwhile goes
 * unnoticed by them), and the count says so. */
START_TEST(the_audit_every_nth_hypercall_runs_on_the_nth)
{
	struct vm *control, *vm;
	uint64_t free_page = pmm_alloc(0, OWNER_HV, 0);

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	hypercall_audit_every = 3;
	uint64_t before = hypercall_audits;
	pmm_free(free_page, 0);
	ck_assert_int_eq(stage2_map(&vm->s2, 0x5000, free_page, S2_LEVEL_4K, S2_RWX), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_ge(unit_hc(control, SV_HC_STATS, 0x1000, 0, 0, 0, 0), 0);
	ck_assert_uint_eq(hypercall_audits, before);
	stage2_zap(&vm->s2, 0x5000, 0x1000);
	ck_assert_int_ge(unit_hc(control, SV_HC_STATS, 0x1000, 0, 0, 0, 0), 0);
	ck_assert_uint_eq(hypercall_audits, before + 1);
}
END_TEST

#define FOUND 0x100

/* The rights of the leaf at MAP_GPA, read back through the entry format. */
static int prot_at_map_gpa(void *ctx, uint64_t gpa, uint64_t hpa, unsigned level, unsigned prot)
{
	(void)hpa, (void)level;
	if (gpa == MAP_GPA)
		*(uint64_t *)ctx = prot | FOUND;
	return 0;
}

START_TEST(a_read_only_mapping_installs_read_only_entries)
{
	struct memobj *o = object(2 * PAGE_SIZE, 0);
	struct vm *control;
	uint64_t hpa;
	unsigned level;

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_map_object(control, o, 0, MAP_GPA, 2 * PAGE_SIZE, false), 0);
	ck_assert_int_eq(vm_map_fault(control, MAP_GPA + 8, false), 0);
	ck_assert(stage2_lookup(&control->s2, MAP_GPA, &hpa, &level));
	uint64_t prot = 0;
	stage2_for_each(&control->s2, prot_at_map_gpa, &prot);
	ck_assert_uint_eq(prot, S2_READ | FOUND);
	ck_assert_int_eq(vm_map_fault(control, MAP_GPA + PAGE_SIZE, true), -EACCES);
	ck_assert(!mapped(control, MAP_GPA + PAGE_SIZE));
	memobj_close(o);
}
END_TEST

/* The shootdown's ordering argument (hv/shootdown.h) from the entering
 * side: a zap that lands after this CPU published in_guest but before it
 * read the generation must make it flush. The hook runs in that window on
 * the entering CPU while CPU 0 zaps. */
static struct memobj *race_obj;

static void *punch_on_cpu0(void *arg)
{
	(void)arg;
	fake_set_cpu(0);
	ck_assert_int_eq(memobj_fallocate(race_obj, PUNCH, 0, PAGE_SIZE), 0);
	return NULL;
}

static void zap_in_the_window(struct vcpu *v)
{
	uint64_t gen = __atomic_load_n(&v->vm->s2.generation, __ATOMIC_SEQ_CST);
	pthread_t t;

	vcpu_enter_race_hook = NULL;
	pthread_create(&t, NULL, punch_on_cpu0, NULL);
	while (__atomic_load_n(&v->vm->s2.generation, __ATOMIC_SEQ_CST) == gen)
		;
	pthread_detach(t);
}

START_TEST(an_entry_that_races_a_zap_either_flushes_or_is_waited_for)
{
	struct vm *vm;
	race_obj = object(2 * MB, MEMOBJ_SEAL_GUEST);

	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, race_obj, 0), 0);
	fake_launch(vm);
	ck_assert_int_eq(vm_handle_fault(vm, 0), 0);
	vm->vcpus[0].vm = vm;
	fake_set_cpu(1);
	vcpu_enter(&vm->vcpus[0]);             /* CPU 1 is up to date for the VM */
	vcpu_exited(&vm->vcpus[0]);
	vcpu_enter_race_hook = zap_in_the_window;
	bool flushed = vcpu_enter(&vm->vcpus[0]);
	vcpu_exited(&vm->vcpus[0]);            /* lets the shootdown finish */
	while (mapped(vm, 0) || memobj_nr_pages(race_obj))
		;
	ck_assert(flushed);
	memobj_close(race_obj);
}
END_TEST

/* SVM: the VMCB written before VMRUN carries the flush vcpu_enter asks
 * for, with the VM's ASID; ASIDs past the CPU's count share ASID 1. */
START_TEST(svm_entries_carry_the_flush_in_tlb_control)
{
	static uint8_t vmcb[4096];
	struct vm *control, *guest;

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&guest), 0);
	svm_assign_asid(control, 2);
	svm_assign_asid(guest, 2);
	ck_assert_uint_eq(control->asid, 1);
	ck_assert_uint_eq(guest->asid, 1);
	control->vcpus[0].vm = control;
	guest->vcpus[0].vm = guest;
	uint8_t want[][2] = {   /* vCPU (0 control, 1 guest), TLB_CONTROL */
		{ 0, TLB_CONTROL_FLUSH_ASID }, { 0, TLB_CONTROL_NONE }, { 1, TLB_CONTROL_FLUSH_ASID },
		{ 1, TLB_CONTROL_NONE }, { 0, TLB_CONTROL_FLUSH_ASID }, { 0, TLB_CONTROL_NONE },
	};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct vcpu *v = want[i][0] ? &guest->vcpus[0] : &control->vcpus[0];
		memset(vmcb, 0xee, sizeof(vmcb));
		svm_tlb_prepare(v, vmcb, true);
		vcpu_exited(v);
		ck_assert_msg(*vmcb8(vmcb, VMCB_TLB_CONTROL) == want[i][1], "entry %u", i);
		ck_assert_uint_eq(*vmcb32(vmcb, VMCB_ASID), 1);
	}
	svm_assign_asid(guest, 16);
	ck_assert_uint_eq(guest->asid, guest->id + 1);
	memset(vmcb, 0, sizeof(vmcb));
	svm_tlb_prepare(&guest->vcpus[0], vmcb, false);    /* no flush-by-ASID: all */
	vcpu_exited(&guest->vcpus[0]);
	ck_assert_uint_eq(*vmcb8(vmcb, VMCB_TLB_CONTROL), TLB_CONTROL_FLUSH_ALL);
}
END_TEST

/* VMX: an entry after a zap runs INVEPT single-context on the VM's EPTP. */
START_TEST(vmx_entries_after_a_zap_invept_the_vms_eptp)
{
	struct memobj *g = object(2 * MB, MEMOBJ_SEAL_GUEST);
	struct vm *vm;

	ck_assert_int_eq(vm_create_guest(&vm), 0);
	vmx_assign_vpid(vm, true);
	ck_assert_uint_eq(vm->asid, vm->id + 1);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, g, 0), 0);
	fake_launch(vm);
	ck_assert_int_eq(vm_handle_fault(vm, 0), 0);
	vm->vcpus[0].vm = vm;
	vmx_tlb_prepare(&vm->vcpus[0]);
	vcpu_exited(&vm->vcpus[0]);
	ck_assert_int_eq(fake_count(EV_INVEPT), 1);             /* first entry here */
	vmx_tlb_prepare(&vm->vcpus[0]);
	vcpu_exited(&vm->vcpus[0]);
	ck_assert_int_eq(fake_count(EV_INVEPT), 1);
	ck_assert_int_eq(memobj_fallocate(g, PUNCH, 0, PAGE_SIZE), 0);
	vmx_tlb_prepare(&vm->vcpus[0]);
	vcpu_exited(&vm->vcpus[0]);
	ck_assert_int_eq(fake_count(EV_INVEPT), 2);
	ck_assert_uint_eq(fake_last_invept, vm->s2.root | 0x1e);   /* 4 levels, WB */
	memobj_close(g);
}
END_TEST

Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("seen by tests");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, the_zap_of_a_punch_honours_the_region_object_offset);
	tcase_add_test(tc, a_punch_of_a_control_mapping_shoots_down_the_other_cpus);
	tcase_add_test(tc, a_guest_gets_eperm_or_enosys_for_every_hypervisor_call);
	tcase_add_test_raise_signal(tc, the_audit_after_each_hypercall_stops_a_broken_invariant,
				    SIGABRT);
	tcase_add_test(tc, the_audit_every_nth_hypercall_runs_on_the_nth);
	tcase_add_test(tc, a_read_only_mapping_installs_read_only_entries);
	tcase_add_test(tc, an_entry_that_races_a_zap_either_flushes_or_is_waited_for);
	tcase_add_test(tc, svm_entries_carry_the_flush_in_tlb_control);
	tcase_add_test(tc, vmx_entries_after_a_zap_invept_the_vms_eptp);
	suite_add_tcase(s, tc);
	return s;
}
