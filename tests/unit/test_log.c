/* SPDX-License-Identifier: MIT */
/*
 * test_log.c - the one-line reports (core/log.c): a call site that a guest
 * or backend can make report at any rate prints a burst per window and
 * holds back the rest (counted, and said so once it may speak again), while
 * other sites still print.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sys/mman.h>
#include "core/vm.h"

static int lines(int fd)
{
	char buf[65536];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	int k = 0;

	for (ssize_t i = 0; i < n; i++)
		k += buf[i] == '\n';
	return k;
}

static void test_flood_is_bounded(void **st)
{
	int fd = memfd_create("log", 0), saved = dup(2);

	fflush(stderr);
	dup2(fd, 2);
	for (int i = 0; i < 1000; i++)
		nx_warn("guest did something odd, time %d", i);
	nx_error("another site still reports");
	fflush(stderr);
	dup2(saved, 2);
	assert_int_equal(lines(fd), 10 + 1);
	close(fd);
	close(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
