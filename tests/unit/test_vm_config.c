/* guest/vmm/vm_config.c: a full file, defaults, and each rule broken once
 * with the message it must give. */
#include <stdio.h>
#include <string.h>
#include <sealvisor/errno.h>
#include <sealvisor/hypercall.h>
#include "guest/vmm/vm_config.h"
#include "tests/unit/unit.h"

static struct vm_config cfg;
static char err[VMCFG_ERR_MAX];

static int parse(const char *text)
{
	err[0] = 0;
	return vm_config_parse(&cfg, "t.vm", text, strlen(text), err, sizeof(err));
}

static void refused(const char *text, const char *want)
{
	ck_assert_int_eq(parse(text), -EINVAL);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

START_TEST(full_file)
{
	ck_assert_int_eq(parse("# a test kernel\n"
			       "kernel = guests/mb.elf\n"
			       "append =  console=ttyS0  a=\"b c\" # not a comment \n"
			       "initrd = one.bin, two.bin ,three\n"
			       "memory = 256M\r\n"
			       "vcpus = 2\n"
			       "com1_input = run/com1.in\n"), 0);
	ck_assert_str_eq(cfg.kernel, "guests/mb.elf");
	ck_assert_str_eq(cfg.com1_input, "run/com1.in");
	ck_assert_str_eq(cfg.append, "console=ttyS0  a=\"b c\" # not a comment");
	ck_assert_uint_eq(cfg.nr_initrds, 3);
	ck_assert_str_eq(cfg.initrd[0], "one.bin");
	ck_assert_str_eq(cfg.initrd[1], "two.bin");
	ck_assert_str_eq(cfg.initrd[2], "three");
	ck_assert_uint_eq(cfg.memory, 256ull << 20);
	ck_assert_uint_eq(cfg.vcpus, 2);
}
END_TEST

START_TEST(defaults)
{
	ck_assert_int_eq(parse("kernel=k"), 0);
	ck_assert_uint_eq(cfg.memory, VMCFG_DEFAULT_MEMORY);
	ck_assert_uint_eq(cfg.vcpus, 1);
	ck_assert_uint_eq(cfg.nr_initrds, 0);
	ck_assert_str_eq(cfg.append, "");
	ck_assert_str_eq(cfg.com1_input, "");
}
END_TEST

START_TEST(sizes)
{
	uint64_t v;
	ck_assert_int_eq(vm_config_size("4096", 4, &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(vm_config_size("3G", 2, &v), 0);
	ck_assert_uint_eq(v, 3ull << 30);
	ck_assert_int_eq(vm_config_size("8K", 2, &v), 0);
	ck_assert_uint_eq(v, 8192);
	ck_assert_int_eq(vm_config_size("M", 1, &v), -EINVAL);
	ck_assert_int_eq(vm_config_size("1T", 2, &v), -EINVAL);
	ck_assert_int_eq(vm_config_size("-1", 2, &v), -EINVAL);
	ck_assert_int_eq(vm_config_size("18446744073709551616", 20, &v), -ERANGE);
	ck_assert_int_eq(vm_config_size("17179869184G", 12, &v), -ERANGE);
}
END_TEST

START_TEST(rules)
{
	refused("append = x\n", "t.vm: no 'kernel =' line");
	refused("kernel = a\nkernel = b\n", "t.vm:2: kernel given twice");
	refused("kernel = a\nram = 1G\n", "t.vm:2: unknown key 'ram'");
	refused("kernel = a\ncom1_input =\n", "t.vm:2: com1_input: empty name");
	refused("com1_input = a\ncom1_input = b\n", "t.vm:2: com1_input given twice");
	refused("kernel a\n", "t.vm:1: expected 'key = value'");
	refused("kernel = \n", "kernel: empty name");
	refused("kernel = k\nmemory = 1M\n", "memory: 1048576 is outside 2097152..");
	refused("kernel = k\nmemory = 3000001\n", "memory: 3000001 is not a multiple of 4 KiB");
	refused("kernel = k\nmemory = lots\n", "memory: 'lots' is not a size");
	refused("kernel = k\nvcpus = 0\n", "vcpus: 0 is outside 1..8");
	refused("kernel = k\nvcpus = 9\n", "vcpus: 9 is outside 1..8");
	refused("kernel = k\nvcpus = 2K\n", "vcpus: '2K' is not a number");
	refused("kernel = k\ninitrd = a,,b\n", "initrd: empty name");
	refused("kernel = k\ninitrd = a,\n", "initrd: empty name after the last ','");
	refused("kernel = k\ninitrd = 1,2,3,4,5,6,7,8,9\n", "initrd: more than 8 modules");
	ck_assert_int_eq(vm_config_parse(&cfg, "t.vm", "kernel = k\0x", 12, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "NUL byte"), "%s", err);
}
END_TEST

/* Long values are refused, never cut: the longest that fits is kept whole. */
START_TEST(no_truncation)
{
	static char text[4096], name[VMCFG_NAME_MAX + 1];

	memset(name, 'n', VMCFG_NAME_MAX);
	name[VMCFG_NAME_MAX] = 0;
	snprintf(text, sizeof(text), "kernel = %s\n", name);
	refused(text, "kernel: name of 64 characters, at most 63");
	name[VMCFG_NAME_MAX - 1] = 0;
	snprintf(text, sizeof(text), "kernel = %s\n", name);
	ck_assert_int_eq(parse(text), 0);
	ck_assert_uint_eq(strlen(cfg.kernel), VMCFG_NAME_MAX - 1);

	int n = snprintf(text, sizeof(text), "kernel = k\nappend = ");
	memset(text + n, 'a', VMCFG_APPEND_MAX);
	text[n + VMCFG_APPEND_MAX] = 0;
	refused(text, "append: 1024 characters, at most 1023");
	text[n + VMCFG_APPEND_MAX - 1] = 0;
	ck_assert_int_eq(parse(text), 0);
	ck_assert_uint_eq(strlen(cfg.append), VMCFG_APPEND_MAX - 1);
}
END_TEST

Suite *vm_config_suite(void)
{
	Suite *s = suite_create("vm config");
	TCase *t = tcase_create("core");

	tcase_add_test(t, full_file);
	tcase_add_test(t, defaults);
	tcase_add_test(t, sizes);
	tcase_add_test(t, rules);
	tcase_add_test(t, no_truncation);
	suite_add_tcase(s, t);
	return s;
}
