/* Unit tests: the INI config and the CLI-style setter (core/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/vm.h"

static char path[64];

static void write_ini(const char *text)
{
	int fd;

	strcpy(path, "/tmp/nexit-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int load(struct nx_config *c, const char *text)
{
	int r;

	nx_config_defaults(c);
	write_ini(text);
	r = nx_config_load(c, path);
	unlink(path);
	return r;
}

static void test_full_file(void **st)
{
	struct nx_config c;

	assert_int_equal(load(&c,
		"; an appliance\n[vm]\nmemory = 512M\ncpus = 2\nirqchip = kernel\nhugepages = off\n"
		"[kernel]\npath = k.elf\ninitrd = i.cpio\ncmdline = console=ttyS0 quiet\n"
		"[serial]\noutput = out.log\n[cpuid]\nhide = cx16, xsave\n"
		"[device \"nic0\"]\ntype = irqdev\nwait = poll\n"), 0);
	assert_int_equal(c.mem_bytes, 512ull << 20);
	assert_int_equal(c.cpus, 2);
	assert_int_equal(c.irqchip, NX_IRQCHIP_KERNEL);
	assert_string_equal(c.kernel, "k.elf");
	assert_string_equal(c.initrd, "i.cpio");
	assert_string_equal(c.cmdline, "console=ttyS0 quiet");
	assert_string_equal(c.serial_out, "out.log");
	assert_int_equal(c.ncpuid_hide, 2);
	assert_string_equal(c.cpuid_hide[1], "xsave");
	assert_int_equal(c.ndevices, 1);
	assert_string_equal(c.devices[0].name, "nic0");
	assert_string_equal(c.devices[0].type, "irqdev");
	assert_string_equal(c.devices[0].opts, "wait=poll");
}

static void test_defaults(void **st)
{
	struct nx_config c;

	assert_int_equal(load(&c, "[vm]\n"), 0);
	assert_int_equal(c.mem_bytes, 256ull << 20);
	assert_int_equal(c.cpus, 1);
	assert_int_equal(c.irqchip, NX_IRQCHIP_SPLIT);
	assert_true(c.defaults);
	assert_int_equal(load(&c, "[vm]\ndefaults = off\n"), 0);
	assert_false(c.defaults);
	assert_int_equal(load(&c, "[vm]\ndefaults = maybe\n"), -1);
}

static void test_errors(void **st)
{
	struct nx_config c;

	assert_int_equal(load(&c, "[vm]\nmemory = 64M\nbogus = 1\n"), -1);
	assert_int_equal(load(&c, "[vm]\nnot a key value line\n"), -1);
	assert_int_equal(load(&c, "[vm]\ncpus = 0\n"), -1);
	assert_int_equal(load(&c, "[vm]\ncpus = 65\n"), -1);
	assert_int_equal(load(&c, "[vm]\nmemory = 12Q\n"), -1);
	assert_int_equal(load(&c, "[vm]\nirqchip = both\n"), -1);
	assert_int_equal(load(&c, "[nosuch]\nkey = 1\n"), -1);
	assert_int_equal(load(&c, "[cpuid]\nhide = warp-drive\n"), -1);
	assert_int_equal(load(&c, "[device \"d\"]\ntype = toaster\n"), -1);
	assert_int_equal(load(&c, "[device \"d\"]\nassign = not-a-bdf\n"), -1);
	assert_int_equal(load(&c, "[device \"d\"]\ncolour = red\n"), -1);
}

static void test_line_numbers(void **st)
{
	write_ini("[vm]\nmemory = 64M\n\n[kernel]\npath = x\ncmd = y\n");
	assert_int_equal(nx_config_find_line(path, "kernel", "cmd"), 6);
	assert_int_equal(nx_config_find_line(path, "vm", "memory"), 2);
	assert_int_equal(nx_config_find_line(path, "vm", "cmd"), 0);
	unlink(path);
}

static void test_long_line_rejected(void **st)
{
	struct nx_config c;
	char text[400];

	snprintf(text, sizeof(text), "[kernel]\ncmdline = %0300d\n", 1);
	assert_int_equal(load(&c, text), -1);
}

static void test_sizes(void **st)
{
	uint64_t v;

	assert_int_equal(nx_parse_size("4096", &v), 0); assert_int_equal(v, 4096);
	assert_int_equal(nx_parse_size("256M", &v), 0); assert_int_equal(v, 256ull << 20);
	assert_int_equal(nx_parse_size("2G", &v), 0); assert_int_equal(v, 2ull << 30);
	assert_int_equal(nx_parse_size("1GiB", &v), 0); assert_int_equal(v, 1ull << 30);
	assert_int_equal(nx_parse_size("-1M", &v), -1);
	assert_int_equal(nx_parse_size("M", &v), -1);
	assert_int_equal(nx_parse_size("99999999999999999999", &v), -1);
	assert_int_equal(nx_parse_size("20000000T", &v), -1);
}

static void test_cli_overrides_file(void **st)
{
	struct nx_config c;

	assert_int_equal(load(&c, "[vm]\ncpus = 2\n"), 0);
	assert_int_equal(nx_config_set(&c, "vm", "cpus", "3", "--cpus"), 0);
	assert_int_equal(c.cpus, 3);
	assert_int_equal(nx_config_set(&c, "vm", "cpus", "x", "--cpus"), -1);
	assert_int_equal(c.cpus, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_line_numbers),
		cmocka_unit_test(test_long_line_rejected),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_cli_overrides_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
