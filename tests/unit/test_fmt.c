/* sv_snprintf against the C library's snprintf, format by format. */
#include <stdio.h>
#include <string.h>
#include "lib/fmt.h"
#include "tests/unit/unit.h"

#define SAME(...)                                                           \
	do {                                                                \
		char a[128], b[128];                                        \
		int na = sv_snprintf(a, sizeof(a), __VA_ARGS__);            \
		int nb = snprintf(b, sizeof(b), __VA_ARGS__);               \
		ck_assert_str_eq(a, b);                                     \
		ck_assert_int_eq(na, nb);                                   \
	} while (0)

START_TEST(formats_match_libc)
{
	SAME("plain");
	SAME("%d %i %u", -42, 7, 3000000000u);
	SAME("%ld %lu %lx", -1L, ~0UL, 0xdeadbeefUL);
	SAME("%lld %llu", (long long)-9000000000, 18000000000ULL);
	SAME("%zu %zx", (size_t)123, (size_t)0xabc);
	SAME("%hhu %hd", 300, 70000);
	SAME("%x %X %08x %-6x|", 0xbeef, 0xbeef, 0x1f, 0xa);
	SAME("%5d|%-5d|%05d|%0d", 42, 42, -42, 0);
	SAME("%s|%10s|%-10s|%.3s|%.*s", "abc", "right", "left", "truncate", 2, "xyz");
	SAME("%c%c %%", 'o', 'k');
	SAME("%016lx", 0x1234UL);
	SAME("%d", -2147483647 - 1);
	SAME("%ld", (long)(-9223372036854775807L - 1));
}
END_TEST

START_TEST(pointer_is_hex_with_prefix)
{
	char a[32];
	sv_snprintf(a, sizeof(a), "%p", (void *)0x1000);
	ck_assert_str_eq(a, "0x1000");
}
END_TEST

START_TEST(truncation_reports_full_length)
{
	char buf[8];
	int n = sv_snprintf(buf, sizeof(buf), "%s-%d", "abcdef", 12345);
	ck_assert_int_eq(n, 12);
	ck_assert_str_eq(buf, "abcdef-");
	ck_assert_int_eq(sv_snprintf(NULL, 0, "%d", 100), 3);
}
END_TEST

Suite *fmt_suite(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, formats_match_libc);
	tcase_add_test(tc, pointer_is_hex_with_prefix);
	tcase_add_test(tc, truncation_reports_full_length);
	suite_add_tcase(s, tc);
	return s;
}
