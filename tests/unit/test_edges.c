/* Issue 10's edges that have a host-testable core: errno names. */
#include <sealvisor/errno.h>
#include <sealvisor/hypercall.h>
#include "hv/run.h"
#include "hv/virt.h"
#include <time.h>
#include "hv/clock.h"
#include "hv/shutdown.h"
#include "hv/vm.h"
#include "hv/watchdog.h"
#include "lib/errno_name.h"
#include "lib/ratelimit.h"
#include "tests/unit/unit.h"

START_TEST(errno_names_come_from_one_table)
{
	ck_assert_str_eq(errno_name(-ENOMEM), "ENOMEM");
	ck_assert_str_eq(errno_name(ENOMEM), "ENOMEM");
	ck_assert_str_eq(errno_name(-EPERM), "EPERM");
	ck_assert_str_eq(errno_name(-EOPNOTSUPP), "EOPNOTSUPP");
	ck_assert_str_eq(errno_name(-ENOTSUPP), "ENOTSUPP");
	ck_assert_str_eq(errno_name(0), "ok");
	/* Not in the table: never a wrong name, never "ok". */
	ck_assert_str_eq(errno_name(-3), "E?");
	ck_assert_str_eq(errno_name(-100000), "E?");
	ck_assert_str_eq(errno_name(INT64_MIN), "E?");
}
END_TEST

static struct guest_regs cpuid_of(uint32_t leaf)
{
	struct guest_regs r = { .rax = leaf };

	cpuid_emulate(NULL, &r);
	return r;
}

START_TEST(cpuid_reports_the_abi_version)
{
	struct guest_regs r = cpuid_of(SV_CPUID_LEAF);

	ck_assert_uint_eq(r.rax, SV_CPUID_ABI_LEAF);
	ck_assert_uint_eq(r.rbx, SV_CPUID_SIG_EBX);
	r = cpuid_of(SV_CPUID_ABI_LEAF);
	ck_assert_uint_eq(r.rax, SV_ABI_VERSION);
	ck_assert_uint_eq(r.rbx | r.rcx | r.rdx, 0);
	ck_assert_uint_eq(cpuid_of(SV_CPUID_ABI_LEAF + 1).rax, 0);
}
END_TEST

START_TEST(abi_check_takes_the_same_major_and_a_minor_at_least_ours)
{
	ck_assert(sv_abi_compatible(SV_ABI_VERSION));
	ck_assert(sv_abi_compatible(SV_ABI_VERSION + 1));             /* newer minor */
	ck_assert(!sv_abi_compatible(SV_ABI_VERSION + 0x10000));      /* next major */
	ck_assert(!sv_abi_compatible(SV_ABI_VERSION - 0x10000));      /* older major */
	ck_assert(!sv_abi_compatible(0));                             /* no version leaf */
}
END_TEST

START_TEST(ratelimit_gives_a_burst_per_window_then_counts_what_it_held_back)
{
	struct ratelimit rl = { 0 };
	uint64_t report;
	unsigned allowed = 0;

	for (int i = 0; i < 25; i++)
		allowed += ratelimit_allow(&rl, 1000 + i, 1000, 20, &report);
	ck_assert_uint_eq(allowed, 20);
	ck_assert_uint_eq(report, 0);
	/* Still the same window (starts at 1000, lasts 1000). */
	ck_assert(!ratelimit_allow(&rl, 1999, 1000, 20, &report));
	ck_assert_uint_eq(report, 0);
	/* The next window opens: the 6 held back are reported once. */
	ck_assert(ratelimit_allow(&rl, 2000, 1000, 20, &report));
	ck_assert_uint_eq(report, 6);
	ck_assert(ratelimit_allow(&rl, 3500, 1000, 20, &report));
	ck_assert_uint_eq(report, 0);
}
END_TEST

static struct vm wd_control = { .is_control = true }, wd_guest = { .id = 1 };
static struct vcpu wd_vcpu = { .vm = &wd_control };

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* clock_init(1000000): a million TSC ticks make a "millisecond", so the
 * 1 s watchdog is 10^9 ticks, a few tenths of a second of real time: long
 * against one loop step even under ThreadSanitizer or a descheduling,
 * short enough for the tests that wait for it to fire. */
START_TEST(control_hypercalls_keep_the_watchdog_quiet)
{
	clock_init(1000000);
	watchdog_init(1);
	for (double end = now_s() + 0.05; now_s() < end;) {
		watchdog_progress(&wd_control);
		watchdog_before_entry(&wd_vcpu);
	}
}
END_TEST

/* Exits with 100 + SV_EXIT_WATCHDOG (fake arch_shutdown). */
START_TEST(a_partition_without_hypercalls_is_stopped)
{
	clock_init(1000000);
	watchdog_init(1);
	for (;;)
		watchdog_before_entry(&wd_vcpu);
}
END_TEST

START_TEST(guest_hypercalls_are_not_control_progress)
{
	clock_init(1000000);
	watchdog_init(1);
	for (;;) {
		watchdog_progress(&wd_guest);
		watchdog_before_entry(&wd_vcpu);
	}
}
END_TEST

START_TEST(watchdog_off_never_stops)
{
	clock_init(1000000);
	watchdog_init(0);
	for (double end = now_s() + 0.05; now_s() < end;)
		watchdog_before_entry(&wd_vcpu);
}
END_TEST

Suite *edges_suite(void)
{
	Suite *s = suite_create("edges");
	TCase *tc = tcase_create("edges");

	tcase_add_test(tc, errno_names_come_from_one_table);
	tcase_add_test(tc, cpuid_reports_the_abi_version);
	tcase_add_test(tc, abi_check_takes_the_same_major_and_a_minor_at_least_ours);
	tcase_add_test(tc, ratelimit_gives_a_burst_per_window_then_counts_what_it_held_back);
	tcase_add_test(tc, control_hypercalls_keep_the_watchdog_quiet);
	tcase_add_exit_test(tc, a_partition_without_hypercalls_is_stopped, 100 + SV_EXIT_WATCHDOG);
	tcase_add_exit_test(tc, guest_hypercalls_are_not_control_progress, 100 + SV_EXIT_WATCHDOG);
	tcase_add_test(tc, watchdog_off_never_stops);
	suite_add_tcase(s, tc);
	return s;
}
