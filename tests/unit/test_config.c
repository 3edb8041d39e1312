/* The sealvisor.cfg parser: good files parse, every bad line names file:line. */
#include <string.h>
#include <sealvisor/errno.h>
#include "boot/config.h"
#include "hv/log.h"
#include "tests/unit/unit.h"

static struct config cfg;
static char err[CONFIG_ERR_MAX];

static int parse(const char *text)
{
	config_defaults(&cfg);
	return config_parse(&cfg, "sealvisor.cfg", text, strlen(text), err, sizeof(err));
}

START_TEST(good_file_sets_every_key)
{
	const char *text =
		"# a comment\n"
		"\n"
		"control = control.elf   # trailing comment\r\n"
		"guest=guests/hello.elf\n"
		"  guest =  guests/punch.elf  \n"
		"module = guests/kernel.bin\n"
		"log.level = debug\n"
		"debug.fault = ud2\n"
		"debug.ap_start = give-up\n"
		"watchdog = 30\n"
		"debug.audit_every = 256\n"
		"selftest = off";          /* no final newline */
	ck_assert_int_eq(parse(text), 0);
	ck_assert_str_eq(cfg.control, "control.elf");
	ck_assert_int_eq(cfg.nr_guests, 3);
	ck_assert_str_eq(cfg.guests[0], "guests/hello.elf");
	ck_assert_str_eq(cfg.guests[1], "guests/punch.elf");
	ck_assert_str_eq(cfg.guests[2], "guests/kernel.bin");
	ck_assert(!cfg.guest_is_data[0] && !cfg.guest_is_data[1] && cfg.guest_is_data[2]);
	ck_assert_int_eq(cfg.log_level, LOG_DEBUG);
	ck_assert_int_eq(cfg.debug_fault, DEBUG_FAULT_UD2);
	ck_assert_int_eq(cfg.debug_ap_start, DEBUG_AP_START_GIVE_UP);
	ck_assert(!cfg.selftest);
	ck_assert_uint_eq(cfg.watchdog_s, 30);
	ck_assert_uint_eq(cfg.audit_every, 256);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(empty_file_keeps_defaults)
{
	ck_assert_int_eq(parse(""), 0);
	ck_assert_int_eq(cfg.log_level, LOG_INFO);
	ck_assert(cfg.selftest);
	ck_assert_int_eq(cfg.nr_guests, 0);
	ck_assert_uint_eq(cfg.watchdog_s, 0);      /* off */
	ck_assert_uint_eq(cfg.audit_every, 0);
}
END_TEST

static const struct {
	const char *text, *msg;
} bad[] = {
	{ "log.level = info\nfoo = 1\n", "sealvisor.cfg:2: unknown key 'foo'" },
	{ "\n\njust words\n", "sealvisor.cfg:3: expected 'key = value', found 'just words'" },
	{ "= value\n", "sealvisor.cfg:1: missing key before '='" },
	{ "control =   \n", "sealvisor.cfg:1: missing value for 'control'" },
	{ "log level = info\n", "sealvisor.cfg:1: space inside key 'log level'" },
	{ "log.level = loud\n", "sealvisor.cfg:1: bad value 'loud' for log.level" },
	{ "debug.fault = segv\n", "sealvisor.cfg:1: bad value 'segv' for debug.fault" },
	{ "debug.ap_start = later\n", "sealvisor.cfg:1: bad value 'later' for debug.ap_start" },
	{ "selftest = maybe\n", "sealvisor.cfg:1: bad value 'maybe' for selftest" },
	{ "guest = ../escape.elf\n", "sealvisor.cfg:1: guest path '../escape.elf' must not contain '..'" },
	{ "watchdog = -1\n", "sealvisor.cfg:1: bad value '-1' for watchdog: a number of seconds, 0 to 86400" },
	{ "watchdog = 5s\n", "sealvisor.cfg:1: bad value '5s' for watchdog: a number of seconds, 0 to 86400" },
	{ "debug.audit_every = 1000001\n", "sealvisor.cfg:1: bad value '1000001' for debug.audit_every: a number of hypercalls, 0 to 1000000" },
	{ "debug.audit_every = x\n", "sealvisor.cfg:1: bad value 'x' for debug.audit_every: a number of hypercalls, 0 to 1000000" },
	{ "watchdog = 86401\n", "sealvisor.cfg:1: bad value '86401' for watchdog: a number of seconds, 0 to 86400" },
	{ "watchdog = 99999999999999999999999\n", "sealvisor.cfg:1: bad value '99999999999999999999999' for watchdog: a number of seconds, 0 to 86400" },
	{ "guest = a b.elf\n", "sealvisor.cfg:1: bad character ' ' in guest path 'a b.elf'" },
	{ "control = /control.elf\n", "sealvisor.cfg:1: control path '/control.elf' must be "
	  "relative to the volume root (write 'control.elf')" },
	{ "control = c.elf\nguest = /guests/a.elf\n", "sealvisor.cfg:2: guest path "
	  "'/guests/a.elf' must be relative to the volume root (write 'guests/a.elf')" },
	{ "# no control\n\nguest = a.elf\nguest = b.elf\n", "sealvisor.cfg:3: 'guest =' or "
	  "'module =' without 'control =': guests are launched by a control partition (e.g. "
	  "'control = control.elf')" },
	{ "module = k.bin\n", "sealvisor.cfg:1: 'guest =' or 'module =' without 'control =': "
	  "guests are launched by a control partition (e.g. 'control = control.elf')" },
	{ "control = c.elf\nmodule = ../k.bin\n", "sealvisor.cfg:2: module path '../k.bin' must "
	  "not contain '..'" },
	{ "control = x\x01y\n", "sealvisor.cfg:1: invalid byte 0x01" },
	{ "control = "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "sealvisor.cfg:1: control path is 68 bytes, longer than the 63 allowed" },
};

START_TEST(bad_line_names_file_line_and_reason)
{
	ck_assert_int_eq(parse(bad[_i].text), -EINVAL);
	ck_assert_str_eq(err, bad[_i].msg);
}
END_TEST

START_TEST(error_leaves_config_unchanged)
{
	config_defaults(&cfg);
	const char *text = "control = c.elf\nguest = a.elf\nlog.level = debug\nbogus\n";
	ck_assert_int_eq(config_parse(&cfg, "x.cfg", text, strlen(text), err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(cfg.nr_guests, 0);
	ck_assert_int_eq(cfg.log_level, LOG_INFO);
	ck_assert_int_eq(cfg.control[0], 0);
	ck_assert_str_eq(err, "x.cfg:4: expected 'key = value', found 'bogus'");
}
END_TEST

START_TEST(too_many_guests_is_an_error)
{
	char text[2048] = "control = c.elf\n";
	for (int i = 0; i <= CONFIG_MAX_GUESTS; i++)
		strcat(text, "guest = g.elf\n");
	ck_assert_int_eq(parse(text), -EINVAL);
	ck_assert_str_eq(err, "sealvisor.cfg:18: more than 16 guest and module lines");
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, good_file_sets_every_key);
	tcase_add_test(tc, empty_file_keeps_defaults);
	tcase_add_loop_test(tc, bad_line_names_file_line_and_reason, 0,
			    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, error_leaves_config_unchanged);
	tcase_add_test(tc, too_many_guests_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
