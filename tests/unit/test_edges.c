/* Issue 10's edges that have a host-testable core: errno names. */
#include <sealvisor/errno.h>
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

Suite *edges_suite(void)
{
	Suite *s = suite_create("edges");
	TCase *tc = tcase_create("edges");

	tcase_add_test(tc, errno_names_come_from_one_table);
	suite_add_tcase(s, tc);
	return s;
}
