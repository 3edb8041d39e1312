/* Issue 10's edges that have a host-testable core: errno names. */
#include <sealvisor/errno.h>
#include <sealvisor/hypercall.h>
#include "hv/run.h"
#include "hv/virt.h"
#include "lib/errno_name.h"
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

	cpuid_emulate(&r);
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

Suite *edges_suite(void)
{
	Suite *s = suite_create("edges");
	TCase *tc = tcase_create("edges");

	tcase_add_test(tc, errno_names_come_from_one_table);
	tcase_add_test(tc, cpuid_reports_the_abi_version);
	tcase_add_test(tc, abi_check_takes_the_same_major_and_a_minor_at_least_ours);
	suite_add_tcase(s, tc);
	return s;
}
