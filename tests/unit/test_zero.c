/* Every zeroing method this CPU has clears exactly the bytes asked for. */
#include <stdlib.h>
#include <string.h>
#include "mm/zero.h"
#include "tests/unit/unit.h"

START_TEST(each_available_method_zeroes_exactly_its_range)
{
	enum zero_method m = _i;
	size_t sizes[] = { 64, 256, 4096, 3 * 4096 + 512, 2UL << 20 };
	uint8_t *buf = aligned_alloc(4096, (2UL << 20) + 8192);

	if (!zero_method_available(m)) {
		free(buf);
		return;                            /* nothing to check on this CPU */
	}
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		memset(buf, 0x5a, (2UL << 20) + 8192);
		zero_with(m, buf + 4096, sizes[s]);
		zero_fence();
		for (size_t i = 0; i < (2UL << 20) + 8192; i++) {
			uint8_t want = i >= 4096 && i < 4096 + sizes[s] ? 0 : 0x5a;
			if (buf[i] != want)
				ck_abort_msg("%s, %zu bytes: byte %zu is 0x%x", zero_method_name(m), sizes[s],
					     i, buf[i]);
		}
	}
	free(buf);
}
END_TEST

/* tests/unit/zero_os.c: mm/zero.c at -Os. */
void zero_os_with(enum zero_method m, void *p, size_t bytes);

/* The same check with the code optimised otherwise: an asm whose operands
 * lie about the registers it changes works only by luck of allocation. */
START_TEST(each_method_zeroes_its_range_whatever_the_optimisation)
{
	enum zero_method m = _i;
	size_t size = 2UL << 20;
	uint8_t *buf = aligned_alloc(4096, size + 8192);

	if (!zero_method_available(m)) {
		free(buf);
		return;
	}
	memset(buf, 0x5a, size + 8192);
	zero_os_with(m, buf + 4096, size);
	zero_fence();
	for (size_t i = 0; i < size + 8192; i++) {
		uint8_t want = i >= 4096 && i < 4096 + size ? 0 : 0x5a;
		if (buf[i] != want)
			ck_abort_msg("%s at -Os: byte %zu is 0x%x", zero_method_name(m), i, buf[i]);
	}
	free(buf);
}
END_TEST

START_TEST(the_chosen_method_is_available)
{
	ck_assert(zero_method_available(zero_method()));
	ck_assert(zero_method() == ZERO_CLZERO || !zero_method_available(ZERO_CLZERO));
}
END_TEST

Suite *zero_suite(void)
{
	Suite *s = suite_create("zero");
	TCase *tc = tcase_create("methods");

	tcase_add_loop_test(tc, each_available_method_zeroes_exactly_its_range, 0, ZERO_NR_METHODS);
	tcase_add_loop_test(tc, each_method_zeroes_its_range_whatever_the_optimisation, 0,
			    ZERO_NR_METHODS);
	tcase_add_test(tc, the_chosen_method_is_available);
	suite_add_tcase(s, tc);
	return s;
}
