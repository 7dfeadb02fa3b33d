/* SPDX-License-Identifier: MIT */
/*
 * test_probe_cmdline.c - the probe guest's command line (guest/probe): every
 * value ends at its own NUL, so comparing a value that is not the last word
 * compares the value alone ("trigger=fact n=5" is trigger "fact"). The
 * guest's file is freestanding C and not part of libnexit, so it is built
 * into this test directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "guest/probe/common/cmdline.c"

void panic(const char *fmt, ...)
{
	mock_assert(0, fmt, __FILE__, __LINE__);
	for (;;)
		;
}

static void values_end_at_their_word(void **state)
{
	struct cmdline c;

	cmdline_init(&c, "/boot/probe.elf scenario=msi-latency trigger=fact n=5 exit=debug");
	assert_string_equal(cmdline_get(&c, "scenario"), "msi-latency");
	assert_string_equal(cmdline_get(&c, "trigger"), "fact");
	assert_int_equal(strcmp(cmdline_get(&c, "trigger"), "fact"), 0);
	assert_string_equal(cmdline_get(&c, "exit"), "debug");
	assert_int_equal(cmdline_u64(&c, "n", 1000), 5);
	assert_null(cmdline_get(&c, "/boot/probe.elf"));
}

static void keys_match_whole(void **state)
{
	struct cmdline c;

	cmdline_init(&c, "  n_max=7   n=0x10 cpu= timeout_ms=20  ");
	assert_int_equal(cmdline_u64(&c, "n", 1), 16);
	assert_int_equal(cmdline_u64(&c, "n_max", 1), 7);
	assert_string_equal(cmdline_get(&c, "cpu"), "");
	assert_null(cmdline_get(&c, "timeout"));
	assert_int_equal(cmdline_u64(&c, "absent", 42), 42);
}

static void first_of_a_repeated_key_counts(void **state)
{
	struct cmdline c;

	cmdline_init(&c, "scenario=hello scenario=storm");
	assert_string_equal(cmdline_get(&c, "scenario"), "hello");
}

static void bad_number_panics(void **state)
{
	struct cmdline c;

	cmdline_init(&c, "n=12x m=");
	expect_assert_failure(cmdline_u64(&c, "n", 0));
	expect_assert_failure(cmdline_u64(&c, "m", 0));
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(values_end_at_their_word),
		cmocka_unit_test(keys_match_whole),
		cmocka_unit_test(first_of_a_repeated_key_counts),
		cmocka_unit_test(bad_number_panics),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
