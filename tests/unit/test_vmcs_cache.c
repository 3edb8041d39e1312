/*
 * The VMX backend's VMCS bookkeeping (arch/x86/vmx/vmcs_cache.c,
 * docs/ARCHITECTURE.md invariant 34) against a model of the SDM's rules:
 * each fake CPU has a set of active VMCSs and a current one; VMPTRLD or
 * VMCLEAR of a VMCS active on another CPU is a violation, an entry needs
 * the VMCS current, this CPU's host state in it, and VMLAUNCH exactly when
 * its launch state is clear. The NMI that asks another CPU to VMCLEAR is
 * taken at once (the test switches to that CPU and back).
 */
#include <string.h>
#include <sealvisor/errno.h>
#include "arch/x86/vmx/vmcs_cache.h"
#include "hv/arch.h"
#include "hv/vm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define NCPU 3
#define NVMCS 4

static struct {
	uint64_t current;
	bool active[NVMCS];
	unsigned loads, clears, host_writes;
} cpu[NCPU];
static int host_of[NVMCS];          /* whose host state each VMCS holds, or -1 */
static bool launch_state[NVMCS];
static unsigned violations, nmis, launches, resumes;

static struct vcpu vcpus[NVMCS];
static struct vmx_vcpu arch[NVMCS];

static unsigned idx(uint64_t pa)
{
	ck_assert(pa >= 0x1000 && pa <= NVMCS * 0x1000UL);
	return (unsigned)(pa / 0x1000 - 1);
}

static int active_on(unsigned i)
{
	for (int c = 0; c < NCPU; c++)
		if (cpu[c].active[i])
			return c;
	return -1;
}

void vmcs_hw_clear(uint64_t pa)
{
	unsigned c = arch_cpu_id(), i = idx(pa);
	int a = active_on(i);

	violations += a >= 0 && a != (int)c;
	cpu[c].active[i] = false;
	if (cpu[c].current == pa)
		cpu[c].current = 0;
	launch_state[i] = false;
	cpu[c].clears++;
}

void vmcs_hw_load(uint64_t pa)
{
	unsigned c = arch_cpu_id(), i = idx(pa);
	int a = active_on(i);

	violations += a >= 0 && a != (int)c;
	cpu[c].active[i] = true;
	cpu[c].current = pa;
	cpu[c].loads++;
}

void vmcs_write_host_state(void)
{
	unsigned c = arch_cpu_id();

	ck_assert(cpu[c].current);
	host_of[idx(cpu[c].current)] = (int)c;
	cpu[c].host_writes++;
}

static unsigned nmis_to_lose;     /* the next sends the APIC "never delivers" */

int vmcs_hw_send_nmi(unsigned target)
{
	unsigned self = arch_cpu_id();

	nmis++;
	if (nmis_to_lose) {
		nmis_to_lose--;
		return -EIO;
	}
	fake_set_cpu(target);
	vmcs_serve_clear();
	fake_set_cpu(self);
	return 0;
}

/* vmx_vcpu_run's part: load, then VMLAUNCH or VMRESUME as the model allows. */
static void enter(unsigned c, unsigned i)
{
	struct vcpu *v = &vcpus[i];
	struct vmx_vcpu *x = v->arch;

	fake_set_cpu(c);
	vmx_load(v);
	violations += cpu[c].current != v->arch_pa;
	violations += host_of[i] != (int)c;
	violations += x->launched != launch_state[i];   /* VMRESUME needs launched, VMLAUNCH clear */
	if (x->launched)
		resumes++;
	else
		launches++;
	launch_state[i] = true;
	x->launched = true;
}

static void setup(void)
{
	memset(cpu, 0, sizeof(cpu));
	memset(vcpus, 0, sizeof(vcpus));
	violations = nmis = launches = resumes = nmis_to_lose = 0;
	for (unsigned i = 0; i < NVMCS; i++) {
		host_of[i] = -1;
		launch_state[i] = false;
		arch[i] = (struct vmx_vcpu){ .cpu = -1 };
		vcpus[i].arch = &arch[i];
		vcpus[i].arch_pa = 0x1000UL * (i + 1);
	}
}

static void teardown(void)
{
	for (unsigned i = 0; i < NVMCS; i++)
		vmcs_evict(&vcpus[i]);   /* no stale vmcs_current for the next test */
	fake_set_cpu(0);
}

/* The control vCPU (0) and a guest vCPU (1) alternate on CPU 0 as
 * VCPU_RUN does: a VMPTRLD each switch, host state once each, VMLAUNCH
 * once each, never a VMCLEAR. */
START_TEST(a_vcpu_that_stays_on_its_cpu_is_launched_and_given_host_state_once)
{
	for (int round = 0; round < 5; round++) {
		enter(0, 0);
		enter(0, 1);
		enter(0, 1);   /* still current: no VMPTRLD */
	}
	ck_assert_uint_eq(violations, 0);
	ck_assert_uint_eq(cpu[0].loads, 10);
	ck_assert_uint_eq(cpu[0].host_writes, 2);
	ck_assert_uint_eq(cpu[0].clears, 0);
	ck_assert_uint_eq(launches, 2);
	ck_assert_uint_eq(resumes, 13);
	ck_assert_uint_eq(nmis, 0);
}
END_TEST

/* CPU 1 runs the guest vCPU that CPU 0 ran, and back: each time the old
 * CPU VMCLEARs it (asked by NMI) before the new one loads it, which
 * writes its own host state and VMLAUNCHes. */
START_TEST(a_vcpu_moving_to_another_cpu_is_vmcleared_on_the_old_one_first)
{
	enter(0, 0);
	enter(0, 1);
	enter(0, 0);   /* CPU 0 goes on with another VMCS current */
	enter(1, 1);
	ck_assert_uint_eq(violations, 0);
	ck_assert_uint_eq(nmis, 1);
	ck_assert_uint_eq(cpu[0].clears, 1);
	ck_assert_int_eq(host_of[1], 1);
	ck_assert_uint_eq(launches, 3);
	ck_assert_int_eq(arch[1].cpu, 1);
	ck_assert_uint_eq(cpu[0].current, vcpus[0].arch_pa);   /* its current VMCS untouched */
	enter(0, 0);   /* still current on CPU 0: nothing to load */
	ck_assert_uint_eq(cpu[0].loads, 3);
	enter(0, 1);   /* and back */
	enter(2, 1);
	ck_assert_uint_eq(violations, 0);
	ck_assert_uint_eq(nmis, 3);
	ck_assert_uint_eq(launches, 5);
	ck_assert_int_eq(host_of[1], 2);
}
END_TEST

/* A move away from the VMCS current on the old CPU leaves that CPU with
 * none: its next load of the same vCPU is a VMPTRLD with host state. */
START_TEST(a_vmcs_cleared_while_current_is_loaded_again_with_host_state)
{
	enter(1, 2);
	enter(0, 2);
	ck_assert_uint_eq(cpu[1].current, 0);
	unsigned loads = cpu[1].loads, writes = cpu[1].host_writes;
	enter(1, 2);
	ck_assert_uint_eq(cpu[1].loads, loads + 1);
	ck_assert_uint_eq(cpu[1].host_writes, writes + 1);
	ck_assert_uint_eq(violations, 0);
}
END_TEST

/* Destroy (from any CPU) leaves the VMCS active nowhere, and no CPU
 * thinks it still current (the struct vcpu is reused by the next vCPU in
 * that slot). */
START_TEST(an_evicted_vmcs_is_active_nowhere)
{
	enter(1, 3);
	fake_set_cpu(0);
	vmcs_evict(&vcpus[3]);
	ck_assert_int_eq(active_on(3), -1);
	ck_assert_int_eq(arch[3].cpu, -1);
	ck_assert(!arch[3].launched);
	ck_assert_uint_eq(nmis, 1);
	arch[3] = (struct vmx_vcpu){ .cpu = -1 };   /* the next vCPU in the slot */
	enter(1, 3);
	ck_assert_uint_eq(cpu[1].loads, 2);
	ck_assert_uint_eq(launches, 2);
	fake_set_cpu(1);
	vmcs_evict(&vcpus[3]);   /* on the holder itself: no NMI */
	ck_assert_uint_eq(nmis, 1);
	ck_assert_int_eq(active_on(3), -1);
	ck_assert_uint_eq(violations, 0);
	ck_assert_uint_eq(vmcs_bad_clear_requests, 0);
}
END_TEST

/* An NMI the APIC never delivers (send fails) is sent again while the
 * requester waits: the move completes instead of spinning for ever. */
START_TEST(a_lost_vmclear_nmi_is_sent_again)
{
	enter(0, 1);
	nmis_to_lose = 2;
	enter(1, 1);
	ck_assert_uint_eq(nmis, 3);
	ck_assert_int_eq(active_on(1), 1);
	ck_assert_uint_eq(cpu[0].clears, 1);
	ck_assert_uint_eq(violations, 0);
}
END_TEST

Suite *vmcs_cache_suite(void)
{
	Suite *s = suite_create("vmcs_cache");
	TCase *tc = tcase_create("SDM rules");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_vcpu_that_stays_on_its_cpu_is_launched_and_given_host_state_once);
	tcase_add_test(tc, a_vcpu_moving_to_another_cpu_is_vmcleared_on_the_old_one_first);
	tcase_add_test(tc, a_vmcs_cleared_while_current_is_loaded_again_with_host_state);
	tcase_add_test(tc, an_evicted_vmcs_is_active_nowhere);
	tcase_add_test(tc, a_lost_vmclear_nmi_is_sent_again);
	suite_add_tcase(s, tc);
	return s;
}
