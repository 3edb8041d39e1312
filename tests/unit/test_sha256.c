/* lib/sha256.c against the FIPS 180-2 examples and a long input. */
#include <stdio.h>
#include <string.h>
#include "lib/sha256.h"
#include "tests/unit/unit.h"

static void hex(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void check(const void *data, size_t len, size_t chunk, const char *want)
{
	struct sha256 c;
	uint8_t d[32];
	char got[65];

	sha256_init(&c);
	for (size_t off = 0; off < len; off += chunk)
		sha256_update(&c, (const uint8_t *)data + off, len - off < chunk ? len - off : chunk);
	sha256_final(&c, d);
	hex(d, got);
	ck_assert_str_eq(got, want);
}

START_TEST(fips_examples)
{
	check("", 0, 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check("abc", 3, 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check(two, strlen(two), 7, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(million_a)
{
	static char a[1000000];
	memset(a, 'a', sizeof(a));
	check(a, sizeof(a), 4093, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

Suite *sha256_suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("vectors");

	tcase_add_test(tc, fips_examples);
	tcase_add_test(tc, million_a);
	suite_add_tcase(s, tc);
	return s;
}
