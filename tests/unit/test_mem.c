/* SPDX-License-Identifier: MIT */
/*
 * test_mem.c - guest RAM (core/mem.c): the memfd that vhost-user backends
 * map is sealed at its size (a peer's ftruncate would pull pages from under
 * KVM and nexit: SIGBUS), and nx_gpa's bounds hold at the edges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/core.h"

static void test_memfd_sealed(void **state)
{
	struct nx_mem m;
	int seals;

	assert_int_equal(nx_mem_init(&m, 8 << 20, false), 0);
	seals = fcntl(m.memfd, F_GET_SEALS);
	assert_true(seals & F_SEAL_SHRINK);
	assert_true(seals & F_SEAL_GROW);
	assert_true(seals & F_SEAL_SEAL);
	/* What a backend holding the fd could try. */
	assert_int_equal(ftruncate(m.memfd, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(m.memfd, 16 << 20), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(fcntl(m.memfd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	/* Guest RAM stays usable. */
	m.base[(8 << 20) - 1] = 1;
	nx_mem_destroy(&m);
}

static void test_gpa_bounds(void **state)
{
	struct nx_mem m;

	assert_int_equal(nx_mem_init(&m, 8 << 20, false), 0);
	assert_non_null(nx_gpa(&m, m.regions[0].gpa, 1));
	assert_non_null(nx_gpa(&m, m.regions[0].gpa + m.regions[0].size - 4, 4));
	assert_null(nx_gpa(&m, m.regions[0].gpa + m.regions[0].size - 4, 5));
	assert_null(nx_gpa(&m, m.regions[0].gpa + 8, UINT64_MAX));
	assert_null(nx_gpa(&m, UINT64_MAX, 2));
	nx_mem_destroy(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memfd_sealed),
		cmocka_unit_test(test_gpa_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
